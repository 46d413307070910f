#!/usr/bin/env python3
"""A wide-area link between a client and one server, emulated in user space (this kernel has no
`sch_netem`): a TCP proxy that delays every byte and caps the bandwidth.

    wan_link.py --port 5001 --upstream 127.0.0.1:5000 --rtt-ms 40 --rate 40000000 --stats-port 5002

It works below TLS and HTTP, on the bytes, so it treats every client alike: whatever protocol,
connection reuse or multiplexing a client uses pays what it would pay on a real line.

- Delay: every chunk read from either side is written to the other `--rtt-ms`/2 later, so a
  request and its answer take one round trip, a TLS 1.3 handshake another, and a new
  connection's first bytes one more (the TCP handshake, which the kernel completes on loopback
  at once: its round trip is added to the first bytes the client sends).
- Bandwidth: each direction is a first-in first-out line of `--rate` bytes a second shared by
  every connection (full duplex, as a real line): a chunk waits until the chunks before it have
  been serialised, then for its own length / rate, then for the propagation delay.
- Backpressure: a connection holds at most max(4 MiB, 2 x rate x RTT) unsent bytes per
  direction, so a sender is slowed as by a TCP window and a big upload is not swallowed whole.

`--stats-port` (plain HTTP on 127.0.0.1): `GET /` answers JSON counters (`connections`,
`bytes_up` client to server, `bytes_down`, `chunks`, `min_delay_ms`: the least time any chunk
was held, `throttled_chunks`: chunks that had to wait for the line because chunks before them
were still being sent, and the configured `rtt_ms` and `rate`); `POST /reset` sets the counters back to zero.
"""
import argparse
import asyncio
import collections
import json
import time

CHUNK = 65536


class Line:
    """One direction of the link: when it is next free to send."""

    def __init__(self, rate):
        self.rate = rate
        self.free_at = 0.0

    def schedule(self, now, size):
        """When a chunk of `size` bytes read at `now` has been serialised; and how long it queued."""
        start = max(now, self.free_at)
        self.free_at = start + size / self.rate if self.rate else start
        return self.free_at, start - now


class Stats:
    FIELDS = ("connections", "bytes_up", "bytes_down", "chunks", "throttled_chunks")

    def __init__(self, rtt_ms, rate):
        self.rtt_ms = rtt_ms
        self.rate = rate
        self.reset()

    def reset(self):
        self.values = dict.fromkeys(self.FIELDS, 0)
        self.min_delay = None

    def held(self, seconds):
        self.min_delay = seconds if self.min_delay is None else min(self.min_delay, seconds)

    def snapshot(self):
        result = dict(self.values)
        result["min_delay_ms"] = None if self.min_delay is None else round(self.min_delay * 1000, 3)
        result["rtt_ms"] = self.rtt_ms
        result["rate"] = self.rate
        return result


async def pipe(reader, writer, line, stats, direction, half, first_extra, limit):
    """Copies `reader` to `writer` through `line`, each chunk held until it is due."""
    queue = collections.deque()
    queued = 0
    changed = asyncio.Event()
    done = False

    async def receive():
        nonlocal queued, done
        extra = first_extra
        try:
            while True:
                while queued >= limit:
                    changed.clear()
                    await changed.wait()
                data = await reader.read(CHUNK)
                now = time.monotonic()
                if not data:
                    break
                sent_at, waited = line.schedule(now, len(data))
                if waited > 0:
                    stats.values["throttled_chunks"] += 1
                queue.append((now, sent_at + half + extra, data))
                extra = 0.0
                queued += len(data)
                changed.set()
        except (ConnectionError, OSError):
            pass
        done = True
        changed.set()

    async def send():
        nonlocal queued
        try:
            while True:
                if not queue:
                    if done:
                        break
                    changed.clear()
                    await changed.wait()
                    continue
                read_at, due, data = queue[0]
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                queue.popleft()
                queued -= len(data)
                changed.set()
                writer.write(data)
                await writer.drain()
                stats.values["bytes_" + direction] += len(data)
                stats.values["chunks"] += 1
                stats.held(time.monotonic() - read_at)
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass

    await asyncio.gather(receive(), send())


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--listen", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="round-trip time added")
    parser.add_argument("--rate", type=float, default=0.0, help="bytes per second each way, all connections together (0: no cap)")
    parser.add_argument("--stats-port", type=int)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    stats = Stats(args.rtt_ms, args.rate)
    up, down = Line(args.rate), Line(args.rate)
    half = args.rtt_ms / 2000.0
    limit = max(4 << 20, int(2 * args.rate * args.rtt_ms / 1000.0))

    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        stats.values["connections"] += 1
        try:
            await asyncio.gather(
                pipe(client_reader, upstream_writer, up, stats, "up", half, 2 * half, limit),
                pipe(upstream_reader, client_writer, down, stats, "down", half, 0.0, limit))
        finally:
            for writer in (upstream_writer, client_writer):
                writer.close()

    async def report(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"POST /reset"):
                stats.reset()
            body = json.dumps(stats.snapshot()).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % len(body) + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    # The stats port first: once the link's own port listens, both do.
    servers = [await asyncio.start_server(report, "127.0.0.1", args.stats_port)] if args.stats_port else []
    servers.append(await asyncio.start_server(handle, args.listen, args.port, backlog=256))
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
