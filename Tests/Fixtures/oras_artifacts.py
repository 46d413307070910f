#!/usr/bin/env python3
"""Pushes OCI artifacts with oras-py (PyPI `oras`), as supply-chain tools attach them to images.

    oras_artifacts.py HOST/REPOSITORY SUBJECT_TAG

Onto the image SUBJECT_TAG of HOST/REPOSITORY (plain HTTP) it pushes, with oras-py's client:
- `sbom`: an artifact with a custom artifactType, two files of their own media types, and the
  image as its `subject`;
- `sbom-sig`: an artifact whose subject is the SBOM (a signature of an SBOM);
- for each subject, the referrers tag fallback of the distribution spec: an OCI index tagged
  `sha256-<hex of the subject>` listing its referrers with their artifactType (what clients
  write where the registry has no referrers API, as distribution 2.8 has not).
It prints one JSON object: the tags it pushed and the digest of each.
"""
import hashlib
import json
import os
import sys
import tempfile

import oras.provider

EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def put_manifest(registry, container, media_type, document):
    """PUTs exact bytes (oras-py's upload_manifest always says image manifest and re-serializes)."""
    body = json.dumps(document, separators=(",", ":")).encode()
    response = registry.do_request(f"{registry.prefix}://{container.manifest_url()}", "PUT",
                                   headers={"Content-Type": media_type}, data=body)
    if response.status_code not in (200, 201):
        raise SystemExit(f"PUT {container}: {response.status_code} {response.text[:300]}")
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}


def subject_of(registry, repository, tag):
    container = registry.get_container(f"{repository}:{tag}")
    response = registry.do_request(f"{registry.prefix}://{container.manifest_url()}", "GET",
                                   headers={"Accept": f"{MANIFEST}, {INDEX}"})
    if response.status_code != 200:
        raise SystemExit(f"GET {repository}:{tag}: {response.status_code}")
    body = response.content
    return {"mediaType": response.headers["Content-Type"].split(";")[0].strip(),
            "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}


def push_artifact(registry, repository, tag, artifact_type, files, subject, workdir):
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
    descriptor = put_manifest(registry, container, MANIFEST, manifest)
    descriptor["artifactType"] = artifact_type
    return descriptor


def push_fallback(registry, repository, subject, referrers):
    tag = "sha256-" + subject["digest"].split(":", 1)[1]
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": referrers}
    put_manifest(registry, registry.get_container(f"{repository}:{tag}"), INDEX, index)
    return tag


def main():
    target, subject_tag = sys.argv[1], sys.argv[2]
    host, _, repository = target.partition("/")
    registry = oras.provider.Registry(hostname=host, insecure=True)
    image = subject_of(registry, f"{host}/{repository}", subject_tag)
    with tempfile.TemporaryDirectory() as workdir:
        sbom = push_artifact(registry, f"{host}/{repository}", "sbom", "application/vnd.example.sbom.v1+json",
                             [("sbom.spdx.json", "application/spdx+json", b'{"spdxVersion": "SPDX-2.3", "name": "test"}'),
                              ("notes.txt", "text/plain", b"built by the freightliner tests\n" * 50)],
                             image, workdir)
        signature = push_artifact(registry, f"{host}/{repository}", "sbom-sig", "application/vnd.example.signature.v1",
                                  [("sbom.sig", "application/octet-stream", os.urandom(256))], sbom, workdir)
    tags = {"sbom": sbom["digest"], "sbom-sig": signature["digest"]}
    tags[push_fallback(registry, f"{host}/{repository}", image, [sbom])] = None
    tags[push_fallback(registry, f"{host}/{repository}", sbom, [signature])] = None
    print(json.dumps({"tags": sorted(tags), "subject": image["digest"]}))


if __name__ == "__main__":
    main()
