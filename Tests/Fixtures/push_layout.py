#!/usr/bin/env python3
"""Pushes one tag of an OCI image layout to a registry over the Distribution API, for fixtures.

skopeo's OCI-layout transport only finds OCI media types in index.json, so Docker schema 2
images and manifest lists are pushed with this instead. It keeps every digest: blobs and
manifests are uploaded byte for byte (children before their index).

    push_layout.py LAYOUT TAG HOST/REPOSITORY[:TAG] [--also-tag T ...] [--user U --password P]
"""
import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request

MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


class Registry:
    def __init__(self, host, user=None, password=None):
        self.base = "http://" + host
        self.auth = None
        if user is not None:
            self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def request(self, method, path, data=None, headers=None, ok=(200, 201, 202, 204)):
        url = path if path.startswith("http") else self.base + path
        for attempt in range(5):
            request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
            if self.auth:
                request.add_header("Authorization", self.auth)
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                if error.code in ok:
                    return error.code, error.headers, error.read()
                # distribution 2.8 answers 500 now and then while another push writes the same
                # blob (parallel pushes of images sharing base layers): that passes.
                if error.code >= 500 and attempt < 4 and method in ("HEAD", "GET", "PUT"):
                    time.sleep(0.1 * (attempt + 1))
                    continue
                raise SystemExit("%s %s -> %d %s" % (method, url, error.code, error.read()[:300]))


def push_blob(registry, repository, layout, digest):
    status, _, _ = registry.request("HEAD", "/v2/%s/blobs/%s" % (repository, digest), ok=(200, 404))
    if status == 200:
        return
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        data = f.read()
    _, headers, _ = registry.request("POST", "/v2/%s/blobs/uploads/" % repository)
    location = headers["Location"]
    if not location.startswith("http"):
        location = registry.base + location
    separator = "&" if "?" in location else "?"
    registry.request("PUT", location + separator + "digest=" + digest, data=data,
                     headers={"Content-Type": "application/octet-stream"})


def push_manifest(registry, repository, layout, descriptor, reference):
    with open(os.path.join(layout, "blobs", "sha256", descriptor["digest"].split(":", 1)[1]), "rb") as f:
        data = f.read()
    document = json.loads(data)
    media_type = document.get("mediaType") or descriptor["mediaType"]
    if media_type in INDEX_TYPES:
        for child in document["manifests"]:
            push_manifest(registry, repository, layout, child, child["digest"])
    elif media_type in MANIFEST_TYPES:
        for blob in [document["config"]] + document["layers"]:
            push_blob(registry, repository, layout, blob["digest"])
    else:
        raise SystemExit("unsupported media type %s" % media_type)
    registry.request("PUT", "/v2/%s/manifests/%s" % (repository, reference), data=data,
                     headers={"Content-Type": media_type})


def push(layout, tag, target, user=None, password=None, also=()):
    host, _, rest = target.partition("/")
    repository, _, target_tag = rest.partition(":")
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    matches = [d for d in index["manifests"] if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    if not matches:
        raise SystemExit("%s has no tag %s" % (layout, tag))
    registry = Registry(host, user, password)
    push_manifest(registry, repository, layout, matches[-1], target_tag or tag)
    for extra in also:
        push_manifest(registry, repository, layout, matches[-1], extra)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("layout")
    parser.add_argument("tag")
    parser.add_argument("target")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--also-tag", action="append", default=[], help="push the same manifest under this tag too")
    args = parser.parse_args()
    push(args.layout, args.tag, args.target, args.user, args.password, args.also_tag)


if __name__ == "__main__":
    main()
