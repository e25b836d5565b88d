# shellcheck shell=bash
# Shared by the scripts in tools/bench (source it; it only defines functions): one temp
# prefix per run, processes started in the background and stopped by their PIDs on exit,
# config templates, free ports and readiness checks.
#
# The sourcing script sets BENCH_TOOL (its name, for messages) and KEEP (1 keeps the
# prefix), then calls bench_setup once before starting anything. bench_setup defines
# PREFIX, STARTED (PIDs in start order), PID (name -> PID) and URL (name -> URL).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# bench_setup: creates the prefix and arms the cleanup on exit and on Ctrl-C.
bench_setup() {
  PREFIX="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-bench.XXXXXX")"
  STARTED=()
  declare -gA PID=()
  declare -gA URL=()
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

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
    echo "$BENCH_TOOL: kept configs and logs in $PREFIX" >&2
  else
    rm -rf "$PREFIX"
  fi
}

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
    echo "$BENCH_TOOL: unfilled placeholder in $out" >&2
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
  echo "$BENCH_TOOL: $name: $why" >&2
  for f in "$PREFIX/$name.log" "$PREFIX/$name.error.log" "$PREFIX/$name"/*.error.log; do
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
    body="$(curl -sk --max-time 1 "$url" 2>/dev/null || true)"
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

# make_bench_certificate DIR: a self-signed ECDSA P-256 certificate for "bench" in
# DIR/cert.pem and DIR/key.pem; sets BENCH_TLS_CERT and BENCH_TLS_KEY, which make
# start_nginx_proxy and start_switchyard_proxy serve TLS (URL[NAME] is then https://).
make_bench_certificate() {
  local dir="$1"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=bench -addext subjectAltName=DNS:bench -keyout "$dir/key.pem" \
    -out "$dir/cert.pem" 2>/dev/null ||
    { echo "$BENCH_TOOL: openssl could not make a certificate" >&2; exit 1; }
  BENCH_TLS_CERT="$dir/cert.pem"
  BENCH_TLS_KEY="$dir/key.pem"
}

# start_backend NAME PORT STATUS_PORT CPU_LIST: one backend nginx (conf/nginx-backend.conf:
# `GET /` -> 200 "hello", counters at http://127.0.0.1:STATUS_PORT/status) with its own
# directory under the prefix, so several can run at once; returns once it answers.
start_backend() {
  local name="$1" port="$2" status_port="$3" cpus="$4" dir="$PREFIX/$1"
  mkdir -p "$dir/backend-tmp"
  render "$BENCH_DIR/conf/nginx-backend.conf" "$dir/backend.conf" \
    PREFIX="$dir" BACKEND_PORT="$port" STATUS_PORT="$status_port"
  # -e: Debian's nginx would otherwise open its compiled-in error log before reading the
  # config; -g 'daemon off;': stay our child so $! is the master's PID.
  start "$name" "$cpus" nginx -p "$dir" -c "$dir/backend.conf" -e "$dir/backend.error.log" \
    -g 'daemon off;'
  URL[$name]="http://127.0.0.1:$port/"
  wait_ready "$name" "${URL[$name]}"
}

# start_nginx_proxy NAME BACKEND_PORT WORKERS WORKER_CONNECTIONS KEEPALIVE CPU_LIST: nginx
# as a reverse proxy to the backend (conf/nginx-proxy.conf), in its own directory under
# the prefix, on a free port; sets URL[NAME] and returns once it answers.
start_nginx_proxy() {
  local name="$1" backend_port="$2" workers="$3" worker_connections="$4" keepalive="$5"
  local cpus="$6" dir="$PREFIX/$1" port
  port="$(free_port)"
  mkdir -p "$dir/nginx-tmp"
  local listen_options="" tls_settings="" scheme=http
  if [[ -n "${BENCH_TLS_CERT:-}" ]]; then
    listen_options="ssl "
    tls_settings="ssl_certificate $BENCH_TLS_CERT; ssl_certificate_key $BENCH_TLS_KEY; ssl_protocols TLSv1.2 TLSv1.3;"
    scheme=https
  fi
  render "$BENCH_DIR/conf/nginx-proxy.conf" "$dir/nginx.conf" PREFIX="$dir" PORT="$port" \
    BACKEND_PORT="$backend_port" WORKERS="$workers" WORKER_CONNECTIONS="$worker_connections" \
    KEEPALIVE="$keepalive" LISTEN_OPTIONS="$listen_options" TLS_SETTINGS="$tls_settings"
  start "$name" "$cpus" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx.error.log" \
    -g 'daemon off;'
  URL[$name]="$scheme://127.0.0.1:$port/"
  wait_ready "$name" "${URL[$name]}"
}

# start_switchyard_proxy NAME BINARY BACKEND_PORT WORKERS CPU_LIST CLUSTER_OPTIONS [FLAG...]:
# switchyard-proxy serving conf/switchyard.yaml (CLUSTER_OPTIONS: YAML added to the one
# cluster, say "max_idle_connections: 1024", or ""), extra command-line FLAGs after the
# usual ones; sets URL[NAME] and returns once it answers.
start_switchyard_proxy() {
  local name="$1" bin="$2" backend_port="$3" workers="$4" cpus="$5" cluster_options="$6"
  local dir="$PREFIX/$1" port
  shift 6
  mkdir -p "$dir"
  render "$BENCH_DIR/conf/switchyard.yaml" "$dir/switchyard.yaml" \
    BACKEND_PORT="$backend_port" CLUSTER_OPTIONS="$cluster_options"
  local -a tls_flags=()
  if [[ -n "${BENCH_TLS_CERT:-}" ]]; then
    printf 'certificates:\n- {name: bench, domains: ["*"], cert_file: %s, key_file: %s}\n' \
      "$BENCH_TLS_CERT" "$BENCH_TLS_KEY" >>"$dir/switchyard.yaml"
    tls_flags=(--listen_tls=127.0.0.1:0)
  fi
  port="$(free_port)"
  start "$name" "$cpus" "$bin" --config="$dir/switchyard.yaml" --listen="127.0.0.1:$port" \
    --workers="$workers" --ready_file="$dir/ready" "${tls_flags[@]}" "$@"
  port="$(wait_ready_file "$name" "$dir/ready")"
  URL[$name]="http://127.0.0.1:$port/"
  if [[ -n "${BENCH_TLS_CERT:-}" ]]; then
    # The TLS port is the ready file's third line (after the admin port, 0 without one).
    wait_ready "$name" "${URL[$name]}"
    URL[$name]="https://127.0.0.1:$(sed -n 3p "$dir/ready")/"
  fi
  wait_ready "$name" "${URL[$name]}"
}

# write_wrk_report_lua FILE: a wrk script whose done() hook prints exact numbers (latency
# in µs from its histogram) on one line, instead of the rounded human-readable report:
# RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. errors=.. non2xx=.. timeouts=..
# (errors: socket errors of every kind, timeouts among them: no answer within wrk's 2 s).
write_wrk_report_lua() {
  cat >"$1" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, e.timeout))
end
EOF
}

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
