/// Where requests to a service go, and which setting chose it (for error messages).
public struct AWSEndpoint: Sendable, Equatable {
    public let url: String
    /// `--endpoint-url`, `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL`, or `default`.
    public let origin: String

    public init(url: String, origin: String) {
        self.url = url
        self.origin = origin
    }

    /// The explicit override, else `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the
    /// service's public endpoint in `region`.
    public static func resolve(_ service: AWSService, region: String, explicit: String? = nil,
                               environment: [String: String]) throws -> AWSEndpoint {
        let serviceVariable = "AWS_ENDPOINT_URL_\(service.environmentKey)"
        let candidates: [(String?, String)] = [(explicit, "--endpoint-url"), (environment[serviceVariable], serviceVariable),
                                               (environment["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL")]
        for case let (value?, origin) in candidates where !value.isEmpty {
            guard let parts = URLParts(value) else {
                throw AWSConfigurationError("\(origin) \"\(value)\" is not an http:// or https:// URL")
            }
            var url = value
            while url.hasSuffix("/"), url.count > parts.origin.count { url.removeLast() }
            return AWSEndpoint(url: url, origin: origin)
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return AWSEndpoint(url: "https://\(service.endpointPrefix).\(region).\(suffix)", origin: "default")
    }
}

/// Where the AWS region comes from.
public enum AWSRegion {
    /// The explicit region, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`.
    public static func resolve(explicit: String? = nil, environment: [String: String], config: AWSSharedConfig?) throws -> String {
        let candidates: [(String?, String)] = [
            (explicit, "--region"), (environment["AWS_REGION"], "AWS_REGION"), (environment["AWS_DEFAULT_REGION"], "AWS_DEFAULT_REGION"),
            (config?.settings?["region"], "region in \(config?.configPath ?? "~/.aws/config") (profile \(config?.profile ?? "default"))"),
        ]
        for case let (value?, origin) in candidates where !value.isEmpty {
            guard isValid(value) else {
                throw AWSConfigurationError("\(origin) \"\(value)\" is not an AWS region (e.g. us-east-1)")
            }
            return value
        }
        throw AWSConfigurationError("no AWS region: set AWS_REGION, or region in ~/.aws/config")
    }

    public static func isValid(_ region: String) -> Bool {
        !region.isEmpty && region.count <= 64 && region.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }
}

/// A setting that cannot work (a malformed endpoint, no region).
public struct AWSConfigurationError: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
