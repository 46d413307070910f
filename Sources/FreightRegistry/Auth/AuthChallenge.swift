/// A `WWW-Authenticate` challenge: `Basic realm="…"` or
/// `Bearer realm="…",service="…",scope="…",error="…"`.
public struct AuthChallenge: Sendable, Hashable {
    public enum Scheme: String, Sendable { case basic, bearer }

    public let scheme: Scheme
    /// Lowercased parameter names → values.
    public let parameters: [String: String]

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    public init(scheme: Scheme, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses one header value; returns nil for schemes other than Basic and Bearer, or for text
    /// that is not a challenge.
    public static func parse(_ header: String) -> AuthChallenge? {
        var scanner = Substring(header)
        scanner = scanner.drop(while: { $0 == " " || $0 == "\t" })
        let schemeName = scanner.prefix(while: { $0 != " " && $0 != "\t" })
        guard let scheme = Scheme(rawValue: schemeName.lowercased()) else { return nil }
        scanner = scanner.dropFirst(schemeName.count)

        var parameters: [String: String] = [:]
        while true {
            scanner = scanner.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            guard !scanner.isEmpty else { break }
            let name = scanner.prefix(while: { $0 != "=" && $0 != "," && $0 != " " })
            guard !name.isEmpty else { return nil }
            scanner = scanner.dropFirst(name.count).drop(while: { $0 == " " })
            guard scanner.first == "=" else {
                // A token68 or a bare word: not used by registries; skip it.
                continue
            }
            scanner = scanner.dropFirst().drop(while: { $0 == " " })
            var value = ""
            if scanner.first == "\"" {
                scanner = scanner.dropFirst()
                var closed = false
                while let character = scanner.first {
                    scanner = scanner.dropFirst()
                    if character == "\\", let escaped = scanner.first {
                        value.append(escaped)
                        scanner = scanner.dropFirst()
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
            } else {
                let raw = scanner.prefix(while: { $0 != "," })
                value = raw.trimmingSpaces()
                scanner = scanner.dropFirst(raw.count)
            }
            parameters[name.lowercased()] = value
        }
        return AuthChallenge(scheme: scheme, parameters: parameters)
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
