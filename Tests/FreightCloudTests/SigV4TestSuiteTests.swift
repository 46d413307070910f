import Foundation
import FreightCloud
import FreightCore
import FreightHTTP
import Testing
import FreightTestSupport

/// AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30 edition, as
/// shipped with botocore and the AWS SDKs): each vector is a raw request and the Authorization
/// header AWS computes for it with the example credentials below.
@Suite(.budget(minutes: 1)) struct SigV4TestSuiteTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE",
                                            secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), source: "test suite")
    static let sessionToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    /// 20150830T123600Z
    static let date = Date(timeIntervalSince1970: 1_440_938_160)
    static let signer = SigV4Signer(service: "service", region: "us-east-1")

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let pathAndQuery: String
        var headers: [(String, String)] = []
        var body = ""
        let signedHeaders: String
        let signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", method: "GET", pathAndQuery: "/",
               signedHeaders: "host;x-amz-date", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "get-vanilla-empty-query-key", method: "GET", pathAndQuery: "/?Param1=value1",
               signedHeaders: "host;x-amz-date", signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
        Vector(name: "get-vanilla-query-order-key", method: "GET", pathAndQuery: "/?Param1=value2&Param1=Value1",
               signedHeaders: "host;x-amz-date", signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        Vector(name: "get-vanilla-query-order-key-case", method: "GET", pathAndQuery: "/?Param2=value2&Param1=value1",
               signedHeaders: "host;x-amz-date", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(name: "get-vanilla-query-order-value", method: "GET", pathAndQuery: "/?Param1=value2&Param1=value1",
               signedHeaders: "host;x-amz-date", signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Vector(name: "get-vanilla-query-unreserved", method: "GET",
               pathAndQuery: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               signedHeaders: "host;x-amz-date", signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector(name: "get-vanilla-utf8-query", method: "GET", pathAndQuery: "/?ሴ=bar",
               signedHeaders: "host;x-amz-date", signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(name: "get-unreserved", method: "GET", pathAndQuery: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               signedHeaders: "host;x-amz-date", signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(name: "get-header-key-duplicate", method: "GET", pathAndQuery: "/",
               headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
               signedHeaders: "host;my-header1;x-amz-date", signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Vector(name: "get-header-value-order", method: "GET", pathAndQuery: "/",
               headers: [("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")],
               signedHeaders: "host;my-header1;x-amz-date", signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
        Vector(name: "get-header-value-trim", method: "GET", pathAndQuery: "/",
               headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
               signedHeaders: "host;my-header1;my-header2;x-amz-date", signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(name: "post-vanilla", method: "POST", pathAndQuery: "/",
               signedHeaders: "host;x-amz-date", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(name: "post-vanilla-query", method: "POST", pathAndQuery: "/?Param1=value1",
               signedHeaders: "host;x-amz-date", signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(name: "post-header-key-sort", method: "POST", pathAndQuery: "/", headers: [("My-Header1", "value1")],
               signedHeaders: "host;my-header1;x-amz-date", signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(name: "post-header-value-case", method: "POST", pathAndQuery: "/", headers: [("My-Header1", "VALUE1")],
               signedHeaders: "host;my-header1;x-amz-date", signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
        Vector(name: "post-x-www-form-urlencoded", method: "POST", pathAndQuery: "/",
               headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1",
               signedHeaders: "content-type;host;x-amz-date", signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        Vector(name: "post-x-www-form-urlencoded-parameters", method: "POST", pathAndQuery: "/",
               headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8")], body: "Param1=value1",
               signedHeaders: "content-type;host;x-amz-date", signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
        Vector(name: "post-sts-header-before", method: "POST", pathAndQuery: "/", headers: [("X-Amz-Security-Token", sessionToken)],
               signedHeaders: "host;x-amz-date;x-amz-security-token", signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
    ]

    /// Builds the vector's request as the suite's `.req` file has it: Host, the extra headers,
    /// X-Amz-Date, in that order.
    static func signature(of vector: Vector) -> SigV4Signer.Signature {
        var headers: HTTPHeaders = ["Host": "example.amazonaws.com"]
        for (name, value) in vector.headers { headers.add(name, value) }
        headers.add("X-Amz-Date", "20150830T123600Z")
        let url = URLParts("https://example.amazonaws.com\(vector.pathAndQuery)")!
        return signer.signature(method: vector.method, url: url, headers: headers, body: Array(vector.body.utf8),
                                credentials: credentials, date: date)
    }

    @Test(arguments: vectors)
    func vectorSignatureMatchesAWS(_ vector: Vector) {
        let result = Self.signature(of: vector)
        #expect(result.signedHeaders == vector.signedHeaders)
        #expect(result.signature == vector.signature)
        #expect(result.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)")
    }

    /// The suite's `.creq` and `.sts` files for get-vanilla: every intermediate step, not just the end.
    @Test func getVanillaIntermediateSteps() {
        let result = Self.signature(of: Self.vectors[0])
        #expect(result.canonicalRequest == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(result.stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
    }

    @Test func utf8QueryIsPercentEncodedInTheCanonicalRequest() {
        let vector = Self.vectors.first { $0.name == "get-vanilla-utf8-query" }!
        #expect(Self.signature(of: vector).canonicalRequest.split(separator: "\n")[2] == "%E1%88%B4=bar")
    }

    /// `sign` adds Host, X-Amz-Date and the session token itself, and gives the suite's answer.
    @Test func signAddsHostDateAndSessionToken() throws {
        let temporary = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.credentials.secretAccessKey,
                                       sessionToken: Secret(Self.sessionToken), source: "test suite")
        var request = HTTPRequest(.post, "https://example.amazonaws.com/")
        try Self.signer.sign(&request, credentials: temporary, at: Self.date)
        #expect(request.headers["Host"] == "example.amazonaws.com")
        #expect(request.headers["X-Amz-Date"] == "20150830T123600Z")
        #expect(request.headers["X-Amz-Security-Token"] == Self.sessionToken)
        #expect(request.headers["Authorization"]?.hasSuffix("Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead") == true)
    }

    @Test func hostKeepsANonDefaultPortAndDropsADefaultOne() {
        #expect(URLParts("http://127.0.0.1:5000/")?.hostHeader == "127.0.0.1:5000")
        #expect(URLParts("https://Example.amazonaws.com:443/x?y=1")?.hostHeader == "example.amazonaws.com")
        #expect(URLParts("http://h:80")?.path == "/")
        #expect(URLParts("ftp://h/") == nil)
        #expect(URLParts("https://user@h/") == nil)
    }

    @Test func streamedBodiesAreRefused() {
        var request = HTTPRequest(.put, "https://example.amazonaws.com/", body: .stream(ByteChannel(), length: nil))
        #expect(throws: AWSConfigurationError.self) { try Self.signer.sign(&request, credentials: Self.credentials, at: Self.date) }
    }

    @Test func timestampIsUTC() {
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(SigV4Signer.timestamp(Self.date) == "20150830T123600Z")
    }
}
