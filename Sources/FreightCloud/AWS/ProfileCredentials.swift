import Foundation
import FreightCore
import FreightHTTP

/// The credentials a profile of the shared files describes, in the forms the AWS CLI accepts:
/// an assumed role (`role_arn` with `source_profile`, `credential_source` or
/// `web_identity_token_file`; `external_id`, `role_session_name`, `duration_seconds`), IAM
/// Identity Center (`sso_session` or `sso_start_url`), `credential_process`, or static keys.
/// A role that needs an MFA code (`mfa_serial`) is refused: nothing here can ask for one.
public struct ProfileCredentials: AWSCredentialsSource {
    public let config: AWSSharedConfig
    private let environment: [String: String]
    private let http: HTTPClient?
    private let metadataHTTP: HTTPClient?

    public init(config: AWSSharedConfig, environment: [String: String] = [:], http: HTTPClient? = nil, metadataHTTP: HTTPClient? = nil) {
        self.config = config
        self.environment = environment
        self.http = http
        self.metadataHTTP = metadataHTTP
    }

    public var name: String { "profile \(config.profile) (\(config.credentialsPath), \(config.configPath))" }

    public func resolve() async throws -> AWSCredentials? {
        guard config.settings != nil else {
            if config.profileIsExplicit {
                throw AWSCredentialsError("AWS profile \"\(config.profile)\" is not in \(config.credentialsPath) or \(config.configPath)")
            }
            return nil
        }
        return try await resolve(profile: config.profile, chain: [])
    }

    /// `profile`'s credentials; `chain` holds the profiles whose source it is, to catch loops.
    private func resolve(profile name: String, chain: [String]) async throws -> AWSCredentials? {
        let source = "profile \(name)"
        guard let settings = config.settings(of: name) else {
            throw AWSCredentialsError("AWS profile \"\(name)\" (source_profile of \(chain.last ?? "?")) is not in "
                                      + "\(config.credentialsPath) or \(config.configPath)")
        }
        if let role = value("role_arn", settings) {
            if let serial = value("mfa_serial", settings) {
                throw AWSCredentialsError("\(source) assumes \(role) with an MFA device (mfa_serial \(serial)), and freightliner cannot "
                                          + "ask for a code: export temporary keys (e.g. from `aws configure export-credentials --profile \(name)`)")
            }
            let caller: AWSCredentials
            if let sourceProfile = value("source_profile", settings) {
                if sourceProfile == name {
                    // A profile that is its own source uses its own keys (as the AWS CLI does).
                    guard let keys = try staticKeys(settings, source: source) else {
                        throw AWSCredentialsError("\(source) is its own source_profile but has no aws_access_key_id")
                    }
                    caller = keys
                } else {
                    guard !chain.contains(sourceProfile) else {
                        throw AWSCredentialsError("AWS profiles \((chain + [name, sourceProfile]).joined(separator: " -> ")) name each other as source_profile")
                    }
                    guard let found = try await resolve(profile: sourceProfile, chain: chain + [name]) else {
                        throw AWSCredentialsError("\(source) takes its credentials from profile \(sourceProfile), which has none")
                    }
                    caller = found
                }
            } else if let credentialSource = value("credential_source", settings) {
                caller = try await fromCredentialSource(credentialSource, profile: name)
            } else if let tokenFile = value("web_identity_token_file", settings) {
                return try await WebIdentityCredentials(tokenFile: tokenFile, roleARN: role, sessionName: value("role_session_name", settings),
                                                        origin: "web_identity_token_file of \(source)", sts: { try sts() }).resolve()
            } else {
                throw AWSCredentialsError("\(source) has role_arn but no source_profile, credential_source or web_identity_token_file")
            }
            var duration: Int?
            if let text = value("duration_seconds", settings) {
                guard let seconds = Int(text), (900...43_200).contains(seconds) else {
                    throw AWSCredentialsError("\(source) has duration_seconds \"\(text)\": expected 900-43200")
                }
                duration = seconds
            }
            return try await sts().assumeRole(role, sessionName: value("role_session_name", settings) ?? AssumedRole.defaultSessionName(),
                                              externalID: value("external_id", settings), durationSeconds: duration, caller: caller,
                                              source: "role \(role) (\(source))")
        }
        if value("web_identity_token_file", settings) != nil {
            throw AWSCredentialsError("\(source) has web_identity_token_file but no role_arn")
        }
        if value("sso_session", settings) != nil || value("sso_start_url", settings) != nil {
            return try await SSOCredentials(profile: name, settings: settings, config: config, environment: environment,
                                            http: try client()).resolve()
        }
        if let command = value("credential_process", settings) {
            return try await ProcessCredentials(command: command, profile: name, environment: environment).resolve()
        }
        return try staticKeys(settings, source: source)
    }

    private func staticKeys(_ settings: [String: String], source: String) throws -> AWSCredentials? {
        guard let keyID = value("aws_access_key_id", settings) else { return nil }
        guard let secret = value("aws_secret_access_key", settings) else {
            throw AWSCredentialsError("\(source) has aws_access_key_id but no aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: Secret(secret), sessionToken: value("aws_session_token", settings).map(Secret.init),
                              source: source)
    }

    /// `credential_source`: where a role's caller credentials come from when no profile holds them.
    private func fromCredentialSource(_ name: String, profile: String) async throws -> AWSCredentials {
        let source: any AWSCredentialsSource
        switch name {
        case "Environment": source = EnvironmentCredentials(environment: environment)
        case "Ec2InstanceMetadata": source = InstanceMetadataCredentials(environment: environment, http: metadataHTTP)
        case "EcsContainer": source = ContainerCredentials(environment: environment, http: try client())
        default:
            throw AWSCredentialsError("profile \(profile) has credential_source \"\(name)\": expected Environment, Ec2InstanceMetadata or EcsContainer")
        }
        guard let found = try await source.resolve() else {
            throw AWSCredentialsError("profile \(profile) takes its credentials from \(name) (credential_source), which has none")
        }
        return found
    }

    private func sts() throws -> STSClient {
        try STSClient(environment: environment, region: try? AWSRegion.resolve(environment: environment, config: config), http: try client())
    }

    private func client() throws -> HTTPClient {
        guard let http else { throw AWSCredentialsError("profile \(config.profile) needs network access to resolve its credentials") }
        return http
    }

    private func value(_ key: String, _ settings: [String: String]) -> String? {
        settings[key].flatMap { $0.isEmpty ? nil : $0 }
    }
}
