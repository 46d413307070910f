import Foundation

/// The shared AWS files: `~/.aws/credentials` (sections `[NAME]`) and `~/.aws/config`
/// (sections `[profile NAME]`, and `[default]`), at the paths `AWS_SHARED_CREDENTIALS_FILE` and
/// `AWS_CONFIG_FILE` name when set. Missing files are simply empty.
public struct AWSSharedConfig: Sendable {
    public let credentialsPath: String
    public let configPath: String
    /// The profile in use: the explicit one, else `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
    public let profile: String
    /// Whether the profile was asked for (then it must exist) rather than defaulted.
    public let profileIsExplicit: Bool
    private let credentialsFile: [String: [String: String]]
    private let configFile: [String: [String: String]]
    /// `[sso-session NAME]` sections of the config file.
    private let ssoSessions: [String: [String: String]]
    let home: String

    public init(environment: [String: String], profile explicitProfile: String? = nil) throws {
        let home = environment["HOME"] ?? NSHomeDirectory()
        self.home = home
        credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.aws/credentials"
        configPath = environment["AWS_CONFIG_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.aws/config"
        let named = explicitProfile ?? environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"]
        profile = named.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        profileIsExplicit = named.map { !$0.isEmpty } ?? false
        credentialsFile = try Self.read(credentialsPath, isConfig: false)
        let config = try Self.read(configPath, isConfig: true, prefix: nil)
        configFile = config
        ssoSessions = try Self.read(configPath, isConfig: true, prefix: "sso-session ")
    }

    /// The profile's settings: the credentials file's entries win over the config file's.
    public var settings: [String: String]? { settings(of: profile) }

    /// The settings of any profile (a `source_profile`, say), merged as for `settings`.
    public func settings(of name: String) -> [String: String]? {
        let fromCredentials = credentialsFile[name], fromConfig = configFile[name]
        guard fromCredentials != nil || fromConfig != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentials in credentials }
    }

    /// A `[sso-session NAME]` section of the config file.
    public func ssoSession(_ name: String) -> [String: String]? { ssoSessions[name] }

    /// Parses the INI dialect the AWS CLI writes: `[section]`, `key = value`, `#`/`;` comments;
    /// indented lines (nested sub-sections such as `s3 =`) are skipped.
    /// With `prefix` (`sso-session `), only the config file's sections of that kind, by name.
    static func parse(_ text: String, isConfig: Bool, prefix: String? = nil) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                if let prefix {
                    guard name.hasPrefix(prefix) else {
                        current = nil
                        continue
                    }
                    name = String(name.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
                } else if isConfig {
                    if name.hasPrefix("profile ") {
                        name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                    } else if name != "default" {
                        current = nil  // [sso-session …], [services …]: not profiles
                        continue
                    }
                }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section]?[key] = value
        }
        return sections
    }

    private static func read(_ path: String, isConfig: Bool, prefix: String? = nil) throws -> [String: [String: String]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSCredentialsError("cannot read \(path): check its permissions")
        }
        return parse(String(decoding: data, as: UTF8.self), isConfig: isConfig, prefix: prefix)
    }
}
