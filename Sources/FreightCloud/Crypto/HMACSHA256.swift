import CCrypto

/// HMAC-SHA256 through OpenSSL's one-shot `HMAC()` (the `HMAC_CTX` API is deprecated in 3.0).
public enum HMACSHA256 {
    public static func authenticate(_ data: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBytes { key in
            data.withUnsafeBufferPointer { data in
                out.withUnsafeMutableBufferPointer { out in
                    // A key longer than Int32.max bytes cannot occur: keys here are derived or short secrets.
                    let result = HMAC(EVP_sha256(), key.baseAddress, Int32(key.count), data.baseAddress, data.count,
                                      out.baseAddress, &length)
                    precondition(result != nil && length == 32, "OpenSSL HMAC-SHA256 failed; libcrypto is unusable")
                }
            }
        }
        return out
    }

    public static func authenticate(_ text: String, key: [UInt8]) -> [UInt8] {
        authenticate(Array(text.utf8), key: key)
    }
}
