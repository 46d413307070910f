import Foundation
import FreightCore
import FreightHTTP

extension RegistryClient {
    /// The most pages a listing may have: far beyond any real registry, short of an endless loop.
    static let maxPages = 100_000

    /// Follows `Link: <…>; rel="next"` from `start`, handing each page's body to `page`.
    /// A link back to a page already seen is refused as a loop.
    func paginate(start: String, scopes: [Scope], operation: String,
                  page: ([UInt8]) throws -> Void) async throws {
        var next: String? = start
        var seen: Set<String> = []
        while let current = next {
            guard seen.insert(current).inserted else {
                throw ProtocolError(operation: operation, reason: "pagination loops back to \(current)")
            }
            guard seen.count <= Self.maxPages else {
                throw ProtocolError(operation: operation, reason: "more than \(Self.maxPages) pages")
            }
            let response: HTTPResponse
            do {
                response = try await send(.init(.get, current, scopes: scopes, accept: [200], operation: operation))
            } catch let error as RegistryError where error.code == "PAGINATION_NUMBER_INVALID" && current == start {
                // The registry caps page sizes below what we asked: let it choose.
                let unsized = Self.removingQuery(current, "n")
                next = unsized
                seen.remove(current)
                if unsized == current { throw error }
                continue
            }
            let body = try await response.body.collect(upTo: 16 << 20)
            try page(body)
            next = response.headers["Link"].flatMap(LinkHeader.next)
        }
    }

    /// `url` without the query parameter `name`.
    static func removingQuery(_ url: String, _ name: String) -> String {
        guard let question = url.firstIndex(of: "?") else { return url }
        let kept = url[url.index(after: question)...].split(separator: "&").filter { !$0.hasPrefix("\(name)=") }
        return String(url[..<question]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
    }

    /// Every repository the registry lists under `prefix` (the catalog, paginated).
    public func repositories(under prefix: String = "") async throws -> [String] {
        struct Page: Decodable {
            var repositories: [String]?
        }
        var names: [String] = []
        let operation = "list repositories of \(registry)"
        try await paginate(start: "/v2/_catalog?n=1000", scopes: [.catalog], operation: operation) { bytes in
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(bytes)) else {
                throw ProtocolError(operation: operation, reason: "the answer is not a repository catalog")
            }
            names += page.repositories ?? []
        }
        guard !prefix.isEmpty else { return names }
        return names.filter { $0 == prefix || $0.hasPrefix(prefix + "/") }
    }
}
