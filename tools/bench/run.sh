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
  --switchyard-baseline=PATH
                      a second switchyard-proxy binary (say, built from the commit before
                      with tools/bench/build_baseline.sh) measured as its own target,
                      "baseline", right after switchyard in every round, with the same
                      options and pinning; adds "÷ baseline" columns and a pass/fail line
                      for CPU µs/req (new ÷ baseline at most --baseline-limit)
  --baseline-limit=X  largest passing CPU µs/req ratio new ÷ baseline (default 1.03)
  --backend-port=N    backend port (default 18080 if free, else any free port)
  --cpu-proxy=LIST    taskset -c LIST for the proxy under test (default: not pinned)
  --cpu-backend=LIST  taskset -c LIST for the backend nginx (default: not pinned)
  --cpu-wrk=LIST      taskset -c LIST for wrk (default: not pinned)
  --keep              keep the temp prefix (configs, logs) instead of deleting it
  -h, --help          this text

Columns: req/s, latency p50/p99 (wrk --latency), CPU µs/req = CPU time (utime+stime from
/proc, all processes of that proxy) used during the round / requests served. "direct" is
wrk against the backend itself; its CPU column is the backend's own cost.

Exit status: 0, or 3 when --switchyard-baseline is given and the baseline check fails
(needs at least 5 rounds for a verdict; fewer rounds print the ratio without one).
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
BASELINE_BIN=""
BASELINE_LIMIT=1.03
# A verdict on a median of fewer rounds would be decided by one noisy round.
BASELINE_MIN_ROUNDS=5
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
      --switchyard | --switchyard-baseline | --baseline-limit | --backend-port | --cpu-proxy | \
      --cpu-backend | --cpu-wrk)
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
    --switchyard-baseline) BASELINE_BIN="$value" ;;
    --baseline-limit) BASELINE_LIMIT="$value" ;;
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
[[ "$BASELINE_LIMIT" =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
  { echo "run.sh: --baseline-limit must be a number like 1.03, got '$BASELINE_LIMIT'" >&2; exit 2; }

IFS=, read -r -a TARGETS <<<"$PROXIES"
for t in "${TARGETS[@]}"; do
  case "$t" in
    direct | nginx | haproxy | goproxy | switchyard) ;;
    *) echo "run.sh: unknown proxy '$t' (direct,nginx,haproxy,goproxy,switchyard)" >&2; exit 2 ;;
  esac
done

# The baseline is asked for explicitly, so a missing binary stops the run instead of being
# skipped. It runs right after switchyard in the target order: the order rotates as a
# ring, so the two stay neighbours in time (alternately one before the other) and share
# whatever the machine was doing at that moment.
if [[ -n "$BASELINE_BIN" ]]; then
  [[ -x "$BASELINE_BIN" ]] ||
    { echo "run.sh: --switchyard-baseline: no executable at $BASELINE_BIN" >&2; exit 1; }
  [[ ",$PROXIES," == *,switchyard,* ]] ||
    { echo "run.sh: --switchyard-baseline needs switchyard among --proxies" >&2; exit 2; }
  with_baseline=()
  for t in "${TARGETS[@]}"; do
    with_baseline+=("$t")
    [[ "$t" == switchyard ]] && with_baseline+=(baseline)
  done
  TARGETS=("${with_baseline[@]}")
fi

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
BENCH_TOOL=run.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_setup

# ---------------------------------------------------------------- CPU accounting
CLK_TCK="$(getconf CLK_TCK)"


# ---------------------------------------------------------------- load
write_wrk_report_lua "$PREFIX/report.lua"

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
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# The backend: one fixed nginx for the whole run (18080 as in the example config, when free).
if [[ -z "$BACKEND_PORT" ]]; then
  if port_is_free 18080; then BACKEND_PORT=18080; else BACKEND_PORT="$(free_port)"; fi
fi
start_backend backend "$BACKEND_PORT" "$(free_port)" "$CPU_BACKEND"

for t in "${TARGETS[@]}"; do
  case "$t" in
    direct)
      PID[direct]="${PID[backend]}"
      URL[direct]="http://127.0.0.1:$BACKEND_PORT/"
      ;;
    nginx) start_nginx_proxy nginx "$BACKEND_PORT" "$WORKERS" 4096 256 "$CPU_PROXY" ;;
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
      start_switchyard_proxy switchyard "$SWITCHYARD_BIN" "$BACKEND_PORT" "$WORKERS" "$CPU_PROXY" ""
      ;;
    baseline)
      start_switchyard_proxy baseline "$BASELINE_BIN" "$BACKEND_PORT" "$WORKERS" "$CPU_PROXY" ""
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
# Median of each column over the rounds; ratios against nginx's medians and, with
# --switchyard-baseline, against the baseline's. With a baseline the last line is
# "BASELINE <CPU new÷baseline> <errors of both>", which is taken off the table below.
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
           cpu[$2] = cpu[$2] " " $6; err[$2] += $7; round_cpu[$1, $2] = $6; rounds[$1] = 1 }
  END {
    n = split(order, names, " ")
    for (i = 1; i <= n; i++) { t = names[i]
      mr[t] = median(rps[t]); m50[t] = median(p50[t]); m99[t] = median(p99[t]); mc[t] = median(cpu[t]) }
    base = ("baseline" in mc)
    # awk pads by bytes: widths are one more for each two-byte "µ" and "÷".
    printf "%-11s %10s %10s %10s %13s %15s %15s %12s", "proxy", "req/s", "p50 µs", "p99 µs",
      "CPU µs/req", "req/s ÷ nginx", "p99 ÷ nginx", "CPU ÷ nginx"
    if (base) printf " %18s %15s", "req/s ÷ baseline", "CPU ÷ baseline"
    printf " %7s\n", "errors"
    for (i = 1; i <= n; i++) { t = names[i]
      rr = ("nginx" in mr && mr["nginx"] > 0) ? sprintf("%.2f", mr[t] / mr["nginx"]) : "-"
      pr = ("nginx" in m99 && m99["nginx"] > 0) ? sprintf("%.2f", m99[t] / m99["nginx"]) : "-"
      cr = ("nginx" in mc && mc["nginx"] > 0) ? sprintf("%.2f", mc[t] / mc["nginx"]) : "-"
      printf "%-11s %10.0f %9.0f %9.0f %12.2f %14s %14s %11s", t, mr[t], m50[t], m99[t], mc[t], rr, pr, cr
      if (base) {
        rb = (mr["baseline"] > 0) ? sprintf("%.3f", mr[t] / mr["baseline"]) : "-"
        cb = (mc["baseline"] > 0) ? sprintf("%.3f", mc[t] / mc["baseline"]) : "-"
        printf " %17s %14s", rb, cb
      }
      printf " %7d\n", err[t]
    }
    if (base && ("switchyard" in mc)) {
      printf "BASELINE %.6f %d\n", (mc["baseline"] > 0 ? mc["switchyard"] / mc["baseline"] : 0),
        err["switchyard"] + err["baseline"]
      # The two ran next to each other in every round, so the ratio within a round cancels
      # the slow drift of the machine load; its spread shows how noisy the run was.
      ratios = ""; lo = ""; hi = ""
      for (r in rounds) if (round_cpu[r, "baseline"] > 0) {
        q = round_cpu[r, "switchyard"] / round_cpu[r, "baseline"]
        ratios = ratios " " q
        if (lo == "" || q < lo) lo = q
        if (hi == "" || q > hi) hi = q
      }
      if (ratios != "") printf "PAIRED %.3f %.3f %.3f\n", median(ratios), lo, hi
    }
  }' "$RAW")"

# The gate of issue 6: switchyard's median CPU µs/req at most BASELINE_LIMIT times the
# baseline's, over at least BASELINE_MIN_ROUNDS interleaved rounds, without errors.
BASELINE_CHECK=""
BASELINE_FAILED=0
if [[ -n "$BASELINE_BIN" ]]; then
  read -r _ ratio base_errors <<<"$(grep '^BASELINE ' <<<"$table")"
  paired="$(grep '^PAIRED ' <<<"$table" || true)"
  table="$(grep -v '^BASELINE \|^PAIRED ' <<<"$table")"
  # Judge the ratio as printed, so the line never shows 1.030 beside FAIL.
  [[ -n "$ratio" ]] && ratio="$(printf '%.3f' "$ratio")"
  if awk -v r="$ratio" -v lim="$BASELINE_LIMIT" 'BEGIN { exit !(r > 0 && r <= lim) }'; then
    verdict=PASS
  else
    verdict=FAIL
  fi
  why=""
  if ((base_errors > 0)); then
    verdict=FAIL
    why=" ($base_errors errors in the switchyard and baseline rows)"
  fi
  if ((ROUNDS < BASELINE_MIN_ROUNDS)); then
    verdict="NO VERDICT"
    why=" (only $ROUNDS rounds; at least $BASELINE_MIN_ROUNDS needed)"
  fi
  if [[ -z "$ratio" ]]; then # switchyard itself was not measured (no binary)
    ratio=0
    verdict=FAIL
    why=" (switchyard not measured)"
  fi
  [[ "$verdict" == FAIL ]] && BASELINE_FAILED=1
  BASELINE_CHECK="$(printf 'baseline check: CPU/req new÷baseline = %.3f (limit %s): %s%s' \
    "$ratio" "$BASELINE_LIMIT" "$verdict" "$why")"
  if [[ -n "$paired" ]]; then
    read -r _ p_median p_low p_high <<<"$paired"
    BASELINE_CHECK+=$'\n'"$(printf 'baseline noise: per-round CPU/req new÷baseline: median %s, range %s-%s (not gated)' \
      "$p_median" "$p_low" "$p_high")"
  fi
fi

# Identifies a binary in the report: the start of its SHA-256 and its modification time.
binary_id() {
  echo "sha256 $(sha256sum "$1" | cut -c1-12), built $(date -u -r "$1" '+%Y-%m-%d %H:%M UTC')"
}

versions() {
  echo "nginx:   $(nginx -v 2>&1)"
  [[ " ${TARGETS[*]} " == *" haproxy "* ]] && echo "haproxy: $(haproxy -v 2>&1 | head -n 1)"
  [[ " ${TARGETS[*]} " == *" goproxy "* ]] && echo "go:      $(go version)"
  [[ " ${TARGETS[*]} " == *" switchyard "* ]] &&
    echo "switchyard: $SWITCHYARD_BIN ($(binary_id "$SWITCHYARD_BIN"))"
  [[ " ${TARGETS[*]} " == *" baseline "* ]] &&
    echo "baseline:   $BASELINE_BIN ($(binary_id "$BASELINE_BIN"))"
  echo "wrk:     $(wrk -v 2>&1 | head -n 1)"
}

report="$(
  echo "Switchyard proxy benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, load average before: $LOAD_BEFORE"
  echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s, HTTP/1.1 keep-alive, GET / -> 200 \"hello\"; workers=$WORKERS; $ROUNDS rounds (medians), ${WARMUP}s warm-up"
  echo "pinning: proxy=${CPU_PROXY:-none} backend=${CPU_BACKEND:-none} wrk=${CPU_WRK:-none}"
  versions
  echo
  echo "$table"
  echo
  echo "CPU µs/req: the proxy's own CPU (all its processes, utime+stime) per request served;"
  echo "for 'direct' it is the backend's. errors: socket errors + non-2xx over all rounds."
  [[ -n "$SWITCHYARD_MISSING" ]] && echo "$SWITCHYARD_MISSING"
  [[ -n "$BASELINE_CHECK" ]] && echo "$BASELINE_CHECK"
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
((BASELINE_FAILED == 0)) || exit 3
