#!/usr/bin/env python3
"""The sample tree `make demo` replicates while the dashboard watches: corpus.py's `demo` profile
(unchanged, shared with the tests) plus two repositories whose layers travel uncompressed, as
`buildah push --disable-compression` or an old build tool leaves them, so that `--compress gzip`
has something to do:

  legacy/reports  OCI images, `application/vnd.oci.image.layer.v1.tar`: two shared base layers
                  (a small one first, so the dashboard shows savings within seconds) and one
                  layer per tag, about two thirds compressible; tag 2.0 also carries a layer of
                  random bytes gzip cannot shrink (kept as it is: "saved too little").
  legacy/batch    Docker schema 2 images, `application/vnd.docker.image.rootfs.diff.tar`.

    demo_corpus.py --registry 127.0.0.1:5101 --workdir /tmp/demo/corpus
"""
import argparse
import concurrent.futures
import hashlib
import io
import os
import random
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
from push_layout import push as push_layout  # noqa: E402

OCI_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
MIB = corpus.MIB

# (repository, docker?, [(tag, [(layer key, size, share of random bytes)])])
UNCOMPRESSED = [
    ("legacy/reports", False, [
        ("1.0", [("reports/etc", MIB // 2, 0.3), ("reports/base", 4 * MIB, 0.3), ("reports/1.0", 5 * MIB, 0.35)]),
        ("1.1", [("reports/etc", MIB // 2, 0.3), ("reports/base", 4 * MIB, 0.3), ("reports/1.1", 5 * MIB, 0.35)]),
        ("2.0", [("reports/etc", MIB // 2, 0.3), ("reports/base", 4 * MIB, 0.3), ("reports/2.0", 5 * MIB, 0.35),
                 ("reports/fonts", 1 * MIB, 1.0)]),
    ]),
    ("legacy/batch", True, [
        ("2024.1", [("batch/2024.1", 6 * MIB, 0.3)]),
        ("2024.2", [("batch/2024.2", 6 * MIB, 0.3)]),
    ]),
]


class TarLayers:
    """Uncompressed tar layers; the same key always gives the same bytes."""

    def __init__(self, seed):
        self.random = random.Random(seed)
        self.layers = {}

    def content(self, size, random_share):
        random_part = self.random.randbytes(int(size * random_share))
        line = b"report line %d: freightliner demo data, compressible\n" % self.random.randrange(10**6)
        return random_part + (line * (size // len(line) + 1))[: size - len(random_part)]

    def layer(self, layout, key, size, random_share, docker):
        if key not in self.layers:
            data = self.content(size, random_share)
            raw = io.BytesIO()
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                info = tarfile.TarInfo("srv/%s.dat" % key.replace("/", "_"))
                info.size, info.mtime = len(data), 0
                tar.addfile(info, io.BytesIO(data))
            self.layers[key] = raw.getvalue()
        raw = self.layers[key]
        return layout.blob(raw, DOCKER_TAR if docker else OCI_TAR), "sha256:" + hashlib.sha256(raw).hexdigest()


def build_uncompressed(registry, workdir, seed, jobs):
    generator = corpus.Generator(seed)  # for configs and manifests only
    layers = TarLayers(seed)
    pushes = []
    for repository, docker, tags in UNCOMPRESSED:
        layout = corpus.Layout(os.path.join(workdir, repository.replace("/", "_")))
        for tag, specs in tags:
            descriptors = [layers.layer(layout, key, size, share, docker) for key, size, share in specs]
            layout.tag(generator.image(layout, descriptors, docker=docker, label=tag), tag)
            pushes.append((layout.path, tag, "%s/%s:%s" % (registry, repository, tag)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda item: push_layout(*item), pushes))
    unique = sum(len(raw) for raw in layers.layers.values())
    print("corpus: %d repositories, %d tags, %.1f MB of uncompressed layers pushed to %s"
          % (len(UNCOMPRESSED), len(pushes), unique / 1e6, registry))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    corpus.build(args.registry, "demo", 1.0, os.path.join(args.workdir, "demo"), args.seed, args.jobs)
    build_uncompressed(args.registry, os.path.join(args.workdir, "uncompressed"), args.seed, args.jobs)


if __name__ == "__main__":
    main()
