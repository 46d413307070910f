/// A token-service scope, e.g. `repository:team/app:pull,push` or `registry:catalog:*`.
public struct Scope: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let text: String

    public static func pull(_ repository: String) -> Scope { Scope(text: "repository:\(repository):pull") }
    public static func push(_ repository: String) -> Scope { Scope(text: "repository:\(repository):pull,push") }
    /// Deleting manifests needs its own action in the token spec (`delete`; Harbor and
    /// distribution's token auth check it).
    public static func delete(_ repository: String) -> Scope { Scope(text: "repository:\(repository):delete") }
    public static let catalog = Scope(text: "registry:catalog:*")

    public init(text: String) { self.text = text }

    public var description: String { text }
    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.text < rhs.text }
}
