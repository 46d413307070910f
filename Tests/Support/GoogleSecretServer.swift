import Foundation
import FreightCore

/// `Tests/Fixtures/gcp_secret_manager.py`, the spec-faithful Google Secret Manager and OAuth2
/// token server (no emulator exists), with a freshly generated service-account key: `keyFile` is
/// a service-account JSON whose `token_uri` is this server, and the server verifies assertions
/// against that key's public half. Only `project` is accessible; others get 403.
public final class GoogleSecretServer: Sendable {
    public let url: String
    public let host: String
    public let project: String
    public let clientEmail: String
    /// The service-account key file (as `GOOGLE_APPLICATION_CREDENTIALS` names it).
    public let keyFile: String
    private let directory: TemporaryDirectory
    private let server: ServerProcess

    /// `start` on a thread of its own, so that key generation and the wait for the port do not
    /// hold one of the few threads that run the tests.
    public static func started(project: String = "freightliner-test") async throws -> GoogleSecretServer {
        try await runBlocking { try start(project: project) }
    }

    public static func start(project: String = "freightliner-test") throws -> GoogleSecretServer {
        var lastError: (any Error)?
        for _ in 0..<3 {
            do { return try GoogleSecretServer(project: project) } catch { lastError = error }
        }
        throw lastError!
    }

    private init(project: String) throws {
        directory = TemporaryDirectory("gsm")
        let key = directory.file("sa-key.pem"), publicKey = directory.file("sa-public.pem")
        try Shell.check(["openssl", "genrsa", "-out", key, "2048"])
        try Shell.check(["openssl", "rsa", "-in", key, "-pubout", "-out", publicKey])
        self.project = project
        let clientEmail = "replicator@\(project).iam.gserviceaccount.com"
        self.clientEmail = clientEmail
        server = try ServerProcess.start(logPath: directory.file("server.log")) { port in
            ["python3", "\(Paths.fixtures)/gcp_secret_manager.py", "--port", "\(port)", "--public-key", publicKey,
             "--client-email", clientEmail, "--project", project,
             "--client-id", Self.userClientID, "--client-secret", Self.userClientSecret,
             "--refresh-token", Self.userRefreshToken]
        }
        host = "127.0.0.1:\(server.port)"
        url = "http://\(host)"
        keyFile = directory.file("service-account.json")
        try writeKeyFile(keyFile, pem: try String(contentsOfFile: key, encoding: .utf8))
    }

    /// Writes a service-account file for this server with any PEM (e.g. another key, to be refused).
    public func writeKeyFile(_ path: String, pem: String, tokenURI: String? = nil) throws {
        let json: [String: Any] = [
            "type": "service_account", "project_id": project, "private_key_id": "test-key-1", "private_key": pem,
            "client_email": clientEmail, "client_id": "1", "token_uri": tokenURI ?? "\(url)/token",
        ]
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    /// The OAuth client and refresh token of the test user the server accepts (test values).
    public static let userClientID = "764086051850-test.apps.googleusercontent.com"
    public static let userClientSecret = "d-FL95Q19q7MQmFpd7hHD0Ty"
    public static let userRefreshToken = "1//test-refresh-token-of-a-user"

    /// Writes `application_default_credentials.json` as `gcloud auth application-default login`
    /// does, pointed at this server; `refreshToken` replaces the one the server accepts.
    public func writeUserCredentials(_ path: String, refreshToken: String = userRefreshToken) throws {
        let json: [String: Any] = ["type": "authorized_user", "client_id": Self.userClientID, "client_secret": Self.userClientSecret,
                                   "refresh_token": refreshToken, "token_uri": "\(url)/token", "quota_project_id": project]
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    /// Every token issued so far stops working, as when its hour is up.
    public func expireTokens() throws {
        try Shell.check(["curl", "-sf", "-X", "POST", "\(url)/_test/expire-tokens"])
    }

    /// Counters: `jwt_grants`, `refresh_grants`, `metadata_grants`, `unauthenticated`, `accesses`.
    public func stats() throws -> [String: Int] {
        let output = try Shell.check(["curl", "-sf", "\(url)/_test/stats"]).stdout
        return try JSONDecoder().decode([String: Int].self, from: Data(output.utf8))
    }

    /// An environment with the service-account key and this server as the Secret Manager endpoint.
    public var environment: [String: String] {
        ["GOOGLE_APPLICATION_CREDENTIALS": keyFile, "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER": "\(url)/"]
    }

    public var log: String { (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? "" }
}
