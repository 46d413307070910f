import Foundation
import FreightHTTP

/// A registry's certificate directory, read as containers/image (skopeo, podman) and docker read
/// one: every `*.crt` is a CA trusted besides the system's, and `NAME.cert` with `NAME.key` is a
/// client certificate for registries that require mutual TLS.
///
/// Without an explicit directory (`--src-cert-dir`, `--dest-cert-dir`), the first that exists of
/// `~/.config/containers/certs.d/HOST[:PORT]`, `/etc/containers/certs.d/HOST[:PORT]` and
/// `/etc/docker/certs.d/HOST[:PORT]` is used.
public struct CertificateDirectory: Sendable, Equatable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The per-host directories looked at when none is given, in order.
    public static func defaultCandidates(host: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var bases: [String] = []
        if let home = environment["HOME"], !home.isEmpty { bases.append("\(home)/.config/containers/certs.d") }
        bases += ["/etc/containers/certs.d", "/etc/docker/certs.d"]
        return bases.map { "\($0)/\(host)" }
    }

    /// The directory for `host`: `explicit` when given, else the first default that exists.
    public static func find(host: String, explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> CertificateDirectory? {
        if let explicit { return CertificateDirectory(path: explicit) }
        let manager = FileManager.default
        return defaultCandidates(host: host, environment: environment).first { candidate in
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: candidate, isDirectory: &isDirectory) && isDirectory.boolValue
        }.map(CertificateDirectory.init)
    }

    /// The TLS settings this directory gives, over `base` (whose CA file, else libcurl's
    /// built-in one, stays trusted). Throws a `CertificateDirectoryError` naming the file at fault.
    public func settings(over base: TLSSettings) throws -> TLSSettings {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CertificateDirectoryError(path: path, reason: "does not exist") }
        guard isDirectory.boolValue else { throw CertificateDirectoryError(path: path, reason: "is not a directory") }
        let files: [String]
        do {
            files = try manager.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw CertificateDirectoryError(path: path, reason: "cannot be read (permissions?)")
        }
        var settings = TLSSettings()
        var authorities: [UInt8] = []
        for file in files where file.hasSuffix(".crt") {
            let bytes = try read("\(path)/\(file)")
            guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                throw CertificateDirectoryError(path: "\(path)/\(file)", reason: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            authorities += bytes + [UInt8(ascii: "\n")]
        }
        for file in files where file.hasSuffix(".key") {
            let name = String(file.dropLast(".key".count))
            guard files.contains("\(name).cert") else {
                throw CertificateDirectoryError(path: "\(path)/\(file)", reason: "is a client key without its certificate \(name).cert")
            }
        }
        if let certificate = files.first(where: { $0.hasSuffix(".cert") }) {
            let name = String(certificate.dropLast(".cert".count))
            guard files.contains("\(name).key") else {
                throw CertificateDirectoryError(path: "\(path)/\(certificate)", reason: "is a client certificate without its key \(name).key")
            }
            settings.clientCertificate = "\(path)/\(certificate)"
            settings.clientKey = "\(path)/\(name).key"
        }
        if !authorities.isEmpty {
            // The directory's CAs are trusted besides the usual ones, not instead of them.
            let system = (base.caFile ?? TLSSettings.builtInCAFile).flatMap { FileManager.default.contents(atPath: $0) }.map(Array.init) ?? []
            settings.caBundle = system + [UInt8(ascii: "\n")] + authorities
        }
        return settings
    }

    private func read(_ file: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CertificateDirectoryError(path: file, reason: "cannot be read")
        }
        return Array(data)
    }
}

/// A certificate directory or file in it that cannot be used; names the path.
public struct CertificateDirectoryError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "certificate directory: \(path) \(reason)" }
}
