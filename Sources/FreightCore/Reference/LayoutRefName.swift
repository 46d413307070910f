/// The name of an image in an OCI image layout: its `org.opencontainers.image.ref.name`
/// annotation, in the grammar of the image-layout specification:
///
///     ref       ::= component ("/" component)*
///     component ::= alphanum (separator alphanum)*
///     alphanum  ::= [A-Za-z0-9]+
///     separator ::= [-._:@+] | "--"
///
/// So a plain tag (`1.0`) is a name, and so is a full reference as podman and buildah write
/// one (`localhost/app:1`); a registry tag starting with `_` or ending in `-` is not.
public enum LayoutRefName {
    /// Checks `name` against the grammar; `input` is what the error quotes.
    public static func validate(_ name: String, in input: String) throws {
        func fail(_ reason: String) -> ReferenceError {
            ReferenceError(value: input, reason: "\"\(name)\" is not a valid OCI layout image name: \(reason)")
        }
        guard !name.isEmpty else { throw fail("it is empty") }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last else { throw fail("it has an empty component") }
            guard isAlnum(first), isAlnum(last) else {
                throw fail("each '/'-separated part must start and end with a letter or digit")
            }
            var index = 0
            while index < bytes.count {
                if isAlnum(bytes[index]) { index += 1; continue }
                var end = index
                while end < bytes.count, !isAlnum(bytes[end]) { end += 1 }
                let run = bytes[index..<end]
                guard (run.count == 1 && isSeparator(run.first!)) || run.elementsEqual([0x2D, 0x2D]) else {
                    throw fail("\"\(String(decoding: run, as: UTF8.self))\" is not a separator (one of - . _ : @ + or --)")
                }
                index = end
            }
        }
    }

    public static func isValid(_ name: String) -> Bool {
        (try? validate(name, in: name)) != nil
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "+")].contains(byte)
    }
}
