import Foundation

/// A run's checkpoint as a test sees it from outside: the snapshot's JSON with the journal's
/// records laid over it, read without the engine's code (so a test checks the engine's file
/// format rather than trusting it).
public struct SavedRun {
    /// repositories[i].tags[j] as JSON objects.
    public private(set) var repositories: [[[String: Any]]] = []

    public init(directory: String) throws {
        let snapshot = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/checkpoint"))
        guard let newline = snapshot.firstIndex(of: 0x0A),
              let record = try JSONSerialization.jsonObject(with: snapshot[(newline + 1)...]) as? [String: Any],
              let repositories = record["repositories"] as? [[String: Any]]
        else { throw CocoaError(.fileReadCorruptFile) }
        self.repositories = repositories.map { $0["tags"] as? [[String: Any]] ?? [] }
        let journal = (try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/journal"))) ?? Data()
        for line in journal.split(separator: 0x0A) where line.count > 65 {
            guard let entry = try? JSONSerialization.jsonObject(with: line.dropFirst(65)) as? [String: Any],
                  let repository = entry["repository"] as? Int, let tag = entry["tag"] as? Int,
                  let tagRecord = entry["record"] as? [String: Any] else { continue }
            self.repositories[repository][tag] = tagRecord
        }
    }

    /// Every blob digest the checkpoint records as placed at the destination.
    public var placedBlobs: Set<String> {
        Set(repositories.flatMap { $0.flatMap { $0["blobs"] as? [String] ?? [] } })
    }
}
