import Foundation
import FreightCore

/// A program running in a real terminal: a detached tmux session on a private socket (so
/// parallel tests never share a server), with keys, resizes, screen captures, and the raw bytes
/// the program wrote. The server is killed when the value is released.
public final class TmuxSession: @unchecked Sendable {
    public let directory = TemporaryDirectory("tmux")
    private let socket: String

    public struct Timeout: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `command` in a `width`x`height` terminal with `environment` exported (a nil value
    /// unsets the variable). Its exit status and pid are kept; the session outlives it so the
    /// last screen can still be captured.
    public init(width: Int, height: Int, command: [String], environment: [String: String?] = [:]) throws {
        socket = "freightliner-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // Ctrl-C reaches the whole foreground process group: like an interactive shell, the
        // script survives it (a handler, unlike an ignore, is reset for the program by exec).
        var script = "#!/bin/sh\ntrap : INT\ncd \(Self.quote(directory.path))\n"
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            script += value.map { "export \(key)=\(Self.quote($0))\n" } ?? "unset \(key)\n"
        }
        // The inner shell writes its pid and execs the program, so the pid is the program's.
        script += "sh -c 'echo $$ > pid; exec \"$@\"' sh \(command.map(Self.quote).joined(separator: " "))\n"
        script += "echo $? > status.tmp && mv status.tmp status\nexec sleep 3600\n"
        let path = directory.file("run.sh")
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        try startServer(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", path])
    }

    /// The first command forks the tmux server, which inherits its parent's descriptors; with
    /// Foundation's `Process` that left `waitUntilExit` waiting forever, so this one is spawned
    /// and reaped directly, its output going to a file. It starts with no signal blocked and
    /// every disposition at its default, as from a shell: posix_spawn would otherwise pass on
    /// the calling worker thread's mask, which blocks nearly everything, to the server and to
    /// the program under test (no SIGWINCH, no SIGINT, and kill-server could not end panes).
    private func startServer(_ arguments: [String]) throws {
        let log = directory.file("tmux.log")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = (["tmux", "-L", socket, "-f", "/dev/null"] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw Timeout(description: "cannot start tmux: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // Whoever reaped it, the session must exist now.
        guard (try? tmux(["has-session"])) != nil else {
            throw Timeout(description: "tmux \(arguments.joined(separator: " ")) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    deinit { _ = try? Shell.run(["tmux", "-L", socket, "kill-server"]) }

    /// The screen as text (what a person would see; no colours).
    public func capture() -> String {
        (try? tmux(["capture-pane", "-p", "-t", "0"]))?.stdout ?? ""
    }

    /// `tmux send-keys` names: `q`, `Enter`, `Down`, `C-c`.
    public func send(_ keys: String...) throws {
        try tmux(["send-keys", "-t", "0"] + keys)
    }

    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", "0", "-x", "\(width)", "-y", "\(height)"])
    }

    /// Appends everything the program writes from now on, byte for byte, to `path`.
    public func record(to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        try tmux(["pipe-pane", "-o", "-t", "0", "cat >> \(Self.quote(path))"])
    }

    public var pid: Int32? {
        (try? String(contentsOfFile: directory.file("pid"), encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The program's exit status once it has exited.
    public var status: Int32? {
        (try? String(contentsOfFile: directory.file("status"), encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Polls the screen until `condition` holds; throws with the last screen after `timeout`.
    @discardableResult
    public func waitForScreen(_ what: String, timeout: TimeInterval = 60, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = capture()
        while !condition(screen) {
            guard Date() < deadline else {
                throw Timeout(description: "no \(what) within \(Int(timeout)) s; the screen:\n\(screen)\nexit status: \(status.map(String.init) ?? "still running")")
            }
            usleep(100_000)
            screen = capture()
        }
        return screen
    }

    public func waitForExit(timeout: TimeInterval = 60) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while status == nil {
            guard Date() < deadline else { throw Timeout(description: "still running after \(Int(timeout)) s; the screen:\n\(capture())") }
            usleep(100_000)
        }
        return status!
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> Shell.Result {
        try Shell.check(["tmux", "-L", socket, "-f", "/dev/null"] + arguments)
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// A throttled link in front of a registry (`Tests/Fixtures/slow_proxy.py`), so a run lasts
/// long enough to be watched, paused, resized and quit.
public final class SlowProxy: Sendable {
    public let host: String
    private let server: ServerProcess
    private let directory = TemporaryDirectory("proxy")

    /// `rate` in bytes per second for all connections together.
    public init(upstream: String, rate: Int) throws {
        server = try ServerProcess.start(logPath: directory.file("proxy.log")) { port in
            ["python3", "\(Paths.fixtures)/slow_proxy.py", "--port", "\(port)", "--upstream", upstream, "--rate", "\(rate)"]
        }
        host = "127.0.0.1:\(server.port)"
    }
}
