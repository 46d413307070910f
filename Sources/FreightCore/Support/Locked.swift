import Foundation

/// A value behind a lock, as a class so that escaping closures and child tasks can share it.
///
/// Backed by `NSLock` rather than `Synchronization.Mutex`: a `Mutex` whose value type is generic
/// miscompiles on Linux with this toolchain (swiftlang/swift#78048, #80036); here it corrupted
/// neighbouring heap objects in most runs. And ThreadSanitizer cannot see `Mutex` on Linux (its
/// futex lock lives in the uninstrumented standard library), so every access under one was
/// reported as a race; a pthread mutex it understands. It is the one lock of the package.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&stored)
    }

    public var value: Value { withLock { $0 } }
}
