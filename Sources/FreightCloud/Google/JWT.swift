import Foundation

/// A compact JWS signed with RS256, as the OAuth2 JWT bearer flow (RFC 7523) needs.
public enum JWT {
    public static func signRS256(claims: [String: Any], keyID: String?, key: RSAPrivateKey) throws -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let encodedHeader = Base64URL.encode(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let encodedClaims = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signingInput = "\(encodedHeader).\(encodedClaims)"
        let signature = try key.signRS256(Array(signingInput.utf8))
        return "\(signingInput).\(Base64URL.encode(signature))"
    }
}
