/// A sensitive string (a password, token or secret value) that cannot leak by accident:
/// printing, interpolating, dumping or logging it shows `<redacted>`, and it is deliberately
/// not `Codable`, so it can never be written into a checkpoint or an event.
///
///     let password = Secret("hunter2")
///     "\(password)"            // "<redacted>"
///     password.revealed        // "hunter2": the one greppable way to read it
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable {
    public static let placeholder = "<redacted>"

    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret value. Use only to send it where it belongs (a header, a signature).
    public var revealed: String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { Self.placeholder }
    public var debugDescription: String { Self.placeholder }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
