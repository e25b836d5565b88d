#!/usr/bin/env bash
# Upstream connection churn under many client connections (issue 6, "Upstream pool
# default"): wrk holds 1,000 keep-alive client connections through one proxy worker to
# one backend; after a warm-up, the script counts the backend's new connections per second
# (its nginx stub_status "accepts"), the sockets in TIME_WAIT toward the backend's port
# (ss), and reports wrk's p99 against nginx run the same way. See README.md beside this.
#
# Everything runs on 127.0.0.1, as the current user, under one temp prefix; every process
# started here is stopped by its PID when the script exits. The load stops by itself
# (wrk -d).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

usage() {
  cat <<EOF
Usage: tools/bench/pool_churn.sh [options]

  --connections=N     wrk connections, -c (default 1000)
  --threads=N         wrk threads, -t (default 2)
  --warmup=SEC        load before the counting starts (default 2)
  --duration=SEC      counted seconds after the warm-up (default 8)
  --rounds=N          rounds, each proxy once per round, order alternating (default 1);
                      the table shows medians
  --proxies=LIST      comma-separated subset of: nginx,switchyard (default both)
  --switchyard=PATH   switchyard-proxy binary (default bazel-bin/dataplane/switchyard-proxy)
  --switchyard-max-idle=N
                      set the cluster's max_idle_connections (default: the proxy's own)
  --switchyard-flags="FLAGS"
                      extra switchyard-proxy flags (word-split)
  --nginx-keepalive=N nginx's upstream keepalive (idle connections kept; default 1024)
  --wrk-timeout=SEC   wrk --timeout (default 10): an answer slower than this is a socket
                      error and is left out of the latency histogram, so keep it well
                      above the p99 (1,000 clients on 2 shared cores: 0.1-0.3 s)
  --cpu-proxy=LIST    taskset -c LIST for the proxy under test (default: not pinned)
  --cpu-backend=LIST  taskset -c LIST for the backend nginx (default: not pinned)
  --cpu-wrk=LIST      taskset -c LIST for wrk (default: not pinned); pinning the proxy
                      apart from wrk and the backend keeps the scheduler's stalls out of
                      the p99 on a 2-core machine
  --keep              keep the temp prefix (configs, logs)
  -h, --help          this text

Each proxy runs one worker, and every proxy and round gets a fresh backend on its own
port, so TIME_WAIT sockets of one never count for another. wrk runs warm-up + duration
+ 1 s without a break; the counters are read when the warm-up ends and when the duration
ends. p50/p99 are wrk's over its whole run, warm-up included (wrk keeps one histogram).

Exit status: 0, or 3 when switchyard misses a target of issue 6 (fewer than 1 new
upstream connection a second, fewer than 100 sockets in TIME_WAIT toward the backend,
p99 at most 1.1 x nginx's; the last only when nginx ran too).
EOF
}

CONNECTIONS=1000
WRK_THREADS=2
WARMUP=2
DURATION=8
ROUNDS=1
PROXIES="nginx,switchyard"
SWITCHYARD_BIN="$ROOT/bazel-bin/dataplane/switchyard-proxy"
SWITCHYARD_MAX_IDLE=""
SWITCHYARD_FLAGS=""
NGINX_KEEPALIVE=1024
WRK_TIMEOUT=10
CPU_PROXY=""
CPU_BACKEND=""
CPU_WRK=""
KEEP=0

while (($#)); do
  arg="$1"
  shift
  case "$arg" in
    --*=*) name="${arg%%=*}" value="${arg#*=}" ;;
    --keep | -h | --help) name="$arg" value="" ;;
    --connections | --threads | --warmup | --duration | --rounds | --proxies | --switchyard | \
      --switchyard-max-idle | --switchyard-flags | --nginx-keepalive | --wrk-timeout | \
      --cpu-proxy | --cpu-backend | --cpu-wrk)
      (($#)) || { echo "pool_churn.sh: $arg needs a value" >&2; exit 2; }
      name="$arg" value="$1"
      shift
      ;;
    *) echo "pool_churn.sh: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
  case "$name" in
    --connections) CONNECTIONS="$value" ;;
    --threads) WRK_THREADS="$value" ;;
    --warmup) WARMUP="$value" ;;
    --duration) DURATION="$value" ;;
    --rounds) ROUNDS="$value" ;;
    --proxies) PROXIES="$value" ;;
    --switchyard) SWITCHYARD_BIN="$value" ;;
    --switchyard-max-idle) SWITCHYARD_MAX_IDLE="$value" ;;
    --switchyard-flags) SWITCHYARD_FLAGS="$value" ;;
    --nginx-keepalive) NGINX_KEEPALIVE="$value" ;;
    --wrk-timeout) WRK_TIMEOUT="$value" ;;
    --cpu-proxy) CPU_PROXY="$value" ;;
    --cpu-backend) CPU_BACKEND="$value" ;;
    --cpu-wrk) CPU_WRK="$value" ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "pool_churn.sh: unknown option $name (see --help)" >&2; exit 2 ;;
  esac
done

for v in CONNECTIONS WRK_THREADS WARMUP DURATION ROUNDS NGINX_KEEPALIVE WRK_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] ||
    { echo "pool_churn.sh: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
((CONNECTIONS >= WRK_THREADS && WRK_THREADS >= 1 && DURATION >= 1 && ROUNDS >= 1)) ||
  { echo "pool_churn.sh: needs threads >= 1, connections >= threads, duration and rounds >= 1" >&2; exit 2; }
[[ -z "$SWITCHYARD_MAX_IDLE" || "$SWITCHYARD_MAX_IDLE" =~ ^[0-9]+$ ]] ||
  { echo "pool_churn.sh: --switchyard-max-idle must be a whole number" >&2; exit 2; }
IFS=, read -r -a TARGETS <<<"$PROXIES"
for t in "${TARGETS[@]}"; do
  case "$t" in
    nginx | switchyard) ;;
    *) echo "pool_churn.sh: unknown proxy '$t' (nginx,switchyard)" >&2; exit 2 ;;
  esac
done
for tool in wrk nginx curl ss python3; do
  command -v "$tool" >/dev/null ||
    { echo "pool_churn.sh: '$tool' not found; run scripts/setup.sh" >&2; exit 1; }
done
if [[ ",$PROXIES," == *,switchyard,* && ! -x "$SWITCHYARD_BIN" ]]; then
  echo "pool_churn.sh: no switchyard-proxy at $SWITCHYARD_BIN" >&2
  echo "pool_churn.sh: build it: bazel build //dataplane:switchyard-proxy" >&2
  exit 1
fi
# The proxy holds the clients and about as many upstream connections.
FDS=$((2 * CONNECTIONS + 1024))
if [[ "$(ulimit -Sn)" != unlimited ]] && (($(ulimit -Sn) < FDS)); then
  ulimit -Sn "$FDS" 2>/dev/null ||
    { echo "pool_churn.sh: RLIMIT_NOFILE $(ulimit -Sn) is below the $FDS needed" >&2; exit 1; }
fi

BENCH_TOOL=pool_churn.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_setup
echo "pool_churn.sh: prefix $PREFIX"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
write_wrk_report_lua "$PREFIX/report.lua"

# accepts STATUS_PORT: connections the backend has accepted so far (stub_status line 3).
accepts() {
  curl -s --max-time 5 "http://127.0.0.1:$1/status" | awk 'NR == 3 { print $1 }'
}

# sockets STATE PORT: sockets in STATE with PORT at either end: the proxy's side of its
# upstream connections, and the backend's side where the backend closed first.
sockets() {
  ss -Htan state "$1" "( dport = :$2 or sport = :$2 )" | wc -l
}

now() { date '+%s.%N'; }

RAW="$PREFIX/raw.tsv"
printf 'round\tproxy\treq_s\tp50_us\tp99_us\terrors\tnew_per_s\tclosed_per_s\ttime_wait\ttime_wait_window\tupstream_open\n' >"$RAW"
n=${#TARGETS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for ((k = 0; k < n; k++)); do
    t="${TARGETS[(k + r - 1) % n]}"
    name="$t-r$r"
    backend_port="$(free_port)"
    status_port="$(free_port)"
    start_backend "backend-$name" "$backend_port" "$status_port" "$CPU_BACKEND"
    case "$t" in
      nginx) start_nginx_proxy "$name" "$backend_port" 1 "$FDS" "$NGINX_KEEPALIVE" "$CPU_PROXY" ;;
      switchyard)
        # shellcheck disable=SC2086 # --switchyard-flags is a list of flags
        start_switchyard_proxy "$name" "$SWITCHYARD_BIN" "$backend_port" 1 "$CPU_PROXY" \
          "${SWITCHYARD_MAX_IDLE:+max_idle_connections: $SWITCHYARD_MAX_IDLE}" \
          --max_connections_per_worker=$((CONNECTIONS + 1024)) $SWITCHYARD_FLAGS
        ;;
    esac
    time_wait_start="$(sockets time-wait "$backend_port")"

    start "wrk-$name" "$CPU_WRK" wrk --latency -t"$WRK_THREADS" -c"$CONNECTIONS" --timeout "${WRK_TIMEOUT}s" \
      -d"$((WARMUP + DURATION + 1))s" -s "$PREFIX/report.lua" "${URL[$name]}"
    sleep "$WARMUP"
    t_a="$(now)"
    accepts_a="$(accepts "$status_port")"
    time_wait_a="$(sockets time-wait "$backend_port")"
    open_a="$(ss -Htn state established "( dport = :$backend_port )" | wc -l)"
    sleep "$DURATION"
    accepts_b="$(accepts "$status_port")"
    t_b="$(now)"
    time_wait_b="$(sockets time-wait "$backend_port")"
    open_b="$(ss -Htn state established "( dport = :$backend_port )" | wc -l)"
    wait "${PID[wrk-$name]}" || { cat "$PREFIX/wrk-$name.log" >&2; exit 1; }
    line="$(grep '^RESULT ' "$PREFIX/wrk-$name.log")" || { cat "$PREFIX/wrk-$name.log" >&2; exit 1; }
    kill -0 "${PID[$name]}" 2>/dev/null || fail_start "$name" "exited during the load"
    stop_pid "${PID[$name]}"
    stop_pid "${PID[backend-$name]}"

    declare -A res=()
    for kv in ${line#RESULT }; do res[${kv%%=*}]="${kv#*=}"; done
    # The second status read is itself one accepted connection (on the status port).
    # Closed = opened in the window less the growth of the established count over it.
    row="$(awk -v req="${res[requests]}" -v dur="${res[duration_us]}" -v a="$accepts_a" \
      -v b="$accepts_b" -v ta="$t_a" -v tb="$t_b" -v oa="$open_a" -v ob="$open_b" 'BEGIN {
        printf "%.0f\t%.2f\t%.2f", (dur > 0 ? req / (dur / 1e6) : 0), (b - a - 1) / (tb - ta),
          ((b - a - 1) - (ob - oa)) / (tb - ta) }')"
    IFS=$'\t' read -r rps new_per_s closed_per_s <<<"$row"
    errs=$((res[errors] + res[non2xx]))
    printf '%d\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%d\n' "$r" "$t" "$rps" "${res[p50_us]}" \
      "${res[p99_us]}" "$errs" "$new_per_s" "$closed_per_s" "$((time_wait_b - time_wait_start))" \
      "$((time_wait_b - time_wait_a))" "$open_b" >>"$RAW"
    printf 'round %d/%d  %-10s %7s req/s  p99 %7d µs  new upstream %7s/s  TIME_WAIT %5d  open %4d%s\n' \
      "$r" "$ROUNDS" "$t" "$rps" "${res[p99_us]}" "$new_per_s" "$((time_wait_b - time_wait_start))" \
      "$open_b" "$( ((errs == 0)) || echo "  ERRORS: ${res[errors]} socket (${res[timeouts]} timeouts), ${res[non2xx]} non-2xx")"
  done
done

# Medians over the rounds, p99 against nginx's, and the targets of issue 6.
status=0
table="$(python3 - "$RAW" "${TARGETS[*]}" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
order = sys.argv[2].split()
med = {}
for proxy in order:
    mine = [r for r in rows if r["proxy"] == proxy]
    med[proxy] = {k: statistics.median(float(r[k]) for r in mine) for k in mine[0] if k not in ("round", "proxy")}
    med[proxy]["errors"] = sum(int(r["errors"]) for r in mine)
nginx_p99 = med.get("nginx", {}).get("p99_us")
print(f"{'proxy':<11} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 ÷ nginx':>11} "
      f"{'new upstream/s':>14} {'closed/s':>8} {'TIME_WAIT':>9} {'in window':>9} {'upstream open':>13} {'errors':>6}")
for proxy in order:
    m = med[proxy]
    ratio = f"{m['p99_us'] / nginx_p99:.2f}" if nginx_p99 else "-"
    print(f"{proxy:<11} {m['req_s']:>8.0f} {m['p50_us'] / 1000:>8.1f} {m['p99_us'] / 1000:>8.1f} "
          f"{ratio:>11} {m['new_per_s']:>14.2f} {m['closed_per_s']:>8.2f} {m['time_wait']:>9.0f} {m['time_wait_window']:>9.0f} "
          f"{m['upstream_open']:>13.0f} {m['errors']:>6d}")
failed = False
if "switchyard" in med:
    m = med["switchyard"]
    checks = [
        ("new upstream connections/s", f"{m['new_per_s']:.2f}", "< 1", m["new_per_s"] < 1),
        ("sockets in TIME_WAIT toward the backend", f"{m['time_wait']:.0f}", "< 100", m["time_wait"] < 100),
    ]
    if nginx_p99:
        r = m["p99_us"] / nginx_p99
        checks.append(("p99 ÷ nginx", f"{r:.2f}", "<= 1.1", r <= 1.1))
    print()
    for what, value, limit, ok in checks:
        ok = ok and m["errors"] == 0
        failed = failed or not ok
        note = "" if m["errors"] == 0 else f" ({m['errors']} errors)"
        print(f"target (issue 6): switchyard {what} = {value} (limit {limit}): {'PASS' if ok else 'FAIL'}{note}")
sys.exit(3 if failed else 0)
EOF
)" || status=$?
((status == 0 || status == 3)) || { echo "$table"; exit "$status"; }

report="$(
  echo "Upstream pool churn, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, load average before: $LOAD_BEFORE"
  echo "wrk -t$WRK_THREADS -c$CONNECTIONS --timeout ${WRK_TIMEOUT}s, ${WARMUP}s warm-up then ${DURATION}s counted, $ROUNDS round(s) (medians); one worker per proxy"
  echo "pinning: proxy=${CPU_PROXY:-none} backend=${CPU_BACKEND:-none} wrk=${CPU_WRK:-none}"
  echo "nginx: $(nginx -v 2>&1), upstream keepalive $NGINX_KEEPALIVE"
  [[ ",$PROXIES," == *,switchyard,* ]] &&
    echo "switchyard: $SWITCHYARD_BIN, max_idle_connections ${SWITCHYARD_MAX_IDLE:-default}${SWITCHYARD_FLAGS:+, $SWITCHYARD_FLAGS}"
  echo
  echo "$table"
  echo
  echo "new upstream/s: the backend's accepted connections during the counted seconds, per"
  echo "second; closed/s: those less the growth of 'upstream open' over the same seconds (a"
  echo "pool still growing toward the peak concurrency opens without closing: that is not churn)."
  echo "TIME_WAIT: sockets toward the backend's port in TIME_WAIT at the end, less"
  echo "those before the load (warm-up included); in window: its change over the counted"
  echo "seconds (new connections on loopback may reuse TIME_WAIT ports, tcp_tw_reuse=$(cat /proc/sys/net/ipv4/tcp_tw_reuse),"
  echo "so both undercount closes). upstream open: the proxy's established connections to the"
  echo "backend at the end. p50/p99 are wrk's over the whole run (warm-up included)."
  echo
  echo "Per round:"
  column -t -s $'\t' "$RAW" 2>/dev/null || cat "$RAW"
)"
mkdir -p "$HERE/results"
out="$HERE/results/churn-$(date '+%Y%m%d-%H%M%S').txt"
echo "$report" >"$out"
echo
echo "$report" | sed -n '1,/^Per round/p' | sed '$d'
echo "Written to ${out#"$ROOT"/}"
exit "$status"
