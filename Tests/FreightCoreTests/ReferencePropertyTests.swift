import FreightCore
import FreightTestSupport
import PropertyBased
import Testing

/// Properties of the reference parsers over generated and mutated input: they never crash, an
/// error names the exact text given, and what parses prints back to something that parses to
/// the same value.
@Suite("reference parsers (properties)", .budget(minutes: 5))
struct ReferencePropertyTests {
    static let mutator = Mutator(dictionary: [
        "/", ":", "@", "sha256:", "sha512:", "docker://", "oci:", "[", "]", "[::1]", ".", "..", "_", "__", "-", "---",
        "localhost", "docker.io", "index.docker.io", "library/", "A", "Z", " ", "\t", "\0", "é", "%2F", ":65536", ":0",
        String(repeating: "a", count: 130), String(repeating: "b/", count: 70), String(repeating: "0", count: 64),
    ])

    /// A reference built from the grammar, with the parts it must parse into.
    struct Built: Sendable, CustomStringConvertible {
        var text: String
        var registry: String
        var repository: String
        var tag: String?
        var digest: Digest?
        var description: String { text }
    }

    static func component(_ random: inout any SeededRandomNumberGenerator, dots: Bool) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let separators = dots ? [".", "_", "__", "-", "--"] : ["_", "__", "-", "---"]
        var text = String((0..<Int.random(in: 1...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            text += separators.randomElement(using: &random)!
            text += String((0..<Int.random(in: 1...5, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        }
        return text
    }

    static let built = Generator<Built, Shrink.None<Built>>(run: { random in
        let hosts = [nil, "localhost", "localhost:5000", "registry.example.com", "127.0.0.1:5000", "[::1]:5000",
                     "a-b.c-d.io:443", "docker.io", "index.docker.io", "REG.Example.COM:8443"]
        let host = hosts.randomElement(using: &random)!
        var components = (0..<Int.random(in: 1...4, using: &random)).map { index in component(&random, dots: host != nil || index > 0) }
        let path = components.joined(separator: "/")
        let tagAlphabet = Array("abcXYZ019_.-")
        var tag: String?
        if Bool.random(using: &random) {
            tag = String("aB9_".randomElement(using: &random)!)
                + String((0..<Int.random(in: 0...20, using: &random)).map { _ in tagAlphabet.randomElement(using: &random)! })
        }
        var digest: Digest?
        if Int.random(in: 0..<3, using: &random) == 0 {
            let hex = String((0..<64).map { _ in Array("0123456789abcdef").randomElement(using: &random)! })
            digest = try? Digest(parsing: "sha256:\(hex)")
        }
        var text = (Bool.random(using: &random) ? "docker://" : "") + (host.map { "\($0)/" } ?? "") + path
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        var registry = host ?? ImageReference.dockerHub
        if registry == "index.docker.io" { registry = ImageReference.dockerHub }
        if registry == ImageReference.dockerHub, components.count == 1 { components.insert("library", at: 0) }
        return Built(text: text, registry: registry, repository: components.joined(separator: "/"), tag: tag, digest: digest)
    })

    static let mutated = Generator<String, Shrink.None<String>>(run: { random in
        mutator.mutate(built.run(using: &random).text, using: &random)
    })

    @Test("every reference built from the grammar parses into its parts and prints back to itself")
    func grammarRoundTrip() async {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: PropertyRuns.count, input: Self.built) { built in
            counter.tick()
            let reference = try ImageReference(parsing: built.text)
            #expect(reference.registry == built.registry)
            #expect(reference.repository == built.repository)
            #expect(reference.tag == built.tag)
            #expect(reference.digest == built.digest)
            #expect(try ImageReference(parsing: reference.description) == reference)
            #expect(try ImageLocation(parsing: built.text) == .registry(reference))
        }
        PropertyRuns.report("reference.grammar", counter)
    }

    @Test("mutated references: no crash, errors quote the input, what parses round-trips")
    func mutatedReferences() async {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: PropertyRuns.count, input: Self.mutated) { text in
            counter.tick()
            do {
                let reference = try ImageReference(parsing: text)
                #expect(!reference.repository.isEmpty)
                #expect((reference.tag?.utf8.count ?? 0) <= ImageReference.maxTagLength)
                #expect(reference.name.utf8.count <= ImageReference.maxNameLength)
                #expect(try ImageReference(parsing: reference.description) == reference, "\(text)")
            } catch let error as ReferenceError {
                #expect(error.value == text)
                #expect(text.isEmpty || error.description.contains(text.escapingControlCharacters))
            }
        }
        PropertyRuns.report("reference.mutated", counter)
    }

    @Test("mutated locations (registry and oci:DIR[:TAG][@DIGEST]): no crash, errors quote the input, round trip")
    func mutatedLocations() async {
        let counter = PropertyRuns.Counter()
        let layouts = ["oci:/tmp/layout", "oci:relative/dir:v1.2", "oci:/x@sha256:\(String(repeating: "ab", count: 32))",
                       "oci:./l:tag@sha256:\(String(repeating: "0f", count: 32))"]
        let inputs = Generator<String, Shrink.None<String>>(run: { random in
            Bool.random(using: &random)
                ? Self.mutated.run(using: &random)
                : Self.mutator.mutate(layouts.randomElement(using: &random)!, using: &random)
        })
        await propertyCheck(count: PropertyRuns.count, input: inputs) { text in
            counter.tick()
            do {
                let location = try ImageLocation(parsing: text)
                #expect(try ImageLocation(parsing: location.description) == location, "\(text) -> \(location)")
            } catch let error as ReferenceError {
                #expect(error.value == text)
            }
        }
        PropertyRuns.report("location.mutated", counter)
    }

    @Test("mutated sync roots HOST[/PREFIX]: no crash, errors quote the input, round trip")
    func mutatedPrefixes() async {
        let counter = PropertyRuns.Counter()
        let roots = Generator<String, Shrink.None<String>>(run: { random in
            let built = Self.built.run(using: &random)
            let root = built.registry + "/" + built.repository
            return Bool.random(using: &random) ? root : Self.mutator.mutate(root, using: &random)
        })
        await propertyCheck(count: PropertyRuns.count, input: roots) { text in
            counter.tick()
            do {
                let prefix = try RegistryPrefix(parsing: text)
                #expect(!prefix.registry.isEmpty)
                #expect(!prefix.prefix.hasPrefix("/") && !prefix.prefix.hasSuffix("/"))
                #expect(try RegistryPrefix(parsing: prefix.description) == prefix, "\(text)")
            } catch let error as ReferenceError {
                #expect(error.value == text)
            }
        }
        PropertyRuns.report("prefix.mutated", counter)
    }
}
