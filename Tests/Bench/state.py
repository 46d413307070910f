"""`make bench`, state: what a large tree costs in memory and in checkpoint writes, and what
listing saved runs costs (issue 17, "memory and state that stay small as trees grow").

One repository of BENCH_STATE_TAGS small tags (default 20000; 0 skips this part) and one of
BENCH_STATE_BASE (default 500) are synced cold and then again (a no-op), each under strace so
that every byte written below the checkpoint directory is counted, split into the run's own
directory and the pair's replica record (`.replicas/`, rewritten whole by every run). Memory per
tag is the difference in peak RSS between the two trees over the difference in tags (the fixed
cost of the process, its binary and its connections, cancels out). Listing is `checkpoints list`
over the large tree's two runs, from their headers, and again with the headers removed (each run
read whole, as before headers): its cost grows with the runs' tags, the header's with their count.

Targets (issue 17): <= 1.5 KB of memory per tag; a run's writes <= 2 x what it leaves on disk;
a no-op records a small run; listing 16 runs of 20000 tags in <= 0.1 s (reported here per run).
"""
import os
import re
import shutil
import subprocess
import time

TARGETS = {"kib_per_tag": 1.5, "writes_vs_final": 2.0, "list_16_runs_seconds": 0.1}


def _written(trace, runs):
    """Bytes write(2) and pwrite(2) put in files under `runs` (strace -y names each descriptor)."""
    run_dir = replicas = 0
    pattern = re.compile(r"(?:write|pwrite64)\(\d+<([^>]*)>.*= (\d+)$")
    with open(trace) as f:
        for line in f:
            match = pattern.search(line)
            if not match or not match.group(1).startswith(runs):
                continue
            if "/.replicas/" in match.group(1):
                replicas += int(match.group(2))
            else:
                run_dir += int(match.group(2))
    return run_dir, replicas


def _size(path):
    return sum(os.path.getsize(os.path.join(directory, name)) for directory, _, names in os.walk(path) for name in names)


def _sync(bench, source, destination, runs, run_id):
    trace = os.path.join(bench.workdir, run_id + ".strace")
    run = bench.timed(["strace", "-f", "-y", "-qq", "-e", "trace=write,pwrite64", "-o", trace, bench.binary, "sync", source,
                       destination, "--run-id", run_id, "--checkpoint-dir", runs, "--ui", "json"])
    if run["status"] != 0:
        raise SystemExit("state: sync %s exited %d:\n%s" % (run_id, run["status"], run["stderr"][-2000:]))
    run_dir, replicas = _written(trace, os.path.realpath(runs))
    os.unlink(trace)
    final = _size(os.path.join(runs, run_id))
    return {"rss_kib": run["rss_kib"], "cpu_seconds": run["cpu_seconds"], "written": run_dir, "final": final,
            "writes_vs_final": run_dir / max(final, 1), "replica_written": replicas}


def _tree(bench, tags, name):
    runs = os.path.join(bench.workdir, "state-runs-" + name)
    with bench.registry("state-source") as source, bench.registry("state-dest") as destination:
        bench.small_tree(source.host, 1, tags)
        cold = _sync(bench, source.host, destination.host + "/mirror", runs, name + "-cold")
        noop = _sync(bench, source.host, destination.host + "/mirror", runs, name + "-noop")
    return runs, cold, noop


def _list_seconds(bench, runs, rounds=5):
    samples = []
    for _ in range(rounds):
        started = time.monotonic()
        subprocess.run([bench.binary, "checkpoints", "list", "--checkpoint-dir", runs], check=True, stdout=subprocess.DEVNULL)
        samples.append(time.monotonic() - started)
    return sorted(samples)[len(samples) // 2]


def measure(bench, log):
    tags = int(os.environ.get("BENCH_STATE_TAGS", "20000"))
    base = int(os.environ.get("BENCH_STATE_BASE", "500"))
    if tags <= base:
        return None
    log("state: %d tags (and %d for the baseline), cold and no-op, writes counted" % (tags, base))
    base_runs, base_cold, base_noop = _tree(bench, base, "base")
    shutil.rmtree(base_runs, ignore_errors=True)
    runs, cold, noop = _tree(bench, tags, "large")
    # `checkpoints list` of an empty directory: the process's own start-up, subtracted per run.
    empty = os.path.join(bench.workdir, "state-empty")
    os.makedirs(empty, exist_ok=True)
    startup = _list_seconds(bench, empty)
    with_headers = _list_seconds(bench, runs)
    for run_id in os.listdir(runs):
        header = os.path.join(runs, run_id, "header")
        if os.path.exists(header):
            os.unlink(header)
    whole = _list_seconds(bench, runs)
    shutil.rmtree(runs, ignore_errors=True)
    result = {
        "tags": tags, "base_tags": base, "cold": cold, "noop": noop, "base_cold": base_cold, "base_noop": base_noop,
        "kib_per_tag_cold": (cold["rss_kib"] - base_cold["rss_kib"]) / (tags - base),
        "kib_per_tag_noop": (noop["rss_kib"] - base_noop["rss_kib"]) / (tags - base),
        "list_startup_seconds": startup,
        "list_seconds_per_run_header": max(0.0, with_headers - startup) / 2,
        "list_seconds_per_run_whole": max(0.0, whole - startup) / 2,
    }
    result["list_16_runs_seconds"] = startup + 16 * result["list_seconds_per_run_header"]
    result["projected_rss_mib_100k_tags"] = (base_cold["rss_kib"] + result["kib_per_tag_cold"] * (100_000 - base)) / 1024
    return result


def table(result):
    if not result:
        return ""
    cold, noop, per_run = result["cold"], result["noop"], result["list_seconds_per_run_header"]

    def mark(ok):
        return "yes" if ok else "NO"

    rows = [
        "| state, %d tags in one repository | cold | no-op | target | met |" % result["tags"],
        "|---|---:|---:|---|---|",
        "| peak RSS | %.1f MiB | %.1f MiB |  |  |" % (cold["rss_kib"] / 1024, noop["rss_kib"] / 1024),
        "| memory per tag (against %d tags) | %.2f KiB | %.2f KiB | <= %.1f KB | %s |" % (
            result["base_tags"], result["kib_per_tag_cold"], result["kib_per_tag_noop"], TARGETS["kib_per_tag"],
            mark(max(result["kib_per_tag_cold"], result["kib_per_tag_noop"]) * 1.024 <= TARGETS["kib_per_tag"])),
        "| run directory written | %.2f MB | %.2f MB |  |  |" % (cold["written"] / 1e6, noop["written"] / 1e6),
        "| run directory at the end | %.2f MB | %.2f MB |  |  |" % (cold["final"] / 1e6, noop["final"] / 1e6),
        "| written / left on disk | %.2f x | %.2f x | <= %.0f x | %s |" % (
            cold["writes_vs_final"], noop["writes_vs_final"], TARGETS["writes_vs_final"],
            mark(max(cold["writes_vs_final"], noop["writes_vs_final"]) <= TARGETS["writes_vs_final"])),
        "| replica record written (.replicas, per pair) | %.2f MB | %.2f MB |  |  |" % (
            cold["replica_written"] / 1e6, noop["replica_written"] / 1e6),
        "| `checkpoints list`, per run, from headers | %.1f ms |  |  |  |" % (per_run * 1000),
        "| `checkpoints list`, per run, read whole | %.1f ms |  |  |  |" % (result["list_seconds_per_run_whole"] * 1000),
        "| 16 runs listed (start-up %.0f ms + 16 per run) | %.3f s |  | <= %.1f s | %s |" % (
            result["list_startup_seconds"] * 1000, result["list_16_runs_seconds"], TARGETS["list_16_runs_seconds"],
            mark(result["list_16_runs_seconds"] <= TARGETS["list_16_runs_seconds"])),
        "| peak RSS at 100,000 tags, projected | %.0f MiB |  | <= 200 MB | %s |" % (
            result["projected_rss_mib_100k_tags"], mark(result["projected_rss_mib_100k_tags"] * 1.048576 <= 200)),
    ]
    return "\n".join(rows)
