#!/usr/bin/env bash
# gRPC unary calls through the proxy against the backend directly (issue 9): h2load sends
# the same gRPC request (Echo/Unary, a 5-byte payload, framed as gRPC) to the grpc++ Echo
# server itself, through switchyard-proxy (h2c in, HTTP/2 cluster out) and through nghttpx
# (the same), and reports calls per second, p99 and each proxy's CPU per call.
#
# Everything runs on 127.0.0.1 under one temp prefix; every process started here is
# stopped by its PID when the script exits. The load stops by itself.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

usage() {
  cat <<EOF
Usage: tools/bench/grpc_unary.sh [options]

  --rounds=N          measured rounds (default 3); the table shows medians
  --requests=N        calls per target and round (default 20000)
  --clients=N         h2load -c (default 10)
  --streams=N         h2load -m, concurrent calls per connection (default 10)
  --workers=N         worker threads of each proxy (default 1)
  --targets=LIST      comma-separated subset of: direct,switchyard,nghttpx (default all)
  --switchyard=PATH   switchyard-proxy binary (default bazel-bin/dataplane/switchyard-proxy)
  --echo=PATH         the Echo server (default bazel-bin/tools/bench/grpc_echo/grpc_echo)
  --keep              keep the temp prefix
  -h, --help          this text

Columns: calls/s (h2load; a call answered with HTTP 200 counts as succeeded), p99 (from
h2load's per-request log), CPU µs/call of the proxy (utime+stime of all its processes
during the run / calls that succeeded; none for direct), and calls/s as a fraction of
direct's.
EOF
}

ROUNDS=3
REQUESTS=20000
CLIENTS=10
STREAMS=10
WORKERS=1
TARGET_LIST="direct,switchyard,nghttpx"
SWITCHYARD_BIN="$ROOT/bazel-bin/dataplane/switchyard-proxy"
ECHO_BIN="$ROOT/bazel-bin/tools/bench/grpc_echo/grpc_echo"
KEEP=0
while (($#)); do
  case "$1" in
    --rounds=*) ROUNDS="${1#*=}" ;;
    --requests=*) REQUESTS="${1#*=}" ;;
    --clients=*) CLIENTS="${1#*=}" ;;
    --streams=*) STREAMS="${1#*=}" ;;
    --workers=*) WORKERS="${1#*=}" ;;
    --targets=*) TARGET_LIST="${1#*=}" ;;
    --switchyard=*) SWITCHYARD_BIN="${1#*=}" ;;
    --echo=*) ECHO_BIN="${1#*=}" ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "grpc_unary.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in ROUNDS REQUESTS CLIENTS STREAMS WORKERS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] ||
    { echo "grpc_unary.sh: $v must be a whole number >= 1, got '${!v}'" >&2; exit 2; }
done
IFS=, read -r -a TARGETS <<<"$TARGET_LIST"
for t in "${TARGETS[@]}"; do
  case "$t" in direct | switchyard | nghttpx) ;; *)
    echo "grpc_unary.sh: unknown target '$t'" >&2; exit 2 ;; esac
done
for tool in h2load nghttpx python3; do
  command -v "$tool" >/dev/null ||
    { echo "grpc_unary.sh: '$tool' not found; run scripts/setup.sh" >&2; exit 1; }
done
[[ -x "$ECHO_BIN" ]] ||
  { echo "grpc_unary.sh: no Echo server at $ECHO_BIN (bazel build //tools/bench/grpc_echo)" >&2; exit 1; }
if [[ ",$TARGET_LIST," == *,switchyard,* && ! -x "$SWITCHYARD_BIN" ]]; then
  echo "grpc_unary.sh: no switchyard-proxy at $SWITCHYARD_BIN (bazel build //dataplane:switchyard-proxy)" >&2
  exit 1
fi

BENCH_TOOL=grpc_unary.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_setup
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
CLK_TCK="$(getconf CLK_TCK)"

# The call: a gRPC message frame (flag 0, 4-byte big-endian length) holding EchoRequest
# {payload: "hello"} (field 1, length-delimited: 0x0a 0x05 "hello").
printf '\x00\x00\x00\x00\x07\x0a\x05hello' >"$PREFIX/call.bin"
CALL_PATH=/switchyard.testing.Echo/Unary
H2LOAD_CALL=(-d "$PREFIX/call.bin" -H 'content-type: application/grpc' -H 'te: trailers')

start echo "" "$ECHO_BIN" "$PREFIX/echo.ready"
ECHO_PORT="$(wait_ready_file echo "$PREFIX/echo.ready")"

declare -A PORT
PORT[direct]="$ECHO_PORT"
for t in "${TARGETS[@]}"; do
  [[ "$t" == direct ]] && continue
  port="$(free_port)"
  case "$t" in
    switchyard)
      cat >"$PREFIX/switchyard.yaml" <<EOF
virtual_hosts:
- {name: bench, domains: ["*"], routes: [{name: all, match: {prefix: /}, route: {cluster: echo}}]}
clusters:
- {name: echo, protocol: HTTP2, endpoints: [{address: 127.0.0.1, port: $ECHO_PORT}]}
EOF
      start switchyard "" "$SWITCHYARD_BIN" --config="$PREFIX/switchyard.yaml" \
        --listen="127.0.0.1:$port" --workers="$WORKERS" --http2_max_concurrent_streams=100
      ;;
    nghttpx)
      start nghttpx "" nghttpx --conf=/dev/null --frontend="127.0.0.1,$port;no-tls" \
        --backend="127.0.0.1,$ECHO_PORT;;proto=h2" --workers="$WORKERS" \
        --frontend-http2-max-concurrent-streams=100 --no-ocsp \
        --errorlog-file="$PREFIX/nghttpx.error.log"
      ;;
  esac
  PORT[$t]="$port"
done

# One call through each target must succeed before anything is measured.
for t in "${TARGETS[@]}"; do
  ok=0
  for ((i = 0; i < 100; i++)); do
    if [[ "$t" != direct ]] && ! kill -0 "${PID[$t]}" 2>/dev/null; then
      fail_start "$t" "exited during start-up"
    fi
    if h2load -n 1 -c 1 "${H2LOAD_CALL[@]}" "http://127.0.0.1:${PORT[$t]}$CALL_PATH" 2>/dev/null |
      grep -q ' 1 succeeded'; then
      ok=1
      break
    fi
    sleep 0.1
  done
  ((ok)) || fail_start "$t" "no successful gRPC call on port ${PORT[$t]}"
done

RESULTS="$PREFIX/results.jsonl"
: >"$RESULTS"
# measure TARGET ROUND: one h2load run; appends a JSON line to $RESULTS.
measure() {
  local t="$1" round="$2" log="$PREFIX/h2load.log" before=0 after=0
  [[ "$t" == direct ]] || before="$(tree_ticks "${PID[$t]}")"
  h2load --log-file="$log" -n "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "${H2LOAD_CALL[@]}" \
    "http://127.0.0.1:${PORT[$t]}$CALL_PATH" >"$PREFIX/h2load.out" 2>&1 || true
  [[ "$t" == direct ]] || after="$(tree_ticks "${PID[$t]}")"
  python3 - "$t" "$round" "$((after - before))" "$CLK_TCK" "$log" "$PREFIX/h2load.out" \
    <<'PY' >>"$RESULTS"
import json, re, sys
target, rnd, ticks, clk, log, out_path = sys.argv[1:7]
out = open(out_path).read()
m = re.search(r"finished in [0-9.]+m?s, ([0-9.]+) req/s", out)
req_s = float(m.group(1)) if m else 0.0
m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
ok = int(m.group(1)) if m else 0
failed = (int(m.group(2)) + int(m.group(3))) if m else -1
times = sorted(int(p[2]) for p in (l.split() for l in open(log))
               if len(p) >= 3 and p[1].isdigit() and int(p[1]) > 0)
p99 = times[min(len(times) - 1, int(len(times) * 0.99))] / 1000.0 if times else 0.0
cpu = int(ticks) / int(clk)
print(json.dumps({"target": target, "round": int(rnd), "req_s": req_s, "ok": ok,
                  "failed": failed, "p99_ms": p99,
                  "cpu_us": cpu * 1e6 / ok if ok and target != "direct" else None}))
PY
  : >"$log"
}

for ((round = 1; round <= ROUNDS; round++)); do
  for t in "${TARGETS[@]}"; do
    echo "grpc_unary.sh: round $round, $t"
    measure "$t" "$round"
  done
done

table="$(python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
order = []
for r in rows:
    if r["target"] not in order:
        order.append(r["target"])
def med(xs):
    return statistics.median(xs) if xs else None
summary = {}
for t in order:
    rs = [r for r in rows if r["target"] == t]
    cpu = [r["cpu_us"] for r in rs if r["cpu_us"] is not None]
    summary[t] = (med([r["req_s"] for r in rs]), med([r["p99_ms"] for r in rs]), med(cpu),
                  sum(max(r["failed"], 0) for r in rs))
direct = summary.get("direct", (None,))[0]
print(f"{'target':<12}{'calls/s':>10}{'p99 ms':>9}{'CPU µs/call':>13}{'÷ direct':>10}{'failed':>8}")
for t in order:
    req_s, p99, cpu, failed = summary[t]
    ratio = f"{req_s / direct:.2f}" if direct else "-"
    cpu_s = f"{cpu:.1f}" if cpu is not None else "-"
    print(f"{t:<12}{req_s:>10.0f}{p99:>9.2f}{cpu_s:>13}{ratio:>10}{failed:>8}")
PY
)"
report="$(
  echo "gRPC unary calls, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, load average before: $LOAD_BEFORE"
  echo "$WORKERS worker(s) per proxy; h2load -c$CLIENTS -m$STREAMS, $REQUESTS calls per run, $ROUNDS rounds, medians"
  echo "grpc++ Echo server (tools/bench/grpc_echo); h2c both sides; $(nghttpx --version | head -n 1)"
  echo
  echo "$table"
)"
mkdir -p "$HERE/results"
out="$HERE/results/grpc-unary-$(date '+%Y%m%d-%H%M%S').txt"
echo "$report" >"$out"
echo
echo "$report"
echo "Written to ${out#"$ROOT"/}"
