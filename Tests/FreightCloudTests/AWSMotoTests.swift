import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightTestSupport
import Testing

/// The JSON-protocol client, instance metadata and ECR, against a real moto_server that checks
/// SigV4 signatures.
@Suite(.budget(minutes: 6)) struct AWSMotoTests {
    let moto: MotoServer
    let http = HTTPClient()

    init() async throws { moto = try await MotoServer.started() }

    func session(_ environment: [String: String]) throws -> AWSSession {
        try AWSSession(environment: environment, http: http)
    }

    @Test func aCorrectSignatureIsAccepted() async throws {
        let ecr = ECRClient(api: try session(moto.environment()).client(for: .ecr))
        let token = try await ecr.authorizationToken(account: moto.account)
        #expect(token.username == "AWS")
        #expect(!token.password.isEmpty)
    }

    @Test func aWrongSecretKeyIsRefusedAndTheMessageSaysWhy() async throws {
        let ecr = ECRClient(api: try session(moto.environment(secretAccessKey: "not-the-secret-key")).client(for: .ecr))
        let error = await #expect(throws: AWSServiceError.self) { try await ecr.authorizationToken(account: moto.account) }
        #expect(error?.status == 403)
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.description.hasPrefix("AWS refused the request signature: the secret access key is wrong for access key \(moto.accessKeyID) (SignatureDoesNotMatch)") == true)
        #expect(error?.description.contains("not-the-secret-key") == false)
    }

    @Test func anUnknownAccessKeyIsNamed() async throws {
        var environment = moto.environment()
        environment["AWS_ACCESS_KEY_ID"] = "AKIANOSUCHKEY0000000"
        let ecr = ECRClient(api: try session(environment).client(for: .ecr))
        let error = await #expect(throws: AWSServiceError.self) { try await ecr.authorizationToken(account: moto.account) }
        #expect(error?.code == "InvalidClientTokenId")
        #expect(error?.description.contains("does not recognise the access key ID AKIANOSUCHKEY0000000") == true)
    }

    @Test func anUnreachableEndpointNamesTheEndpointAndTheSetting() async throws {
        var environment = moto.environment()
        environment["AWS_ENDPOINT_URL_ECR"] = "http://127.0.0.1:\(ServerProcess.freePort())"
        let ecr = ECRClient(api: try session(environment).client(for: .ecr))
        let error = await #expect(throws: CloudConnectionError.self) { try await ecr.authorizationToken(account: moto.account) }
        #expect(error?.description.contains("could not reach AWS ECR at \(environment["AWS_ENDPOINT_URL_ECR"]!) (set by AWS_ENDPOINT_URL_ECR)") == true)
    }

    @Test func ecrRepositoriesAreCreatedOnce() async throws {
        let ecr = ECRClient(api: try session(moto.environment()).client(for: .ecr))
        let name = "team/app-\(UUID().uuidString.prefix(8).lowercased())"
        #expect(try await ecr.createRepository(name, account: moto.account) == true)
        #expect(try await ecr.createRepository(name, account: moto.account) == false)
        #expect(try moto.ecrRepositoryExists(name))
        #expect(try !moto.ecrRepositoryExists(name + "-other"))
    }

    /// moto serves IMDSv2 (`PUT /latest/api/token`, then the role's credentials): the chain finds
    /// them when nothing else is configured. moto's metadata keys are not IAM keys, so the
    /// signed call that follows is refused as an unknown key, which proves where they came from.
    @Test func instanceMetadataCredentials() async throws {
        let source = InstanceMetadataCredentials(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": moto.endpoint + "/"])
        let credentials = try #require(try await source.resolve())
        #expect(credentials.accessKeyID == "test-key")
        #expect(credentials.sessionToken?.revealed == "test-session-token")
        #expect(credentials.source == "EC2 instance role default-role")
        #expect((credentials.expiration ?? .distantPast) > Date())

        let directory = TemporaryDirectory()
        let environment = ["HOME": directory.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": moto.endpoint, "AWS_REGION": "us-east-1",
                           "AWS_ENDPOINT_URL": moto.endpoint]
        let ecr = ECRClient(api: try session(environment).client(for: .ecr))
        let error = await #expect(throws: AWSServiceError.self) { try await ecr.authorizationToken(account: moto.account) }
        #expect(error?.code == "InvalidClientTokenId")
        #expect(error?.accessKeyID == "test-key")
    }

    @Test func noInstanceMetadataOffEC2() async throws {
        let source = InstanceMetadataCredentials(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(ServerProcess.freePort())"])
        #expect(try await source.resolve() == nil)
        #expect(try await InstanceMetadataCredentials(environment: ["AWS_EC2_METADATA_DISABLED": "true"]).resolve() == nil)
    }
}
