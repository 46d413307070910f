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
