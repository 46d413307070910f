import ArgumentParser
import Foundation
import FreightCore

extension ExitCode {
    /// The contract's status (`ExitStatus`, which run outcomes and input errors share).
    init(_ status: ExitStatus) { self.init(status.rawValue) }
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
