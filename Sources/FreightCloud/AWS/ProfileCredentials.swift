import FreightCore

/// Static keys of a profile in the shared credentials or config file.
public struct ProfileCredentials: AWSCredentialsSource {
    public let config: AWSSharedConfig

    public init(config: AWSSharedConfig) { self.config = config }

    public var name: String { "profile \(config.profile) (\(config.credentialsPath), \(config.configPath))" }

    public func resolve() async throws -> AWSCredentials? {
        guard let settings = config.settings else {
            if config.profileIsExplicit {
                throw AWSCredentialsError("AWS profile \"\(config.profile)\" is not in \(config.credentialsPath) or \(config.configPath)")
            }
            return nil
        }
        let source = "profile \(config.profile)"
        if let keyID = settings["aws_access_key_id"], !keyID.isEmpty {
            guard let secret = settings["aws_secret_access_key"], !secret.isEmpty else {
                throw AWSCredentialsError("\(source) has aws_access_key_id but no aws_secret_access_key")
            }
            let token = settings["aws_session_token"].flatMap { $0.isEmpty ? nil : Secret($0) }
            return AWSCredentials(accessKeyID: keyID, secretAccessKey: Secret(secret), sessionToken: token, source: source)
        }
        // Profiles that delegate to another mechanism: say so rather than fall through silently.
        for (key, mechanism) in [("role_arn", "assume-role"), ("credential_process", "credential_process"),
                                 ("sso_start_url", "IAM Identity Center (SSO)"), ("sso_session", "IAM Identity Center (SSO)"),
                                 ("web_identity_token_file", "web identity")] where settings[key] != nil {
            throw AWSCredentialsError("\(source) uses \(mechanism) (\(key)), which freightliner does not support: export "
                                      + "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (e.g. from `aws configure export-credentials`)")
        }
        return nil
    }
}
