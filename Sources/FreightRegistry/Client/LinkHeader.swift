/// The `rel="next"` target of an RFC 8288 `Link` header, as registries use for pagination:
/// `</v2/_catalog?last=b&n=100>; rel="next"`.
public enum LinkHeader {
    public static func next(_ header: String) -> String? {
        for link in header.split(separator: ",") {
            let parts = link.split(separator: ";")
            guard let target = parts.first?.trimmingSpaces(), target.hasPrefix("<"), target.hasSuffix(">"),
                  target.count > 2 else { continue }
            let isNext = parts.dropFirst().contains { parameter in
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingSpaces().lowercased() == "rel" else { return false }
                let value = pair[1].trimmingSpaces().trimmingQuotes()
                return value.split(separator: " ").contains("next")
            }
            if isNext { return String(target.dropFirst().dropLast()) }
        }
        return nil
    }
}

extension String {
    func trimmingQuotes() -> String {
        count >= 2 && hasPrefix("\"") && hasSuffix("\"") ? String(dropFirst().dropLast()) : self
    }
}
