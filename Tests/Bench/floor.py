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
- Mounts, then child manifests, then tagged manifests go out in three parallel waves across every
  repository (a repository's 130 tags are not put one after another).

Across the WAN profile (bench.py, wan.py) it is given clients that speak HTTPS and get bearer
tokens (registry.Client), and more threads: there a request costs a round trip, not CPU, and
`threads` requests in flight bound how many round trips a wave of small requests takes.
"""
import collections
import concurrent.futures
import json

from registry import Client, INDEX_TYPES, MANIFEST_TYPES

CHUNK = 1 << 20


def client(registry):
    """A Client for a host name, or the Client given."""
    return registry if isinstance(registry, Client) else Client(registry)


def replicate(source_host, destination_host, prefix, threads=8):
    """Copies every repository of `source_host` under `destination_host/prefix` (each a host or a
    Client); returns counts."""
    source, destination = client(source_host), client(destination_host)
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

        mounts = [(repository, digest, home[digest][0]) for repository in repositories for digest in needs[repository]
                  if home[digest][0] != repository]
        list(pool.map(lambda item: destination.mount(dest(item[0]), item[1], dest(item[2])), mounts))
        counts["blobs_mounted"] = len(mounts)

        def put(item):
            (repository, reference), (data, media_type) = item
            destination.put_manifest(dest(repository), reference, data, media_type)

        # Children (by digest) first, then the tags.
        list(pool.map(put, [item for item in manifests.items() if item[0][1].startswith("sha256:")]))
        list(pool.map(put, [item for item in manifests.items() if not item[0][1].startswith("sha256:")]))
    counts["repositories"] = len(repositories)
    counts["tags"] = sum(len(t) for t in tags.values())
    return dict(counts)


def noop(source_host, destination_host, prefix, threads=16, immutable=False):
    """The no-op floor: what any tool must ask to prove a replica current, and nothing more.

    List the catalog and the tags, then per tag one HEAD of the source manifest (tags move) and
    one of the destination's (it may have changed since), compared by Docker-Content-Digest.
    Same concurrency as freightliner's tags in flight (2 x its default 8 jobs). With `immutable`
    (as `--immutable-tags '.*'`: a tag once copied never moves), the destination's tag lists
    instead, no HEADs. Returns the number of tags that differ (0 for a current replica).
    """
    source, destination = client(source_host), client(destination_host)
    accept = {"Accept": ", ".join(MANIFEST_TYPES | INDEX_TYPES)}

    def current(item):
        repository, tag = item
        _, theirs, _ = source.call("HEAD", "/v2/%s/manifests/%s" % (repository, tag), headers=accept)
        status, ours, _ = destination.call("HEAD", "/v2/%s/%s/manifests/%s" % (prefix, repository, tag), headers=accept,
                                           ok=(200, 404))
        return status == 200 and ours.get("Docker-Content-Digest") == theirs.get("Docker-Content-Digest")

    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        repositories = source.catalog()
        if immutable:
            def missing(repository):
                ours = set(destination.tags("%s/%s" % (prefix, repository)))
                return len(set(source.tags(repository)) - ours)
            return sum(pool.map(missing, repositories))
        items = [(repository, tag) for repository, tags in zip(repositories, pool.map(source.tags, repositories))
                 for tag in tags]
        return sum(1 for same in pool.map(current, items) if not same)
