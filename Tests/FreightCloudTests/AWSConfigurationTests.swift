import Foundation
import FreightCloud
import FreightCore
import FreightTestSupport
import Testing

/// The AWS credential chain's file and environment sources, region and endpoint resolution.
@Suite(.budget(minutes: 6)) struct AWSConfigurationTests {
    let directory = TemporaryDirectory("aws-config")

    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { $1 }
    }

    func write(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory.file(".aws"), withIntermediateDirectories: true)
        let path = directory.file(".aws/\(name)")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func environmentKeysComeFirst() async throws {
        _ = try write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n")
        let chain = try AWSCredentialChain.standard(environment: environment([
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ]))
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "AKIAENV")
        #expect(credentials.secretAccessKey.revealed == "env-secret")
        #expect(credentials.sessionToken?.revealed == "env-token")
        #expect(credentials.source == "environment")
        #expect(!"\(credentials)".contains("env-secret") && !"\(credentials)".contains("env-token"))
    }

    @Test func halfAKeyPairIsAnError() async throws {
        let chain = try AWSCredentialChain.standard(environment: environment(["AWS_ACCESS_KEY_ID": "AKIAENV"]))
        let error = await #expect(throws: AWSCredentialsError.self) { try await chain.credentials() }
        #expect(error?.description.contains("AWS_SECRET_ACCESS_KEY is not") == true)
    }

    @Test func profileFromTheCredentialsFileAndTheConfigFile() async throws {
        _ = try write("credentials", """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default-secret

            [ci]
            aws_access_key_id=AKIACI
            aws_secret_access_key=ci-secret
            aws_session_token = ci-token
            """)
        _ = try write("config", """
            [default]
            region = eu-west-1
            [profile ops]
            region = ap-southeast-2
            aws_access_key_id = AKIAOPS
            aws_secret_access_key = ops-secret
            s3 =
              max_concurrent_requests = 10
            [sso-session corp]
            sso_region = us-east-1
            """)
        let byDefault = try await AWSCredentialChain.standard(environment: environment()).credentials()
        #expect(byDefault.accessKeyID == "AKIADEFAULT")
        #expect(byDefault.source == "profile default")

        let ci = try await AWSCredentialChain.standard(environment: environment(["AWS_PROFILE": "ci"])).credentials()
        #expect(ci.accessKeyID == "AKIACI" && ci.sessionToken?.revealed == "ci-token")

        let ops = try AWSSharedConfig(environment: environment(), profile: "ops")
        let opsCredentials = try await AWSCredentialChain.standard(environment: environment(), profile: "ops").credentials()
        #expect(opsCredentials.accessKeyID == "AKIAOPS")
        #expect(try AWSRegion.resolve(environment: environment(), config: ops) == "ap-southeast-2")
        #expect(try AWSRegion.resolve(environment: environment(), config: AWSSharedConfig(environment: environment())) == "eu-west-1")
    }

    @Test func anExplicitProfileWinsOverEnvironmentKeys() async throws {
        _ = try write("credentials", "[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = ci-secret\n")
        let env = environment(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"])
        let credentials = try await AWSCredentialChain.standard(environment: env, profile: "ci").credentials()
        #expect(credentials.accessKeyID == "AKIACI")
    }

    @Test func aMissingNamedProfileIsNamed() async throws {
        let chain = try AWSCredentialChain.standard(environment: environment(["AWS_PROFILE": "nosuch"]))
        let error = await #expect(throws: AWSCredentialsError.self) { try await chain.credentials() }
        #expect(error?.description.contains("\"nosuch\" is not in") == true)
    }

    @Test func aCredentialProcessThatCannotRunIsNamedWithItsStatus() async throws {
        _ = try write("config", "[profile proc]\ncredential_process = /usr/bin/no-such-get-creds\n")
        let chain = try AWSCredentialChain.standard(environment: environment(["AWS_PROFILE": "proc"]))
        let error = await #expect(throws: AWSCredentialsError.self) { try await chain.credentials() }
        #expect(error?.description.hasPrefix("credential_process of profile proc exited with status 127") == true,
                "\(String(describing: error))")
    }

    @Test func nothingConfiguredListsWhereItLooked() async throws {
        let chain = try AWSCredentialChain.standard(environment: environment())
        let error = await #expect(throws: AWSCredentialsNotFound.self) { try await chain.credentials() }
        #expect(error?.searched.count == 3)
        #expect(error?.description.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test func regionOrder() throws {
        let config = try AWSSharedConfig(environment: environment())
        #expect(try AWSRegion.resolve(explicit: "us-west-2", environment: ["AWS_REGION": "eu-west-1"], config: config) == "us-west-2")
        #expect(try AWSRegion.resolve(environment: ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"], config: config) == "eu-west-1")
        #expect(try AWSRegion.resolve(environment: ["AWS_DEFAULT_REGION": "eu-west-2"], config: config) == "eu-west-2")
        #expect(throws: AWSConfigurationError.self) { try AWSRegion.resolve(environment: [:], config: config) }
        let error = #expect(throws: AWSConfigurationError.self) { try AWSRegion.resolve(environment: ["AWS_REGION": "Mars 1"], config: config) }
        #expect(error?.description.contains("AWS_REGION \"Mars 1\"") == true)
    }

    @Test func endpointOrder() throws {
        let env = ["AWS_ENDPOINT_URL": "http://all:1/", "AWS_ENDPOINT_URL_ECR": "http://ecr:2"]
        #expect(try AWSEndpoint.resolve(.ecr, region: "us-east-1", explicit: "http://flag:3", environment: env)
                == AWSEndpoint(url: "http://flag:3", origin: "--endpoint-url"))
        #expect(try AWSEndpoint.resolve(.ecr, region: "us-east-1", environment: env) == AWSEndpoint(url: "http://ecr:2", origin: "AWS_ENDPOINT_URL_ECR"))
        #expect(try AWSEndpoint.resolve(.secretsManager, region: "us-east-1", environment: env) == AWSEndpoint(url: "http://all:1", origin: "AWS_ENDPOINT_URL"))
        #expect(try AWSEndpoint.resolve(.secretsManager, region: "eu-west-1", environment: [:]).url == "https://secretsmanager.eu-west-1.amazonaws.com")
        #expect(try AWSEndpoint.resolve(.ecr, region: "cn-north-1", environment: [:]).url == "https://api.ecr.cn-north-1.amazonaws.com.cn")
        let error = #expect(throws: AWSConfigurationError.self) {
            try AWSEndpoint.resolve(.secretsManager, region: "us-east-1", environment: ["AWS_ENDPOINT_URL_SECRETS_MANAGER": "localhost:4566"])
        }
        #expect(error?.description == "AWS_ENDPOINT_URL_SECRETS_MANAGER \"localhost:4566\" is not an http:// or https:// URL")
    }

    @Test func ecrHosts() {
        #expect(ECRHost(registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com") == ECRHost(registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com:443"))
        #expect(ECRHost(registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com")?.region == "eu-west-1")
        #expect(ECRHost(registry: "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com")?.account == "123456789012")
        #expect(ECRHost(registry: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")?.region == "cn-north-1")
        #expect(ECRHost(registry: "public.ecr.aws") == nil)
        #expect(ECRHost(registry: "12345.dkr.ecr.eu-west-1.amazonaws.com") == nil)
        #expect(ECRHost(registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example") == nil)
    }
}
