#!/usr/bin/env python3
"""Builds a corpus of sample images and pushes it to a registry over the Distribution API.

Used by `make demo` (a small, varied tree) and `make bench`: profile `bench` on loopback (>= 20
repositories, >= 300 MB of unique blobs at scale 1) and profile `wan` across the emulated WAN
(about 85 MB and 158 tags at scale 1, issue 17's corpus). Both hold the shapes users have
(`user_shapes`): 40-layer images, 3-platform indexes, a 130-tag repository, a deep path. Images are
real OCI images: tar layers (gzip), configs with correct diff_ids, manifests, multi-platform
indexes and Docker manifest lists, base layers shared across repositories, and repositories with
many small tags. Content is seeded, so a corpus is the same every time for the same arguments.

    corpus.py --registry 127.0.0.1:5000 --profile demo
    corpus.py --registry 127.0.0.1:5000 --profile bench --scale 2 --workdir /tmp/corpus
    corpus.py --registry 127.0.0.1:5000 --profile wan
"""
import argparse
import concurrent.futures
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile
import tempfile

from push_layout import push as push_layout

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MIB = 1024 * 1024


class Layout:
    """An OCI image layout being written."""

    def __init__(self, path):
        self.path = path
        self.index = []
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        target = os.path.join(self.path, "blobs", "sha256", digest)
        if not os.path.exists(target):
            with open(target, "wb") as f:
                f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def tag(self, descriptor, name):
        entry = {k: v for k, v in descriptor.items() if k != "platform"}
        entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.index.append(entry)
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.index}, f)


class Generator:
    def __init__(self, seed, random_share=0.5):
        self.random = random.Random(seed)
        self.random_share = random_share
        self.layers = {}

    def content(self, size):
        # Part random, part repetitive: realistic compression ratios without costing much CPU.
        random_part = self.random.randbytes(int(size * self.random_share))
        line = b"freightliner sample data %d\n" % self.random.randrange(10**6)
        return random_part + (line * (size // (2 * len(line)) + 1))[: size - len(random_part)]

    def layer(self, layout, key, size, docker=False):
        """A gzip tar layer; the same key always gives the same layer (shared base layers)."""
        if key not in self.layers:
            data = self.content(size)
            tar_bytes = io.BytesIO()
            with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                info = tarfile.TarInfo("data/%s.bin" % key.replace("/", "_"))
                info.size, info.mtime = len(data), 0
                tar.addfile(info, io.BytesIO(data))
            raw = tar_bytes.getvalue()
            self.layers[key] = (gzip.compress(raw, compresslevel=1, mtime=0), "sha256:" + hashlib.sha256(raw).hexdigest())
        compressed, diff_id = self.layers[key]
        return layout.blob(compressed, DOCKER_LAYER if docker else OCI_LAYER), diff_id

    def image(self, layout, layers, arch="amd64", docker=False, label=""):
        config = {"architecture": arch, "os": "linux", "config": {"Labels": {"sample": label}},
                  "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in layers]}}
        config_descriptor = layout.blob(json.dumps(config, sort_keys=True).encode(), DOCKER_CONFIG if docker else OCI_CONFIG)
        media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        manifest = {"schemaVersion": 2, "mediaType": media_type, "config": config_descriptor,
                    "layers": [descriptor for descriptor, _ in layers]}
        descriptor = layout.blob(json.dumps(manifest, sort_keys=True).encode(), media_type)
        descriptor["platform"] = {"architecture": arch, "os": "linux"}
        return descriptor

    def index(self, layout, manifests, docker=False):
        media_type = DOCKER_LIST if docker else OCI_INDEX
        return layout.blob(json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}).encode(), media_type)


def user_shapes(scale):
    """The shapes of users' trees (issue 17) that the rest of a corpus lacks: a repository of 130
    small tags over one base, 40-layer images (38 shared, 2 their own), 3-platform indexes (each
    platform with its own base), and a repository five path components deep. Its size does not
    grow with `scale` but for the 130-tag repository's count, which does."""
    many = max(1, int(130 * scale))
    return [
        ("many/tags", [("0.%d.%d" % (t // 10, t % 10), "image", [("many/base", 1 * MIB), ("many/%d" % t, 64 * 1024)])
                       for t in range(many)]),
        ("layers/forty", [("v%d" % t, "image", [("forty/%02d" % i, 256 * 1024) for i in range(38)]
                           + [("forty/v%d/%d" % (t, i), 256 * 1024) for i in range(2)]) for t in range(2)]),
        ("multi/three", [("3.%d" % t, "multi3", [("three/base", 5 * MIB), ("three/%d" % t, 1 * MIB)]) for t in range(4)]),
        ("org/team/platform/services/api", [("2026.%d" % t, "docker", [("deep/base", 5 * MIB), ("deep/%d" % t, 1 * MIB)])
                                            for t in range(2)]),
    ]


# The platforms of a "multi3" index: each gets its own copy of every layer (its own base), as
# images built per architecture have.
THREE_PLATFORMS = ("amd64", "arm64", "ppc64le")


def plan(profile, scale):
    """(repository, [(tag, kind, layer specs)]) for a profile; sizes in bytes."""
    repositories = []
    if profile == "demo":
        base = [("base/os", 6 * MIB)]
        repositories = [
            ("base/debian", [("12", "multi", base), ("12.5", "multi", base)]),
            ("team/web", [("1.%d" % i, "image", base + [("web/%d" % i, 3 * MIB)]) for i in range(4)]),
            ("team/api", [("2.%d" % i, "docker", base + [("api/%d" % i, 2 * MIB)]) for i in range(3)]),
            ("team/workers/queue", [("v%d" % i, "image", base + [("queue/%d" % i, 4 * MIB)]) for i in range(2)]),
            ("tools/cli", [("0.%d.0" % i, "image", [("cli/%d" % i, 256 * 1024)]) for i in range(12)]),
            ("tools/proxy", [("latest", "multi", [("proxy/base", 2 * MIB)])]),
        ]
    elif profile == "bench":
        # With three quarters of each layer random (see RANDOM_SHARE), scale 1 is about 350 MB
        # of unique compressed layers: the >= 300 MB that issue 7 asks for.
        base = [("base/os", 24 * MIB), ("base/runtime", 8 * MIB)]
        for r in range(int(16 * scale)):
            tags = [("1.%d" % t, "multi" if r % 4 == 0 else "docker" if r % 4 == 1 else "image",
                     base + [("app%d/%d" % (r, t), 6 * MIB)]) for t in range(4)]
            repositories.append(("apps/app%02d" % r, tags))
        for r in range(int(4 * scale)):
            repositories.append(("small/tool%02d" % r,
                                 [("0.0.%d" % t, "image", [("tool%d/%d" % (r, t), 64 * 1024)]) for t in range(25)]))
        repositories += user_shapes(scale)
    elif profile == "wan":
        # 158 tags and about 85 MB at scale 1: the user shapes and 5 application repositories of
        # 4 tags over a shared base.
        base = [("base/os", 8 * MIB)]
        for r in range(max(1, int(5 * scale))):
            repositories.append(("apps/app%02d" % r, [("1.%d" % t, "multi" if r == 0 else "docker" if r % 2 else "image",
                                                       base + [("app%d/%d" % (r, t), 2 * MIB)]) for t in range(4)]))
        repositories += user_shapes(scale)
    else:
        sys.exit("unknown profile %r" % profile)
    return repositories


# How much of a layer's content is random: the demo stays small on the wire; the bench compresses
# about as little as real layers of binaries do (~1.3x), so its bytes are mostly real transfer.
RANDOM_SHARE = {"demo": 0.5, "bench": 0.75, "wan": 0.75}


def build(registry, profile, scale, workdir, seed, jobs):
    generator = Generator(seed, RANDOM_SHARE[profile])
    pushes = []
    for repository, tags in plan(profile, scale):
        layout = Layout(os.path.join(workdir, repository.replace("/", "_")))
        for tag, kind, layers in tags:
            if kind == "multi3":
                children = [generator.image(layout, [generator.layer(layout, "%s@%s" % (key, arch), size) for key, size in layers],
                                            arch=arch, label=tag) for arch in THREE_PLATFORMS]
                descriptor = generator.index(layout, children)
            elif kind == "multi":
                children = []
                for arch in ("amd64", "arm64"):
                    specs = [generator.layer(layout, key, size) for key, size in layers]
                    specs.append(generator.layer(layout, "%s/%s/%s" % (repository, tag, arch), 512 * 1024))
                    children.append(generator.image(layout, specs, arch=arch, label=tag))
                descriptor = generator.index(layout, children)
            else:
                docker = kind == "docker"
                specs = [generator.layer(layout, key, size, docker) for key, size in layers]
                descriptor = generator.image(layout, specs, docker=docker, label=tag)
            layout.tag(descriptor, tag)
            pushes.append((layout.path, tag, "%s/%s:%s" % (registry, repository, tag)))

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda item: push_layout(*item), pushes))
    unique = sum(len(c) for c, _ in generator.layers.values())
    repositories = len(plan(profile, scale))
    print("corpus: %d repositories, %d tags, %.1f MB of unique layers pushed to %s"
          % (repositories, len(pushes), unique / 1e6, registry))
    return {"repositories": repositories, "tags": len(pushes), "unique_layers": len(generator.layers),
            "unique_layer_bytes": unique}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--profile", choices=sorted(RANDOM_SHARE), default="demo")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="freightliner-corpus-")
    try:
        build(args.registry, args.profile, args.scale, workdir, args.seed, args.jobs)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
