// A libFuzzer harness over every parser of outside input that the package exposes. Built and
// run by `make fuzz` (not part of the package: it needs -sanitize=fuzzer, whose libFuzzer
// supplies main; the modules it links are built with coverage instrumentation into
// .build-fuzz). The first byte of an input picks the parser; the rest is its text. A crash, a
// hang, or a broken property (an error that does not name its input, a round trip that does
// not hold) stops the fuzzer with the input saved in .build-fuzz/crash-*. Seeds: Fuzz/seeds.
import Foundation
import FreightCore
import FreightEngine
import FreightHTTP
import FreightRegistry
import FreightTUI

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("property violated: \(message())\n".utf8))
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let selector = start[0]
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch selector % 12 {
    case 0:
        do {
            let reference = try ImageReference(parsing: text)
            check((try? ImageReference(parsing: reference.description)) == reference, "reference round trip: \(text)")
        } catch let error as ReferenceError {
            check(error.value == text, "reference error names its input")
        } catch { check(false, "reference: unexpected \(error)") }
    case 1:
        do {
            let location = try ImageLocation(parsing: text)
            check((try? ImageLocation(parsing: location.description)) == location, "location round trip: \(text)")
        } catch let error as ReferenceError {
            check(error.value == text, "location error names its input")
        } catch { check(false, "location: unexpected \(error)") }
    case 2:
        do {
            let prefix = try RegistryPrefix(parsing: text)
            check((try? RegistryPrefix(parsing: prefix.description)) == prefix, "prefix round trip: \(text)")
        } catch let error as ReferenceError {
            check(error.value == text, "prefix error names its input")
        } catch { check(false, "prefix: unexpected \(error)") }
    case 3:
        do {
            let document = try ManifestDocument(bytes: bytes, contentType: nil, source: "fuzz")
            check(document.digest == Digest.sha256(of: bytes), "manifest digest")
        } catch let error as ManifestError {
            check(error.source == "fuzz", "manifest error names its source")
        } catch { check(false, "manifest: unexpected \(error)") }
    case 4:
        let error = RegistryError(status: 500, headers: ["Retry-After": text], body: bytes, operation: "fuzz-op")
        // Scalars, not Characters: a message may open with a combining mark that joins the space.
        check(error.description.unicodeScalars.starts(with: "fuzz-op: ".unicodeScalars), "registry error names the operation")
        check(!error.description.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
              "registry error shows a control character")
        if let delay = error.retryAfter { check(delay.isFinite && delay >= 0, "Retry-After \(delay)") }
    case 5:
        if let challenge = AuthChallenge.parse(text) {
            check(challenge.parameters.keys.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() }, "challenge parameter names")
        }
    case 6:
        if let next = LinkHeader.next(text) { check(!next.isEmpty && !next.contains(">"), "link target: \(next)") }
    case 7:
        do {
            _ = try DockerConfigFile.parse(bytes)
        } catch let error as CredentialsError {
            check(!error.reason.isEmpty, "config error")
        } catch { check(false, "docker config: unexpected \(error)") }
    case 8:
        do {
            let record = try CheckpointFile.decode(bytes, path: "/fuzz/checkpoint")
            check((try? CheckpointFile.decode(try CheckpointFile.encode(record), path: "p")) == record, "checkpoint round trip")
        } catch let error as CheckpointError {
            check(error.path == "/fuzz/checkpoint", "checkpoint error names the file")
        } catch { check(false, "checkpoint: unexpected \(error)") }
    case 9:
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        do {
            let glob = try PathGlob(String(parts[0]))
            _ = glob.matches(parts.count > 1 ? String(parts[1]) : "")
        } catch let error as FilterError {
            check(error.value == String(parts[0]), "glob error names the pattern")
        } catch { check(false, "glob: unexpected \(error)") }
    case 10:
        if let delay = RetryPolicy.parseRetryAfter(text) { check(delay.isFinite && delay >= 0, "Retry-After \(delay)") }
    default:
        let (theme, warnings) = ThemeParser.parse(text, name: "fuzz", file: "f.theme")
        check(StyleRole.allCases.allSatisfy { theme.colors[$0] != nil }, "theme: a role has no colour")
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
        check(warnings.allSatisfy { $0.file == "f.theme" && (1...lines).contains($0.line) }, "theme warning line")
    }
    return 0
}
