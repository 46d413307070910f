/// The characters that draw boxes, bars and markers: Unicode box drawing when the locale is
/// UTF-8, plain ASCII otherwise (as htop does).
public struct Glyphs: Sendable, Equatable {
    public var topLeft: Unicode.Scalar
    public var topRight: Unicode.Scalar
    public var bottomLeft: Unicode.Scalar
    public var bottomRight: Unicode.Scalar
    public var horizontal: Unicode.Scalar
    public var vertical: Unicode.Scalar
    public var barFull: Unicode.Scalar
    public var barEmpty: Unicode.Scalar
    /// Eighths of a bar cell, from one eighth to seven; empty when bars move in whole cells.
    public var barPartials: [Unicode.Scalar]
    /// A sparkline's levels, lowest first (a level for nothing at all is a space).
    public var sparks: [Unicode.Scalar]
    public var selector: Unicode.Scalar
    public var ellipsis: Unicode.Scalar
    public var arrow: String
    public var separator: String
    public var isASCII: Bool

    public static let unicode = Glyphs(
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", horizontal: "─", vertical: "│",
        barFull: "█", barEmpty: "░", barPartials: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"],
        sparks: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], selector: "▶", ellipsis: "…", arrow: "→", separator: "│", isASCII: false)

    public static let ascii = Glyphs(
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", horizontal: "-", vertical: "|",
        barFull: "#", barEmpty: ".", barPartials: [],
        sparks: [".", "-", "=", "+", "*", "#"], selector: ">", ellipsis: "~", arrow: "->", separator: "|", isASCII: true)
}
