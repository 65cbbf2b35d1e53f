#!/usr/bin/env python3
"""Small load clients for tests/bench/run.sh (standard library only).

  freeports N                       N free TCP ports on 127.0.0.1, one per line
  latency PORT SNI PATH RATE CONNS SECONDS
                                    fixed-rate small requests over CONNS keep-alive TLS connections;
                                    prints "p50_ms p99_ms requests errors"
  hold PORT SNI COUNT READY_FILE MAX_SECONDS
                                    opens COUNT TLS connections (full handshake through the proxy to the
                                    backend), writes "opened failed" to READY_FILE, then holds them until
                                    SIGTERM or MAX_SECONDS pass
Only 127.0.0.1 is ever a target.
"""
import asyncio
import os
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def freeports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((HOST, 0))
        socks.append(s)
    for s in socks:
        print(s.getsockname()[1])
        s.close()


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise IOError("status " + head.split(b"\r\n", 1)[0].decode(errors="replace"))


async def latency(port, sni, path, rate, conns, seconds):
    ctx = client_context()
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, sni)).encode()
    samples = []
    errors = 0
    interval = conns / rate  # each connection sends every `interval` seconds
    loop = asyncio.get_running_loop()

    async def one(i, reader, writer, start):
        nonlocal errors
        k = 0
        deadline = start + seconds
        while True:
            due = start + i * interval / conns + k * interval
            if due >= deadline:
                break
            k += 1
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            t0 = time.perf_counter()
            try:
                writer.write(request)
                await asyncio.wait_for(read_response(reader), 10)
            except Exception:
                errors += 1
                return
            samples.append(time.perf_counter() - t0)
        writer.close()

    streams = []
    for _ in range(conns):
        streams.append(await asyncio.wait_for(
            asyncio.open_connection(HOST, port, ssl=ctx, server_hostname=sni), 10))
    # one warm-up request per connection, not counted
    for reader, writer in streams:
        writer.write(request)
        await asyncio.wait_for(read_response(reader), 10)
    start = loop.time() + 0.05
    await asyncio.wait_for(
        asyncio.gather(*(one(i, r, w, start) for i, (r, w) in enumerate(streams))), seconds + 30)
    samples.sort()
    if not samples:
        print("nan nan 0 %d" % errors)
        return

    def pct(p):
        return samples[min(len(samples) - 1, int(p * len(samples)))] * 1000

    print("%.3f %.3f %d %d" % (pct(0.50), pct(0.99), len(samples), errors))


async def hold(port, sni, count, ready_file, max_seconds):
    ctx = client_context()
    gate = asyncio.Semaphore(64)
    opened = []
    failed = 0

    async def open_one():
        nonlocal failed
        async with gate:
            try:
                opened.append(await asyncio.wait_for(
                    asyncio.open_connection(HOST, port, ssl=ctx, server_hostname=sni), 20))
            except Exception:
                failed += 1

    await asyncio.wait_for(asyncio.gather(*(open_one() for _ in range(count))), max_seconds)
    with open(ready_file + ".tmp", "w") as f:
        f.write("%d %d\n" % (len(opened), failed))
    os.rename(ready_file + ".tmp", ready_file)
    # held until run.sh sends SIGTERM (stdin is /dev/null for a background job: it cannot be the signal)
    await asyncio.sleep(max_seconds)
    for _, writer in opened:
        writer.transport.abort()


def main(argv):
    cmd = argv[1]
    if cmd == "freeports":
        freeports(int(argv[2]))
    elif cmd == "latency":
        asyncio.run(latency(int(argv[2]), argv[3], argv[4], float(argv[5]), int(argv[6]), float(argv[7])))
    elif cmd == "hold":
        asyncio.run(hold(int(argv[2]), argv[3], int(argv[4]), argv[5], float(argv[6])))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
