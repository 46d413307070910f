import CCrypto

/// SHA-1, only to name files as the AWS CLI names them (`~/.aws/sso/cache/<sha1>.json`); never
/// for anything that must resist collisions.
enum SHA1 {
    static func hex(_ text: String) -> String {
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                let ok = EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha1(), nil)
                precondition(ok == 1 && length == 20, "OpenSSL SHA-1 failed; libcrypto is unusable")
            }
        }
        return out.map { byte in
            let digits = Array("0123456789abcdef")
            return "\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0f)])"
        }.joined()
    }
}
