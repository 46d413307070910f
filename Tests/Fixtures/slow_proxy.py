#!/usr/bin/env python3
"""A TCP proxy that forwards to a real registry at a limited rate, so tests can watch a run
that lasts seconds instead of milliseconds (the dashboard mid-run, quitting with work left).

    slow_proxy.py --port 5001 --upstream 127.0.0.1:5000 --rate 2000000

One token bucket is shared by every connection and both directions, so `--rate` bytes per
second is the whole link's speed, like a slow ssh tunnel. The Host header passes through
unchanged, so the registry's absolute Location headers point back at the proxy.
"""
import argparse
import asyncio
import time


class Bucket:
    def __init__(self, rate):
        self.rate = rate
        self.tokens = 0.0
        self.last = time.monotonic()

    async def take(self, count):
        while True:
            now = time.monotonic()
            self.tokens = min(self.rate / 4, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= count:
                self.tokens -= count
                return
            await asyncio.sleep((count - self.tokens) / self.rate)


async def pump(reader, writer, bucket):
    try:
        while True:
            data = await reader.read(16384)
            if not data:
                break
            await bucket.take(len(data))
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rate", type=float, required=True, help="bytes per second, all connections together")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    bucket = Bucket(args.rate)

    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, upstream_writer, bucket), pump(upstream_reader, client_writer, bucket))

    server = await asyncio.start_server(handle, "127.0.0.1", args.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
