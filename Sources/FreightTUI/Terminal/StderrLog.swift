import Foundation

/// While curses owns the screen, anything written to stderr would tear it: stderr goes to
/// `$XDG_STATE_HOME/freightliner/logs/dashboard.log` (directory 0700, file 0600) and comes
/// back when the dashboard closes.
final class StderrLog: @unchecked Sendable {
    let path: String
    private let saved: Int32

    /// Rotated past this size, so the log never grows without bound.
    static let maximumSize = 1 << 20

    static func directory(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return "\(state)/freightliner/logs" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.local/state/freightliner/logs"
    }

    /// Nil (and stderr untouched) when the log cannot be created.
    init?(directory: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            return nil
        }
        chmod(directory, 0o700)
        let path = "\(directory)/dashboard.log"
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > Self.maximumSize {
            _ = rename(path, path + ".1")
        }
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        fchmod(descriptor, 0o600)
        let saved = dup(STDERR_FILENO)
        guard saved >= 0, dup2(descriptor, STDERR_FILENO) >= 0 else {
            Foundation.close(descriptor)
            if saved >= 0 { Foundation.close(saved) }
            return nil
        }
        Foundation.close(descriptor)
        self.path = path
        self.saved = saved
    }

    func write(_ line: String) {
        try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    }

    func restore() {
        dup2(saved, STDERR_FILENO)
        Foundation.close(saved)
    }
}
