/// What a cell means, not how it looks: a theme gives each role its colours, and the
/// terminal backend adds attributes. The raw value is the role's key in theme files.
public enum StyleRole: String, CaseIterable, Sendable, Hashable {
    case text
    case dim
    case border
    case borderFocus = "border_focus"
    case title
    case header
    case selected
    case selectedInactive = "selected_inactive"
    case running
    case done
    case skipped
    case pending
    case failed
    case warning
    case barFill = "bar_fill"
    case barEmpty = "bar_empty"
    case key
    case overlay
    case notice

    /// Attributes that carry the role when there is colour to help.
    public var colorAttributes: Set<TextAttribute> {
        switch self {
        case .title, .header, .key, .failed, .notice: return [.bold]
        default: return []
        }
    }

    /// Attributes that carry the role on its own on a monochrome terminal (or with NO_COLOR).
    public var monochromeAttributes: Set<TextAttribute> {
        switch self {
        case .title, .key, .failed, .warning, .running: return [.bold]
        case .header, .selected, .notice: return [.reverse]
        case .selectedInactive: return [.underline]
        case .dim, .pending, .barEmpty, .border: return [.dim]
        default: return []
        }
    }
}

public enum TextAttribute: Sendable, Hashable {
    case bold, dim, reverse, underline
}
