import Foundation

/// Figures a reliability test measured (faults injected, kill cycles, re-copied bytes, property
/// executions), printed as `figure: NAME VALUE` lines and appended to `$FREIGHTLINER_FIGURES`
/// when set, so `make` targets can report them.
public enum Figures {
    private static let lock = NSLock()

    public static func record(_ name: String, _ value: CustomStringConvertible) {
        let line = "figure: \(name) \(value)\n"
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(Data(line.utf8))
        guard let path = ProcessInfo.processInfo.environment["FREIGHTLINER_FIGURES"], !path.isEmpty else { return }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        }
    }
}
