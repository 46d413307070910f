import FreightCore
import FreightSecrets
import Testing
import FreightTestSupport

@Suite(.budget(minutes: 1)) struct SecretReferenceTests {
    @Test(arguments: [
        "aws-sm://prod/registry",
        "aws-sm://prod/registry#password",
        "aws-sm://a+b=c.d@e-f_g/h?version-stage=AWSPREVIOUS",
        "aws-sm://x?version-id=0e9f6c1d-5a3b-4c1e-9d0f-2a7b8c9d0e1f#user",
        "gcp-sm://projects/acme-prod/secrets/registry_creds",
        "gcp-sm://projects/acme-prod/secrets/registry_creds/versions/3#password",
        "gcp-sm://projects/example.com:acme/secrets/s/versions/latest",
    ])
    func validReferencesRoundTrip(_ text: String) throws {
        #expect(try SecretReference(parsing: text).description == text)
    }

    @Test func partsAreParsed() throws {
        let aws = try SecretReference(parsing: "aws-sm://prod/registry?version-stage=AWSPREVIOUS#password")
        #expect(aws.location == .aws(name: "prod/registry", version: .stage("AWSPREVIOUS")))
        #expect(aws.field == "password")
        #expect(aws.scheme == "aws-sm")
        #expect(aws.withoutField.description == "aws-sm://prod/registry?version-stage=AWSPREVIOUS")
        let gcp = try SecretReference(parsing: "gcp-sm://projects/p1/secrets/s1/versions/7#f")
        #expect(gcp.location == .gcp(project: "p1", secret: "s1", version: "7"))
        #expect(gcp.field == "f")
    }

    /// Each bad reference is refused before anything is sent, with a message naming the bad part.
    @Test(arguments: [
        ("s3://bucket/key", "\"s3://bucket/key\" is not a secret reference"),
        ("aws-sm://", "the AWS secret name is empty"),
        ("aws-sm://has space", "the AWS secret name \"has space\" contains U+20"),
        ("aws-sm://semi;colon", "the AWS secret name \"semi;colon\" contains \";\""),
        ("aws-sm://" + String(repeating: "n", count: 513), "is 513 characters; the limit is 512"),
        ("aws-sm://x#", "ends in an empty #FIELD"),
        ("aws-sm://x?stage=AWSCURRENT", "expected ?version-stage=STAGE or ?version-id=ID"),
        ("aws-sm://x?version-stage=bad stage", "the AWS version stage \"bad stage\" contains U+20"),
        ("gcp-sm://projects/p/secrets/dotted.name", "the Google secret id \"dotted.name\" contains \".\""),
        ("gcp-sm://projects/p/secrets/" + String(repeating: "s", count: 256), "is 256 characters; the limit is 255"),
        ("gcp-sm://projects/Upper/secrets/s", "the Google project \"Upper\" contains \"U\""),
        ("gcp-sm://p/secrets/s", "is not gcp-sm://projects/PROJECT/secrets/NAME"),
        ("gcp-sm://projects/p/secrets/s/versions/first", "\"first\" is neither \"latest\" nor a version number"),
        ("gcp-sm://projects/p/secrets/s/versions/0", "\"0\" is neither"),
    ])
    func invalidReferencesAreNamed(_ text: String, _ expected: String) {
        let error = #expect(throws: SecretsError.self) { try SecretReference(parsing: text) }
        #expect(error?.kind == .invalidInput)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }

    @Test func nameLimitsAreInclusive() throws {
        let aws = String(repeating: "n", count: 512), gcp = String(repeating: "s", count: 255)
        #expect(try SecretReference(parsing: "aws-sm://" + aws).location == .aws(name: aws, version: nil))
        #expect(try SecretReference(parsing: "gcp-sm://projects/p/secrets/" + gcp).location == .gcp(project: "p", secret: gcp, version: nil))
    }

    @Test func prefixes() throws {
        #expect(try SecretPrefix(parsing: "aws-sm://").location == .aws(prefix: ""))
        #expect(try SecretPrefix(parsing: "aws-sm://team/").location == .aws(prefix: "team/"))
        #expect(try SecretPrefix(parsing: "gcp-sm://projects/p").location == .gcp(project: "p", prefix: ""))
        #expect(try SecretPrefix(parsing: "gcp-sm://projects/p/secrets/reg").location == .gcp(project: "p", prefix: "reg"))
        #expect(throws: SecretsError.self) { try SecretPrefix(parsing: "gcp-sm://projects/p/keys/x") }
        #expect(throws: SecretsError.self) { try SecretPrefix(parsing: "aws-sm://bad prefix") }
    }

    @Test func valuesMustBeNonEmptyAndAtMost64KiB() throws {
        #expect(throws: Never.self) { try SecretValidation.validateValue(Secret(String(repeating: "v", count: 65_536))) }
        let empty = #expect(throws: SecretsError.self) { try SecretValidation.validateValue(Secret("")) }
        #expect(empty?.description == "the secret value is empty: give a value of 1 to 65536 bytes")
        let big = #expect(throws: SecretsError.self) { try SecretValidation.validateValue(Secret(String(repeating: "v", count: 65_537))) }
        #expect(big?.description == "the secret value is 65537 bytes; the limit is 65536 bytes (64 KiB)")
    }
}

@Suite(.budget(minutes: 1)) struct SecretFieldTests {
    let reference = try! SecretReference(parsing: "aws-sm://prod/registry#password")

    @Test func extractsStringsNumbersAndBooleans() throws {
        let value = Secret(#"{"username":"robot","password":"s3cr3t-Ω","port":5000,"ratio":1.5,"tls":true}"#)
        #expect(try SecretField.extract("password", from: value, reference: reference).revealed == "s3cr3t-Ω")
        #expect(try SecretField.extract("port", from: value, reference: reference).revealed == "5000")
        #expect(try SecretField.extract("ratio", from: value, reference: reference).revealed == "1.5")
        #expect(try SecretField.extract("tls", from: value, reference: reference).revealed == "true")
    }

    @Test func aMissingFieldListsTheFieldsNotTheValues() {
        let value = Secret(#"{"username":"robot","token":"tok-123"}"#)
        let error = #expect(throws: SecretsError.self) { try SecretField.extract("password", from: value, reference: reference) }
        #expect(error?.kind == .field)
        #expect(error?.description == #"aws-sm://prod/registry#password: the secret's JSON has no field "password" (it has: "token", "username")"#)
        #expect(error?.description.contains("tok-123") == false)
    }

    @Test func aValueThatIsNotJSONIsSaidSo() {
        let error = #expect(throws: SecretsError.self) { try SecretField.extract("password", from: Secret("plain-hunter2"), reference: reference) }
        #expect(error?.description == "aws-sm://prod/registry#password: the secret's value is not JSON, so it has no field \"password\"; drop #password to use the whole value")
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func jsonThatIsNotAnObjectOrAFieldThatIsNotText() {
        let array = #expect(throws: SecretsError.self) { try SecretField.extract("password", from: Secret(#"["a","b"]"#), reference: reference) }
        #expect(array?.description.contains("is JSON but not an object") == true)
        let nested = #expect(throws: SecretsError.self) {
            try SecretField.extract("password", from: Secret(#"{"password":{"inner":"x"}}"#), reference: reference)
        }
        #expect(nested?.description.hasSuffix("field \"password\" is a JSON object, not a string") == true)
        let null = #expect(throws: SecretsError.self) { try SecretField.extract("password", from: Secret(#"{"password":null}"#), reference: reference) }
        #expect(null?.description.hasSuffix("is null, not a string") == true)
    }
}
