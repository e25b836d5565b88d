#!/usr/bin/env python3
"""Measures how fast a config change reaches every proxy.

Starts switchyard-control (temporary SQLite file) and N switchyard-proxy processes
subscribed to it, all on 127.0.0.1, then applies a series of changed snapshots with
yardctl. For each change it measures the time from `yardctl apply` returning to every
proxy serving the new version (each proxy's admin /stats), which is when it has sent its
ACK. Also reports each proxy's memory (VmRSS) holding the snapshot and the compile time
the proxy logs. Everything it starts is stopped by PID at the end.

  tools/bench/push_latency.py                       # 1, 3 and 10 proxies; 10 and 10,000 routes
  tools/bench/push_latency.py --proxies 3 --routes 10000 --changes 10

Build first: bazel build //controlplane:switchyard-control //dataplane:switchyard-proxy
//tools/yardctl:yardctl
"""
import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bazel-bin")


def snapshot(routes, generation):
    """A snapshot with `routes` prefix routes; `generation` changes one route's rewrite."""
    route_list = [{
        "name": f"r{i}",
        "match": {"prefix": f"/svc{i}/"},
        "route": {"cluster": "backend"},
    } for i in range(routes)]
    # The change: the last route's rewrite, so a delta carries one virtual host.
    route_list[-1]["route"]["prefix_rewrite"] = f"/gen{generation}/"
    return {
        "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": route_list}],
        "clusters": [{"name": "backend", "endpoints": [{"address": "127.0.0.1", "port": 9}]}],
    }


def wait_file(path, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                return f.read().split()
        time.sleep(0.02)
    raise RuntimeError(f"{path} did not appear")


def stats(conn):
    conn.request("GET", "/stats")
    return json.loads(conn.getresponse().read())


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(proxies, routes, changes, workdir):
    procs = []
    try:
        cp_ready = os.path.join(workdir, "cp.ready")
        procs.append(subprocess.Popen(
            [f"{BIN}/controlplane/switchyard-control", "--listen=127.0.0.1:0", "--insecure",
             f"--db={workdir}/sy.db", f"--ready_file={cp_ready}", "--log_level=warning"]))
        cp_port = wait_file(cp_ready)[0]
        admin = []
        proxy_pids = []
        logs = []
        for i in range(proxies):
            ready = os.path.join(workdir, f"px{i}.ready")
            log = os.path.join(workdir, f"px{i}.log")
            logs.append(log)
            p = subprocess.Popen(
                [f"{BIN}/dataplane/switchyard-proxy", f"--control_plane=127.0.0.1:{cp_port}", "--control_plane_insecure",
                 "--listen=127.0.0.1:0", "--admin=127.0.0.1:0", "--workers=1",
                 f"--node_id=bench-{i}", f"--ready_file={ready}"],
                stderr=open(log, "w"))
            procs.append(p)
            proxy_pids.append(p.pid)
            admin.append(int(wait_file(ready)[1]))
        conns = [http.client.HTTPConnection("127.0.0.1", a, timeout=10) for a in admin]

        latencies = []
        for generation in range(changes + 1):
            path = os.path.join(workdir, f"s{generation}.json")
            with open(path, "w") as f:
                json.dump(snapshot(routes, generation), f)
            subprocess.run([f"{BIN}/tools/yardctl/yardctl", "--server", f"127.0.0.1:{cp_port}", "--insecure",
                            "--timeout", "60s", "apply", "-f", path, "--message", "bench"],
                           check=True, stdout=subprocess.DEVNULL)
            applied = time.monotonic()
            want = generation + 1
            pending = set(range(proxies))
            while pending:
                for i in list(pending):
                    if stats(conns[i]).get("version") == want:
                        pending.discard(i)
                if pending:
                    time.sleep(0.0005)
            if generation > 0:  # the first apply also includes connection setup
                latencies.append((time.monotonic() - applied) * 1000)
        compile_ms = []
        for log in logs:
            with open(log) as f:
                for m in re.finditer(r"compiled in ([0-9.]+)(us|ms|s)", f.read()):
                    v = float(m.group(1))
                    compile_ms.append(v / 1000 if m.group(2) == "us" else
                                      v * 1000 if m.group(2) == "s" else v)
        rss = [rss_kb(pid) for pid in proxy_pids]
        return latencies, compile_ms, rss
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proxies", type=int, nargs="*", default=[1, 3, 10])
    parser.add_argument("--routes", type=int, nargs="*", default=[10, 10000])
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    print(f"{'proxies':>7} {'routes':>7} {'changes':>7} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'max ms':>8} {'compile ms (p50)':>17} {'proxy RSS MiB':>14}")
    for routes in args.routes:
        for n in args.proxies:
            changes = args.changes if routes <= 1000 else max(5, args.changes // 4)
            with tempfile.TemporaryDirectory(prefix="switchyard-push-") as workdir:
                lat, comp, rss = run(n, routes, changes, workdir)
            lat.sort()
            p90 = lat[min(len(lat) - 1, int(len(lat) * 0.9))]
            print(f"{n:>7} {routes:>7} {len(lat):>7} {statistics.median(lat):>8.1f} "
                  f"{p90:>8.1f} {max(lat):>8.1f} {statistics.median(comp):>17.2f} "
                  f"{max(rss) / 1024:>14.1f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
