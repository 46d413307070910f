import ArgumentParser
import FreightCore

/// `--format oci|docker`, shared by `copy` and `sync` (a resumed run keeps its own).
struct FormatOption: ParsableArguments {
    @Option(name: .customLong("format"),
            help: ArgumentHelp("Write manifests as oci or docker (schema 2), converting media types; conversion changes digests. Default: as the source has them.",
                               valueName: "FORMAT"))
    var format: ManifestFormat?
}

extension ManifestFormat: ExpressibleByArgument {}

/// `--platform OS/ARCH[/VARIANT]` (repeatable), shared by `copy` and `sync`.
struct PlatformOption: ParsableArguments {
    @Option(name: .customLong("platform"),
            help: ArgumentHelp("Copy only these platforms of an index (repeatable; default all). The index pushed lists only them, so "
                               + "its digest changes; an image of another platform is skipped.", valueName: "OS/ARCH[/VARIANT]"))
    var platforms: [String] = []

    func validate() throws {
        do { _ = try selectors } catch { throw fail(error) }
    }

    /// The selectors; empty for all platforms (`all`, or none given).
    var selectors: [PlatformSelector] {
        get throws {
            guard !platforms.contains("all") else { return [] }
            return try platforms.map(PlatformSelector.init(parsing:))
        }
    }
}

/// `--no-referrers` and `--referrers-type TYPE`, shared by `copy` and `sync`.
struct ReferrersOption: ParsableArguments {
    @Flag(name: .customLong("no-referrers"),
          help: "Do not copy referrers (signatures, SBOMs, attestations) nor their sha256-<hex> tags.")
    var noReferrers = false

    @Option(name: .customLong("referrers-type"),
            help: ArgumentHelp("Carry only referrers of this artifactType (repeatable).", valueName: "TYPE"))
    var types: [String] = []

    var enabled: Bool { !noReferrers }

    func validate() throws {
        if noReferrers, let type = types.first {
            throw invalid("--referrers-type \(type) keeps referrers of that type, --no-referrers copies none: give one of the two")
        }
    }
}
