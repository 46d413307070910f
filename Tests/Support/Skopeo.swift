import Foundation
import FreightCore

/// The independent verifier: Debian's skopeo, talking to the test registries over plain HTTP.
public enum Skopeo {
    /// The manifest exactly as the registry serves it.
    public static func rawManifest(_ reference: String, credentials: String? = nil) throws -> [UInt8] {
        var arguments = ["skopeo", "inspect", "--raw", "--tls-verify=false"]
        if let credentials { arguments += ["--creds", credentials] }
        return Array(try Shell.check(arguments + ["docker://\(reference)"]).stdout.utf8)
    }

    /// The digest of the manifest a reference names, as skopeo sees it.
    public static func digest(_ reference: String, credentials: String? = nil) throws -> Digest {
        Digest.sha256(of: try rawManifest(reference, credentials: credentials))
    }

    /// Copies an image (all platforms) into an OCI layout; skopeo verifies every blob's digest as
    /// it pulls. (Docker-typed manifests are converted on the way, so manifest digests are
    /// compared with `digest(_:)` instead.)
    public static func verifyByCopy(_ reference: String, into layout: String, tag: String = "verify",
                                    credentials: String? = nil) throws {
        var arguments = ["skopeo", "copy", "--quiet", "--all", "--src-tls-verify=false"]
        if let credentials { arguments += ["--src-creds", credentials] }
        try Shell.check(arguments + ["docker://\(reference)", "oci:\(layout):\(tag)"])
    }

    public static func tags(_ repository: String) throws -> [String] {
        let output = try Shell.check(["skopeo", "list-tags", "--tls-verify=false", "docker://\(repository)"]).stdout
        struct Tags: Decodable { var Tags: [String] }
        return try JSONDecoder().decode(Tags.self, from: Data(output.utf8)).Tags
    }
}
