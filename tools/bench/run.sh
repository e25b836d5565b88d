#!/usr/bin/env bash
# Side-by-side HTTP/1.1 keep-alive benchmark: the same wrk load against the backend
# directly, nginx, HAProxy, a Go net/http/httputil.ReverseProxy and switchyard-proxy, all
# with the same worker count, interleaved over several rounds so that noise from other
# work on this (shared, 2-core) machine hits every proxy alike. See README.md beside this.
#
# Everything runs on 127.0.0.1, as the current user, under one temp prefix; every process
# started here is stopped by its PID when the script exits. The load stops by itself
# (wrk -d).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

usage() {
  cat <<EOF
Usage: tools/bench/run.sh [options]

  --rounds=N          measured rounds per proxy (default 5); the table shows medians
  --duration=SEC      seconds of load per proxy and round (default 5)
  --warmup=SEC        unmeasured load per proxy before round 1 (default 1; 0 = none)
  --workers=N         worker processes/threads of every proxy (default 1)
  --threads=N         wrk threads, -t (default 1)
  --connections=N     wrk connections, -c (default 32)
  --proxies=LIST      comma-separated subset of: direct,nginx,haproxy,goproxy,switchyard
                      (default: all five)
  --switchyard=PATH   switchyard-proxy binary (default bazel-bin/dataplane/switchyard-proxy)
  --backend-port=N    backend port (default 18080 if free, else any free port)
  --cpu-proxy=LIST    taskset -c LIST for the proxy under test (default: not pinned)
  --cpu-backend=LIST  taskset -c LIST for the backend nginx (default: not pinned)
  --cpu-wrk=LIST      taskset -c LIST for wrk (default: not pinned)
  --keep              keep the temp prefix (configs, logs) instead of deleting it
  -h, --help          this text

Columns: req/s, latency p50/p99 (wrk --latency), CPU µs/req = CPU time (utime+stime from
/proc, all processes of that proxy) used during the round / requests served. "direct" is
wrk against the backend itself; its CPU column is the backend's own cost.
EOF
}

# ---------------------------------------------------------------- options
ROUNDS=5
DURATION=5
WARMUP=1
WORKERS=1
WRK_THREADS=1
WRK_CONNECTIONS=32
PROXIES="direct,nginx,haproxy,goproxy,switchyard"
SWITCHYARD_BIN="$ROOT/bazel-bin/dataplane/switchyard-proxy"
BACKEND_PORT=""
CPU_PROXY=""
CPU_BACKEND=""
CPU_WRK=""
KEEP=0

while (($#)); do
  arg="$1"
  shift
  # Accept both --name=value and --name value.
  case "$arg" in
    --*=*) name="${arg%%=*}" value="${arg#*=}" ;;
    --keep | -h | --help) name="$arg" value="" ;;
    --rounds | --duration | --warmup | --workers | --threads | --connections | --proxies | \
      --switchyard | --backend-port | --cpu-proxy | --cpu-backend | --cpu-wrk)
      (($#)) || { echo "run.sh: $arg needs a value" >&2; exit 2; }
      name="$arg" value="$1"
      shift
      ;;
    *) echo "run.sh: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
  case "$name" in
    --rounds) ROUNDS="$value" ;;
    --duration) DURATION="$value" ;;
    --warmup) WARMUP="$value" ;;
    --workers) WORKERS="$value" ;;
    --threads) WRK_THREADS="$value" ;;
    --connections) WRK_CONNECTIONS="$value" ;;
    --proxies) PROXIES="$value" ;;
    --switchyard) SWITCHYARD_BIN="$value" ;;
    --backend-port) BACKEND_PORT="$value" ;;
    --cpu-proxy) CPU_PROXY="$value" ;;
    --cpu-backend) CPU_BACKEND="$value" ;;
    --cpu-wrk) CPU_WRK="$value" ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $name (see --help)" >&2; exit 2 ;;
  esac
done

for v in ROUNDS DURATION WARMUP WORKERS WRK_THREADS WRK_CONNECTIONS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "run.sh: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
((ROUNDS >= 1 && DURATION >= 1 && WORKERS >= 1 && WRK_THREADS >= 1)) ||
  { echo "run.sh: rounds, duration, workers and threads must be at least 1" >&2; exit 2; }
((WRK_CONNECTIONS >= WRK_THREADS)) ||
  { echo "run.sh: wrk needs at least one connection per thread" >&2; exit 2; }

IFS=, read -r -a TARGETS <<<"$PROXIES"
for t in "${TARGETS[@]}"; do
  case "$t" in
    direct | nginx | haproxy | goproxy | switchyard) ;;
    *) echo "run.sh: unknown proxy '$t' (direct,nginx,haproxy,goproxy,switchyard)" >&2; exit 2 ;;
  esac
done

need=(wrk nginx curl python3 awk)
for t in "${TARGETS[@]}"; do
  case "$t" in
    haproxy) need+=(haproxy) ;;
    goproxy) need+=(go) ;;
  esac
done
[[ -n "$CPU_PROXY$CPU_BACKEND$CPU_WRK" ]] && need+=(taskset)
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null ||
    { echo "run.sh: '$tool' not found; run scripts/setup.sh (installs wrk nginx-light haproxy golang-go)" >&2; exit 1; }
done

# switchyard-proxy is built separately (bazel build //dataplane:switchyard-proxy). When it
# is missing, say so loudly and measure the rest rather than nothing.
SWITCHYARD_MISSING=""
if [[ ",$PROXIES," == *,switchyard,* && ! -x "$SWITCHYARD_BIN" ]]; then
  SWITCHYARD_MISSING="switchyard NOT MEASURED: no executable at $SWITCHYARD_BIN (build it with: bazel build //dataplane:switchyard-proxy)"
  echo "run.sh: $SWITCHYARD_MISSING" >&2
  echo "run.sh: benchmarking the others only" >&2
  kept=()
  for t in "${TARGETS[@]}"; do [[ "$t" == switchyard ]] || kept+=("$t"); done
  TARGETS=("${kept[@]}")
fi
((${#TARGETS[@]})) || { echo "run.sh: nothing to benchmark" >&2; exit 1; }

# ---------------------------------------------------------------- processes
PREFIX="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-bench.XXXXXX")"
declare -a STARTED=()     # PIDs started by this script, in start order
declare -A PID=()         # target name -> PID whose process tree is measured
declare -A URL=()         # target name -> URL wrk loads

# Stops one process we started: SIGTERM (nginx's master stops its workers, HAProxy and
# the Go proxy exit), then SIGKILL if it is still there after 5 s.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local i
  # Newest first: proxies before the backend they forward to.
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED[i]}"
  done
  if ((KEEP)); then
    echo "run.sh: kept configs and logs in $PREFIX" >&2
  else
    rm -rf "$PREFIX"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints a port nobody listens on. The kernel picks it; the tiny window before the server
# binds it is acceptable for a benchmark on a loopback address.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_is_free() {
  python3 -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# render TEMPLATE OUT KEY=VALUE...: fills in @KEY@ placeholders of a conf/ template.
render() {
  local template="$1" out="$2" kv
  shift 2
  local -a sed_args=()
  for kv in "$@"; do
    sed_args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
  done
  sed "${sed_args[@]}" "$template" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then
    echo "run.sh: unfilled placeholder in $out" >&2
    exit 1
  fi
}

# start NAME CPU_LIST COMMAND...: runs COMMAND in the background (under taskset when a
# CPU list is given; taskset execs, so $! is the program's own PID), output to a log.
start() {
  local name="$1" cpus="$2"
  shift 2
  if [[ -n "$cpus" ]]; then
    taskset -c "$cpus" "$@" >"$PREFIX/$name.log" 2>&1 &
  else
    "$@" >"$PREFIX/$name.log" 2>&1 &
  fi
  STARTED+=("$!")
  PID[$name]="$!"
}

fail_start() {
  local name="$1" why="$2" f
  echo "run.sh: $name: $why" >&2
  for f in "$PREFIX/$name.log" "$PREFIX/$name.error.log"; do
    [[ -s "$f" ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

# Waits (up to 15 s) until URL answers 200 with the backend's body through this target,
# so a broken config is caught before anything is measured.
wait_ready() {
  local name="$1" url="$2" i body
  for ((i = 0; i < 150; i++)); do
    kill -0 "${PID[$name]}" 2>/dev/null || fail_start "$name" "exited during start-up"
    body="$(curl -s --max-time 1 "$url" 2>/dev/null || true)"
    [[ "$body" == hello ]] && return 0
    sleep 0.1
  done
  fail_start "$name" "no 200 \"hello\" from $url within 15 s (last body: '${body:0:200}')"
}

# Waits for a --ready_file and prints the port on its first line (switchyard-proxy writes
# its admin port on a second line).
wait_ready_file() {
  local name="$1" file="$2" i
  for ((i = 0; i < 150; i++)); do
    kill -0 "${PID[$name]}" 2>/dev/null || fail_start "$name" "exited during start-up"
    if [[ -s "$file" ]] && grep -qE '[0-9]+[[:space:]]*$' "$file"; then
      head -n 1 "$file" | grep -oE '[0-9]+' | head -n 1
      return 0
    fi
    sleep 0.1
  done
  fail_start "$name" "no ready file $file within 15 s"
}

# ---------------------------------------------------------------- CPU accounting
CLK_TCK="$(getconf CLK_TCK)"

# Prints utime+stime (clock ticks) summed over a process and all its descendants (nginx
# master + workers; threads are already summed per process by the kernel). Reads
# /proc/*/stat with bash builtins only, so taking the sample costs no forks.
tree_ticks() {
  local root="$1" f line rest pid
  local -A ppid_of=() ticks_of=()
  local -a fields
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue # the process may just have exited
    pid="${line%% *}"
    rest="${line##*) }" # the command name may contain spaces and parentheses
    read -r -a fields <<<"$rest"
    # fields[0] is field 3 of stat(5): ppid is field 4, utime 14, stime 15.
    ppid_of[$pid]="${fields[1]}"
    ticks_of[$pid]=$((fields[11] + fields[12]))
  done
  local total=0 changed=1
  local -A in_tree=([$root]=1)
  # Descendants: repeat until no new child is found (process trees here are shallow).
  while ((changed)); do
    changed=0
    for pid in "${!ppid_of[@]}"; do
      if [[ -z "${in_tree[$pid]:-}" && -n "${in_tree[${ppid_of[$pid]}]:-}" ]]; then
        in_tree[$pid]=1
        changed=1
      fi
    done
  done
  for pid in "${!in_tree[@]}"; do
    total=$((total + ${ticks_of[$pid]:-0}))
  done
  echo "$total"
}

# ---------------------------------------------------------------- load
# wrk's done() hook prints exact numbers (latency in µs from its histogram) on one line,
# instead of parsing the rounded human-readable report.
cat >"$PREFIX/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF

# run_wrk URL SECONDS: prints wrk's RESULT line.
run_wrk() {
  local url="$1" secs="$2"
  local -a cmd=(wrk --latency -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${secs}s"
    -s "$PREFIX/report.lua" "$url")
  [[ -n "$CPU_WRK" ]] && cmd=(taskset -c "$CPU_WRK" "${cmd[@]}")
  "${cmd[@]}" >"$PREFIX/wrk.out" 2>&1 || { cat "$PREFIX/wrk.out" >&2; exit 1; }
  grep '^RESULT ' "$PREFIX/wrk.out" || { cat "$PREFIX/wrk.out" >&2; exit 1; }
}

# ---------------------------------------------------------------- start everything
echo "run.sh: prefix $PREFIX"

# The backend: one fixed nginx for the whole run (18080 as in the example config, when free).
if [[ -z "$BACKEND_PORT" ]]; then
  if port_is_free 18080; then BACKEND_PORT=18080; else BACKEND_PORT="$(free_port)"; fi
fi
mkdir -p "$PREFIX/backend-tmp"
render "$HERE/conf/nginx-backend.conf" "$PREFIX/backend.conf" \
  PREFIX="$PREFIX" BACKEND_PORT="$BACKEND_PORT"
# -e: Debian's nginx would otherwise open its compiled-in error log before reading the
# config; -g 'daemon off;': stay our child so $! is the master's PID.
start backend "$CPU_BACKEND" nginx -p "$PREFIX" -c "$PREFIX/backend.conf" \
  -e "$PREFIX/backend.error.log" -g 'daemon off;'
wait_ready backend "http://127.0.0.1:$BACKEND_PORT/"

for t in "${TARGETS[@]}"; do
  case "$t" in
    direct)
      PID[direct]="${PID[backend]}"
      URL[direct]="http://127.0.0.1:$BACKEND_PORT/"
      ;;
    nginx)
      port="$(free_port)"
      mkdir -p "$PREFIX/nginx-tmp"
      render "$HERE/conf/nginx-proxy.conf" "$PREFIX/nginx.conf" \
        PREFIX="$PREFIX" PORT="$port" BACKEND_PORT="$BACKEND_PORT" WORKERS="$WORKERS"
      start nginx "$CPU_PROXY" nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" \
        -e "$PREFIX/nginx.error.log" -g 'daemon off;'
      URL[nginx]="http://127.0.0.1:$port/"
      ;;
    haproxy)
      port="$(free_port)"
      render "$HERE/conf/haproxy.cfg" "$PREFIX/haproxy.cfg" \
        PORT="$port" BACKEND_PORT="$BACKEND_PORT" WORKERS="$WORKERS"
      # -db: foreground, one process (threads per nbthread), so $! is HAProxy itself.
      start haproxy "$CPU_PROXY" haproxy -db -f "$PREFIX/haproxy.cfg"
      URL[haproxy]="http://127.0.0.1:$port/"
      ;;
    goproxy)
      # Built offline with Debian's Go: stdlib only (go.mod has no requires), module
      # proxy off, build cache inside the prefix so nothing outside it is touched.
      echo "run.sh: building tools/bench/goproxy"
      (cd "$HERE/goproxy" &&
        env GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on GOTOOLCHAIN=local \
          GOCACHE="$PREFIX/gocache" GOPATH="$PREFIX/gopath" \
          go build -o "$PREFIX/goproxy" .) || { echo "run.sh: goproxy build failed" >&2; exit 1; }
      start goproxy "$CPU_PROXY" env GOMAXPROCS="$WORKERS" "$PREFIX/goproxy" \
        --listen=127.0.0.1:0 --backend="127.0.0.1:$BACKEND_PORT" --workers="$WORKERS" \
        --max_idle=$((WRK_CONNECTIONS * 2)) --ready_file="$PREFIX/goproxy.ready"
      port="$(wait_ready_file goproxy "$PREFIX/goproxy.ready")"
      URL[goproxy]="http://127.0.0.1:$port/"
      ;;
    switchyard)
      port="$(free_port)"
      render "$HERE/conf/switchyard.yaml" "$PREFIX/switchyard.yaml" BACKEND_PORT="$BACKEND_PORT"
      start switchyard "$CPU_PROXY" "$SWITCHYARD_BIN" --config="$PREFIX/switchyard.yaml" \
        --listen="127.0.0.1:$port" --workers="$WORKERS" --ready_file="$PREFIX/switchyard.ready"
      port="$(wait_ready_file switchyard "$PREFIX/switchyard.ready")"
      URL[switchyard]="http://127.0.0.1:$port/"
      ;;
  esac
  wait_ready "$t" "${URL[$t]}"
done

# ---------------------------------------------------------------- measure
if ((WARMUP > 0)); then
  for t in "${TARGETS[@]}"; do
    echo "run.sh: warm-up $t (${WARMUP}s)"
    run_wrk "${URL[$t]}" "$WARMUP" >/dev/null
  done
fi

RAW="$PREFIX/raw.tsv"
printf 'round\tproxy\treq_s\tp50_us\tp99_us\tcpu_us_req\terrors\tbackend_cpu_us_req\n' >"$RAW"
n=${#TARGETS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  # Rotate the order each round so no proxy always runs first or right after another.
  for ((k = 0; k < n; k++)); do
    t="${TARGETS[(k + r - 1) % n]}"
    pid="${PID[$t]}"
    before="$(tree_ticks "$pid")"
    backend_before="$(tree_ticks "${PID[backend]}")"
    line="$(run_wrk "${URL[$t]}" "$DURATION")"
    after="$(tree_ticks "$pid")"
    backend_after="$(tree_ticks "${PID[backend]}")"
    kill -0 "$pid" 2>/dev/null || fail_start "$t" "exited during round $r"
    # RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. errors=.. non2xx=..
    declare -A res=()
    for kv in ${line#RESULT }; do res[${kv%%=*}]="${kv#*=}"; done
    row="$(awk -v req="${res[requests]}" -v dur="${res[duration_us]}" -v dt="$((after - before))" \
      -v bdt="$((backend_after - backend_before))" -v hz="$CLK_TCK" 'BEGIN {
        rps = dur > 0 ? req / (dur / 1e6) : 0
        cpu = req > 0 ? dt / hz * 1e6 / req : 0
        bcpu = req > 0 ? bdt / hz * 1e6 / req : 0
        printf "%.0f\t%.2f\t%.2f", rps, cpu, bcpu }')"
    IFS=$'\t' read -r rps cpu bcpu <<<"$row"
    errs=$((res[errors] + res[non2xx]))
    printf '%d\t%s\t%s\t%d\t%d\t%s\t%d\t%s\n' "$r" "$t" "$rps" "${res[p50_us]}" "${res[p99_us]}" \
      "$cpu" "$errs" "$bcpu" >>"$RAW"
    note=""
    ((errs == 0)) || note="  ERRORS: $errs"
    printf 'round %d/%d  %-10s %8s req/s  p50 %6d µs  p99 %6d µs  CPU %7s µs/req%s\n' \
      "$r" "$ROUNDS" "$t" "$rps" "${res[p50_us]}" "${res[p99_us]}" "$cpu" "$note"
  done
done

# ---------------------------------------------------------------- report
# Median of each column over the rounds; ratios against nginx's medians.
table="$(awk -F'\t' -v order="${TARGETS[*]}" '
  function median(list,    a, m, i, j, v) {  # locals after the extra spaces
    m = split(list, a, " ")
    # insertion sort: a handful of rounds
    for (i = 2; i <= m; i++) { v = a[i] + 0; j = i - 1
      while (j >= 1 && a[j] + 0 > v) { a[j + 1] = a[j]; j-- }
      a[j + 1] = v }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  NR > 1 { rps[$2] = rps[$2] " " $3; p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5
           cpu[$2] = cpu[$2] " " $6; err[$2] += $7 }
  END {
    n = split(order, names, " ")
    for (i = 1; i <= n; i++) { t = names[i]
      mr[t] = median(rps[t]); m50[t] = median(p50[t]); m99[t] = median(p99[t]); mc[t] = median(cpu[t]) }
    # awk pads by bytes: widths are one more for each two-byte "µ" and "÷".
    printf "%-11s %10s %10s %10s %13s %15s %12s %7s\n", "proxy", "req/s", "p50 µs", "p99 µs",
      "CPU µs/req", "req/s ÷ nginx", "CPU ÷ nginx", "errors"
    for (i = 1; i <= n; i++) { t = names[i]
      rr = ("nginx" in mr && mr["nginx"] > 0) ? sprintf("%.2f", mr[t] / mr["nginx"]) : "-"
      cr = ("nginx" in mc && mc["nginx"] > 0) ? sprintf("%.2f", mc[t] / mc["nginx"]) : "-"
      printf "%-11s %10.0f %9.0f %9.0f %12.2f %14s %11s %7d\n", t, mr[t], m50[t], m99[t], mc[t], rr, cr, err[t]
    }
  }' "$RAW")"

versions() {
  echo "nginx:   $(nginx -v 2>&1)"
  [[ " ${TARGETS[*]} " == *" haproxy "* ]] && echo "haproxy: $(haproxy -v 2>&1 | head -n 1)"
  [[ " ${TARGETS[*]} " == *" goproxy "* ]] && echo "go:      $(go version)"
  [[ " ${TARGETS[*]} " == *" switchyard "* ]] && echo "switchyard: $SWITCHYARD_BIN"
  echo "wrk:     $(wrk -v 2>&1 | head -n 1)"
}

report="$(
  echo "Switchyard proxy benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s, HTTP/1.1 keep-alive, GET / -> 200 \"hello\"; workers=$WORKERS; $ROUNDS rounds (medians), ${WARMUP}s warm-up"
  echo "pinning: proxy=${CPU_PROXY:-none} backend=${CPU_BACKEND:-none} wrk=${CPU_WRK:-none}"
  versions
  echo
  echo "$table"
  echo
  echo "CPU µs/req: the proxy's own CPU (all its processes, utime+stime) per request served;"
  echo "for 'direct' it is the backend's. errors: socket errors + non-2xx over all rounds."
  [[ -n "$SWITCHYARD_MISSING" ]] && echo "$SWITCHYARD_MISSING"
  echo
  echo "Per round (backend_cpu_us_req: the backend nginx's CPU per request in that run):"
  column -t -s $'\t' "$RAW" 2>/dev/null || cat "$RAW"
)"

mkdir -p "$HERE/results"
out="$HERE/results/$(date '+%Y%m%d-%H%M%S').txt"
echo "$report" >"$out"
echo
echo "$report" | sed -n '1,/^Per round/p' | sed '$d'
echo "Written to ${out#"$ROOT"/}"
