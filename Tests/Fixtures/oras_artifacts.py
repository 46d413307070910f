#!/usr/bin/env python3
"""Pushes OCI artifacts with oras-py (PyPI `oras`), as supply-chain tools attach them to images.

    oras_artifacts.py HOST/REPOSITORY SUBJECT [--name NAME] [--untagged] [--no-fallback]
                      [--cosign] [--type TYPE] [--no-signature]

Onto the manifest SUBJECT (a tag or a digest) of HOST/REPOSITORY (plain HTTP) it pushes, with
oras-py's client:
- `NAME` (default `sbom`): an artifact with artifactType TYPE (default
  `application/vnd.example.sbom.v1+json`), two files of their own media types, and the subject
  as its `subject`;
- `NAME-sig`: an artifact whose subject is that one (a signature of an SBOM), unless
  --no-signature;
- for each subject, the referrers tag fallback of the distribution spec: an OCI index tagged
  `sha256-<hex of the subject>` listing its referrers with their artifactType (what clients
  write where the registry has no referrers API, as distribution 2.8 has not), read, extended
  and written back as clients do, so a second push adds to it; not with --no-fallback (a
  registry with the API keeps the list itself);
- with --cosign, a signature laid out as cosign does: an image manifest tagged
  `sha256-<hex of the subject>.sig` whose layer is a simple-signing payload
  (`application/vnd.dev.cosign.simplesigning.v1+json`) with the signature in its
  `dev.cosignproject.cosign/signature` annotation.
With --untagged the artifacts are pushed by digest only, as `oras attach` does.
It prints one JSON object: the tags it pushed, the subject's digest and the digest of each
artifact.
"""
import argparse
import hashlib
import json
import os
import tempfile

import oras.provider

EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def put_manifest(registry, container, media_type, document):
    """PUTs exact bytes (oras-py's upload_manifest always says image manifest and re-serializes)."""
    body = json.dumps(document, separators=(",", ":")).encode()
    response = registry.do_request(f"{registry.prefix}://{container.manifest_url()}", "PUT",
                                   headers={"Content-Type": media_type}, data=body)
    if response.status_code not in (200, 201):
        raise SystemExit(f"PUT {container}: {response.status_code} {response.text[:300]}")
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}


def subject_of(registry, repository, reference):
    container = registry.get_container(f"{repository}{'@' if reference.startswith('sha256:') else ':'}{reference}")
    response = registry.do_request(f"{registry.prefix}://{container.manifest_url()}", "GET",
                                   headers={"Accept": f"{MANIFEST}, {INDEX}, {DOCKER_MANIFEST}, {DOCKER_LIST}"})
    if response.status_code != 200:
        raise SystemExit(f"GET {repository} {reference}: {response.status_code}")
    body = response.content
    return {"mediaType": response.headers["Content-Type"].split(";")[0].strip(),
            "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}


def push_artifact(registry, repository, tag, artifact_type, files, subject, workdir, untagged=False):
    container = registry.get_container(f"{repository}:{tag}")
    layers = []
    for name, media_type, content in files:
        path = os.path.join(workdir, name)
        with open(path, "wb") as f:
            f.write(content)
        layer = oras.oci.NewLayer(path, media_type=media_type)
        layer["annotations"] = {"org.opencontainers.image.title": name}
        response = registry.upload_blob(path, container, layer)
        if response.status_code not in (200, 201, 202):
            raise SystemExit(f"blob {name}: {response.status_code} {response.text[:300]}")
        layers.append(layer)
    config_path = os.path.join(workdir, "empty.json")
    with open(config_path, "wb") as f:
        f.write(b"{}")
    config = {"mediaType": EMPTY_CONFIG, "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(), "size": 2}
    registry.upload_blob(config_path, container, config)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": artifact_type, "config": config,
                "layers": layers, "subject": subject,
                "annotations": {"org.opencontainers.image.created": "2026-12-01T00:00:00Z"}}
    if untagged:
        body = json.dumps(manifest, separators=(",", ":")).encode()
        container = registry.get_container(f"{repository}@sha256:{hashlib.sha256(body).hexdigest()}")
    descriptor = put_manifest(registry, container, MANIFEST, manifest)
    descriptor["artifactType"] = artifact_type
    return descriptor


def push_fallback(registry, repository, subject, referrers):
    """Adds referrers to the subject's fallback index, read-modify-write."""
    tag = "sha256-" + subject["digest"].split(":", 1)[1]
    container = registry.get_container(f"{repository}:{tag}")
    response = registry.do_request(f"{registry.prefix}://{container.manifest_url()}", "GET", headers={"Accept": INDEX})
    listed = response.json().get("manifests", []) if response.status_code == 200 else []
    known = {d["digest"] for d in listed}
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": listed + [r for r in referrers if r["digest"] not in known]}
    put_manifest(registry, container, INDEX, index)
    return tag


def push_cosign_signature(registry, repository, subject, workdir):
    """A signature as cosign lays it out: its own tag, a simple-signing payload as the layer."""
    tag = "sha256-" + subject["digest"].split(":", 1)[1] + ".sig"
    container = registry.get_container(f"{repository}:{tag}")
    payload = json.dumps({"critical": {"identity": {"docker-reference": repository},
                                       "image": {"docker-manifest-digest": subject["digest"]},
                                       "type": "cosign container image signature"}, "optional": None}).encode()
    path = os.path.join(workdir, "payload.json")
    with open(path, "wb") as f:
        f.write(payload)
    layer = oras.oci.NewLayer(path, media_type="application/vnd.dev.cosign.simplesigning.v1+json")
    layer["annotations"] = {"dev.cosignproject.cosign/signature": "MEUCIQD" + hashlib.sha256(payload).hexdigest()}
    registry.upload_blob(path, container, layer)
    config = json.dumps({"architecture": "", "config": {}, "created": "0001-01-01T00:00:00Z", "history": [{"created": "0001-01-01T00:00:00Z"}],
                         "os": "", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode()
    config_path = os.path.join(workdir, "cosign-config.json")
    with open(config_path, "wb") as f:
        f.write(config)
    config_descriptor = {"mediaType": "application/vnd.oci.image.config.v1+json",
                         "digest": "sha256:" + hashlib.sha256(config).hexdigest(), "size": len(config)}
    registry.upload_blob(config_path, container, config_descriptor)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "config": config_descriptor, "layers": [layer]}
    return tag, put_manifest(registry, container, MANIFEST, manifest)["digest"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("subject")
    parser.add_argument("--name", default="sbom")
    parser.add_argument("--type", default="application/vnd.example.sbom.v1+json")
    parser.add_argument("--untagged", action="store_true")
    parser.add_argument("--no-fallback", action="store_true")
    parser.add_argument("--no-signature", action="store_true")
    parser.add_argument("--cosign", action="store_true")
    args = parser.parse_args()
    host, _, repository = args.target.partition("/")
    registry = oras.provider.Registry(hostname=host, insecure=True)
    image = subject_of(registry, f"{host}/{repository}", args.subject)
    artifacts = {}
    tags = {}
    with tempfile.TemporaryDirectory() as workdir:
        sbom = push_artifact(registry, f"{host}/{repository}", args.name, args.type,
                             [("sbom.spdx.json", "application/spdx+json", b'{"spdxVersion": "SPDX-2.3", "name": "test"}'),
                              ("notes.txt", "text/plain", f"{args.name}, built by the freightliner tests\n".encode() * 50)],
                             image, workdir, untagged=args.untagged)
        artifacts[args.name] = sbom["digest"]
        if not args.no_fallback:
            tags[push_fallback(registry, f"{host}/{repository}", image, [sbom])] = None
        if not args.no_signature:
            signature = push_artifact(registry, f"{host}/{repository}", args.name + "-sig", "application/vnd.example.signature.v1",
                                      [("sbom.sig", "application/octet-stream", os.urandom(256))], sbom, workdir,
                                      untagged=args.untagged)
            artifacts[args.name + "-sig"] = signature["digest"]
            if not args.no_fallback:
                tags[push_fallback(registry, f"{host}/{repository}", sbom, [signature])] = None
        if args.cosign:
            tag, digest = push_cosign_signature(registry, f"{host}/{repository}", image, workdir)
            tags[tag] = None
            artifacts["cosign"] = digest
    if not args.untagged:
        tags.update({name: None for name in artifacts if name != "cosign"})
    print(json.dumps({"tags": sorted(tags), "subject": image["digest"], "artifacts": artifacts}))


if __name__ == "__main__":
    main()
