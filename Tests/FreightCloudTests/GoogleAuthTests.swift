import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightTestSupport
import Testing

/// RS256 signing, the OAuth2 JWT bearer flow, the metadata server and token caching, through
/// the spec-faithful Google server (no emulator exists here).
@Suite(.budget(minutes: 6)) struct GoogleAuthTests {
    let google: GoogleSecretServer
    let http = HTTPClient()

    init() async throws { google = try await GoogleSecretServer.started() }

    /// openssl checks our RS256 signature with the key's public half: independent of our code.
    @Test func rs256SignaturesVerifyWithOpenSSL() throws {
        let directory = TemporaryDirectory()
        try Shell.check(["openssl", "genrsa", "-out", directory.file("key.pem"), "2048"])
        try Shell.check(["openssl", "rsa", "-in", directory.file("key.pem"), "-pubout", "-out", directory.file("public.pem")])
        let key = try RSAPrivateKey(pem: Secret(try String(contentsOfFile: directory.file("key.pem"), encoding: .utf8)))
        let message = Array("header.claims".utf8)
        try Data(message).write(to: URL(fileURLWithPath: directory.file("message")))
        try Data(try key.signRS256(message)).write(to: URL(fileURLWithPath: directory.file("signature")))
        let verified = try Shell.run(["openssl", "dgst", "-sha256", "-verify", directory.file("public.pem"), "-signature",
                                      directory.file("signature"), directory.file("message")])
        #expect(verified.stdout.contains("Verified OK"))
        try Data("header.claimz".utf8).write(to: URL(fileURLWithPath: directory.file("message")))
        let tampered = try Shell.run(["openssl", "dgst", "-sha256", "-verify", directory.file("public.pem"), "-signature",
                                      directory.file("signature"), directory.file("message")])
        #expect(tampered.status != 0)
    }

    @Test func aKeyThatIsNotPEMIsRefusedWithoutQuotingIt() {
        let error = #expect(throws: RSAKeyError.self) { try RSAPrivateKey(pem: Secret("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")) }
        #expect(error?.description == "the private key is unusable: it is not a PEM private key")
    }

    @Test func serviceAccountTokenIsExchangedAndCached() async throws {
        let credentials = try GoogleCredentials.standard(environment: google.environment, http: http)
        let first = try await credentials.accessToken()
        let second = try await credentials.accessToken()
        #expect(first.token == second.token)
        #expect(first.token.revealed.hasPrefix("ya29.test-"))
        #expect(first.source == "service account \(google.clientEmail)")
        #expect(first.expires > Date().addingTimeInterval(3000))
        #expect(try google.stats()["jwt_grants"] == 1)
    }

    /// A token is fetched again a minute before it expires, not at every call: the cache's
    /// clock moves forward, no sleeping. (The assertion keeps the real time: Google, and the
    /// test server, refuse assertions dated in the future.)
    @Test func tokensAreRefreshedShortlyBeforeExpiry() async throws {
        let now = Locked(Date())
        let source = try ServiceAccountTokenSource(key: try GoogleServiceAccountKey.read(google.keyFile), http: http)
        let credentials = GoogleCredentials(source: source, clock: WallClock { now.value })
        let first = try await credentials.accessToken()
        // Relative to the token's own expiry (the real time it was issued, however long that took).
        now.withLock { $0 = first.expires.addingTimeInterval(-120) }
        #expect(try await credentials.accessToken().token == first.token)
        now.withLock { $0 = first.expires.addingTimeInterval(-30) }
        #expect(try await credentials.accessToken().token != first.token)
        #expect(try google.stats()["jwt_grants"] == 2)
    }

    @Test func aKeyTheServerDoesNotKnowIsRefused() async throws {
        let directory = TemporaryDirectory()
        try Shell.check(["openssl", "genrsa", "-out", directory.file("other.pem"), "2048"])
        try google.writeKeyFile(directory.file("sa.json"), pem: try String(contentsOfFile: directory.file("other.pem"), encoding: .utf8))
        let credentials = try GoogleCredentials.standard(environment: ["GOOGLE_APPLICATION_CREDENTIALS": directory.file("sa.json")], http: http)
        let error = await #expect(throws: GoogleAuthError.self) { try await credentials.accessToken() }
        #expect(error?.description == "the token endpoint \(google.url)/token refused service account \(google.clientEmail) (HTTP 400): "
                + "invalid_grant: Invalid JWT Signature.")
    }

    /// An assertion whose exp is already past (a badly wrong clock) is refused, and the message
    /// carries Google's explanation.
    @Test func anExpiredAssertionIsRefused() async throws {
        let key = try GoogleServiceAccountKey.read(google.keyFile)
        let source = try ServiceAccountTokenSource(key: key, http: http, clock: WallClock { Date().addingTimeInterval(-7200) })
        let error = await #expect(throws: GoogleAuthError.self) { try await source.fetchToken() }
        #expect(error?.description.contains("Check your iat and exp values") == true)
    }

    @Test func metadataServerToken() async throws {
        let credentials = try GoogleCredentials.standard(environment: ["GCE_METADATA_HOST": google.host], http: http)
        let token = try await credentials.accessToken()
        #expect(token.source == "the GCE metadata server")
        #expect(try google.stats()["metadata_grants"] == 1)
    }

    @Test func aMetadataHostThatIsNotGoogleIsNamed() async throws {
        let moto = try await MotoServer.started()
        let host = String(moto.endpoint.dropFirst("http://".count))
        let source = MetadataServerTokenSource(host: host, http: http)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.fetchToken() }
        #expect(error?.description == "\(host) is not a GCE metadata server (its answer lacks Metadata-Flavor: Google)")
    }

    @Test func environmentTokenComesFirst() async throws {
        let environment = google.environment.merging(["GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.from-gcloud"]) { $1 }
        let token = try await GoogleCredentials.standard(environment: environment, http: http).accessToken()
        #expect(token.token.revealed == "ya29.from-gcloud")
        #expect(token.source == "GOOGLE_OAUTH_ACCESS_TOKEN")
    }

    @Test func missingOrWrongCredentialFilesAreNamed() throws {
        let directory = TemporaryDirectory()
        let missing = directory.file("nope.json")
        let error = #expect(throws: GoogleAuthError.self) {
            try GoogleCredentials.standard(environment: ["GOOGLE_APPLICATION_CREDENTIALS": missing], http: http)
        }
        #expect(error?.description.contains(missing) == true)

        try #"{"type": "authorized_user", "refresh_token": "1//very-secret"}"#.write(toFile: directory.file("user.json"), atomically: true, encoding: .utf8)
        let userError = #expect(throws: GoogleAuthError.self) {
            try GoogleCredentials.standard(environment: ["GOOGLE_APPLICATION_CREDENTIALS": directory.file("user.json")], http: http)
        }
        #expect(userError?.description.contains("authorized_user") == true)
        #expect(userError?.description.contains("very-secret") == false)

        // (Not a GCE machine, whatever this one is: no product name file.)
        let nowhere = directory.file("no-product-name")
        #expect(!GoogleCredentials.isConfigured([:], productNamePath: nowhere))
        #expect(throws: GoogleAuthError.self) { try GoogleCredentials.standard(environment: [:], http: http, productNamePath: nowhere) }
    }

    /// On GCE the metadata server is found without GCE_METADATA_HOST, from the firmware's
    /// product name (no network probe); anywhere else nothing is assumed.
    @Test func aGCEMachineIsRecognisedByItsProductName() throws {
        let directory = TemporaryDirectory()
        let gce = directory.file("gce"), other = directory.file("other")
        try "Google Compute Engine\n".write(toFile: gce, atomically: true, encoding: .utf8)
        try "Standard PC (Q35 + ICH9, 2009)\n".write(toFile: other, atomically: true, encoding: .utf8)
        #expect(GoogleCredentials.metadataHost([:], productNamePath: gce) == "metadata.google.internal")
        #expect(GoogleCredentials.isConfigured([:], productNamePath: gce))
        #expect(GoogleCredentials.metadataHost(["GCE_METADATA_HOST": "127.0.0.1:9"], productNamePath: gce) == "127.0.0.1:9")
        #expect(GoogleCredentials.metadataHost([:], productNamePath: other) == nil)
        #expect(!GoogleCredentials.isConfigured([:], productNamePath: other))
        let source = try GoogleCredentials.standard(environment: [:], http: HTTPClient(), productNamePath: gce).source
        #expect(source is MetadataServerTokenSource)
    }
}
