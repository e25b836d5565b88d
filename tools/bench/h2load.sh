#!/usr/bin/env bash
# HTTP/2 benchmark side by side (issue 9): h2load against nginx, HAProxy, nghttpx and
# switchyard-proxy with the same worker count and the same settings, over TLS and as h2c
# (prior knowledge), plus a TLS handshake-rate run (one request per connection). Every
# proxy forwards to the same HTTP/1.1 backend (nginx, `GET /` -> "hello") over keep-alive.
# See README.md beside this.
#
# Everything runs on 127.0.0.1, as the current user, under one temp prefix; every process
# started here is stopped by its PID when the script exits. The load stops by itself.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

usage() {
  cat <<EOF
Usage: tools/bench/h2load.sh [options]

  --rounds=N          measured rounds (default 3); the table shows medians
  --requests=N        requests per proxy, mode and round (default 40000)
  --handshakes=N      connections in the handshake run (default 2000)
  --clients=N         h2load -c (default 10)
  --streams=N         h2load -m, concurrent streams per connection (default 10)
  --workers=N         worker processes/threads of every proxy (default 1)
  --modes=LIST        comma-separated subset of: tls,h2c,handshake (default all)
  --proxies=LIST      comma-separated subset of: nginx,haproxy,nghttpx,switchyard
  --switchyard=PATH   switchyard-proxy binary (default bazel-bin/dataplane/switchyard-proxy)
  --keep              keep the temp prefix
  -h, --help          this text

Settings for every proxy: TLS 1.3 only, one self-signed ECDSA P-256 certificate, ALPN h2,
at most 100 concurrent streams, no access log, an HTTP/1.1 keep-alive upstream.

Columns: req/s (h2load), p99 (from h2load's per-request log), CPU µs/req (the proxy's
utime+stime, all its processes, during the run / requests that succeeded), and for the
handshake run connections per second and handshakes per CPU second.

Exit status: 0, or 3 when switchyard misses a target of issue 9 (CPU per TLS request at
most 1.2x the best peer's; handshakes per CPU second at least nginx's).
EOF
}

ROUNDS=3
REQUESTS=40000
HANDSHAKES=2000
CLIENTS=10
STREAMS=10
WORKERS=1
MODES="tls,h2c,handshake"
PROXIES="nginx,haproxy,nghttpx,switchyard"
SWITCHYARD_BIN="$ROOT/bazel-bin/dataplane/switchyard-proxy"
KEEP=0
while (($#)); do
  case "$1" in
    --rounds=*) ROUNDS="${1#*=}" ;;
    --requests=*) REQUESTS="${1#*=}" ;;
    --handshakes=*) HANDSHAKES="${1#*=}" ;;
    --clients=*) CLIENTS="${1#*=}" ;;
    --streams=*) STREAMS="${1#*=}" ;;
    --workers=*) WORKERS="${1#*=}" ;;
    --modes=*) MODES="${1#*=}" ;;
    --proxies=*) PROXIES="${1#*=}" ;;
    --switchyard=*) SWITCHYARD_BIN="${1#*=}" ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "h2load.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in ROUNDS REQUESTS HANDSHAKES CLIENTS STREAMS WORKERS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] ||
    { echo "h2load.sh: $v must be a whole number >= 1, got '${!v}'" >&2; exit 2; }
done
IFS=, read -r -a TARGETS <<<"$PROXIES"
IFS=, read -r -a MODE_LIST <<<"$MODES"
for t in "${TARGETS[@]}"; do
  case "$t" in nginx | haproxy | nghttpx | switchyard) ;; *)
    echo "h2load.sh: unknown proxy '$t'" >&2; exit 2 ;; esac
done
for m in "${MODE_LIST[@]}"; do
  case "$m" in tls | h2c | handshake) ;; *) echo "h2load.sh: unknown mode '$m'" >&2; exit 2 ;; esac
done
for tool in h2load nginx haproxy nghttpx openssl curl python3; do
  command -v "$tool" >/dev/null ||
    { echo "h2load.sh: '$tool' not found; run scripts/setup.sh" >&2; exit 1; }
done
if [[ ",$PROXIES," == *,switchyard,* && ! -x "$SWITCHYARD_BIN" ]]; then
  echo "h2load.sh: no switchyard-proxy at $SWITCHYARD_BIN (bazel build -c opt //dataplane:switchyard-proxy)" >&2
  exit 1
fi

BENCH_TOOL=h2load.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_setup
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
CLK_TCK="$(getconf CLK_TCK)"


make_bench_certificate "$PREFIX/certificate"
cat "$BENCH_TLS_CERT" "$BENCH_TLS_KEY" >"$PREFIX/certificate/combined.pem"
BACKEND_PORT="$(free_port)"
start_backend backend "$BACKEND_PORT" "$(free_port)" ""

declare -A TLS_PORT H2C_PORT
for t in "${TARGETS[@]}"; do
  tls_port="$(free_port)"
  h2c_port="$(free_port)"
  dir="$PREFIX/$t"
  mkdir -p "$dir"
  case "$t" in
    nginx)
      mkdir -p "$dir/tmp"
      cat >"$dir/nginx.conf" <<EOF
worker_processes $WORKERS;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 10000000;
  http2_max_requests 10000000;
  http2_max_concurrent_streams 100;
  upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 256; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:$tls_port ssl http2 reuseport;
    listen 127.0.0.1:$h2c_port http2 reuseport;
    ssl_certificate $BENCH_TLS_CERT;
    ssl_certificate_key $BENCH_TLS_KEY;
    ssl_protocols TLSv1.3;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
      start "$t" "" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;'
      ;;
    haproxy)
      cat >"$dir/haproxy.cfg" <<EOF
global
    nbthread $WORKERS
    maxconn 8192
    ssl-default-bind-options ssl-min-ver TLSv1.3
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend tls
    bind 127.0.0.1:$tls_port ssl crt $PREFIX/certificate/combined.pem alpn h2
    default_backend backend
frontend h2c
    bind 127.0.0.1:$h2c_port proto h2
    default_backend backend
backend backend
    server s1 127.0.0.1:$BACKEND_PORT
EOF
      start "$t" "" haproxy -db -f "$dir/haproxy.cfg"
      ;;
    nghttpx)
      start "$t" "" nghttpx --frontend="127.0.0.1,$tls_port" \
        --frontend="127.0.0.1,$h2c_port;no-tls" \
        --backend="127.0.0.1,$BACKEND_PORT;;proto=http/1.1" --workers="$WORKERS" \
        --tls-min-proto-version=TLSv1.3 --frontend-http2-max-concurrent-streams=100 \
        --no-ocsp --errorlog-file="$dir/error.log" --pid-file="$dir/nghttpx.pid" \
        "$BENCH_TLS_KEY" "$BENCH_TLS_CERT"
      ;;
    switchyard)
      render "$BENCH_DIR/conf/switchyard.yaml" "$dir/switchyard.yaml" \
        BACKEND_PORT="$BACKEND_PORT" CLUSTER_OPTIONS=""
      printf 'certificates:\n- {name: bench, domains: ["*"], cert_file: %s, key_file: %s}\n' \
        "$BENCH_TLS_CERT" "$BENCH_TLS_KEY" >>"$dir/switchyard.yaml"
      start "$t" "" "$SWITCHYARD_BIN" --config="$dir/switchyard.yaml" \
        --listen="127.0.0.1:$h2c_port" --listen_tls="127.0.0.1:$tls_port" \
        --workers="$WORKERS" --http2_max_concurrent_streams=100
      ;;
  esac
  TLS_PORT[$t]="$tls_port"
  H2C_PORT[$t]="$h2c_port"
  for ((i = 0; i < 150; i++)); do
    kill -0 "${PID[$t]}" 2>/dev/null || fail_start "$t" "exited during start-up"
    if [[ "$(curl -sk --http2 --max-time 1 "https://127.0.0.1:$tls_port/" 2>/dev/null)" == hello ]]; then
      break
    fi
    sleep 0.1
  done
  [[ "$(curl -sk --http2 --max-time 2 "https://127.0.0.1:$tls_port/")" == hello ]] ||
    fail_start "$t" "no \"hello\" over TLS on port $tls_port"
  [[ "$(curl -s --http2-prior-knowledge --max-time 2 "http://127.0.0.1:$h2c_port/")" == hello ]] ||
    fail_start "$t" "no \"hello\" over h2c on port $h2c_port"
done

RESULTS="$PREFIX/results.jsonl"
: >"$RESULTS"
# measure MODE PROXY ROUND: one h2load run; appends a JSON line to $RESULTS.
measure() {
  local mode="$1" t="$2" round="$3" log="$PREFIX/h2load.log" before after
  local -a args
  case "$mode" in
    tls) args=(-n "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "https://127.0.0.1:${TLS_PORT[$t]}/") ;;
    h2c) args=(-n "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "http://127.0.0.1:${H2C_PORT[$t]}/") ;;
    # One request per connection, connections opened at a fixed rate so that the run
    # measures handshakes rather than a burst of simultaneous ones.
    handshake) args=(-n "$HANDSHAKES" -c "$HANDSHAKES" -m 1 -r 50 --rate-period=50ms
                     "https://127.0.0.1:${TLS_PORT[$t]}/") ;;
  esac
  before="$(tree_ticks "${PID[$t]}")"
  h2load --log-file="$log" "${args[@]}" >"$PREFIX/h2load.out" 2>&1 || true
  after="$(tree_ticks "${PID[$t]}")"
  python3 - "$mode" "$t" "$round" "$((after - before))" "$CLK_TCK" "$log" "$PREFIX/h2load.out" \
    <<'EOF' >>"$RESULTS"
import json, re, sys
mode, proxy, rnd, ticks, clk, log, out_path = sys.argv[1:8]
out = open(out_path).read()
m = re.search(r"finished in ([0-9.]+)(m?s), ([0-9.]+) req/s", out)
req_s = float(m.group(3)) if m else 0.0
seconds = (float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)) if m else 0.0
m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
ok = int(m.group(1)) if m else 0
failed = (int(m.group(2)) + int(m.group(3))) if m else -1
times = []
for line in open(log):
    parts = line.split()
    if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) > 0:
        times.append(int(parts[2]))
times.sort()
p99 = times[min(len(times) - 1, int(len(times) * 0.99))] / 1000.0 if times else 0.0
cpu_s = int(ticks) / int(clk)
print(json.dumps({"mode": mode, "proxy": proxy, "round": int(rnd), "req_s": req_s,
                  "seconds": seconds, "ok": ok, "failed": failed, "p99_ms": p99,
                  "cpu_us_per_req": cpu_s * 1e6 / ok if ok else None,
                  "per_cpu_second": ok / cpu_s if cpu_s > 0 else None}))
EOF
  : >"$log"
}

for ((round = 1; round <= ROUNDS; round++)); do
  for mode in "${MODE_LIST[@]}"; do
    for t in "${TARGETS[@]}"; do
      echo "h2load.sh: round $round, $mode, $t"
      measure "$mode" "$t" "$round"
    done
  done
done

status=0
table="$(python3 "$HERE/h2load_report.py" "$RESULTS")" || status=$?
((status == 0 || status == 3)) || { echo "$table"; exit "$status"; }
report="$(
  echo "HTTP/2 through each proxy, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, load average before: $LOAD_BEFORE"
  echo "$WORKERS worker(s) each; h2load -c$CLIENTS -m$STREAMS, $REQUESTS requests per run; handshake run: $HANDSHAKES connections, one request each; $ROUNDS rounds, medians"
  echo "TLS 1.3, ECDSA P-256, HTTP/1.1 keep-alive upstream (nginx, 5-byte body)"
  echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'); $(haproxy -v 2>&1 | head -n 1); $(nghttpx --version | head -n 1)"
  echo "switchyard: $SWITCHYARD_BIN"
  echo
  echo "$table"
)"
mkdir -p "$HERE/results"
out="$HERE/results/h2load-$(date '+%Y%m%d-%H%M%S').txt"
echo "$report" >"$out"
echo
echo "$report"
echo "Written to ${out#"$ROOT"/}"
((KEEP)) && echo "kept $PREFIX"
exit "$status"
