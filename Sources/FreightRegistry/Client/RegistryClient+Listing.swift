import Foundation
import FreightCore
import FreightHTTP

extension RegistryClient {
    /// The most pages a listing may have: far beyond any real registry, short of an endless loop.
    static let maxPages = 100_000
    /// Pages in a row that list nothing new (yet link on) before a listing is declared stuck.
    static let maxStalledPages = 3

    /// Follows `Link: <…>; rel="next"` from `start`, collecting the names `entries` reads from
    /// each page, each name once, in order. A link back to a page already seen is refused as a
    /// loop, and so is a run of pages that list nothing new (a registry that ignores `last`).
    /// A page cut short is fetched again (`fetch`).
    func paginate(start: String, scopes: [Scope], operation: String,
                  entries: ([UInt8]) throws -> [String]) async throws -> [String] {
        var next: String? = start
        var seen: Set<String> = []
        var names: [String] = []
        var known: Set<String> = []
        var stalled = 0
        while let current = next {
            guard seen.insert(current).inserted else {
                throw ProtocolError(operation: operation, reason: "pagination loops back to \(HTTPTransportError.redact(current))")
            }
            guard seen.count <= Self.maxPages else {
                throw ProtocolError(operation: operation, reason: "more than \(Self.maxPages) pages")
            }
            let response: FetchedResponse
            do {
                response = try await fetch(.init(.get, current, scopes: scopes, accept: [200], operation: operation), limit: 16 << 20)
            } catch let error as RegistryError where error.code == "PAGINATION_NUMBER_INVALID" && current == start {
                // The registry caps page sizes below what we asked: let it choose.
                let unsized = Self.removingQuery(current, "n")
                next = unsized
                seen.remove(current)
                if unsized == current { throw error }
                continue
            } catch is HTTPBodyTooLarge {
                throw ProtocolError(operation: operation, reason: "a page is larger than \(16 << 20) bytes")
            }
            var added = 0
            for name in try entries(response.body) where known.insert(name).inserted {
                names.append(name)
                added += 1
            }
            next = response.headers["Link"].flatMap(LinkHeader.next)
            stalled = added == 0 ? stalled + 1 : 0
            if next != nil, stalled >= Self.maxStalledPages {
                throw ProtocolError(operation: operation,
                                    reason: "pagination does not advance: \(stalled) pages in a row listed nothing new, the last linking to \(HTTPTransportError.redact(next!))")
            }
        }
        return names
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
        let operation = "list repositories of \(registry)"
        let names = try await paginate(start: "/v2/_catalog?n=1000", scopes: [.catalog], operation: operation) { bytes in
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(bytes)) else {
                throw ProtocolError(operation: operation, reason: "the answer is not a repository catalog")
            }
            // Names become request paths at both ends: "team/../../admin" would send a sync's
            // pushes to a repository outside the destination prefix.
            for name in page.repositories ?? [] {
                do {
                    try ImageReference.validatePath(name, in: name)
                } catch let error as ReferenceError {
                    throw ProtocolError(operation: operation, reason: "the registry listed an invalid repository name \"\(name)\": \(error.reason)")
                }
            }
            return page.repositories ?? []
        }
        guard !prefix.isEmpty else { return names }
        return names.filter { $0 == prefix || $0.hasPrefix(prefix + "/") }
    }
}
