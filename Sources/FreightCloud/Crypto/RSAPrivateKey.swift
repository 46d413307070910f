import CCrypto
import FreightCore

/// An RSA private key read from PEM (PKCS#8 or PKCS#1), used to sign RS256 JWTs.
///
/// The key lives only inside OpenSSL; nothing here can print it.
public final class RSAPrivateKey: @unchecked Sendable {
    // Immutable after init; OpenSSL allows concurrent signing with one EVP_PKEY.
    private let key: OpaquePointer

    /// Parses a PEM private key. Errors never quote the PEM text.
    public init(pem: Secret) throws {
        let bytes = Array(pem.revealed.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        ERR_clear_error()
        guard let parsed else { throw RSAKeyError(reason: "it is not a PEM private key") }
        guard EVP_PKEY_get_base_id(parsed) == NID_rsaEncryption else {
            EVP_PKEY_free(parsed)
            throw RSAKeyError(reason: "it is not an RSA key (RS256 needs one)")
        }
        key = parsed
    }

    deinit { EVP_PKEY_free(key) }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message` (the JWT "RS256" algorithm).
    public func signRS256(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw RSAKeyError(reason: "OpenSSL could not allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            throw RSAKeyError(reason: "OpenSSL refused to sign with it")
        }
        var length = 0
        let sized = message.withUnsafeBufferPointer { EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1 else {
            ERR_clear_error()
            throw RSAKeyError(reason: "OpenSSL could not size the signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBufferPointer { message in
            signature.withUnsafeMutableBufferPointer { EVP_DigestSign(context, $0.baseAddress, &length, message.baseAddress, message.count) }
        }
        guard signed == 1 else {
            ERR_clear_error()
            throw RSAKeyError(reason: "OpenSSL failed to sign")
        }
        return Array(signature.prefix(length))
    }
}

/// A private key that could not be used. Never contains key material.
public struct RSAKeyError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "the private key is unusable: \(reason)" }
}
