/// The `rel="next"` target of an RFC 8288 `Link` header, as registries use for pagination:
/// `</v2/_catalog?last=b&n=100>; rel="next"`.
///
/// A small scanner rather than splitting on ',' and ';': both may appear inside the `<…>` target
/// (an opaque continuation token) and inside quoted parameters, and relation types compare
/// without regard to case.
public enum LinkHeader {
    public static func next(_ header: String) -> String? {
        var rest = Substring(header)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard rest.first == "<", let close = rest.firstIndex(of: ">") else { return nil }
            let target = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            var isNext = false
            while true {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                guard rest.first == ";" else { break }
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                let name = rest.prefix { $0 != "=" && $0 != ";" && $0 != "," && $0 != " " && $0 != "\t" }
                rest = rest.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
                guard rest.first == "=" else { continue }
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                let value = Self.value(&rest)
                if name.lowercased() == "rel", value.lowercased().split(separator: " ").contains("next") { isNext = true }
            }
            if isNext, !target.isEmpty { return String(target) }
            // Whatever else this link holds, the next one starts after a comma.
            guard let comma = rest.firstIndex(of: ",") else { return nil }
            rest = rest[comma...]
        }
    }

    /// A parameter value: a quoted string (with backslash escapes) or a token.
    private static func value(_ rest: inout Substring) -> String {
        guard rest.first == "\"" else {
            let token = rest.prefix { $0 != ";" && $0 != "," && $0 != " " && $0 != "\t" }
            rest = rest.dropFirst(token.count)
            return String(token)
        }
        rest = rest.dropFirst()
        var value = ""
        while let character = rest.popFirst() {
            if character == "\\", let escaped = rest.popFirst() {
                value.append(escaped)
            } else if character == "\"" {
                break
            } else {
                value.append(character)
            }
        }
        return value
    }
}
