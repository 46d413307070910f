import CCurl
import Foundation

/// Which certificate authorities a request trusts and which client certificate it presents.
/// Unset fields keep libcurl's defaults (Debian's CA bundle, no client certificate).
public struct TLSSettings: Sendable, Hashable {
    /// A PEM bundle in memory that replaces the CA file (the system's CAs plus a registry's own).
    public var caBundle: [UInt8]?
    /// A PEM file of CAs (`SSL_CERT_FILE`, `CURL_CA_BUNDLE`).
    public var caFile: String?
    /// A directory of hashed CA certificates, as OpenSSL reads it (`SSL_CERT_DIR`).
    public var caDirectory: String?
    /// A PEM client certificate and its key, for registries that require mutual TLS.
    public var clientCertificate: String?
    public var clientKey: String?

    public init(caBundle: [UInt8]? = nil, caFile: String? = nil, caDirectory: String? = nil,
                clientCertificate: String? = nil, clientKey: String? = nil) {
        self.caBundle = caBundle
        self.caFile = caFile
        self.caDirectory = caDirectory
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    /// What OpenSSL's users expect to be honoured: `SSL_CERT_FILE` (else `CURL_CA_BUNDLE`)
    /// replaces the CA file, `SSL_CERT_DIR` adds a hashed directory.
    public init(environment: [String: String]) {
        let file = [environment["SSL_CERT_FILE"], environment["CURL_CA_BUNDLE"]].compactMap { $0 }.first { !$0.isEmpty }
        let directory = environment["SSL_CERT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(caFile: file, caDirectory: directory)
    }

    /// These settings where set, `base` where not.
    public func over(_ base: TLSSettings) -> TLSSettings {
        TLSSettings(caBundle: caBundle ?? base.caBundle, caFile: caFile ?? base.caFile, caDirectory: caDirectory ?? base.caDirectory,
                    clientCertificate: clientCertificate ?? base.clientCertificate, clientKey: clientKey ?? base.clientKey)
    }

    /// The CA file libcurl uses when none is set (Debian: /etc/ssl/certs/ca-certificates.crt).
    public static let builtInCAFile: String? = {
        guard let easy = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(easy) }
        var path: UnsafeMutablePointer<CChar>?
        guard fl_easy_getinfo_string(easy, CURLINFO_CAINFO, &path) == CURLE_OK, let path else { return nil }
        return String(cString: path)
    }()

    func apply(to easy: UnsafeMutableRawPointer) {
        if let caBundle {
            caBundle.withUnsafeBytes { buffer in
                _ = fl_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count)
            }
        } else if let caFile {
            fl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)
        }
        if let caDirectory { fl_easy_setopt_string(easy, CURLOPT_CAPATH, caDirectory) }
        if let clientCertificate { fl_easy_setopt_string(easy, CURLOPT_SSLCERT, clientCertificate) }
        if let clientKey { fl_easy_setopt_string(easy, CURLOPT_SSLKEY, clientKey) }
    }
}
