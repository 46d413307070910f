import FreightEngine
import FreightTestSupport
import PropertyBased
import Testing

/// Properties of `--include`/`--exclude` globs: any pattern either compiles or is refused with
/// an error quoting it, matching never crashes, and the glob forms mean what the help says.
@Suite("path globs (properties)", .budget(minutes: 5))
struct PathGlobPropertyTests {
    static func component(_ random: inout any SeededRandomNumberGenerator) -> String {
        let alphabet = Array("abcxyz0189._-")
        return String((0..<Int.random(in: 1...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    static let paths = Generator<[String], Shrink.None<[String]>>(run: { random in
        (0..<Int.random(in: 1...5, using: &random)).map { _ in component(&random) }
    })

    static func escaped(_ text: String) -> String {
        text.map { "*?[]\\".contains($0) ? "\\\($0)" : String($0) }.joined()
    }

    @Test("literal, *, ** and ? patterns mean what the help says on generated repository paths")
    func meanings() async throws {
        let counter = PropertyRuns.Counter()
        await propertyCheck(count: PropertyRuns.count, input: Self.paths, Self.paths) { components, other in
            counter.tick()
            let path = components.joined(separator: "/")
            let otherPath = other.joined(separator: "/")
            let literal = try PathGlob(Self.escaped(path))
            #expect(literal.matches(path))
            #expect(literal.matches(otherPath) == (path == otherPath))
            #expect(try PathGlob("**").matches(path))
            let stars = try PathGlob(components.map { _ in "*" }.joined(separator: "/"))
            #expect(stars.matches(path), "one * per component")
            #expect(stars.matches(otherPath) == (other.count == components.count))
            #expect(try PathGlob("\(Self.escaped(components[0]))/**").matches(path) == (components.count > 1))
            let questions = try PathGlob(components.map { String(repeating: "?", count: $0.count) }.joined(separator: "/"))
            #expect(questions.matches(path))
        }
        PropertyRuns.report("glob.meaning", counter)
    }

    @Test("mutated patterns compile or are refused quoting the pattern; matching never crashes")
    func mutatedPatterns() async throws {
        let counter = PropertyRuns.Counter()
        let mutator = Mutator(dictionary: ["*", "**", "?", "[", "]", "[!", "[^", "-", "\\", "/", "[a-", "[]", "[z-a]", "é"])
        let cases = Generator<(String, String), Shrink.None<(String, String)>>(run: { random in
            let seeds = ["team/**", "team/*", "a/[a-z]?/c", "[!x]*/**/y", "x\\*y"]
            let pattern = mutator.mutate(seeds.randomElement(using: &random)!, using: &random)
            return (pattern, Self.paths.run(using: &random).joined(separator: "/"))
        })
        await propertyCheck(count: PropertyRuns.count, input: cases) { pattern, path in
            counter.tick()
            do {
                let glob = try PathGlob(pattern)
                _ = glob.matches(path)
                _ = glob.matches(pattern)
            } catch let error as FilterError {
                #expect(error.value == pattern)
            }
        }
        PropertyRuns.report("glob.mutated", counter)
    }
}
