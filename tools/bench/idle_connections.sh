#!/usr/bin/env bash
# Memory per idle keep-alive connection (issue 6): one proxy worker, one backend, N client
# connections that each make one request and then stay idle; the proxy's RSS growth per
# connection, then a second wave of N after the first closed and the change of peak RSS.
# switchyard-proxy and nginx (as a proxy, configured as in run.sh) are measured the same
# way, one after the other. See README.md beside this.
#
# Everything runs on 127.0.0.1, as the current user, under one temp prefix; every process
# started here is stopped by its PID when the script exits. The clients are
# idle_connections.py; each wave ends by itself once its connections are open.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

usage() {
  cat <<EOF
Usage: tools/bench/idle_connections.sh [options]

  --connections=N     idle client connections per wave (default 10000)
  --window=N          connections opening at once (default 100)
  --settle=SEC        wait before each memory reading (default 1)
  --proxies=LIST      comma-separated subset of: nginx,switchyard (default both)
  --switchyard=PATH   switchyard-proxy binary (default bazel-bin/dataplane/switchyard-proxy)
  --switchyard-flags="FLAGS"
                      extra switchyard-proxy flags (word-split), after the defaults
  --tls               also measure each proxy over TLS (rows "<proxy>-tls": TLS 1.3,
                      an ECDSA P-256 certificate, ALPN http/1.1), after its plaintext row
  --keep              keep the temp prefix (configs, logs, results.jsonl)
  -h, --help          this text

Each proxy runs one worker. switchyard-proxy gets --workers=1,
--max_connections_per_worker=N+WINDOW+16 and --idle_timeout=300s (nginx's
keepalive_timeout in conf/nginx-proxy.conf), so neither the connection cap nor the idle
timeout closes anything during the test. RLIMIT_NOFILE is raised to N+WINDOW+1024 (the
hard limit too, as root, up to the kernel's fs.nr_open).

Exit status: 0, or 3 when switchyard misses a target of issue 6 (at most 1.5 KiB per
idle connection; second wave raises peak RSS by less than 5%) or, with --tls, of issue 9
(an idle TLS connection at most 4 KiB more than a plaintext one).
EOF
}

CONNECTIONS=10000
WINDOW=100
SETTLE=1
PROXIES="nginx,switchyard"
SWITCHYARD_BIN="$ROOT/bazel-bin/dataplane/switchyard-proxy"
SWITCHYARD_FLAGS=""
KEEP=0
TLS=0

while (($#)); do
  arg="$1"
  shift
  case "$arg" in
    --*=*) name="${arg%%=*}" value="${arg#*=}" ;;
    --keep | --tls | -h | --help) name="$arg" value="" ;;
    --connections | --window | --settle | --proxies | --switchyard | --switchyard-flags)
      (($#)) || { echo "idle_connections.sh: $arg needs a value" >&2; exit 2; }
      name="$arg" value="$1"
      shift
      ;;
    *) echo "idle_connections.sh: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
  case "$name" in
    --connections) CONNECTIONS="$value" ;;
    --window) WINDOW="$value" ;;
    --settle) SETTLE="$value" ;;
    --proxies) PROXIES="$value" ;;
    --switchyard) SWITCHYARD_BIN="$value" ;;
    --switchyard-flags) SWITCHYARD_FLAGS="$value" ;;
    --keep) KEEP=1 ;;
    --tls) TLS=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "idle_connections.sh: unknown option $name (see --help)" >&2; exit 2 ;;
  esac
done

for v in CONNECTIONS WINDOW; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] ||
    { echo "idle_connections.sh: $v must be a whole number >= 1, got '${!v}'" >&2; exit 2; }
done
[[ "$SETTLE" =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
  { echo "idle_connections.sh: --settle must be a number of seconds" >&2; exit 2; }
IFS=, read -r -a TARGETS <<<"$PROXIES"
for t in "${TARGETS[@]}"; do
  case "$t" in
    nginx | switchyard) ;;
    *) echo "idle_connections.sh: unknown proxy '$t' (nginx,switchyard)" >&2; exit 2 ;;
  esac
done
for tool in nginx curl python3 openssl; do
  command -v "$tool" >/dev/null ||
    { echo "idle_connections.sh: '$tool' not found; run scripts/setup.sh" >&2; exit 1; }
done
if [[ ",$PROXIES," == *,switchyard,* && ! -x "$SWITCHYARD_BIN" ]]; then
  echo "idle_connections.sh: no switchyard-proxy at $SWITCHYARD_BIN" >&2
  echo "idle_connections.sh: build it: bazel build //dataplane:switchyard-proxy" >&2
  exit 1
fi

# ---------------------------------------------------------------- kernel limits
# Each side of a connection is a file descriptor: the clients hold N, the proxy N plus
# its upstream connections. Raise this shell's limit (inherited by everything it starts)
# after checking that the kernel allows it.
FDS=$((CONNECTIONS + WINDOW + 1024))
nr_open="$(cat /proc/sys/fs/nr_open)"
((FDS <= nr_open)) ||
  { echo "idle_connections.sh: $FDS descriptors per process needed, kernel fs.nr_open is $nr_open" >&2; exit 1; }
read -r files_used _ files_max </proc/sys/fs/file-nr
((files_used + 2 * FDS <= files_max)) ||
  { echo "idle_connections.sh: fs.file-max $files_max leaves no room for 2 x $FDS descriptors ($files_used in use)" >&2; exit 1; }
hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited ]] && ((hard < FDS)); then
  ulimit -Hn "$FDS" 2>/dev/null || {
    echo "idle_connections.sh: cannot raise the hard RLIMIT_NOFILE from $hard to $FDS (needs root, or ask for a higher 'ulimit -Hn')" >&2
    exit 1
  }
fi
soft="$(ulimit -Sn)"
if [[ "$soft" != unlimited ]] && ((soft < FDS)); then
  ulimit -Sn "$FDS"
fi
# Every wave comes from its own 127/8 source address, so it needs N ephemeral ports.
read -r port_low port_high </proc/sys/net/ipv4/ip_local_port_range
((port_high - port_low + 1 >= CONNECTIONS + WINDOW)) ||
  { echo "idle_connections.sh: net.ipv4.ip_local_port_range $port_low-$port_high is smaller than $((CONNECTIONS + WINDOW))" >&2; exit 1; }

# ---------------------------------------------------------------- run
BENCH_TOOL=idle_connections.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_setup
echo "idle_connections.sh: prefix $PREFIX; RLIMIT_NOFILE $(ulimit -Sn)/$(ulimit -Hn)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

BACKEND_PORT="$(free_port)"
start_backend backend "$BACKEND_PORT" "$(free_port)" ""

RESULTS="$PREFIX/results.jsonl"
: >"$RESULTS"
RUNS=()
for t in "${TARGETS[@]}"; do
  RUNS+=("$t")
  ((TLS)) && RUNS+=("$t-tls")
done
index=0
for run in "${RUNS[@]}"; do
  index=$((index + 1))
  t="${run%-tls}"
  tls_args=()
  unset BENCH_TLS_CERT BENCH_TLS_KEY
  if [[ "$run" == *-tls ]]; then
    make_bench_certificate "$PREFIX/certificate"
    tls_args=(--tls)
  fi
  case "$t" in
    nginx)
      # worker_connections counts client and upstream connections together.
      start_nginx_proxy "$run" "$BACKEND_PORT" 1 "$FDS" 256 ""
      ;;
    switchyard)
      # shellcheck disable=SC2086 # --switchyard-flags is a list of flags
      start_switchyard_proxy "$run" "$SWITCHYARD_BIN" "$BACKEND_PORT" 1 "" "" \
        --max_connections_per_worker=$((CONNECTIONS + WINDOW + 16)) --idle_timeout=300s \
        $SWITCHYARD_FLAGS
      ;;
  esac
  port="${URL[$run]#http*://127.0.0.1:}"
  port="${port%/}"
  echo "idle_connections.sh: $run: $CONNECTIONS connections, twice"
  python3 "$HERE/idle_connections.py" measure --name="$run" --port="$port" --pid="${PID[$run]}" \
    --connections="$CONNECTIONS" --window="$WINDOW" --settle="$SETTLE" \
    --source-prefix="127.1.$index" --results="$RESULTS" "${tls_args[@]}"
  kill -0 "${PID[$run]}" 2>/dev/null || fail_start "$run" "exited during the test"
  # Stopped before the next one starts, so no two share the machine's memory.
  stop_pid "${PID[$run]}"
done

status=0
table="$(python3 "$HERE/idle_connections.py" report --results="$RESULTS")" || status=$?
((status == 0 || status == 3)) || { echo "$table"; exit "$status"; }

report="$(
  echo "Idle connection memory, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, load average before: $LOAD_BEFORE"
  echo "one worker per proxy; $CONNECTIONS connections per wave, one GET / each, then idle; $WINDOW opening at once"
  echo "nginx: $(nginx -v 2>&1)"
  [[ ",$PROXIES," == *,switchyard,* ]] &&
    echo "switchyard: $SWITCHYARD_BIN${SWITCHYARD_FLAGS:+ $SWITCHYARD_FLAGS}"
  echo
  echo "$table"
)"
mkdir -p "$HERE/results"
out="$HERE/results/idle-$(date '+%Y%m%d-%H%M%S').txt"
echo "$report" >"$out"
echo
echo "$report"
echo "Written to ${out#"$ROOT"/}"
exit "$status"
