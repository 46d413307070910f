import Foundation
import Testing
@testable import FreightTUI

/// Compares a frame with `Golden/NAME.txt`. `FREIGHTLINER_RECORD_GOLDEN=1 swift test` writes
/// the files instead; they are never edited by hand.
enum GoldenFrame {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static var recording: Bool { ProcessInfo.processInfo.environment["FREIGHTLINER_RECORD_GOLDEN"] == "1" }

    static func check(_ frame: Frame, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent("\(name).txt")
        let actual = frame.text
        if recording {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no golden frame \(url.path): record it with FREIGHTLINER_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        guard actual != expected else { return }
        let actualLines = actual.components(separatedBy: "\n"), expectedLines = expected.components(separatedBy: "\n")
        let row = Array(zip(actualLines, expectedLines)).firstIndex { $0.0 != $0.1 } ?? min(actualLines.count, expectedLines.count)
        Issue.record("""
            frame differs from Golden/\(name).txt at row \(row + 1):
              expected: \(row < expectedLines.count ? expectedLines[row] : "<none>")
              actual:   \(row < actualLines.count ? actualLines[row] : "<none>")
            whole frame:
            \(actual)
            """, sourceLocation: sourceLocation)
    }
}
