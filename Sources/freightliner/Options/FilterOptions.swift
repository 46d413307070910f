import ArgumentParser
import FreightCore
import FreightEngine

/// Which repositories and tags of a source a run takes (`sync`, `plan`).
struct FilterOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("A repository, relative to SRC (repeatable); skips the catalog.", valueName: "NAME"))
    var repositories: [String] = []

    @Option(help: ArgumentHelp("Only repositories matching this glob (repeatable).", valueName: "GLOB"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Skip repositories matching this glob (repeatable).", valueName: "GLOB"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("Only tags matching this regex (anchored).", valueName: "REGEX"))
    var tags: String?

    @Option(name: .customLong("exclude-tags"), help: ArgumentHelp("Skip tags matching this regex (anchored).", valueName: "REGEX"))
    var excludeTags: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Only the N highest semantic-version tags of each repository.", valueName: "N"))
    var latest: Int?

    func validate() throws {
        if let latest, latest < 1 { throw invalid("--latest must be at least 1, got \(latest)") }
        for (option, pattern) in [("--tags", tags), ("--exclude-tags", excludeTags)] {
            guard let pattern else { continue }
            do { _ = try TagPattern(pattern) } catch { throw fail(ValidationError("\(option): \(error)")) }
        }
        for (option, globs) in [("--include", include), ("--exclude", exclude)] {
            for glob in globs {
                do { _ = try PathGlob(glob) } catch { throw fail(ValidationError("\(option): \(error)")) }
            }
        }
    }

    func filters() throws -> PlanFilters {
        var filters = PlanFilters()
        filters.include = try include.map(PathGlob.init)
        filters.exclude = try exclude.map(PathGlob.init)
        filters.tags = try tags.map(TagPattern.init)
        filters.excludeTags = try excludeTags.map(TagPattern.init)
        filters.latest = latest
        return filters
    }

    /// The `--repo` paths relative to `prefix`, each checked to make a valid reference; nil
    /// without `--repo` (the catalog is listed).
    func named(under prefix: RegistryPrefix) throws -> [String]? {
        try repositories.isEmpty ? nil : repositories.map { name -> String in
            var path = Substring(name)
            while path.hasPrefix("/") { path = path.dropFirst() }
            while path.hasSuffix("/") { path = path.dropLast() }
            _ = try ImageReference(registry: prefix.registry, repository: prefix.repository(relative: String(path)))
            return String(path)
        }
    }
}
