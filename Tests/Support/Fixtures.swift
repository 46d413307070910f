import Foundation

/// Test images into registries.
public enum Fixtures {
    /// Pushes `tag` of an OCI layout to `reference` (`HOST/REPO[:TAG]`), byte for byte, with
    /// `Tests/Fixtures/push_layout.py` (skopeo cannot read Docker-typed manifests from a layout).
    public static func push(layout: String, tag: String, to reference: String, alsoTags: [String] = [],
                            user: String? = nil, password: String? = nil) throws {
        var arguments = ["python3", "\(Paths.fixtures)/push_layout.py", layout, tag, reference]
        for extra in alsoTags { arguments += ["--also-tag", extra] }
        if let user, let password { arguments += ["--user", user, "--password", password] }
        try Shell.check(arguments)
    }
}
