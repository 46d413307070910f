import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightSecrets
import FreightTestSupport
import Testing

/// Google Secret Manager through the spec-faithful test server (no emulator exists here): the
/// OAuth2 JWT bearer flow, base64 payloads, and Google's 401/403/404 answers.
@Suite(.budget(minutes: 6)) struct GoogleSecretManagerTests {
    let google: GoogleSecretServer
    let http = HTTPClient()

    init() async throws { google = try await GoogleSecretServer.started() }

    func provider(_ environment: [String: String]? = nil) throws -> any SecretsProvider {
        try SecretsProviders(http: http, settings: .init(environment: environment ?? google.environment)).provider(for: "gcp-sm")
    }

    func reference(_ name: String, project: String? = nil) throws -> SecretReference {
        try SecretReference(parsing: "gcp-sm://projects/\(project ?? google.project)/secrets/\(name)")
    }

    @Test func putGetPutGetRemoveRoundTrips() async throws {
        let secrets = try provider()
        let reference = try reference("registry")

        #expect(try await secrets.put(reference, value: Secret("first-Ω-value")) == PutOutcome(created: true, version: "1"))
        #expect(try await secrets.get(reference).value.revealed == "first-Ω-value")
        #expect(try await secrets.put(reference, value: Secret(#"{"username":"u","password":"p2"}"#)) == PutOutcome(created: false, version: "2"))
        let latest = try await secrets.get(reference)
        #expect(latest.value.revealed == #"{"username":"u","password":"p2"}"#)
        #expect(latest.version == "2")
        #expect(try await secrets.get(try SecretReference(parsing: "\(reference)/versions/1")).value.revealed == "first-Ω-value")

        #expect(try await secrets.list(try SecretPrefix(parsing: "gcp-sm://projects/\(google.project)/secrets/reg")).map(\.description)
                == [reference.description])
        #expect(try await secrets.delete(reference, force: false) == .deleted)
        let gone = await #expect(throws: SecretsError.self) { try await secrets.get(reference) }
        #expect(gone?.kind == .notFound)
        #expect(gone?.description.contains("(NOT_FOUND): Secret [projects/424242424242/secrets/registry] not found or has no versions.") == true)
        // One token served every call.
        #expect(try google.stats()["jwt_grants"] == 1)
    }

    @Test("a user's application-default credentials (gcloud auth application-default login): the refresh-token grant")
    func userApplicationDefaultCredentials() async throws {
        let home = TemporaryDirectory("home")
        try google.writeUserCredentials(home.file(".config/gcloud/application_default_credentials.json"))
        let environment = ["HOME": home.path, "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER": "\(google.url)/"]
        let secrets = try provider(environment)
        let reference = try reference("user-adc")
        _ = try await secrets.put(reference, value: Secret("from-a-user"))
        #expect(try await secrets.get(reference).value.revealed == "from-a-user")
        let stats = try google.stats()
        #expect(stats["refresh_grants"] == 1 && stats["jwt_grants"] == 0, "\(stats)")

        try google.writeUserCredentials(home.file(".config/gcloud/application_default_credentials.json"), refreshToken: "1//revoked-token")
        let refused = await #expect(throws: (any Error).self) { try await provider(environment).get(reference) }
        let text = refused.map { "\($0)" } ?? ""
        #expect(text.contains("invalid_grant"), "\(text)")
        #expect(!text.contains("revoked-token") && !text.contains(GoogleSecretServer.userClientSecret), "\(text)")
    }

    @Test func listPagesThroughEverySecret() async throws {
        let secrets = try provider()
        let names = (0..<260).map { String(format: "page-%03d", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask { _ = try await secrets.put(try reference(name), value: Secret("v")) }
            }
            try await group.waitForAll()
        }
        _ = try await secrets.put(try reference("zzz"), value: Secret("v"))
        let listed = try await secrets.list(try SecretPrefix(parsing: "gcp-sm://projects/\(google.project)/secrets/page-"))
        #expect(listed.map(\.description) == names.map { "gcp-sm://projects/\(google.project)/secrets/\($0)" })
    }

    @Test func anotherProjectIsPermissionDenied() async throws {
        let error = await #expect(throws: GoogleAPIError.self) { try await provider().get(try reference("s", project: "someone-else")) }
        #expect(error?.httpStatus == 403)
        #expect(error?.description == "Google denied access on secret gcp-sm://projects/someone-else/secrets/s to service account "
                + "\(google.clientEmail) (PERMISSION_DENIED): Permission 'secretmanager.versions.access' denied for resource "
                + "'projects/someone-else/secrets/s/versions/latest' (or it may not exist).")
    }

    @Test func aWrongTokenIsRefusedAndSaidSo() async throws {
        var environment = google.environment
        environment["GOOGLE_OAUTH_ACCESS_TOKEN"] = "ya29.not-a-real-token"
        let error = await #expect(throws: GoogleAPIError.self) { try await provider(environment).get(try reference("s")) }
        #expect(error?.httpStatus == 401)
        #expect(error?.description.hasPrefix("Google refused the access token from GOOGLE_OAUTH_ACCESS_TOKEN as expired or invalid (UNAUTHENTICATED)") == true)
        #expect(error?.description.contains("not-a-real-token") == false)
    }

    /// A cached token the service stops accepting (its hour is up) is replaced once, quietly.
    @Test func anExpiredTokenIsReplaced() async throws {
        let secrets = try provider()
        let reference = try reference("rotating")
        _ = try await secrets.put(reference, value: Secret("v1"))
        try google.expireTokens()
        #expect(try await secrets.get(reference).value.revealed == "v1")
        let stats = try google.stats()
        #expect(stats["jwt_grants"] == 2)
        #expect(stats["unauthenticated"] == 1)
    }

    @Test func anUnreachableEndpointIsNamed() async throws {
        var environment = google.environment
        let endpoint = "http://127.0.0.1:\(ServerProcess.freePort())"
        environment[SecretsProviders.googleEndpointVariable] = endpoint
        let error = await #expect(throws: CloudConnectionError.self) { try await provider(environment).get(try reference("s")) }
        #expect(error?.description.hasPrefix("could not reach Google Secret Manager at \(endpoint) (set by CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER)") == true)
    }
}
