import Foundation

/// Debian's umoci as an independent reader of OCI layouts: `umoci unpack` reads the index,
/// the manifest, the config and every layer, checking each digest, and fails on anything the
/// image-spec does not allow (its own limits: no zstd layers, no indexes as images).
public enum Umoci {
    /// Unpacks `layout:name` into a throwaway bundle; throws with umoci's message on failure.
    public static func unpack(layout: String, name: String) throws {
        let bundle = TemporaryDirectory("umoci")
        try Shell.check(["umoci", "unpack", "--image", "\(layout):\(name)", bundle.file("bundle")])
    }
}
