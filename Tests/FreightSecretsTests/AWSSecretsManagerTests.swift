import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightSecrets
import FreightTestSupport
import Testing

/// AWS Secrets Manager against a real moto_server with SigV4 checking on.
@Suite(.budget(minutes: 6)) struct AWSSecretsManagerTests {
    let moto: MotoServer
    let http = HTTPClient()

    init() async throws { moto = try await MotoServer.started() }

    func provider(_ environment: [String: String]? = nil, endpoint: String? = nil) throws -> any SecretsProvider {
        try SecretsProviders(http: http, settings: .init(environment: environment ?? moto.environment(), endpointURL: endpoint))
            .provider(for: "aws-sm")
    }

    func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }

    @Test func putGetPutGetRemoveRoundTrips() async throws {
        let secrets = try provider()
        let reference = try SecretReference(parsing: "aws-sm://freightliner/\(unique("roundtrip"))")

        let created = try await secrets.put(reference, value: Secret("first-value"))
        #expect(created.created)
        let first = try await secrets.get(reference)
        #expect(first.value.revealed == "first-value")

        let updated = try await secrets.put(reference, value: Secret(#"{"username":"robot","password":"second-value"}"#))
        #expect(!updated.created)
        #expect(updated.version != created.version)
        let second = try await secrets.get(reference)
        #expect(second.value.revealed == #"{"username":"robot","password":"second-value"}"#)
        #expect(second.version == updated.version)

        // The earlier value by version stage and by version id.
        let previous = try SecretReference(parsing: "\(reference)?version-stage=AWSPREVIOUS")
        #expect(try await secrets.get(previous).value.revealed == "first-value")
        let byID = try SecretReference(parsing: "\(reference)?version-id=\(try #require(created.version))")
        #expect(try await secrets.get(byID).value.revealed == "first-value")

        guard case .scheduled(let date) = try await secrets.delete(reference, force: false) else {
            Issue.record("a delete without --force must keep a recovery window")
            return
        }
        #expect(date > Date().addingTimeInterval(29 * 86_400))
        let scheduled = await #expect(throws: SecretsError.self) { try await secrets.get(reference) }
        #expect(scheduled?.description.contains("is scheduled for deletion") == true)

        #expect(try await secrets.delete(reference, force: true) == .deleted)
        let gone = await #expect(throws: SecretsError.self) { try await secrets.get(reference) }
        #expect(gone?.kind == .notFound)
        #expect(gone?.description.hasPrefix("\(reference) does not exist in AWS Secrets Manager (us-east-1, \(moto.endpoint))") == true)
    }

    @Test func listByPrefix() async throws {
        let secrets = try provider()
        let prefix = unique("list") + "/"
        for name in ["b", "a", "c/d"] {
            _ = try await secrets.put(try SecretReference(parsing: "aws-sm://\(prefix)\(name)"), value: Secret("v"))
        }
        _ = try await secrets.put(try SecretReference(parsing: "aws-sm://other-\(prefix)x"), value: Secret("v"))
        let listed = try await secrets.list(try SecretPrefix(parsing: "aws-sm://\(prefix)")).map(\.description)
        #expect(listed == ["a", "b", "c/d"].map { "aws-sm://\(prefix)\($0)" })
    }

    @Test func aWrongSecretKeyIsRefusedAndTheMessageSaysWhy() async throws {
        let secrets = try provider(moto.environment(secretAccessKey: "wrong-secret-access-key"))
        let reference = try SecretReference(parsing: "aws-sm://freightliner/\(unique("wrong-key"))")
        let error = await #expect(throws: AWSServiceError.self) { try await secrets.put(reference, value: Secret("never-stored")) }
        #expect(error?.description.hasPrefix("AWS refused the request signature: the secret access key is wrong for access key \(moto.accessKeyID) (SignatureDoesNotMatch)") == true)
        #expect(error?.description.contains("never-stored") == false)
        #expect(error?.description.contains("wrong-secret-access-key") == false)
    }

    /// Bad names and values are refused before anything goes out.
    @Test func validationHappensBeforeAnyRequest() async throws {
        let secrets = try provider()
        let reference = try SecretReference(parsing: "aws-sm://freightliner/\(unique("valid"))")
        let empty = await #expect(throws: SecretsError.self) { try await secrets.put(reference, value: Secret("")) }
        #expect(empty?.kind == .invalidInput)
        let big = await #expect(throws: SecretsError.self) { try await secrets.put(reference, value: Secret(String(repeating: "x", count: 70_000))) }
        #expect(big?.description.contains("70000 bytes") == true)
        let field = await #expect(throws: SecretsError.self) {
            try await secrets.put(try SecretReference(parsing: "\(reference)#password"), value: Secret("v"))
        }
        #expect(field?.kind == .unsupported)
        #expect(http.requestCounts.snapshot.isEmpty)
    }

    @Test func anUnreachableEndpointIsNamed() async throws {
        let endpoint = "http://127.0.0.1:\(ServerProcess.freePort())"
        let secrets = try provider(endpoint: endpoint)
        let error = await #expect(throws: CloudConnectionError.self) {
            try await secrets.get(try SecretReference(parsing: "aws-sm://freightliner/anything"))
        }
        #expect(error?.description.hasPrefix("could not reach AWS Secrets Manager at \(endpoint) (set by --endpoint-url)") == true)
    }
}
