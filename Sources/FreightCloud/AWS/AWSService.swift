/// An AWS service spoken over the JSON protocol: how it is named, signed, found and addressed.
public struct AWSService: Sendable, Equatable {
    /// For messages: `Secrets Manager`.
    public let displayName: String
    /// The SigV4 credential scope's service.
    public let signingName: String
    /// The host label before the region: `secretsmanager.us-east-1.amazonaws.com`.
    public let endpointPrefix: String
    /// `X-Amz-Target: PREFIX.Operation`.
    public let targetPrefix: String
    /// The suffix of `AWS_ENDPOINT_URL_…` for this service (the SDKs' service id, upper snake case).
    public let environmentKey: String

    public static let secretsManager = AWSService(displayName: "Secrets Manager", signingName: "secretsmanager",
                                                  endpointPrefix: "secretsmanager", targetPrefix: "secretsmanager",
                                                  environmentKey: "SECRETS_MANAGER")
    public static let ecr = AWSService(displayName: "ECR", signingName: "ecr", endpointPrefix: "api.ecr",
                                       targetPrefix: "AmazonEC2ContainerRegistry_V20150921", environmentKey: "ECR")
}
