import Foundation

/// A private certificate authority made with openssl for one test: a server certificate for
/// `registry.localhost` and 127.0.0.1 signed by it, and a client certificate for mutual TLS.
public final class TestCertificateAuthority: Sendable {
    private let directory = TemporaryDirectory("ca")

    /// The CA's certificate (PEM): what a client must trust.
    public var certificate: String { directory.file("ca.crt") }
    public var serverCertificate: String { directory.file("server.crt") }
    public var serverKey: String { directory.file("server.key") }
    public var clientCertificate: String { directory.file("client.crt") }
    public var clientKey: String { directory.file("client.key") }

    public init() throws {
        try Shell.check(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Freightliner Test CA",
                         "-keyout", directory.file("ca.key"), "-out", certificate])
        try issue("server", subject: "/CN=registry.localhost",
                  extensions: "subjectAltName=DNS:registry.localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try issue("client", subject: "/CN=freightliner-test-client", extensions: "extendedKeyUsage=clientAuth\n")
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        try extensions.write(toFile: directory.file("\(name).ext"), atomically: true, encoding: .utf8)
        try Shell.check(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                         "-keyout", directory.file("\(name).key"), "-out", directory.file("\(name).csr")])
        try Shell.check(["openssl", "x509", "-req", "-in", directory.file("\(name).csr"), "-CA", certificate, "-CAkey", directory.file("ca.key"),
                         "-CAcreateserial", "-days", "2", "-extfile", directory.file("\(name).ext"), "-out", directory.file("\(name).crt")])
    }

    /// A certificate directory as skopeo reads one: the CA as `ca.crt`, and with `client`, the
    /// client certificate as `client.cert` + `client.key`.
    public func certificateDirectory(at path: String, client: Bool) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        try manager.copyItem(atPath: certificate, toPath: "\(path)/ca.crt")
        if client {
            try manager.copyItem(atPath: clientCertificate, toPath: "\(path)/client.cert")
            try manager.copyItem(atPath: clientKey, toPath: "\(path)/client.key")
        }
    }
}
