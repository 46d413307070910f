extension String {
    /// The text with control characters (C0, DEL, C1) written as `\u{1B}` escapes, for text that
    /// came from outside (a registry's error message, a name it listed) and is about to be
    /// shown: a hostile server must not be able to drive the user's terminal with escape
    /// sequences.
    ///
    ///     "bad\u{1B}[2J".escapingControlCharacters // "bad\\u{1B}[2J"
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: Self.isControl) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            if Self.isControl(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
