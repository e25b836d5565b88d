#!/usr/bin/env python3
"""Memory per idle keep-alive connection, for tools/bench/idle_connections.sh.

`measure` drives one proxy that is already running on 127.0.0.1 and reads the memory of
its process tree from /proc:

  1. warm-up: `window` connections, one request each, closed (lazy allocations happen
     before the first reading);
  2. wave 1: N connections, each sends one `GET /`, reads the whole answer and then stays
     open and idle; RSS is read once they are all idle: growth / N = KiB per connection;
  3. all N are closed; once the proxy has closed its side, RSS shows how much came back;
  4. wave 2: N new connections the same way; the change of peak RSS (VmHWM) from the end
     of wave 1 to the end of wave 2 shows whether freed memory is reused.

With --tls the connections are TLS (TLS 1.3, ALPN http/1.1, any certificate accepted),
for the memory an idle TLS connection adds. It appends one JSON object per proxy to
--results. `report` prints the table and the
issue-6 targets from that file. Each wave comes from its own source address in 127/8
(127.x.y.1 for the warm-up, .2 for wave 1, .3 for wave 2), so the waves never compete for
ephemeral ports or meet the previous wave's TIME_WAIT sockets; every connection goes to
127.0.0.1.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: idle_connections\r\n\r\n"


def tree_pids(root):
    """The PID `root` and all its descendants (nginx's master and its workers)."""
    parent = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        parent[int(name)] = int(fields[1])
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def memory_kib(root):
    """(VmRSS, VmHWM) in KiB, summed over the process tree of `root`."""
    rss = hwm = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
        except OSError:
            pass
    return rss, hwm


def open_fds(root):
    """File descriptors open in the process tree of `root` (its sockets among them)."""
    count = 0
    for pid in tree_pids(root):
        try:
            count += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return count


def client_tls_context():
    """TLS 1.3 with ALPN http/1.1; the bench's self-signed certificate is not checked."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["http/1.1"])
    return context


async def exchange(port, source, timeout, tls):
    """Opens one connection from `source`, does one request; returns (reader, writer)."""
    extra = {"ssl": tls, "server_hostname": "bench"} if tls is not None else {}
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0), **extra), timeout
    )
    try:
        writer.write(REQUEST)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, _, rest = head.partition(b"\r\n")
        if b" 200 " not in status_line + b" ":
            raise RuntimeError(f"answer {status_line[:80]!r}")
        length = None
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError("answer without Content-Length")
        await asyncio.wait_for(reader.readexactly(length), timeout)
    except BaseException:
        writer.close()
        raise
    return reader, writer


async def open_wave(port, source, count, window, timeout, tls):
    """`count` connections, at most `window` of them between connect and answer at once.

    Returns (open connections, failures, first error text)."""
    limit = asyncio.Semaphore(window)

    async def one():
        async with limit:
            return await exchange(port, source, timeout, tls)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    opened = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    first = f"{type(errors[0]).__name__}: {errors[0]}" if errors else ""
    return opened, len(errors), first


async def close_all(connections):
    for _, writer in connections:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for _, w in connections), return_exceptions=True)


async def wait_fds_at_most(pid, limit, seconds):
    """Waits until the proxy has closed its side (fd count back near its idle level)."""
    deadline = time.monotonic() + seconds
    while open_fds(pid) > limit and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return open_fds(pid)


async def measure(args):
    pid, n = args.pid, args.connections
    prefix = args.source_prefix
    settle = args.settle
    tls = client_tls_context() if args.tls else None

    warm, warm_errors, warm_first = await open_wave(
        args.port, f"{prefix}.1", args.window, args.window, args.timeout, tls
    )
    await close_all(warm)
    await asyncio.sleep(settle)
    fds_idle = open_fds(pid)
    # The proxy may keep some pooled upstream connections; allow for those.
    fds_limit = fds_idle + args.window
    rss_before, hwm_before = memory_kib(pid)

    started = time.monotonic()
    wave1, errors1, first1 = await open_wave(
        args.port, f"{prefix}.2", n, args.window, args.timeout, tls
    )
    open_seconds = time.monotonic() - started
    await asyncio.sleep(settle)
    rss_idle, hwm_wave1 = memory_kib(pid)
    closed1 = sum(1 for reader, _ in wave1 if reader.at_eof())

    await close_all(wave1)
    fds_after_close = await wait_fds_at_most(pid, fds_limit, 30)
    await asyncio.sleep(settle)
    rss_after_close, hwm_after_close = memory_kib(pid)

    wave2, errors2, first2 = await open_wave(
        args.port, f"{prefix}.3", n, args.window, args.timeout, tls
    )
    await asyncio.sleep(settle)
    rss_wave2, hwm_wave2 = memory_kib(pid)
    closed2 = sum(1 for reader, _ in wave2 if reader.at_eof())
    await close_all(wave2)
    await wait_fds_at_most(pid, fds_limit, 30)

    held = len(wave1) - closed1
    result = {
        "proxy": args.name,
        "connections": n,
        "held": held,
        "open_errors": warm_errors + errors1 + errors2,
        "first_error": warm_first or first1 or first2,
        "closed_by_proxy": closed1 + closed2,
        "open_seconds": round(open_seconds, 2),
        "rss_before_kib": rss_before,
        "hwm_before_kib": hwm_before,
        "rss_idle_kib": rss_idle,
        "kib_per_connection": round((rss_idle - rss_before) / held, 3) if held else None,
        "rss_after_close_kib": rss_after_close,
        "fds_after_close": fds_after_close,
        "fds_idle": fds_idle,
        "window": args.window,
        "hwm_wave1_kib": hwm_wave1,
        "hwm_after_close_kib": hwm_after_close,
        "rss_wave2_kib": rss_wave2,
        "hwm_wave2_kib": hwm_wave2,
        "peak_growth_pct": round((hwm_wave2 - hwm_wave1) / hwm_wave1 * 100, 2) if hwm_wave1 else None,
    }
    with open(args.results, "a") as f:
        f.write(json.dumps(result) + "\n")
    print(
        f"idle_connections: {args.name}: {held} idle connections, "
        f"{result['kib_per_connection']} KiB each; second wave peak "
        f"{result['peak_growth_pct']:+.2f}%"
        + (f"; {result['open_errors']} failed ({result['first_error']})" if result["open_errors"] else "")
    )


def report(args):
    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    mib = lambda kib: f"{kib / 1024:.1f}"
    header = (
        f"{'proxy':<15} {'held':>6} {'RSS before':>10} {'RSS idle':>9} {'KiB/conn':>8} "
        f"{'RSS closed':>10} {'peak w1':>8} {'peak w2':>8} {'peak +%':>8} {'failed':>6}"
    )
    print(header)
    print(f"{'':<15} {'':>6} {'MiB':>10} {'MiB':>9} {'':>8} {'MiB':>10} {'MiB':>8} {'MiB':>8}")
    for r in rows:
        per = f"{r['kib_per_connection']:.2f}" if r["kib_per_connection"] is not None else "-"
        growth = f"{r['peak_growth_pct']:+.2f}" if r["peak_growth_pct"] is not None else "-"
        print(
            f"{r['proxy']:<15} {r['held']:>6} {mib(r['rss_before_kib']):>10} "
            f"{mib(r['rss_idle_kib']):>9} {per:>8} {mib(r['rss_after_close_kib']):>10} "
            f"{mib(r['hwm_wave1_kib']):>8} {mib(r['hwm_wave2_kib']):>8} {growth:>8} "
            f"{r['open_errors'] + r['closed_by_proxy']:>6}"
        )
    print()
    print("KiB/conn: (RSS with all connections idle - RSS before) / connections held.")
    print("RSS closed: after all were closed; peak +%: VmHWM after wave 2 vs after wave 1.")
    print("failed: connections that could not be opened or that the proxy closed while idle.")
    for r in rows:
        if r["first_error"]:
            print(f"{r['proxy']}: first failure: {r['first_error']}")
        if r["fds_after_close"] > r["fds_idle"] + r["window"]:
            print(
                f"{r['proxy']}: still {r['fds_after_close']} descriptors open 30 s after the "
                f"first wave closed ({r['fds_idle']} before it): 'RSS closed' is not after close"
            )
    failed = False
    for r in rows:
        if r["proxy"] != args.gate:
            continue
        per, growth = r["kib_per_connection"], r["peak_growth_pct"]
        complete = r["held"] == r["connections"] and r["open_errors"] == 0
        ok_per = complete and per is not None and per <= args.max_kib
        ok_growth = complete and growth is not None and growth < args.max_growth
        failed = failed or not (ok_per and ok_growth)
        note = "" if complete else f" (only {r['held']} of {r['connections']} connections held)"
        print(
            f"target (issue 6): {r['proxy']} KiB per idle connection = "
            f"{per if per is not None else '-'} (limit {args.max_kib}): "
            f"{'PASS' if ok_per else 'FAIL'}{note}"
        )
        print(
            f"target (issue 6): {r['proxy']} second-wave peak RSS growth = "
            f"{growth if growth is not None else '-'}% (limit < {args.max_growth}%): "
            f"{'PASS' if ok_growth else 'FAIL'}{note}"
        )
    # Issue 9: an idle TLS connection costs at most --max-tls-extra-kib more than a
    # plaintext one, when both rows of the gated proxy are present.
    by_name = {r["proxy"]: r for r in rows}
    plain, tls = by_name.get(args.gate), by_name.get(args.gate + "-tls")
    if plain and tls and plain["kib_per_connection"] is not None and tls["kib_per_connection"] is not None:
        extra = round(tls["kib_per_connection"] - plain["kib_per_connection"], 3)
        complete = tls["held"] == tls["connections"] and tls["open_errors"] == 0
        ok = complete and extra <= args.max_tls_extra_kib
        failed = failed or not ok
        print(
            f"target (issue 9): {args.gate} KiB per idle TLS connection beyond plaintext = "
            f"{extra} ({tls['kib_per_connection']} - {plain['kib_per_connection']}; limit "
            f"{args.max_tls_extra_kib}): {'PASS' if ok else 'FAIL'}"
        )
    return 3 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="run the waves against one running proxy")
    m.add_argument("--name", required=True, help="row label")
    m.add_argument("--port", type=int, required=True, help="the proxy's port on 127.0.0.1")
    m.add_argument("--pid", type=int, required=True, help="the proxy's PID (tree is measured)")
    m.add_argument("--connections", type=int, default=10000)
    m.add_argument("--window", type=int, default=100, help="connections opening at once")
    m.add_argument("--source-prefix", required=True, help="like 127.1.1: waves use .1 .2 .3")
    m.add_argument("--settle", type=float, default=1.0, help="seconds before each reading")
    m.add_argument("--timeout", type=float, default=30.0, help="seconds per connect/answer")
    m.add_argument("--results", required=True, help="JSON lines file to append to")
    m.add_argument("--tls", action="store_true", help="TLS 1.3 connections")
    r = sub.add_parser("report", help="print the table and the targets")
    r.add_argument("--results", required=True)
    r.add_argument("--gate", default="switchyard", help="row checked against the targets")
    r.add_argument("--max-kib", type=float, default=1.5)
    r.add_argument("--max-growth", type=float, default=5.0)
    r.add_argument("--max-tls-extra-kib", type=float, default=4.0)
    args = parser.parse_args()
    if args.command == "measure":
        asyncio.run(measure(args))
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
