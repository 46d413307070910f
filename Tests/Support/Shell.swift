import Foundation
import FreightCore

/// Runs programs for tests and fixtures.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public var output: String { stdout + stderr }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let command: [String]
        public let result: Result

        public var description: String {
            "\(command.joined(separator: " ")) exited \(result.status)\n\(result.stderr)\(result.stdout)"
        }
    }

    /// Runs `arguments` (PATH lookup through /usr/bin/env), with `input` on stdin, and waits.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil,
                           directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up and blocks the child.
        let errorData = Locked(Data())
        let errorDone = DispatchSemaphore(value: 0)
        Thread {
            errorData.withLock { $0 = stderr.fileHandleForReading.readDataToEndOfFile() }
            errorDone.signal()
        }.start()
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        errorDone.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errorData.value, as: UTF8.self))
    }

    /// Runs and throws unless it exits 0.
    @discardableResult
    public static func check(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> Result {
        let result = try run(arguments, environment: environment, input: input)
        guard result.status == 0 else { throw Failure(command: arguments, result: result) }
        return result
    }
}
