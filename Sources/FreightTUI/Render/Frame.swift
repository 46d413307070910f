/// One character cell of the screen: what is drawn and in which role.
public struct Cell: Equatable, Sendable {
    public var scalar: Unicode.Scalar
    public var role: StyleRole

    public init(_ scalar: Unicode.Scalar, _ role: StyleRole) {
        self.scalar = scalar
        self.role = role
    }

    public static let blank = Cell(" ", .text)
}

/// A rectangle of cells, in columns and rows from the top left.
public struct Rect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    /// The inside of a box drawn on this rectangle.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }
}

/// A whole screen of cells: what the renderer produces and a backend draws. Every cell holds
/// one column-wide scalar; text is sanitised on the way in (`Frame.text`).
public struct Frame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Only ASCII reaches this frame (the terminal's locale is not UTF-8).
    public let asciiOnly: Bool

    public init(width: Int, height: Int, asciiOnly: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.asciiOnly = asciiOnly
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    public mutating func put(_ scalar: Unicode.Scalar, x: Int, y: Int, role: StyleRole) {
        self[x, y] = Cell(Self.displayable(scalar, asciiOnly: asciiOnly), role)
    }

    /// Writes `string` from (x, y), clipped to `width` columns (and the frame); returns the
    /// columns written.
    @discardableResult
    public mutating func text(_ string: String, x: Int, y: Int, width: Int? = nil, role: StyleRole) -> Int {
        let limit = min(width ?? (self.width - x), self.width - x)
        guard limit > 0, y >= 0, y < height else { return 0 }
        var column = 0
        for scalar in string.unicodeScalars {
            guard column < limit else { break }
            if Self.isZeroWidth(scalar) { continue }
            put(scalar, x: x + column, y: y, role: role)
            column += 1
        }
        return column
    }

    public mutating func fill(_ rect: Rect, with scalar: Unicode.Scalar = " ", role: StyleRole) {
        for row in rect.y..<rect.maxY {
            for column in rect.x..<rect.maxX { put(scalar, x: column, y: row, role: role) }
        }
    }

    /// The cells to write to turn `previous` into this frame: all of them when there is no
    /// previous frame of this size, else only those that differ.
    public func changes(from previous: Frame?) -> [(x: Int, y: Int, cell: Cell)] {
        var changes: [(x: Int, y: Int, cell: Cell)] = []
        let comparable = previous.map { $0.width == width && $0.height == height } ?? false
        for index in cells.indices where !comparable || previous!.cells[index] != cells[index] {
            changes.append((index % width, index / width, cells[index]))
        }
        return changes
    }

    /// The frame as plain text, one line per row, trailing spaces removed: the text backend.
    public var lines: [String] {
        (0..<height).map { row in
            var line = String.UnicodeScalarView()
            for column in 0..<width { line.append(self[column, row].scalar) }
            var text = String(line)
            while text.last == " " { text.removeLast() }
            return text
        }
    }

    public var text: String { lines.joined(separator: "\n") + "\n" }

    /// Scalars that cannot be shown as one column become `?`; in ASCII frames, everything
    /// outside printable ASCII does.
    static func displayable(_ scalar: Unicode.Scalar, asciiOnly: Bool) -> Unicode.Scalar {
        let value = scalar.value
        if value >= 0x20 && value < 0x7F { return scalar }
        if asciiOnly { return "?" }
        // Latin, punctuation, arrows, box drawing, blocks and shapes are one column wide in
        // every terminal; the rest (CJK, emoji, controls) could tear the layout.
        let narrow = (0xA0...0x24F).contains(value) || (0x370...0x3FF).contains(value) || (0x400...0x4FF).contains(value)
            || (0x2010...0x2027).contains(value) || (0x2030...0x205E).contains(value) || (0x2190...0x21FF).contains(value)
            || (0x2200...0x22FF).contains(value) || (0x2500...0x25FF).contains(value)
        return narrow ? scalar : "?"
    }

    static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (0x300...0x36F).contains(value) || value == 0x200B || value == 0x200D || value == 0xFE0F
    }
}
