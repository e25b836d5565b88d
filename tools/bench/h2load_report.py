#!/usr/bin/env python3
"""The table and the issue-9 targets for tools/bench/h2load.sh, from its results.jsonl.

Medians over rounds per (mode, proxy). Targets, checked for switchyard:
  * tls: CPU µs per request at most 1.2x the best of the other proxies in the same run;
  * handshake: handshakes per CPU second at least nginx's.
Exit status 3 when a target is missed, 0 otherwise.
"""

import json
import statistics
import sys

MAX_CPU_RATIO = 1.2


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    groups = {}
    for r in rows:
        groups.setdefault((r["mode"], r["proxy"]), []).append(r)
    modes = [m for m in ("tls", "h2c", "handshake") if any(k[0] == m for k in groups)]
    failed = False
    for mode in modes:
        proxies = [p for (m, p) in groups if m == mode]
        stats = {}
        for p in proxies:
            g = groups[(mode, p)]
            stats[p] = {
                "req_s": median([r["req_s"] for r in g]),
                "p99": median([r["p99_ms"] for r in g]),
                "cpu": median([r["cpu_us_per_req"] for r in g]),
                "per_cpu": median([r["per_cpu_second"] for r in g]),
                "failed": sum(max(r["failed"], 0) for r in g),
            }
        peers = [p for p in proxies if p != "switchyard" and stats[p]["cpu"]]
        best = min((stats[p]["cpu"] for p in peers), default=None)
        print(f"{mode}:")
        if mode == "handshake":
            print(f"  {'proxy':<11} {'conn/s':>9} {'p99 ms':>8} {'CPU µs/conn':>12} "
                  f"{'handshakes/CPU s':>17} {'failed':>6}")
        else:
            print(f"  {'proxy':<11} {'req/s':>9} {'p99 ms':>8} {'CPU µs/req':>11} "
                  f"{'÷ best peer':>11} {'failed':>6}")
        for p in proxies:
            s = stats[p]
            cpu = f"{s['cpu']:.2f}" if s["cpu"] else "-"
            if mode == "handshake":
                per = f"{s['per_cpu']:.0f}" if s["per_cpu"] else "-"
                print(f"  {p:<11} {s['req_s']:>9.0f} {s['p99']:>8.2f} {cpu:>12} {per:>17} "
                      f"{s['failed']:>6}")
            else:
                ratio = f"{s['cpu'] / best:.2f}" if best and s["cpu"] else "-"
                print(f"  {p:<11} {s['req_s']:>9.0f} {s['p99']:>8.2f} {cpu:>11} {ratio:>11} "
                      f"{s['failed']:>6}")
        mine = stats.get("switchyard")
        if mine is None:
            continue
        if mode == "tls" and best and mine["cpu"]:
            ratio = mine["cpu"] / best
            ok = ratio <= MAX_CPU_RATIO and mine["failed"] == 0
            failed = failed or not ok
            print(f"  target (issue 9): switchyard CPU per TLS request = {ratio:.2f}x the best "
                  f"peer (limit {MAX_CPU_RATIO}): {'PASS' if ok else 'FAIL'}")
        if mode == "handshake" and "nginx" in stats and stats["nginx"]["per_cpu"] and mine["per_cpu"]:
            ok = mine["per_cpu"] >= stats["nginx"]["per_cpu"] and mine["failed"] == 0
            failed = failed or not ok
            print(f"  target (issue 9): switchyard handshakes per CPU second = "
                  f"{mine['per_cpu']:.0f} vs nginx {stats['nginx']['per_cpu']:.0f}: "
                  f"{'PASS' if ok else 'FAIL'}")
    print()
    print("CPU: the proxy's utime+stime (all its processes) during the run, per request that")
    print("succeeded (per connection in the handshake run); p99 from h2load's per-request log.")
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
