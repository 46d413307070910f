/// A private ECR registry host, `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]`.
public struct ECRHost: Sendable, Equatable {
    public let account: String
    public let region: String

    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }

    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com`
    public var registry: String { "\(account).dkr.ecr.\(region).amazonaws.com\(region.hasPrefix("cn-") ? ".cn" : "")" }

    /// Parses a registry (`HOST[:PORT]`); nil for anything that is not a private ECR host.
    public init?(registry: String) {
        let host = registry.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        var labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if labels.last == "cn" { labels.removeLast() }
        guard labels.count == 6, labels[4] == "amazonaws", labels[5] == "com", labels[1] == "dkr",
              labels[2] == "ecr" || labels[2] == "ecr-fips",
              labels[0].count == 12, labels[0].allSatisfy(\.isNumber), AWSRegion.isValid(labels[3])
        else { return nil }
        account = labels[0]
        region = labels[3]
    }
}
