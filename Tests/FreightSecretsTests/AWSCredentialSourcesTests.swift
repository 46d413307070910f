import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import FreightSecrets
import FreightTestSupport
import Testing

/// The AWS identities operators and pods really have: assumed roles (source_profile,
/// credential_source), web identity tokens, container credentials, credential_process and IAM
/// Identity Center. Each is used to read a Secrets Manager secret from a moto_server that checks
/// every signature (moto serves STS; the container and SSO endpoints are small servers written
/// to their contracts, handing out moto keys).
@Suite("AWS credential sources", .budget(minutes: 5))
struct AWSCredentialSourcesTests {
    let moto: MotoServer
    let http = HTTPClient()
    let home = TemporaryDirectory("aws-home")

    init() async throws { moto = try await MotoServer.started() }

    /// The environment of a user with `config` as `~/.aws/config` and nothing else: no keys in
    /// the environment, no instance metadata; AWS endpoints at moto.
    func environment(config: String? = nil, _ extra: [String: String] = [:]) throws -> [String: String] {
        if let config {
            try FileManager.default.createDirectory(atPath: home.file(".aws"), withIntermediateDirectories: true)
            try config.write(toFile: home.file(".aws/config"), atomically: true, encoding: .utf8)
        }
        return ["HOME": home.path, "AWS_REGION": moto.region, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_EC2_METADATA_DISABLED": "true"]
            .merging(extra) { $1 }
    }

    var userKeys: String { "aws_access_key_id = \(moto.accessKeyID)\naws_secret_access_key = \(moto.secretAccessKey)\n" }

    func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// Resolves credentials from `environment`, then stores and reads a secret with them.
    @discardableResult
    func readSecret(_ environment: [String: String]) async throws -> AWSCredentials {
        let credentials = try await AWSSession(environment: environment, http: http).credentials.credentials()
        let secrets = try SecretsProviders(http: http, settings: .init(environment: environment)).provider(for: "aws-sm")
        let reference = try SecretReference(parsing: "aws-sm://freightliner/\(unique("role"))")
        _ = try await secrets.put(reference, value: Secret("through-\(credentials.source)"))
        #expect(try await secrets.get(reference).value.revealed == "through-\(credentials.source)")
        return credentials
    }

    @Test("a profile with role_arn and source_profile assumes the role with STS, external_id and session name included")
    func assumeRoleFromSourceProfile() async throws {
        let role = try moto.createRole(unique("deployer"))
        let environment = try environment(config: """
            [profile base]
            \(userKeys)
            [profile deploy]
            role_arn = \(role)
            source_profile = base
            external_id = ext-4242
            role_session_name = freightliner-test
            """, ["AWS_PROFILE": "deploy"])
        let credentials = try await readSecret(environment)
        #expect(credentials.accessKeyID.hasPrefix("ASIA"), "temporary credentials of the role: \(credentials.accessKeyID)")
        #expect(credentials.source == "role \(role) (profile deploy)")
        #expect(credentials.expiration != nil)
    }

    @Test("credential_source = Environment takes the role's caller from the environment's keys")
    func assumeRoleFromEnvironment() async throws {
        let role = try moto.createRole(unique("env-role"))
        let environment = try environment(config: "[profile deploy]\nrole_arn = \(role)\ncredential_source = Environment\n",
                                          ["AWS_PROFILE": "deploy", "AWS_ACCESS_KEY_ID": moto.accessKeyID,
                                           "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey])
        // An explicit profile is used even though the environment has keys: they only call STS.
        let credentials = try await AWSSession(environment: environment, profile: "deploy", http: http).credentials.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA") && credentials.source.hasPrefix("role \(role)"))
    }

    @Test("an MFA role and profiles that source each other are refused with what to do")
    func refusedRoles() async throws {
        let environment = try environment(config: """
            [profile mfa]
            role_arn = arn:aws:iam::123456789012:role/admin
            source_profile = base
            mfa_serial = arn:aws:iam::123456789012:mfa/carol
            [profile base]
            \(userKeys)
            [profile a]
            role_arn = arn:aws:iam::123456789012:role/a
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::123456789012:role/b
            source_profile = a
            """)
        let mfa = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: environment, profile: "mfa", http: http).credentials.credentials()
        }
        #expect(mfa?.description.contains("MFA") == true && mfa?.description.contains("export-credentials --profile mfa") == true)
        let loop = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: environment, profile: "a", http: http).credentials.credentials()
        }
        #expect(loop?.description.contains("a -> b -> a") == true, "\(String(describing: loop))")
    }

    @Test("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (an EKS service account), and a profile's web_identity_token_file")
    func webIdentity() async throws {
        let role = try moto.createRole(unique("pod-role"))
        try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpmcmVpZ2h0bGluZXIifQ.c2ln"
            .write(toFile: home.file("token"), atomically: true, encoding: .utf8)
        let fromEnvironment = try await readSecret(try environment(["AWS_WEB_IDENTITY_TOKEN_FILE": home.file("token"),
                                                                    "AWS_ROLE_ARN": role, "AWS_ROLE_SESSION_NAME": "pod-1"]))
        #expect(fromEnvironment.accessKeyID.hasPrefix("ASIA") && fromEnvironment.source == "role \(role) (web identity)")

        let fromProfile = try await readSecret(try environment(config: """
            [profile pod]
            role_arn = \(role)
            web_identity_token_file = \(home.file("token"))
            """, ["AWS_PROFILE": "pod"]))
        #expect(fromProfile.accessKeyID.hasPrefix("ASIA"))

        let missing = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: try environment(["AWS_WEB_IDENTITY_TOKEN_FILE": home.file("no-token"), "AWS_ROLE_ARN": role]),
                                 http: http).credentials.credentials()
        }
        #expect(missing?.description.contains(home.file("no-token")) == true)
    }

    @Test("container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI with the token file as Authorization")
    func containerCredentials() async throws {
        let token = "pod-identity-token-\(UUID().uuidString)"
        let endpoint = try AWSCredentialEndpoint(kind: "container", token: token, keyID: moto.accessKeyID, secret: moto.secretAccessKey)
        try token.write(toFile: home.file("container-token"), atomically: true, encoding: .utf8)
        let credentials = try await readSecret(try environment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(endpoint.url)/v1/credentials",
                                                                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home.file("container-token")]))
        #expect(credentials.source == "container credentials" && credentials.expiration != nil)

        // The file is read at each refresh: a token rotated to a wrong one is refused.
        try "stale".write(toFile: home.file("container-token"), atomically: true, encoding: .utf8)
        let refused = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: try environment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(endpoint.url)/v1/credentials",
                                                               "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home.file("container-token")]),
                                 http: http).credentials.credentials()
        }
        #expect(refused?.description.contains("authorization token was refused") == true)
        #expect(try endpoint.stats()["refused"] == 1)

        let remote = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: try environment(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://credentials.example.com/creds"]),
                                 http: http).credentials.credentials()
        }
        #expect(remote?.description.contains("neither loopback nor the ECS/EKS address") == true)
    }

    @Test("credential_process: a program's JSON, refreshed before it expires; a failing program is named with its status")
    func credentialProcess() async throws {
        let script = home.file("get-credentials.sh")
        let expires = ISO8601DateFormatter().string(from: Date().addingTimeInterval(240))
        try """
            #!/bin/sh
            echo run >> \(home.file("runs"))
            printf '{"Version": 1, "AccessKeyId": "\(moto.accessKeyID)", "SecretAccessKey": "\(moto.secretAccessKey)", "Expiration": "%s"}' "$EXPIRES"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        try Shell.check(["chmod", "+x", script])
        let environment = try environment(config: "[profile tool]\ncredential_process = \(script)\n",
                                          ["AWS_PROFILE": "tool", "EXPIRES": expires])
        try await readSecret(environment)

        func runs() throws -> Int { try String(contentsOfFile: home.file("runs"), encoding: .utf8).split(separator: "\n").count }
        // Four minutes left is inside the five-minute margin: every call runs it again.
        let before = try runs()
        let session = try AWSSession(environment: environment, http: http)
        _ = try await session.credentials.credentials()
        _ = try await session.credentials.credentials()
        #expect(try runs() == before + 2, "credentials about to expire are fetched again")

        let settled = try runs()
        let later = try AWSSession(environment: environment.merging(["EXPIRES": ISO8601DateFormatter().string(from: Date().addingTimeInterval(7200))]) { $1 },
                                   http: http)
        _ = try await later.credentials.credentials()
        _ = try await later.credentials.credentials()
        #expect(try runs() == settled + 1, "cached while valid")

        try "#!/bin/sh\necho 'token expired, run login' >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        try Shell.check(["chmod", "+x", script])
        let failed = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: environment, http: http).credentials.credentials()
        }
        #expect(failed?.description == "credential_process of profile tool exited with status 3: token expired, run login")
    }

    @Test("IAM Identity Center: the token aws sso login cached gets the role's credentials; none or an expired one says to log in")
    func sso() async throws {
        let token = "sso-access-token-\(UUID().uuidString)"
        let portal = try AWSCredentialEndpoint(kind: "sso", token: token, keyID: moto.accessKeyID, secret: moto.secretAccessKey,
                                               account: "123456789012", role: "Replicator")
        let config = """
            [profile corp]
            sso_session = corp
            sso_account_id = 123456789012
            sso_role_name = Replicator
            region = us-east-1
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-west-1
            """
        let environment = try environment(config: config, ["AWS_PROFILE": "corp", "AWS_ENDPOINT_URL_SSO": portal.url])
        let missing = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: environment, http: http).credentials.credentials()
        }
        #expect(missing?.description.contains("run `aws sso login --profile corp`") == true, "\(String(describing: missing))")

        // The cache file is named by the SHA-1 of the session name, as the AWS CLI names it.
        let cache = home.file(".aws/sso/cache")
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let name = try Shell.check(["sh", "-c", "printf corp | sha1sum | cut -c1-40"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func cacheToken(expiring: Date) throws {
            let json = #"{"accessToken": "\#(token)", "expiresAt": "\#(ISO8601DateFormatter().string(from: expiring))", "region": "eu-west-1"}"#
            try json.write(toFile: "\(cache)/\(name).json", atomically: true, encoding: .utf8)
        }
        try cacheToken(expiring: Date().addingTimeInterval(-60))
        let expired = await #expect(throws: AWSCredentialsError.self) {
            try await AWSSession(environment: environment, http: http).credentials.credentials()
        }
        #expect(expired?.description.contains("expired") == true && expired?.description.contains("aws sso login --profile corp") == true)
        #expect(expired?.description.contains(token) == false)

        try cacheToken(expiring: Date().addingTimeInterval(3600))
        let credentials = try await readSecret(environment)
        #expect(credentials.source == "SSO profile corp")
        #expect(try portal.stats()["served"] == 2, "the secret's session and readSecret's own")
    }
}
