import Foundation
import FreightCore

/// Runs the built `freightliner` binary as a user would.
public enum CLI {
    /// Runs to completion; the environment gets a private checkpoint dir unless one is given.
    public static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> Shell.Result {
        try Shell.run([Paths.binary] + arguments, environment: environment, input: input)
    }

    /// The JSON lines a `--ui json` run printed.
    public static func jsonLines(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// The `summary` line of a `--ui json` run.
    public static func summary(_ output: String) -> [String: Any]? {
        jsonLines(output).last { $0["event"] as? String == "summary" }
    }

    /// Starts a run in the background with stdout going to a file, for kill and signal tests.
    public static func start(_ arguments: [String], environment: [String: String] = [:], output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = FileHandle(forWritingAtPath: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }
}

extension CLI {
    /// Waits, polling up to `timeout`, for a process from `start` to exit, then reaps it (a
    /// Foundation `Process` whose exit is never waited for stays allocated); its status.
    @discardableResult
    public static func waitForExit(_ process: Process, timeout: Double = 60, _ what: String = "the process to exit") throws -> Int32 {
        try waitUntil(timeout: timeout, what) { !process.isRunning }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// For a `defer`: kills a process a failed test left running, and reaps it.
    public static func reap(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

extension Dictionary where Key == String, Value == Any {
    /// `summary["tags", "copied"]` style access into nested JSON objects.
    public func int(_ keys: String...) -> Int? {
        var current: Any? = self
        for key in keys { current = (current as? [String: Any])?[key] }
        return (current as? NSNumber)?.intValue
    }

    public func double(_ keys: String...) -> Double? {
        var current: Any? = self
        for key in keys { current = (current as? [String: Any])?[key] }
        return (current as? NSNumber)?.doubleValue
    }

    public func string(_ keys: String...) -> String? {
        var current: Any? = self
        for key in keys { current = (current as? [String: Any])?[key] }
        return current as? String
    }
}
