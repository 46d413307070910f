import Foundation
import FreightCore

/// A real `moto_server` (PyPI `moto[server]`) on a loopback port with SigV4 checking on: it is
/// started with `INITIAL_NO_AUTH_ACTION_COUNT=4`, and those four unauthenticated calls create an
/// IAM user with an allow-all policy and an access key (`Tests/Fixtures/moto_bootstrap.py`).
/// It runs through `Tests/Fixtures/moto_sts_server.py`, which lets STS's web identity call
/// through unsigned, as real STS serves it.
/// Every later request must be signed with that key; a wrong secret key gets 403
/// `SignatureDoesNotMatch`, an unknown key ID `InvalidClientTokenId`.
///
/// One server serves the whole test process (`shared`); tests keep apart by using unique names.
public final class MotoServer: Sendable {
    public let endpoint: String
    public let accessKeyID: String
    /// A test credential for this throwaway server only.
    public let secretAccessKey: String
    public let region = "us-east-1"
    /// moto's default account, which owns every ECR registry it serves.
    public let account = "123456789012"
    private let directory: TemporaryDirectory
    private let server: ServerProcess

    public static let shared: Result<MotoServer, any Error> = Result { try MotoServer() }

    /// The shared server, or a failure that says how to install moto.
    public static func start() throws -> MotoServer { try shared.get() }

    /// `start()` on a thread of its own: the first call waits seconds for moto, which must not
    /// hold one of the few threads that run the tests.
    public static func started() async throws -> MotoServer { try await runBlocking { try start() } }

    private init() throws {
        guard (try? Shell.run(["moto_server", "--help"]).status) == 0 else {
            throw ServerProcess.StartFailure(command: "moto_server", log: "not installed: run `make deps` (pip install 'moto[server]')")
        }
        directory = TemporaryDirectory("moto")
        server = try ServerProcess.start(logPath: directory.file("moto.log"), environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "4"]) { port in
            ["python3", "\(Paths.fixtures)/moto_sts_server.py", "-H", "127.0.0.1", "-p", "\(port)"]
        }
        endpoint = "http://127.0.0.1:\(server.port)"
        let output = try Shell.check(["python3", "\(Paths.fixtures)/moto_bootstrap.py", endpoint]).stdout
        struct Key: Decodable {
            var access_key_id: String
            var secret_access_key: String
        }
        let key = try JSONDecoder().decode(Key.self, from: Data(output.utf8))
        accessKeyID = key.access_key_id
        secretAccessKey = key.secret_access_key
    }

    /// An environment that points every AWS client at this server with the test identity, and
    /// shuts out anything else on the machine (shared files, instance metadata).
    public func environment(secretAccessKey override: String? = nil) -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": accessKeyID,
            "AWS_SECRET_ACCESS_KEY": override ?? secretAccessKey,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,  // the AWS CLI v1 reads only this one
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_SHARED_CREDENTIALS_FILE": directory.file("no-credentials"),
            "AWS_CONFIG_FILE": directory.file("no-config"),
        ]
    }

    /// Whether moto has an ECR repository of that name, asked with boto3 (botocore's own signer,
    /// independent of the code under test).
    public func ecrRepositoryExists(_ name: String) throws -> Bool {
        let script = """
            import sys, boto3
            ecr = boto3.client("ecr", endpoint_url=sys.argv[1])
            names = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
            print("yes" if sys.argv[2] in names else "no")
            """
        return try Shell.check(["python3", "-c", script, endpoint, name], environment: environment()).stdout == "yes\n"
    }

    /// Creates an IAM role anyone may assume, allowed everything, and returns its ARN; made with
    /// boto3 (botocore's signer, independent of the code under test).
    public func createRole(_ name: String) throws -> String {
        let script = """
            import json, sys, boto3
            iam = boto3.client("iam", endpoint_url=sys.argv[1])
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                     "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]}]}
            role = iam.create_role(RoleName=sys.argv[2], AssumeRolePolicyDocument=json.dumps(trust))["Role"]
            allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            iam.put_role_policy(RoleName=sys.argv[2], PolicyName="all", PolicyDocument=json.dumps(allow))
            print(role["Arn"])
            """
        return try Shell.check(["python3", "-c", script, endpoint, name], environment: environment()).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var log: String { (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? "" }
}

/// `Tests/Fixtures/aws_credential_endpoints.py`: the container credentials endpoint (ECS, EKS
/// Pod Identity) or IAM Identity Center's GetRoleCredentials, written to their contracts,
/// handing out the keys given (a moto identity, so their use is still signature-checked).
public final class AWSCredentialEndpoint: Sendable {
    public let url: String
    private let server: ServerProcess
    private let directory = TemporaryDirectory("aws-endpoint")

    public init(kind: String, token: String, keyID: String, secret: String, account: String? = nil, role: String? = nil) throws {
        server = try ServerProcess.start(logPath: directory.file("endpoint.log")) { port in
            var arguments = ["python3", "\(Paths.fixtures)/aws_credential_endpoints.py", kind, "--port", "\(port)", "--token", token,
                             "--key-id", keyID, "--secret", secret]
            if let account { arguments += ["--account", account] }
            if let role { arguments += ["--role", role] }
            return arguments
        }
        url = "http://127.0.0.1:\(server.port)"
    }

    /// `served` and `refused` requests so far.
    public func stats() throws -> [String: Int] {
        let output = try Shell.check(["curl", "-sf", "\(url)/_test/stats"]).stdout
        return try JSONDecoder().decode([String: Int].self, from: Data(output.utf8))
    }
}
