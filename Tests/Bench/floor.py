"""The floor: the least work any replication tool must do for a tree, done as plainly as possible.

Why this is a fair floor for `freightliner sync` (and not a strawman):
- It does everything a correct replica needs and nothing else: list the catalog and the tags,
  read every manifest (a tool must, to learn the blobs), stream every *unique* blob once from
  source to destination, mount it (one small POST) into the other repositories that share it,
  and put every manifest, children before their index.
- It skips what a tool may not: no HEAD probes (it knows the destination is empty), no retries,
  no checkpoint, no progress events, no client-side SHA-256 (the destination registry checks
  `?digest=` itself, so the replica is still verified).
- Blobs stream (never whole in memory) over keep-alive connections, the biggest first, with
  enough threads to keep the two registries busy on this machine (2 cores; the registries'
  own hashing and disk writes are the bottleneck: more threads than `threads` only add
  contention). Python moves the bytes with one copy per 1 MiB chunk, which costs a few percent
  of one core at these rates.
"""
import collections
import concurrent.futures
import json

from registry import Client, INDEX_TYPES, MANIFEST_TYPES

CHUNK = 1 << 20


def replicate(source_host, destination_host, prefix, threads=8):
    """Copies every repository of `source_host` under `destination_host/prefix`; returns counts."""
    source, destination = Client(source_host), Client(destination_host)
    counts = collections.Counter()

    def dest(repository):
        return "%s/%s" % (prefix, repository) if prefix else repository

    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        # Discovery: catalog, tags, and every manifest (index children included).
        repositories = source.catalog()
        tags = dict(zip(repositories, pool.map(source.tags, repositories)))
        manifests = {}  # (repository, digest or tag) -> (bytes, media type)

        def fetch(item):
            repository, reference = item
            return item, source.get_manifest(repository, reference)

        wave = [(repository, tag) for repository in repositories for tag in tags[repository]]
        while wave:
            children = []
            for (repository, reference), (data, media_type) in pool.map(fetch, wave):
                manifests[(repository, reference)] = (data, media_type)
                document = json.loads(data)
                if media_type in INDEX_TYPES:
                    children += [(repository, child["digest"]) for child in document["manifests"]]
            wave = [child for child in set(children) if child not in manifests]
        counts["manifests_read"] = len(manifests)

        # Which blobs each repository needs; each unique blob goes to the first repository
        # that needs it and is mounted into the others.
        needs = collections.defaultdict(dict)  # repository -> digest -> size
        for (repository, _), (data, media_type) in manifests.items():
            if media_type not in INDEX_TYPES:
                document = json.loads(data)
                for blob in [document["config"]] + document["layers"]:
                    needs[repository][blob["digest"]] = blob["size"]
        home = {}
        for repository in repositories:
            for digest, size in needs[repository].items():
                home.setdefault(digest, (repository, size))

        def copy_blob(digest):
            repository, size = home[digest]
            response = source.open("GET", "/v2/%s/blobs/%s" % (repository, digest))
            if response.status != 200:
                raise SystemExit("floor: GET blob %s -> %d" % (digest, response.status))

            def chunks():
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        return
                    yield chunk

            destination.upload(dest(repository), digest, chunks(), size)
            return size

        by_size = sorted(home, key=lambda digest: -home[digest][1])
        counts["blobs_uploaded"] = len(by_size)
        counts["bytes_uploaded"] = sum(pool.map(copy_blob, by_size))

        def finish_repository(repository):
            mounts = 0
            for digest in needs[repository]:
                holder = home[digest][0]
                if holder != repository:
                    destination.mount(dest(repository), digest, dest(holder))
                    mounts += 1
            own = {key: value for key, value in manifests.items() if key[0] == repository}
            # Children (by digest) first, then the tags.
            for (_, reference), (data, media_type) in sorted(own.items(), key=lambda item: not item[0][1].startswith("sha256:")):
                destination.put_manifest(dest(repository), reference, data, media_type)
            return mounts

        counts["blobs_mounted"] = sum(pool.map(finish_repository, repositories))
    counts["repositories"] = len(repositories)
    counts["tags"] = sum(len(t) for t in tags.values())
    return dict(counts)


def noop(source_host, destination_host, prefix, threads=16):
    """The no-op floor: what any tool must ask to prove a replica current, and nothing more.

    List the catalog and the tags, then per tag one HEAD of the source manifest (tags move) and
    one of the destination's (it may have changed since), compared by Docker-Content-Digest.
    Same concurrency as freightliner's tags in flight (2 x its default 8 jobs). Returns the
    number of tags that differ (0 for a current replica).
    """
    source, destination = Client(source_host), Client(destination_host)
    accept = {"Accept": ", ".join(MANIFEST_TYPES | INDEX_TYPES)}

    def current(item):
        repository, tag = item
        _, theirs, _ = source.call("HEAD", "/v2/%s/manifests/%s" % (repository, tag), headers=accept)
        status, ours, _ = destination.call("HEAD", "/v2/%s/%s/manifests/%s" % (prefix, repository, tag), headers=accept,
                                           ok=(200, 404))
        return status == 200 and ours.get("Docker-Content-Digest") == theirs.get("Docker-Content-Digest")

    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        repositories = source.catalog()
        items = [(repository, tag) for repository, tags in zip(repositories, pool.map(source.tags, repositories))
                 for tag in tags]
        return sum(1 for same in pool.map(current, items) if not same)
