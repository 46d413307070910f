import ArgumentParser
import Foundation

/// The exit statuses of the command-line contract.
enum ExitStatus {
    static let success: Int32 = 0
    static let failedItems: Int32 = 1
    /// Bad input or configuration: a malformed reference, an unreadable file, refused credentials.
    static let badInput: Int32 = 2
    static let interrupted: Int32 = 3
}

/// Prints `error` as freightliner's one-line error and exits with `ExitStatus.badInput`.
func fail(_ error: any Error) -> ExitCode {
    if let capture = BadInputCapture.current { capture.record("\(error)") } else { printError("\(error)") }
    return ExitCode(ExitStatus.badInput)
}

/// For `validate()`: a value that is wrong (not the command line's shape) is bad input, exit 2,
/// with a message naming it; argument-parser's own usage errors stay exit 64.
func invalid(_ message: String) -> ExitCode {
    fail(ValidationError(message))
}

func printError(_ message: String) {
    Console.error("freightliner: \(message)\n")
}
