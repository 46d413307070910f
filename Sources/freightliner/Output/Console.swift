import Foundation

/// Writes to stdout and stderr without dying when the reader has gone (`freightliner … | head`):
/// SIGPIPE is ignored at startup, and a failed write is dropped instead of trapping as
/// `FileHandle.write(_:)` does.
enum Console {
    static func out(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}
