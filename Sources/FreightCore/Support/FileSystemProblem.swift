import Foundation

/// Plain words for why a path cannot be used, instead of Foundation's "The operation could not
/// be completed. (NSCocoaErrorDomain error 512.)".
public enum FileSystemProblem {
    /// Why a directory cannot be made at `path`, if the file system already tells: an ancestor
    /// (or the path itself) that is a file, or one this user may not write into.
    public static func directoryBlocker(_ path: String) -> String? {
        let manager = FileManager.default
        var current = URL(fileURLWithPath: path).standardized
        while true {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: current.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "\(current.path) is a file, not a directory" }
                if current.path != path, access(current.path, W_OK) != 0 {
                    return errno == EROFS ? "\(current.path) is on a read-only file system"
                                          : "\(current.path) is not writable by this user"
                }
                return nil
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    /// The system's words for `error`: the POSIX reason underneath a Foundation error when
    /// there is one, else its description.
    public static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        return nsError.domain == NSCocoaErrorDomain ? "the file system refused it (error \(nsError.code))" : "\(error)"
    }
}
