#!/usr/bin/env python3
"""A real switchyard-proxy with 10,000 routes: how long `curl /metrics` takes once every
route has traffic, and a keep-alive client's request latency with and without a scraper
running back to back (issue 8: a scrape must not stall a worker).

    bazel build -c opt //dataplane:switchyard-proxy
    python3 tools/bench/metrics_scrape/scrape_under_load.py [--proxy=PATH] [--seconds=5]

Everything is on 127.0.0.1 on free ports; the proxy this starts is stopped by its PID.
Routes point at a closed port, so every request is the proxy's own 503 and no backend is
needed; each still counts per route. Prints figures only: they depend on the machine.
"""
import argparse
import os
import socket
import subprocess
import tempfile
import threading
import time

ROUTES = 10_000
CLUSTERS = 100


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path):
    lines = ["virtual_hosts:", "  - name: api", "    domains: ['*']", "    routes:"]
    for i in range(ROUTES):
        lines.append(f"      - {{name: route{i}, match: {{prefix: /r{i}/}}, "
                     f"route: {{cluster: cluster{i % CLUSTERS}}}}}")
    lines.append("clusters:")
    for c in range(CLUSTERS):
        # Port 1 on loopback: refused at once.
        lines.append(f"  - {{name: cluster{c}, endpoints: [{{address: 127.0.0.1, port: 1}}]}}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def get(self, path):
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        status = self.file.readline()
        length = 0
        while True:
            line = self.file.readline()
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line in (b"\r\n", b""):
                break
        self.file.read(length)
        return status


def scrape_ms(admin_port):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
         f"http://127.0.0.1:{admin_port}/metrics"],
        capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]) * 1000, int(out[1])


def latencies(port, admin_port, seconds, scraping):
    stop = threading.Event()
    scrapes = [0]

    def scraper():
        while not stop.is_set():
            scrape_ms(admin_port)
            scrapes[0] += 1

    thread = threading.Thread(target=scraper) if scraping else None
    if thread:
        thread.start()
    client = Client(port)
    rtts = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        start = time.perf_counter()
        client.get(f"/r{i % ROUTES}/x")
        rtts.append((time.perf_counter() - start) * 1000)
        i += 1
    stop.set()
    if thread:
        thread.join()
    rtts.sort()
    pick = lambda q: rtts[min(len(rtts) - 1, int(len(rtts) * q))]
    print(f"{'scraping   ' if scraping else 'no scraping'}: {len(rtts)} requests, "
          f"{scrapes[0]} scrapes; latency p50 {pick(0.5):.3f} ms, p99 {pick(0.99):.3f} ms, "
          f"p99.9 {pick(0.999):.3f} ms, max {rtts[-1]:.3f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", default="bazel-bin/dataplane/switchyard-proxy")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scrape_under_load") as tmp:
        config = os.path.join(tmp, "routes.yaml")
        write_config(config)
        port, admin_port = free_port(), free_port()
        log = open(os.path.join(tmp, "proxy.log"), "w")
        proxy = subprocess.Popen(
            [args.proxy, f"--config={config}", f"--listen=127.0.0.1:{port}",
             f"--admin=127.0.0.1:{admin_port}", f"--workers={args.workers}",
             "--drain_grace_period=0s"], stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.05)
            warm = Client(port)
            for i in range(ROUTES):
                warm.get(f"/r{i}/x")
            times = []
            for _ in range(10):
                ms, size = scrape_ms(admin_port)
                times.append(ms)
            print(f"/metrics with {ROUTES} routes: {size} bytes; curl time best "
                  f"{min(times):.1f} ms, worst {max(times):.1f} ms of 10")
            for scraping in (False, True, False, True):
                latencies(port, admin_port, args.seconds, scraping)
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)


if __name__ == "__main__":
    main()
