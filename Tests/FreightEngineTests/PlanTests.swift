@testable import FreightEngine
import Testing
import FreightTestSupport

@Suite("Plan filters", .budget(minutes: 1))
struct PlanTests {
    @Test("globs: * stays within a component, ** crosses them", arguments: [
        ("team/*", "team/web", true), ("team/*", "team/workers/queue", false), ("team/**", "team/workers/queue", true),
        ("**/app", "a/b/c/app", true), ("*", "top", true), ("*", "a/b", false), ("t?am/[a-w]*", "team/web", true),
        ("team/[!w]*", "team/web", false), ("team/[!w]*", "team/api", true), ("a\\*b", "a*b", true), ("a\\*b", "axb", false),
    ])
    func globs(pattern: String, path: String, matches: Bool) throws {
        #expect(try PathGlob(pattern).matches(path) == matches)
    }

    @Test("broken globs name the pattern", arguments: ["team/[x", "[z-a]", "trailing\\"])
    func brokenGlobs(pattern: String) {
        let error = #expect(throws: FilterError.self) { try PathGlob(pattern) }
        #expect(error?.value == pattern)
    }

    @Test("a pathological glob stays fast (memoised matching, no exponential backtracking)")
    func pathologicalGlob() throws {
        let glob = try PathGlob(String(repeating: "*a", count: 30) + "b")
        #expect(!glob.matches(String(repeating: "a", count: 200)))
    }

    @Test("semantic versions order like releases, pre-releases below")
    func versions() throws {
        let ordered = ["0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "v1.0.1", "1.2", "1.10.0", "2"]
        let parsed = try ordered.map { try #require(SemanticVersion(tag: $0), "\($0)") }
        #expect(parsed == parsed.sorted())
        for tag in ["latest", "main", "sha-abc123", "1..2", "1.2.x", "", "v", "1.2.3.4.5"] {
            #expect(SemanticVersion(tag: tag) == nil, "\(tag)")
        }
    }

    @Test("tag filters are anchored; --latest keeps the highest versions and drops non-versions")
    func tagFilters() throws {
        var filters = PlanFilters()
        filters.tags = try TagPattern("1\\..*")
        #expect(filters.select(["1.0", "11.0", "1.5-rc", "x1.0"]) == ["1.0", "1.5-rc"])
        filters = PlanFilters()
        filters.excludeTags = try TagPattern(".*-rc.*")
        filters.latest = 2
        #expect(Set(filters.select(["1.0", "2.0", "3.0-rc.1", "1.5", "latest"])) == ["2.0", "1.5"])
        #expect(throws: FilterError.self) { try TagPattern("(") }
    }
}
