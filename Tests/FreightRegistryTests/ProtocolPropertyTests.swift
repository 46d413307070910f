import Foundation
import FreightCore
import FreightHTTP
@testable import FreightRegistry
import FreightTestSupport
import PropertyBased
import Testing

/// Properties of everything the registry client parses from the wire or from config files:
/// error bodies, `Retry-After`, `WWW-Authenticate`, `Link`, `Location`, and docker config
/// files. Never a crash; generated well-formed values come back exactly; mutated ones fail with
/// the parser's own error type (or nil), never with a wrong answer.
@Suite("registry protocol parsers (properties)", .budget(minutes: 6))
struct ProtocolPropertyTests {
    static func text(_ random: inout any SeededRandomNumberGenerator, _ alphabet: String, _ lengths: ClosedRange<Int>) -> String {
        let characters = Array(alphabet)
        return String((0..<Int.random(in: lengths, using: &random)).map { _ in characters.randomElement(using: &random)! })
    }

    // MARK: Error bodies and Retry-After

    static let errorMutator = Mutator(dictionary: ["{", "}", "[", "]", "\"errors\":", "\"code\":", "\"message\":", "null", "\"",
                                                   ",", "<html>", "\\u0000", "1e999", "\"detail\":{}"])

    /// status, Retry-After, body, and the first error code when the body was left well-formed.
    static let errorAnswers = Generator<(Int, String?, [UInt8], String?), Shrink.None<(Int, String?, [UInt8], String?)>>(run: { random in
        let status = [400, 401, 403, 404, 405, 408, 413, 429, 500, 502, 503, 504, 418, 999, 0].randomElement(using: &random)!
        let entries: [(String, String?)] = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            (text(&random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_", 1...20), Bool.random(using: &random) ? text(&random, "abc xyz:é\"\\/", 0...40) : nil)
        }
        let object: [String: Any] = ["errors": entries.map { code, message -> [String: Any] in
            var entry: [String: Any] = ["code": code, "detail": ["k": 1]]
            entry["message"] = message
            return entry
        }]
        var body = Array(try! JSONSerialization.data(withJSONObject: object))
        var code = entries.first?.0
        if Int.random(in: 0..<3, using: &random) == 0 {
            body = errorMutator.mutate(body, using: &random)
            code = nil
        } else if Int.random(in: 0..<8, using: &random) == 0 {
            body = Array("<html><body>gateway</body></html>".utf8)
            code = nil
        }
        let retryAfter = [nil, "0", "3", "-1", "1.5", "abc", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                          "1e308", "nan", "inf", text(&random, "0123456789 ,:GMTWed", 0...30)].randomElement(using: &random)!
        return (status, retryAfter, body, code)
    })

    @Test("error answers: any body and Retry-After give a RegistryError naming the operation and status")
    func errorBodies() async {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: PropertyRuns.count, input: Self.errorAnswers) { status, retryAfter, body, code in
            counter.tick()
            var headers = HTTPHeaders()
            if let retryAfter { headers.add("Retry-After", retryAfter) }
            let error = RegistryError(status: status, headers: headers, body: body, operation: "GET some/op")
            #expect(error.description.hasPrefix("GET some/op: "))
            #expect(error.description.contains("(HTTP \(status)"))
            #expect(!error.message.isEmpty)
            if let delay = error.retryAfter { #expect(delay.isFinite && delay >= 0, "\(String(describing: retryAfter))") }
            if let code { #expect(error.code == code) }
            #expect(error.isTransient == (status == 408 || status == 429 || (500...599).contains(status)))
        }
        PropertyRuns.report("registry_error", counter)
    }

    @Test("Retry-After: HTTP dates are read as GMT, and the input that crashed DateFormatter is just not a date")
    func retryAfterDates() {
        let now = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inOneMinute = formatter.string(from: now.addingTimeInterval(61))
        let delay = RetryPolicy.parseRetryAfter(inOneMinute)
        #expect(delay.map { $0 > 55 && $0 <= 61 } == true, "\(inOneMinute) -> \(String(describing: delay))")
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == 0, "a date in the past means now")
        #expect(RetryPolicy.httpDate("Wed, 21 Oct 2015 07:28:00 GMT") == Date(timeIntervalSince1970: 1_445_412_480))
        #expect(RetryPolicy.parseRetryAfter("t/\u{5A4}?") == nil)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 CET") == nil)
        #expect(RetryPolicy.parseRetryAfter("Wed, 32 Oct 2015 07:28:00 GMT") == nil)
    }

    @Test("Retry-After: delta-seconds come back exactly; anything else is nil or a finite, non-negative delay")
    func retryAfter() async {
        let counter = PropertyRuns.Counter()
        let values = Generator<(String, Int?), Shrink.None<(String, Int?)>>(run: { random in
            if Bool.random(using: &random) {
                let seconds = Int.random(in: 0...100_000, using: &random)
                return (" \(seconds) ", seconds)
            }
            return (Self.text(&random, "0123456789.-+e :,GMTWedOct/t?\u{5A4}\u{301}é", 0...32), nil)
        })
        await propertyCheck(count: PropertyRuns.count, input: values) { value, seconds in
            counter.tick()
            let delay = RetryPolicy.parseRetryAfter(value)
            if let seconds { #expect(delay == Double(seconds)) }
            if let delay { #expect(delay.isFinite && delay >= 0, "\(value)") }
        }
        PropertyRuns.report("retry_after", counter)
    }

    // MARK: WWW-Authenticate

    static let challenges = Generator<(AuthChallenge, String), Shrink.None<(AuthChallenge, String)>>(run: { random in
        let scheme: AuthChallenge.Scheme = Bool.random(using: &random) ? .basic : .bearer
        var parameters: [String: String] = [:]
        var parts: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            let name = text(&random, "abcdefghijklmnopqrstuvwxyzABC_-", 1...8)
            guard parameters[name.lowercased()] == nil else { continue }
            let value = text(&random, "abc XYZ/:=,;\"\\é.-_", 0...24)
            parameters[name.lowercased()] = value
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            let space = [" ", "", "  "].randomElement(using: &random)!
            parts.append("\(name)=\"\(escaped)\"" + space)
        }
        let schemeText = [scheme.rawValue, scheme.rawValue.capitalized, scheme.rawValue.uppercased()].randomElement(using: &random)!
        let header = " " + schemeText + " " + parts.joined(separator: [",", ", ", " ,"].randomElement(using: &random)!)
        return (AuthChallenge(scheme: scheme, parameters: parameters), header)
    })

    @Test("WWW-Authenticate: generated challenges (quoted, escaped, any spacing) parse back exactly; mutated ones never crash")
    func authChallenges() async {
        let counter = PropertyRuns.Counter()
        let mutator = Mutator(dictionary: ["Bearer ", "Basic ", "realm=", "\"", "\\", ",", "=", " ", "scope=\"a,b\"", "Negotiate "])
        await propertyCheck(count: PropertyRuns.count, input: Self.challenges) { challenge, header in
            counter.tick()
            #expect(AuthChallenge.parse(header) == challenge, "\(header)")
            var random = SeededRandom(seed: UInt64(header.utf8.count))
            if let parsed = AuthChallenge.parse(mutator.mutate(header, using: &random)) {
                #expect(parsed.parameters.keys.allSatisfy { $0 == $0.lowercased() && !$0.isEmpty })
            }
        }
        PropertyRuns.report("www_authenticate", counter)
    }

    // MARK: Link

    static let links = Generator<(String, String?), Shrink.None<(String, String?)>>(run: { random in
        func target() -> String {
            "/v2/" + text(&random, "abcxyz/_-.", 1...12) + "/tags/list?n=" + String(Int.random(in: 1...1000, using: &random))
                + "&last=" + text(&random, "abcXYZ019_.-%,;=", 0...16)
        }
        var next: String?
        var links: [String] = []
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            let rel = ["prev", "first", "\"last\"", "\"prev first\""].randomElement(using: &random)!
            links.append("<\(target())>; rel=\(rel)")
        }
        if Int.random(in: 0..<4, using: &random) > 0 {
            let url = target()
            next = url
            let rel = ["next", "\"next\"", "\"prev next\"", "NEXT"].randomElement(using: &random)!
            let extra = Bool.random(using: &random) ? "; title=\"a, b; c\"" : ""
            let spacing = [";", "; ", " ; "].randomElement(using: &random)!
            let entry = "<\(url)>\(spacing)rel=\(rel)\(extra)"
            links.insert(entry, at: Int.random(in: 0...links.count, using: &random))
            if rel == "NEXT" { next = url }
        }
        return (links.joined(separator: [",", ", ", " , "].randomElement(using: &random)!), next)
    })

    @Test("Link: the rel=next target is found among other links and parameters, commas and semicolons inside <> included")
    func linkHeaders() async {
        let counter = PropertyRuns.Counter()
        let mutator = Mutator(dictionary: ["<", ">", ";", ",", "rel=", "\"", "next", " "])
        await propertyCheck(count: PropertyRuns.count, input: Self.links) { header, next in
            counter.tick()
            #expect(LinkHeader.next(header) == next, "\(header)")
            var random = SeededRandom(seed: UInt64(header.utf8.count))
            if let found = LinkHeader.next(mutator.mutate(header, using: &random)) {
                #expect(!found.isEmpty && !found.contains(">"))
            }
        }
        PropertyRuns.report("link", counter)
    }

    // MARK: Location

    @Test("Location: whatever a registry sends resolves to an http(s) URL with a host, or is refused with a ProtocolError")
    func locations() async {
        let counter = PropertyRuns.Counter()
        let client = RegistryClient(registry: "127.0.0.1:5000", http: HTTPClient(), credentials: StaticCredentials(nil))
        let mutator = Mutator(dictionary: ["http://", "https://", "file:///etc/passwd", "ftp://x", "//other", "/v2/", "?",
                                           "#", "@", ":", "..", "%00", "javascript:", " "])
        let locations = Generator<String, Shrink.None<String>>(run: { random in
            let seeds = ["/v2/app/blobs/uploads/abc?_state=x", "http://127.0.0.1:5000/v2/app/blobs/uploads/1",
                         "https://cdn.example.com/blob?sig=1", "uploads/2", "//other:99/x"]
            return mutator.mutate(seeds.randomElement(using: &random)!, using: &random)
        })
        await propertyCheck(count: PropertyRuns.count, input: locations) { location in
            counter.tick()
            do {
                let resolved = try client.resolve(location, base: "http://127.0.0.1:5000/v2/app/blobs/uploads/", operation: "upload")
                let url = try #require(URL(string: resolved))
                #expect(["http", "https"].contains(url.scheme?.lowercased() ?? ""), "\(location) -> \(resolved)")
                #expect(url.host?.isEmpty == false)
            } catch let error as ProtocolError {
                #expect(error.operation == "upload")
                #expect(!error.reason.contains("?"), "a refused Location is quoted without its query: \(error.reason)")
            }
        }
        PropertyRuns.report("location_header", counter)
    }

    // MARK: Docker config files

    static let configs = Generator<([String: (String, String)], [UInt8]), Shrink.None<([String: (String, String)], [UInt8])>>(run: { random in
        var expected: [String: (String, String)] = [:]
        var auths: [String: Any] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            let registry = text(&random, "abcdefgh", 1...8) + ".example:" + String(Int.random(in: 1...65535, using: &random))
            let user = text(&random, "abcXYZ019_-.@é", 1...12)
            let password = text(&random, "abcXYZ019_-.:@!\"\\é ", 0...24)
            expected[registry] = (user, password)
            let key = [registry, "https://\(registry)", "https://\(registry)/v1/", "http://\(registry)/v2/"].randomElement(using: &random)!
            if Bool.random(using: &random) {
                auths[key] = ["auth": Data("\(user):\(password)".utf8).base64EncodedString()]
            } else {
                auths[key] = ["username": user, "password": password]
            }
        }
        let data = try! JSONSerialization.data(withJSONObject: ["auths": auths, "HttpHeaders": ["User-Agent": "x"]])
        return (expected, Array(data))
    })

    @Test("docker config files: generated auths come back exactly under every key spelling; mutated files never crash")
    func dockerConfigFiles() async throws {
        let counter = PropertyRuns.Counter()
        let mutator = Mutator(dictionary: ["{", "}", "\"auths\":", "\"auth\":", "\"credsStore\":\"\"", "null", "\"", ":", "=", "!!"])
        await propertyCheck(count: PropertyRuns.count, input: Self.configs) { expected, bytes in
            counter.tick()
            let config = try DockerConfigFile.parse(bytes)
            for (registry, (user, password)) in expected {
                let found = try await config.credentials(for: registry, file: "config.json")
                #expect(found?.username == user, "\(registry)")
                #expect(found?.password.revealed == password, "\(registry)")
            }
            var random = SeededRandom(seed: UInt64(bytes.count))
            let mutated = mutator.mutate(bytes, using: &random)
            do {
                let damaged = try DockerConfigFile.parse(mutated)
                for registry in expected.keys {
                    do {
                        _ = try await damaged.credentials(for: registry, file: "config.json")
                    } catch let error as CredentialsError {
                        #expect(!error.reason.isEmpty)
                        for (_, password) in expected.values where password.count > 3 {
                            #expect(!error.reason.contains(password), "an error quotes a password")
                        }
                    }
                }
            } catch let error as CredentialsError {
                #expect(error.reason.contains("docker config"))
            }
        }
        PropertyRuns.report("docker_config", counter)
    }
}
