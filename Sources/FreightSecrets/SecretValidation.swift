import FreightCore

/// The rules both services enforce, checked before any request so that a typo costs no round
/// trip and the message can say exactly what is wrong.
public enum SecretValidation {
    /// AWS Secrets Manager and Google Secret Manager both cap a value at 64 KiB.
    public static let maxValueBytes = 65_536

    private static let awsNameExtras = Set("/_+=.@-".utf8)
    private static let googleIDExtras = Set("_-".utf8)

    /// AWS secret names: 1-512 characters of `A-Za-z0-9/_+=.@-`.
    public static func validateAWSName(_ name: String) throws {
        try validate(name, what: "AWS secret name", maxLength: 512, allowed: "A-Za-z0-9/_+=.@-", extras: awsNameExtras)
    }

    /// Google secret ids: 1-255 characters of `A-Za-z0-9_-`.
    public static func validateGoogleSecretID(_ id: String) throws {
        try validate(id, what: "Google secret id", maxLength: 255, allowed: "A-Za-z0-9_-", extras: googleIDExtras)
    }

    /// Google project ids (`my-project-123`), numbers, and domain-scoped ids (`example.com:proj`).
    public static func validateGoogleProject(_ project: String) throws {
        try validate(project, what: "Google project", maxLength: 100, allowed: "a-z0-9.:-", extras: Set(".:-".utf8), upper: false)
    }

    /// Google versions: `latest` or a positive number.
    public static func validateGoogleVersion(_ version: String) throws {
        guard version == "latest" || (!version.isEmpty && version.count <= 20 && version.allSatisfy(\.isASCII)
                                       && version.allSatisfy(\.isNumber) && version != "0") else {
            throw SecretsError(.invalidInput, "the Google secret version \"\(version)\" is neither \"latest\" nor a version number")
        }
    }

    /// AWS version stages (`AWSCURRENT`) and version ids (UUIDs): 1-256 of `A-Za-z0-9_-`.
    public static func validateAWSVersion(_ version: String, what: String) throws {
        try validate(version, what: what, maxLength: 256, allowed: "A-Za-z0-9_-", extras: googleIDExtras)
    }

    /// Values: not empty, at most 64 KiB of UTF-8. The message never repeats the value.
    public static func validateValue(_ value: Secret) throws {
        let size = value.revealed.utf8.count
        guard size > 0 else { throw SecretsError(.invalidInput, "the secret value is empty: give a value of 1 to \(maxValueBytes) bytes") }
        guard size <= maxValueBytes else {
            throw SecretsError(.invalidInput, "the secret value is \(size) bytes; the limit is \(maxValueBytes) bytes (64 KiB)")
        }
    }

    private static func validate(_ text: String, what: String, maxLength: Int, allowed: String, extras: Set<UInt8>,
                                 upper: Bool = true) throws {
        guard !text.isEmpty else { throw SecretsError(.invalidInput, "the \(what) is empty: it needs 1-\(maxLength) characters") }
        let length = text.unicodeScalars.count
        guard length <= maxLength else {
            throw SecretsError(.invalidInput, "the \(what) \"\(text.prefix(40))…\" is \(length) characters; the limit is \(maxLength)")
        }
        for scalar in text.unicodeScalars {
            let ok: Bool
            if scalar.isASCII {
                let byte = UInt8(scalar.value)
                ok = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || (upper && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)) || extras.contains(byte)
            } else {
                ok = false
            }
            guard ok else {
                let shown = scalar.properties.isWhitespace || scalar.value < 0x20 ? "U+\(String(scalar.value, radix: 16, uppercase: true))"
                    : "\"\(Character(scalar))\""
                throw SecretsError(.invalidInput, "the \(what) \"\(text)\" contains \(shown); allowed: \(allowed)")
            }
        }
    }
}
