/// The exit statuses of the command-line contract: one type for what a run's outcome means
/// (`RunSummary.exitStatus`) and for what input errors mean, so the two cannot drift apart.
public enum ExitStatus: Int32, Sendable, Comparable {
    case success = 0
    /// Some images failed; the rest were copied.
    case failedItems = 1
    /// Bad input or configuration (a malformed reference, an unreadable file, refused
    /// credentials), or an environment that stops the run (a checkpoint that cannot be written).
    case badInput = 2
    /// Stopped with work left; the checkpoint says where (`freightliner resume` continues it).
    case interrupted = 3

    public static func < (lhs: ExitStatus, rhs: ExitStatus) -> Bool { lhs.rawValue < rhs.rawValue }
}
