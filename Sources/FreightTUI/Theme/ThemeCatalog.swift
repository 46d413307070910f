import Foundation

/// A theme read from a file (or the built-in default), with what was wrong in it.
public struct LoadedTheme: Sendable {
    public let theme: Theme
    public let path: String?
    public let warnings: [ThemeWarning]

    public init(theme: Theme, path: String?, warnings: [ThemeWarning]) {
        self.theme = theme
        self.path = path
        self.warnings = warnings
    }
}

public struct ThemeError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Where themes are found, first match winning: `--theme-dir`,
/// `$XDG_CONFIG_HOME/freightliner/themes` (else `~/.config/freightliner/themes`),
/// `<prefix>/share/freightliner/themes` next to the installed binary, and the source tree's
/// `themes/` for builds run from a checkout.
public struct ThemeCatalog: Sendable {
    public let directories: [String]

    public init(directories: [String]) { self.directories = directories }

    public init(themeDirectory: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                executablePath: String? = ThemeCatalog.currentExecutable()) {
        var directories: [String] = []
        if let themeDirectory, !themeDirectory.isEmpty { directories.append(themeDirectory) }
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty {
            directories.append("\(config)/freightliner/themes")
        } else if let home = environment["HOME"], !home.isEmpty {
            directories.append("\(home)/.config/freightliner/themes")
        }
        if let executablePath {
            let prefix = URL(fileURLWithPath: executablePath).deletingLastPathComponent().deletingLastPathComponent().path
            directories.append("\(prefix)/share/freightliner/themes")
        }
        directories.append(Self.sourceTreeThemes)
        self.directories = directories
    }

    /// `themes/` of the checkout this module was built from.
    static let sourceTreeThemes: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("themes").path

    public static func currentExecutable() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    /// Every theme name found, `default` first, then alphabetically.
    public func available() -> [String] {
        var names: Set<String> = ["default"]
        for directory in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files where file.hasSuffix(".theme") {
                let name = String(file.dropLast(".theme".count))
                if Self.isValidName(name) { names.insert(name) }
            }
        }
        return ["default"] + names.subtracting(["default"]).sorted()
    }

    /// The file for `name` in the first directory that has one; `default` falls back to the
    /// built-in theme when no file exists.
    public func load(_ name: String) throws -> LoadedTheme {
        guard Self.isValidName(name) else {
            throw ThemeError(description: "\"\(name)\" is not a theme name (letters, digits, '.', '_', '-')")
        }
        for directory in directories {
            let path = "\(directory)/\(name).theme"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let (theme, warnings) = ThemeParser.parse(String(decoding: data, as: UTF8.self), name: name, file: path)
            return LoadedTheme(theme: theme, path: path, warnings: warnings)
        }
        if name == "default" { return LoadedTheme(theme: .builtIn, path: nil, warnings: []) }
        throw ThemeError(description: "theme \"\(name)\" not found (looked in \(directories.joined(separator: ", "))); "
                         + "available: \(available().joined(separator: ", "))")
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
    }
}
