import Foundation
import FreightCore

/// Credentials from docker's `config.json` and containers' `auth.json`: inline `auths`
/// entries, per-registry `credHelpers` and a default `credsStore`, the helpers being run as
/// `docker-credential-NAME get`.
///
/// Files are searched in containers/image's order (skopeo's, podman's): `--authfile` (else
/// `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, which for root without
/// `XDG_RUNTIME_DIR` is `/run/containers/0/auth.json`), then `$XDG_CONFIG_HOME/containers/auth.json`
/// (`~/.config/containers/auth.json`), then `$DOCKER_CONFIG/config.json` (`~/.docker/config.json`);
/// the first with an answer for the registry wins.
public struct DockerConfigCredentials: CredentialProvider {
    public let files: [String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, authFile: String? = nil) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var files: [String] = []
        if let authFile = authFile ?? value("REGISTRY_AUTH_FILE") {
            files.append(authFile)
        } else if let runtime = value("XDG_RUNTIME_DIR") {
            files.append("\(runtime)/containers/auth.json")
        } else if getuid() == 0 {
            files.append("/run/containers/0/auth.json")
        }
        if let config = value("XDG_CONFIG_HOME") {
            files.append("\(config)/containers/auth.json")
        } else if let home = value("HOME") {
            files.append("\(home)/.config/containers/auth.json")
        }
        if let docker = value("DOCKER_CONFIG") {
            files.append("\(docker)/config.json")
        } else if let home = value("HOME") {
            files.append("\(home)/.docker/config.json")
        }
        self.files = files
    }

    public init(files: [String]) { self.files = files }

    public func credentials(for registry: String) async throws -> Credentials? {
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let config: DockerConfigFile
            do {
                config = try DockerConfigFile.parse(Array(data))
            } catch {
                throw CredentialsError(reason: "\(path): \(error)")
            }
            if let found = try await config.credentials(for: registry, file: path) { return found }
        }
        return nil
    }
}

/// The parts of a docker config file that hold credentials.
public struct DockerConfigFile: Sendable {
    struct Entry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
        var identitytoken: String?
    }

    private struct Raw: Decodable {
        var auths: [String: Entry]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    let auths: [String: Entry]
    let credHelpers: [String: String]
    let credsStore: String?

    public static func parse(_ bytes: [UInt8]) throws -> DockerConfigFile {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(bytes))
        } catch {
            throw CredentialsError(reason: "not a valid docker config file (expected a JSON object with \"auths\")")
        }
        return DockerConfigFile(auths: raw.auths ?? [:], credHelpers: raw.credHelpers ?? [:], credsStore: raw.credsStore)
    }

    /// The keys a registry may be stored under; Docker Hub has a legacy URL.
    static func keys(for registry: String) -> [String] {
        registry == ImageReference.dockerHub
            ? ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]
            : [registry]
    }

    /// Strips scheme and path: `https://host:5000/v1/` → `host:5000`.
    static func normalize(_ key: String) -> String {
        var text = Substring(key)
        if let range = text.range(of: "://") { text = text[range.upperBound...] }
        return String(text.prefix(while: { $0 != "/" }))
    }

    public func credentials(for registry: String, file: String) async throws -> Credentials? {
        let keys = Self.keys(for: registry)
        if let helper = keys.lazy.compactMap({ self.credHelpers[$0] }).first {
            return try await CredentialHelper(name: helper).get(serverURL: keys[0])
        }
        if let store = credsStore, !store.isEmpty,
           let found = try await CredentialHelper(name: store).get(serverURL: keys[0]) {
            return found
        }
        return try inlineCredentials(for: registry, file: file)
    }

    /// Only the `auths` entries: for documents that must not choose programs to run (a secret).
    public func inlineCredentials(for registry: String, file: String) throws -> Credentials? {
        let keys = Self.keys(for: registry)
        let normalizedKeys = Set(keys.map(Self.normalize))
        guard let entry = auths.first(where: { keys.contains($0.key) || normalizedKeys.contains(Self.normalize($0.key)) })?.value
        else { return nil }
        if let auth = entry.auth, !auth.isEmpty {
            guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                  let colon = decoded.firstIndex(of: ":")
            else {
                throw CredentialsError(reason: "\(file): the \"auth\" entry for \(registry) is not base64 of USER:PASS")
            }
            return Credentials(username: String(decoded[..<colon]), password: Secret(String(decoded[decoded.index(after: colon)...])))
        }
        if let username = entry.username, let password = entry.password {
            return Credentials(username: username, password: Secret(password))
        }
        return nil
    }
}

/// A docker credential helper program, `docker-credential-NAME`.
struct CredentialHelper {
    let name: String

    /// Runs `docker-credential-NAME get` with the server URL on stdin; nil when the helper has
    /// no credentials for it.
    func get(serverURL: String) async throws -> Credentials? {
        let program = "docker-credential-\(name)"
        let output: (status: Int32, stdout: Data, stderr: Data) = try await runBlocking {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program, "get"]
            let input = Pipe(), stdout = Pipe(), stderr = Pipe()
            process.standardInput = input
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            // A helper that exits early (not installed) closes the pipe: the write fails, the exit
            // status below says why.
            try? input.fileHandleForWriting.write(contentsOf: Data(serverURL.utf8))
            try? input.fileHandleForWriting.close()
            let out = stdout.fileHandleForReading.readDataToEndOfFile()
            let err = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, out, err)
        }
        if output.status != 0 {
            let message = String(decoding: output.stdout + output.stderr, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if message.lowercased().contains("credentials not found") { return nil }
            if output.status == 127 {
                throw CredentialsError(reason: "credential helper \(program) is not installed (named in the docker config)")
            }
            throw CredentialsError(reason: "credential helper \(program) failed (exit \(output.status)) for \(serverURL)")
        }
        struct Answer: Decodable {
            var Username: String
            var Secret: String
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: output.stdout) else {
            throw CredentialsError(reason: "credential helper \(program) printed something other than {\"Username\",\"Secret\"}")
        }
        return Credentials(username: answer.Username, password: FreightCore.Secret(answer.Secret))
    }
}
