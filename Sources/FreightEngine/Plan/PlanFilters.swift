/// Which repositories and tags a run takes: repository globs, anchored tag regexes, and the N
/// highest semantic versions.
public struct PlanFilters: Sendable {
    public var include: [PathGlob] = []
    public var exclude: [PathGlob] = []
    public var tags: TagPattern?
    public var excludeTags: TagPattern?
    public var latest: Int?

    public init() {}

    /// Whether a repository path (relative to the source prefix) is in.
    public func includes(repository path: String) -> Bool {
        (include.isEmpty || include.contains { $0.matches(path) }) && !exclude.contains { $0.matches(path) }
    }

    /// The tags to copy, in the registry's order.
    public func select(_ tags: [String]) -> [String] {
        var selected = tags.filter { tag in
            (self.tags?.matches(tag) ?? true) && !(excludeTags?.matches(tag) ?? false)
        }
        if let latest {
            let versioned = selected.compactMap { tag in SemanticVersion(tag: tag).map { (tag, $0) } }
            let keep = Set(versioned.sorted { $0.1 > $1.1 }.prefix(latest).map(\.0))
            selected = selected.filter(keep.contains)
        }
        return selected
    }

    /// The repository filters given (`--include`, `--exclude`), as the user spelled them.
    public var repositoryOptions: [String] {
        include.map { "--include \($0.pattern)" } + exclude.map { "--exclude \($0.pattern)" }
    }

    /// The tag filters given (`--tags`, `--exclude-tags`, `--latest`).
    public var tagOptions: [String] {
        [tags.map { "--tags \($0.pattern)" }, excludeTags.map { "--exclude-tags \($0.pattern)" }, latest.map { "--latest \($0)" }]
            .compactMap { $0 }
    }

    /// How the plan was filtered, for `checkpoints show`.
    public var summary: [String] { repositoryOptions + tagOptions }
}

/// A regular expression that must match a whole tag.
public struct TagPattern: @unchecked Sendable {
    public let pattern: String
    // Regex is immutable once built; it is only read.
    private let regex: Regex<AnyRegexOutput>

    public init(_ pattern: String) throws {
        self.pattern = pattern
        do {
            regex = try Regex(pattern)
        } catch {
            throw FilterError(value: pattern, reason: "not a valid regular expression (\(error))")
        }
    }

    public func matches(_ tag: String) -> Bool { (try? regex.wholeMatch(in: tag)) != nil }
}
