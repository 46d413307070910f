/// Fitting text into columns: every cell is one column (see `Frame.displayable`), so a
/// string's width is its count of non-zero-width scalars.
enum TextFit {
    static func width(_ string: String) -> Int {
        string.unicodeScalars.reduce(0) { $0 + (Frame.isZeroWidth($1) ? 0 : 1) }
    }

    /// Cuts `string` to `width` columns, ending with the ellipsis when something was cut.
    static func truncate(_ string: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        guard width > 0 else { return "" }
        let scalars = string.unicodeScalars.filter { !Frame.isZeroWidth($0) }
        guard scalars.count > width else { return String(String.UnicodeScalarView(scalars)) }
        var kept = String.UnicodeScalarView(scalars.prefix(width - 1))
        kept.append(ellipsis)
        return String(kept)
    }

    /// Cuts the middle out, keeping both ends: for paths and references, whose tail matters.
    static func truncateMiddle(_ string: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        let scalars = Array(string.unicodeScalars.filter { !Frame.isZeroWidth($0) })
        guard scalars.count > width else { return String(String.UnicodeScalarView(scalars)) }
        guard width > 2 else { return truncate(string, width, ellipsis: ellipsis) }
        let tail = (width - 1) / 2
        let head = width - 1 - tail
        var result = String.UnicodeScalarView(scalars.prefix(head))
        result.append(ellipsis)
        result.append(contentsOf: scalars.suffix(tail))
        return String(result)
    }

    /// `HOST[:PORT][/PATH]` (or `oci:DIR`) in `width` columns, each part shortened in its middle:
    /// the path keeps up to a third of the room (more when the host leaves it), the host name the
    /// rest, and the port always stays whole, since two registries on one host differ only by it.
    static func location(_ string: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        guard Self.width(string) > width, let slash = string.firstIndex(of: "/"), !string.hasPrefix("oci:") else {
            return truncateMiddle(string, width, ellipsis: ellipsis)
        }
        let authority = String(string[..<slash]), path = String(string[slash...])
        let port = authority.lastIndex(of: ":").map { String(authority[$0...]) } ?? ""
        let host = String(authority.dropLast(port.count))
        let pathRoom = min(Self.width(path), max(width / 3, width - Self.width(authority)))
        let hostRoom = width - pathRoom - Self.width(port)
        guard hostRoom >= 3 else { return truncateMiddle(string, width, ellipsis: ellipsis) }
        return truncateMiddle(host, hostRoom, ellipsis: ellipsis) + port + truncateMiddle(path, pathRoom, ellipsis: ellipsis)
    }

    static func padRight(_ string: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        let cut = truncate(string, width, ellipsis: ellipsis)
        return cut + String(repeating: " ", count: max(0, width - self.width(cut)))
    }

    static func padLeft(_ string: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        let cut = truncate(string, width, ellipsis: ellipsis)
        return String(repeating: " ", count: max(0, width - self.width(cut))) + cut
    }

    /// Splits text into lines of at most `width` columns, at spaces where it can.
    static func wrap(_ string: String, _ width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        for word in string.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            var word = word
            while self.width(word) > width {
                if !current.isEmpty {
                    lines.append(current)
                    current = ""
                }
                let scalars = Array(word.unicodeScalars)
                lines.append(String(String.UnicodeScalarView(scalars.prefix(width))))
                word = String(String.UnicodeScalarView(scalars.dropFirst(width)))
            }
            if current.isEmpty {
                current = word
            } else if self.width(current) + 1 + self.width(word) <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
