import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightRegistry
import FreightTestSupport
import Testing

/// Registry credentials that come from documents (secrets), ECR and Google, and the ECR
/// repository-creation hook, against a real registry, moto and the Google test server.
@Suite(.budget(minutes: 6)) struct CloudRegistryAuthTests {
    // MARK: Credential documents

    @Test func aUsernamePasswordDocumentServesEveryRegistry() throws {
        let credentials = try CredentialsDocument.credentials(from: Secret(#"{"username":"robot","password":"pw"}"#),
                                                              for: "any.example.com", source: "test")
        #expect(credentials.username == "robot" && credentials.password.revealed == "pw")
    }

    @Test func anAuthsDocumentServesItsRegistriesOnly() throws {
        let auth = Data("robot:pw-b64".utf8).base64EncodedString()
        let document = Secret(#"{"auths":{"https://a.example.com/v1/":{"auth":"\#(auth)"},"b.example.com:5000":{"username":"u","password":"p"}},"credsStore":"definitely-not-installed"}"#)
        let a = try CredentialsDocument.credentials(from: document, for: "a.example.com", source: "test")
        #expect(a.username == "robot" && a.password.revealed == "pw-b64")
        let b = try CredentialsDocument.credentials(from: document, for: "b.example.com:5000", source: "test")
        #expect(b.username == "u")
        let error = #expect(throws: CredentialsError.self) {
            try CredentialsDocument.credentials(from: document, for: "c.example.com", source: "--dest-creds-secret aws-sm://x")
        }
        #expect(error?.description == "--dest-creds-secret aws-sm://x: \"auths\" has no entry for c.example.com (it has: b.example.com:5000, https://a.example.com/v1/)")
    }

    @Test func otherDocumentsAreRefusedWithoutQuotingThem() {
        for value in ["hunter2-plain", #"{"user":"robot","token":"hunter2-json"}"#, #"["hunter2-array"]"#] {
            let error = #expect(throws: CredentialsError.self) {
                try CredentialsDocument.credentials(from: Secret(value), for: "r.example.com", source: "src")
            }
            #expect(error?.description.hasPrefix("src: ") == true)
            #expect(error?.description.contains("hunter2") == false)
        }
    }

    // MARK: Expiring credentials

    final class CountingCredentials: CredentialProvider {
        let calls = Locked(0)
        let expires: Date?
        init(expires: Date?) { self.expires = expires }
        func credentials(for registry: String) async throws -> Credentials? {
            calls.withLock { $0 += 1 }
            return Credentials(username: "robot", password: Secret("pw"), expires: expires)
        }
    }

    /// Credentials without an expiry are asked for once per client; expiring ones again once
    /// they expire.
    @Test func expiringCredentialsAreAskedForAgain() async throws {
        let registry = try await runBlocking { try TestRegistry.start(.init(auth: .htpasswd(user: "robot", password: "pw"))) }
        let http = HTTPClient()
        for (expires, atLeast) in [(nil as Date?, 1...1), (Date.distantPast, 3...6)] {
            let provider = CountingCredentials(expires: expires)
            let repository = RegistryRepository(client: RegistryClient(registry: registry.host, http: http, credentials: provider),
                                                path: "team/app")
            for _ in 0..<3 { #expect(try await repository.manifestDescriptor("latest") == nil) }
            #expect(atLeast.contains(provider.calls.value), "\(provider.calls.value) calls for expires \(String(describing: expires))")
        }
    }

    // MARK: ECR

    @Test func ecrCredentialsComeFromGetAuthorizationTokenAndAreCached() async throws {
        let moto = try await MotoServer.started()
        let http = HTTPClient()
        let session = try AWSSession(environment: moto.environment(), http: http)
        let now = Locked(Date())
        let statuses = Locked<[CredentialStatus]>([])
        let ecr = ECRCredentials(session: { session }, clock: WallClock { now.value }) { status in statuses.withLock { $0.append(status) } }
        let registry = ECRHost(account: moto.account, region: moto.region).registry
        #expect(registry == "123456789012.dkr.ecr.us-east-1.amazonaws.com")

        #expect(try await ecr.credentials(for: "docker.io") == nil)
        let first = try #require(try await ecr.credentials(for: registry))
        #expect(first.username == "AWS")
        // moto reports an expiry in 2015: a short fixed lifetime is used instead.
        #expect(first.expires == now.value.addingTimeInterval(ECRCredentials.fallbackLifetime - ECRCredentials.refreshMargin))
        #expect(try await ecr.credentials(for: registry)?.password == first.password)
        #expect(http.requestCounts.snapshot["POST"] == 1)

        now.withLock { $0 = $0.addingTimeInterval(ECRCredentials.fallbackLifetime - ECRCredentials.refreshMargin + 1) }
        _ = try await ecr.credentials(for: registry)
        #expect(http.requestCounts.snapshot["POST"] == 2)
        #expect(statuses.value.map(\.state) == [.loaded, .refreshed])
        #expect(statuses.value.allSatisfy { $0.provider == "ecr" && $0.reference == registry })
    }

    /// moto's token expired years ago; seen from a clock in 2014 that is a real, future expiry,
    /// which the credentials then follow (refreshed a margin before it, not at a fixed lifetime).
    @Test func ecrCredentialsFollowAFutureExpiresAt() async throws {
        let moto = try await MotoServer.started()
        let http = HTTPClient()
        let session = try AWSSession(environment: moto.environment(), http: http)
        let now = Locked(Date(timeIntervalSince1970: 1_388_534_400))  // 2014-01-01
        let ecr = ECRCredentials(session: { session }, clock: WallClock { now.value })
        let registry = ECRHost(account: moto.account, region: moto.region).registry
        let first = try #require(try await ecr.credentials(for: registry))
        let expires = try #require(first.expires)
        #expect(expires > now.value.addingTimeInterval(ECRCredentials.fallbackLifetime), "the token's own expiry, not the fallback")

        now.withLock { $0 = expires.addingTimeInterval(-60) }
        _ = try await ecr.credentials(for: registry)
        #expect(http.requestCounts.snapshot["POST"] == 1, "still before the refresh point: cached")
        now.withLock { $0 = expires.addingTimeInterval(ECRCredentials.refreshMargin + 1) }
        _ = try await ecr.credentials(for: registry)
        #expect(http.requestCounts.snapshot["POST"] == 2, "past it: fetched again")
    }

    @Test func ecrWithoutAWSCredentialsFallsThroughAndWithWrongOnesSaysWhy() async throws {
        let moto = try await MotoServer.started()
        let directory = TemporaryDirectory()
        let registry = ECRHost(account: moto.account, region: moto.region).registry
        let bare = try AWSSession(environment: ["HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true"], http: HTTPClient())
        #expect(try await ECRCredentials(session: { bare }).credentials(for: registry) == nil)

        let wrong = try AWSSession(environment: moto.environment(secretAccessKey: "wrong"), http: HTTPClient())
        let statuses = Locked<[CredentialStatus]>([])
        let ecr = ECRCredentials(session: { wrong }) { status in statuses.withLock { $0.append(status) } }
        let error = await #expect(throws: CredentialsError.self) { try await ecr.credentials(for: registry) }
        #expect(error?.description.contains("ECR credentials for \(registry): AWS refused the request signature: the secret access key is wrong") == true)
        #expect(statuses.value.map(\.state) == [.failed])
    }

    /// The hook runs CreateRepository (on moto) once before the first write to a repository of
    /// a real registry, however many writers race to it.
    @Test func missingRepositoriesAreCreatedBeforeTheFirstWrite() async throws {
        let moto = try await MotoServer.started()
        let registry = try await runBlocking { try TestRegistry.start() }
        let awsHTTP = HTTPClient()
        let session = try AWSSession(environment: moto.environment(), http: awsHTTP)
        let creator = ECRRepositoryCreator(host: ECRHost(account: moto.account, region: moto.region), session: { session })
        let client = RegistryClient(registry: registry.host, http: HTTPClient(), credentials: StaticCredentials(nil), preparer: creator)
        let path = "hooked/app-\(UUID().uuidString.prefix(8).lowercased())"
        let repository = RegistryRepository(client: client, path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let bytes = Array("blob \(index)".utf8)
                    let upload = try await repository.beginUpload(expected: Descriptor(mediaType: "application/octet-stream",
                                                                                       digest: Digest.sha256(of: bytes), size: Int64(bytes.count)))
                    try await upload.write(bytes)
                    _ = try await upload.commit()
                }
            }
            try await group.waitForAll()
        }
        #expect(awsHTTP.requestCounts.snapshot["POST"] == 1)
        #expect(try moto.ecrRepositoryExists(path))
    }

    // MARK: Google registries

    @Test func googleRegistriesUseOAuth2AccessTokens() async throws {
        let google = try await GoogleSecretServer.started()
        let http = HTTPClient()
        let credentials = try GoogleCredentials.standard(environment: google.environment, http: http)
        let statuses = Locked<[CredentialStatus]>([])
        let provider = GoogleRegistryCredentials(google: { credentials }) { status in statuses.withLock { $0.append(status) } }
        for registry in ["gcr.io", "eu.gcr.io", "europe-west1-docker.pkg.dev"] {
            let found = try #require(try await provider.credentials(for: registry))
            #expect(found.username == "oauth2accesstoken")
            #expect(found.password.revealed.hasPrefix("ya29.test-"))
        }
        for registry in ["docker.io", "gcr.io.example.com", "pkg.dev"] {
            #expect(try await provider.credentials(for: registry) == nil)
        }
        #expect(try google.stats()["jwt_grants"] == 1)
        #expect(statuses.value.map(\.reference) == ["gcr.io", "eu.gcr.io", "europe-west1-docker.pkg.dev"])
        #expect(try await GoogleRegistryCredentials(google: { nil }).credentials(for: "gcr.io") == nil)
    }
}
