import ArgumentParser
import Foundation
import FreightTUI

/// The dashboard's look and when it leaves; shared by every command that can show it.
struct DashboardFlags: ParsableArguments {
    @Option(help: ArgumentHelp("The dashboard's colour theme (see themes/README.md).", valueName: "NAME"))
    var theme: String = "default"

    @Option(name: .customLong("theme-dir"), help: ArgumentHelp("Look for NAME.theme here first.", valueName: "DIR"))
    var themeDirectory: String?

    @Flag(name: .customLong("exit-on-complete"), help: "Close the dashboard when the run finishes instead of waiting for q.")
    var exitOnComplete = false

    var catalog: ThemeCatalog { ThemeCatalog(themeDirectory: themeDirectory) }

    func validate() throws {
        do {
            _ = try catalog.load(theme)
        } catch {
            throw invalid("--theme: \(error)")
        }
    }

    /// The options, with the theme loaded (`validate` has made sure it loads).
    var options: DashboardOptions {
        let catalog = self.catalog
        let loaded = (try? catalog.load(theme)) ?? LoadedTheme(theme: .builtIn, path: nil, warnings: [])
        return DashboardOptions(catalog: catalog, theme: loaded, exitOnComplete: exitOnComplete,
                                environment: ProcessInfo.processInfo.environment)
    }
}
