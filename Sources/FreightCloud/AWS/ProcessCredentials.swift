import Foundation
import FreightCore

/// Credentials a program prints, as a profile's `credential_process` names it: run with
/// `/bin/sh -c`, its standard output is `{"Version": 1, "AccessKeyId", "SecretAccessKey",
/// "SessionToken", "Expiration"}`. It must finish within a minute. Its output is never shown
/// in a message (it holds the secret); its exit status and first line of stderr are.
public struct ProcessCredentials: AWSCredentialsSource {
    public let command: String
    public let profile: String
    /// The environment the program runs in (the process's, as the session saw it).
    private let environment: [String: String]

    public init(command: String, profile: String, environment: [String: String]) {
        self.command = command
        self.profile = profile
        self.environment = environment
    }

    public var name: String { "credential_process of profile \(profile)" }

    public func resolve() async throws -> AWSCredentials? {
        let (command, profile, environment) = (self.command, self.profile, self.environment)
        let (status, output, errors) = try await runBlocking { try Self.run(command, environment: environment) }
        guard status == 0 else {
            let line = errors.split(whereSeparator: \.isNewline).first.map { ": \($0.prefix(200))" } ?? ""
            throw AWSCredentialsError("credential_process of profile \(profile) exited with status \(status)\(line)")
        }
        struct Answer: Decodable {
            var Version: Int?
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var SessionToken: String?
            var Expiration: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: output) else {
            throw AWSCredentialsError("credential_process of profile \(profile) did not print a JSON object")
        }
        guard answer.Version == 1 else {
            throw AWSCredentialsError("credential_process of profile \(profile) printed Version \(answer.Version.map(String.init) ?? "none"), not 1")
        }
        guard let keyID = answer.AccessKeyId, !keyID.isEmpty, let secret = answer.SecretAccessKey, !secret.isEmpty else {
            throw AWSCredentialsError("credential_process of profile \(profile) printed no AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = answer.Expiration {
            guard let date = AWSTimestamp.parse(text) else {
                throw AWSCredentialsError("credential_process of profile \(profile) printed an Expiration that is not ISO 8601")
            }
            expiration = date
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: Secret(secret),
                              sessionToken: answer.SessionToken.flatMap { $0.isEmpty ? nil : Secret($0) },
                              expiration: expiration, source: "credential_process of profile \(profile)")
    }

    private static func run(_ command: String, environment: [String: String]) throws -> (Int32, Data, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = DispatchTime.now() + .seconds(60)
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: killer)
        let errorData = Locked(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            errorData.withLock { $0 = stderr.fileHandleForReading.readDataToEndOfFile() }
            errorsRead.signal()
        }.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        killer.cancel()
        return (process.terminationStatus, output, String(decoding: errorData.value, as: UTF8.self))
    }
}
