/// Colours for every style role, by name. Whatever a theme file leaves out comes from the
/// built-in default.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var colors: [StyleRole: RoleColors]

    public init(name: String, colors: [StyleRole: RoleColors]) {
        self.name = name
        self.colors = colors
    }

    public func colors(for role: StyleRole) -> RoleColors {
        colors[role] ?? Self.builtIn.colors[role] ?? RoleColors(.terminalDefault)
    }

    /// The dark default, also written out as `themes/default.theme`.
    public static let builtIn = Theme(name: "default", colors: [
        .text: RoleColors(.indexed(252)),
        .dim: RoleColors(.indexed(244)),
        .border: RoleColors(.indexed(240)),
        .borderFocus: RoleColors(.indexed(75)),
        .title: RoleColors(.indexed(81)),
        .header: RoleColors(.indexed(231), .indexed(24)),
        .selected: RoleColors(.indexed(231), .indexed(31)),
        .selectedInactive: RoleColors(.indexed(252), .indexed(238)),
        .running: RoleColors(.indexed(81)),
        .done: RoleColors(.indexed(114)),
        .skipped: RoleColors(.indexed(108)),
        .pending: RoleColors(.indexed(246)),
        .failed: RoleColors(.indexed(203)),
        .warning: RoleColors(.indexed(221)),
        .barFill: RoleColors(.indexed(75)),
        .barEmpty: RoleColors(.indexed(238)),
        .key: RoleColors(.indexed(221)),
        .overlay: RoleColors(.indexed(252)),
        .notice: RoleColors(.indexed(16), .indexed(221)),
    ])
}
