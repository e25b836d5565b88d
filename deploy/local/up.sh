#!/usr/bin/env bash
# Runs a whole Switchyard deployment on 127.0.0.1: switchyard-control with its SQLite
# store, three switchyard-proxy replicas subscribed to it (each with its own snapshot
# cache and admin port), HAProxy in front of the replicas, and two sample backends. The
# initial snapshot (deploy/local/initial.yaml) is applied with yardctl.
#
#   deploy/local/up.sh up      start everything in the background, print where it listens
#   deploy/local/up.sh run     the same, then stay in the foreground until Ctrl-C / SIGTERM
#   deploy/local/up.sh status  what runs, and each replica's version
#   deploy/local/up.sh down    stop everything started by `up` (by PID, never by name)
#   deploy/local/up.sh restart-proxy N   SIGTERM replica N, wait for its drain, start it
#                                        again on the same ports (a rolling restart's step)
#   deploy/local/up.sh upgrade-proxy N   start a new replica N on the running one's sockets
#                                        (--take_listeners_from); the old one drains
#
# See deploy/local/README.md for the options, the port layout and the state directory.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT

usage() {
  cat <<EOF
usage: $(basename "$0") up|run|status|down [options]
       $(basename "$0") restart-proxy|upgrade-proxy N [--state-dir DIR] [--timeout SECONDS]

  --state-dir DIR     logs, pid records, SQLite store, snapshot caches
                      (default \$SWITCHYARD_LOCAL_STATE_DIR or ${XDG_STATE_HOME:-\$HOME/.local/state}/switchyard-local)
  --bin-dir DIR       where the built binaries are (default \$SWITCHYARD_BIN_DIR, else
                      \`bazel info bazel-bin\`); one binary can be overridden with
                      SWITCHYARD_PROXY_BIN, SWITCHYARD_CONTROL_BIN, YARDCTL_BIN,
                      SAMPLE_BACKEND_BIN, HAPROXY_BIN (default /usr/sbin/haproxy),
                      PROMETHEUS_BIN (default /usr/bin/prometheus)
  --base-port N       consecutive ports from N (default 18080, see README.md);
                      0: every port is a free one picked at start-up
  --proxies N         proxy replicas (default 3)
  --workers N         worker threads per proxy (default 1)
  --proxy-arg ARG     extra flag for every proxy, e.g. --proxy-arg=--max_routes=50 (repeatable)
  --config FILE       initial snapshot template (default deploy/local/initial.yaml;
                      @BLUE_PORT@ and @GREEN_PORT@ are substituted)
  --timeout SECONDS   how long each component may take to become ready (default 30)
  --secure            TLS and authentication between all of them: a CA, certificates and
                      an admin token made by deploy/pki/make-pki.sh in STATE_DIR/pki, and
                      STATE_DIR/yardctl.config for yardctl (YARDCTL_CONFIG=...). Without it
                      the control plane runs --insecure, which is safe here only because
                      everything listens on 127.0.0.1
EOF
}

command="${1:-}"
[[ -n "$command" ]] && shift
replica=""
case "$command" in
  up | run | status | down) ;;
  restart-proxy | upgrade-proxy)
    replica="${1:-}"
    [[ "$replica" =~ ^[1-9][0-9]*$ ]] || {
      echo "up.sh: $command needs a replica number, e.g. $command 2" >&2
      exit 2
    }
    shift
    ;;
  -h | --help | help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac

# HOME may be unset (e.g. under `bazel test`), where --state-dir is always given.
state_dir="${SWITCHYARD_LOCAL_STATE_DIR:-${XDG_STATE_HOME:-${HOME:-/tmp}/.local/state}/switchyard-local}"
bin_dir="${SWITCHYARD_BIN_DIR:-}"
base_port="${SWITCHYARD_LOCAL_BASE_PORT:-18080}"
proxy_count=3
workers=1
proxy_args=()
config_template="$SCRIPT_DIR/initial.yaml"
start_timeout=30
secure=0

# Accepts both "--flag value" and "--flag=value".
while (($# > 0)); do
  arg="$1"
  shift
  value=""
  if [[ "$arg" == --*=* ]]; then
    value="${arg#*=}"
    arg="${arg%%=*}"
  elif [[ "$arg" == --* && "$arg" != "--help" && "$arg" != "--secure" ]]; then
    (($# > 0)) || {
      echo "up.sh: $arg needs a value" >&2
      exit 2
    }
    value="$1"
    shift
  fi
  case "$arg" in
    --state-dir) state_dir="$value" ;;
    --bin-dir) bin_dir="$value" ;;
    --base-port) base_port="$value" ;;
    --proxies) proxy_count="$value" ;;
    --workers) workers="$value" ;;
    --proxy-arg) proxy_args+=("$value") ;;
    --config) config_template="$value" ;;
    --timeout) start_timeout="$value" ;;
    --secure) secure=1 ;;
    --help)
      usage
      exit 0
      ;;
    *)
      echo "up.sh: unknown option $arg" >&2
      usage >&2
      exit 2
      ;;
  esac
done

for number in "$base_port" "$proxy_count" "$workers" "$start_timeout"; do
  [[ "$number" =~ ^[0-9]+$ ]] || {
    echo "up.sh: '$number' is not a number" >&2
    exit 2
  }
done
((proxy_count >= 1)) || {
  echo "up.sh: --proxies must be at least 1" >&2
  exit 2
}

mkdir -p "$state_dir/logs"
state_dir="$(cd "$state_dir" && pwd)"
# One line per started process: name, address, pid, start time, log. The start time
# (field 22 of /proc/PID/stat) makes sure `down` never signals a process that merely
# reuses a recorded PID.
readonly COMPONENTS="$state_dir/components.tsv"
# --secure: the CA, certificates and admin token (made by make-pki.sh).
readonly pki="$state_dir/pki"
readonly pki_script="$SCRIPT_DIR/../pki/make-pki.sh"
readonly alert_rules="$SCRIPT_DIR/../prometheus/alerts.yml"
# Written last by `up`, so its presence means "everything is ready" (tests wait for it).
readonly ENDPOINTS="$state_dir/endpoints.env"

log() { echo "up.sh: $*" >&2; }

# ---------------------------------------------------------------------------------------
# Processes: start, record, check, stop.

proc_starttime() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  local -a fields
  read -r -a fields <<<"${stat##*) }"
  echo "${fields[19]}"
}

# True while PID is the very process that was recorded with STARTTIME and has not exited
# (a zombie waiting to be reaped counts as exited).
is_ours() {
  local pid="$1" starttime="$2" now state
  now="$(proc_starttime "$pid")" || return 1
  [[ "$now" == "$starttime" ]] || return 1
  state="$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ "$state" != "Z" ]]
}

# launch LOG COMMAND...: runs COMMAND in the background, its output appended to LOG; sets
# launched_pid and launched_starttime.
launch() {
  local logfile="$1"
  shift
  "$@" >>"$logfile" 2>&1 </dev/null &
  launched_pid=$!
  launched_starttime="$(proc_starttime "$launched_pid")" || launched_starttime="?"
}

# start NAME LOG COMMAND...: runs COMMAND in the background with its output in LOG.
start() {
  local name="$1" logfile="$2"
  shift 2
  : >"$logfile"
  launch "$logfile" "$@"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "-" "$launched_pid" "$launched_starttime" "$logfile" \
    >>"$COMPONENTS"
}

# Points NAME's record at the process just launched (a restarted or upgraded replica), in
# place, so `down` still stops the components in reverse order of their start.
rerecord() {
  local name="$1" tmp="$COMPONENTS.tmp"
  awk -F'\t' -v OFS='\t' -v n="$name" -v p="$launched_pid" -v t="$launched_starttime" \
    '$1 == n { $3 = p; $4 = t } { print }' "$COMPONENTS" >"$tmp"
  mv "$tmp" "$COMPONENTS"
}

# Sets the address column of NAME once its port is known.
set_address() {
  local name="$1" address="$2" tmp="$COMPONENTS.tmp"
  awk -F'\t' -v OFS='\t' -v n="$name" -v a="$address" '$1 == n { $2 = a } { print }' \
    "$COMPONENTS" >"$tmp"
  mv "$tmp" "$COMPONENTS"
}

field_of() {
  awk -F'\t' -v n="$1" -v f="$2" '$1 == n { print $f }' "$COMPONENTS"
}

# Stops every recorded process, last started first (the load balancer before the proxies,
# the proxies before the control plane), each with SIGTERM and, after a grace period,
# SIGKILL. Only processes whose PID and start time both match the record are signalled.
stop_all() {
  [[ -f "$COMPONENTS" ]] || return 0
  local name address pid starttime logfile waited
  while IFS=$'\t' read -r name address pid starttime logfile; do
    if ! is_ours "$pid" "$starttime"; then
      continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while is_ours "$pid" "$starttime" && ((waited < 100)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if is_ours "$pid" "$starttime"; then
      log "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $name (pid $pid)"
  done < <(tac "$COMPONENTS")
  rm -f "$COMPONENTS" "$ENDPOINTS"
  remove_run_dir
}

# The proxies' handoff sockets live in a short directory of their own under /tmp: a Unix
# socket path has at most 107 bytes, and a state dir can be longer.
make_run_dir() {
  run_dir="$(mktemp -d /tmp/switchyard-local.XXXXXX)"
  echo "$run_dir" >"$state_dir/run_dir"
}
remove_run_dir() {
  local dir
  dir="$(cat "$state_dir/run_dir" 2>/dev/null)" || return 0
  [[ "$dir" == /tmp/switchyard-local.* ]] && rm -rf "$dir"
  rm -f "$state_dir/run_dir"
}

any_running() {
  [[ -f "$COMPONENTS" ]] || return 1
  local name address pid starttime logfile
  while IFS=$'\t' read -r name address pid starttime logfile; do
    if is_ours "$pid" "$starttime"; then return 0; fi
  done <"$COMPONENTS"
  return 1
}

# Ends the script. During `up` it stops what was started; a failed restart-proxy or
# upgrade-proxy leaves the rest of the deployment running.
fail() {
  log "$*"
  if ((keep_running_on_failure == 0)); then
    log "stopping what was started"
    stop_all >&2
  fi
  exit 1
}
keep_running_on_failure=0

# wait_until NAME DESCRIPTION COMMAND...: polls COMMAND until it succeeds. Gives up when
# the component NAME exits (showing its log) or after --timeout seconds.
wait_until() {
  local name="$1" what="$2"
  shift 2
  local pid starttime logfile deadline=$((SECONDS + start_timeout))
  pid="$(field_of "$name" 3)"
  starttime="$(field_of "$name" 4)"
  logfile="$(field_of "$name" 5)"
  until "$@"; do
    if ! is_ours "$pid" "$starttime"; then
      fail "$name exited before $what; the end of $logfile:
$(tail -n 30 "$logfile")"
    fi
    if ((SECONDS >= deadline)); then
      fail "$name: no $what within ${start_timeout}s; the end of $logfile:
$(tail -n 30 "$logfile")"
    fi
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------
# Small probes used by wait_until.

http_code() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1" || true; }
http_ok() { [[ "$(http_code "$1")" == 200 ]]; }
# A number on line N of FILE (the ready files the proxy and the control plane write).
ready_line() { sed -n "${2}p" "$1" 2>/dev/null | tr -dc '0-9'; }
has_ready_line() { [[ -n "$(ready_line "$1" "$2")" ]]; }
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# All N servers of HAProxy's "proxies" backend are UP in its CSV stats (field 18).
haproxy_all_up() {
  local up
  up="$(curl -s --max-time 2 "http://127.0.0.1:$1/;csv" |
    awk -F, '$1 == "proxies" && $2 ~ /^proxy/ && $18 == "UP"' | wc -l)"
  ((up == proxy_count))
}

# ---------------------------------------------------------------------------------------

find_binaries() {
  if [[ -z "$bin_dir" ]]; then
    bin_dir="$(cd "$REPO_ROOT" && bazel info bazel-bin 2>/dev/null)" ||
      fail "no --bin-dir and \`bazel info bazel-bin\` failed"
  fi
  proxy_bin="${SWITCHYARD_PROXY_BIN:-$bin_dir/dataplane/switchyard-proxy}"
  control_bin="${SWITCHYARD_CONTROL_BIN:-$bin_dir/controlplane/switchyard-control}"
  yardctl_bin="${YARDCTL_BIN:-$bin_dir/tools/yardctl/yardctl}"
  backend_bin="${SAMPLE_BACKEND_BIN:-$bin_dir/tools/sample_backend/sample-backend}"
  haproxy_bin="${HAPROXY_BIN:-/usr/sbin/haproxy}"
  prometheus_bin="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
  local b
  for b in "$proxy_bin" "$control_bin" "$yardctl_bin" "$backend_bin" "$haproxy_bin" \
    "$prometheus_bin"; do
    [[ -x "$b" ]] || fail "not found or not executable: $b
build them with: bazel build //dataplane:switchyard-proxy //controlplane:switchyard-control //tools/yardctl:yardctl //tools/sample_backend:sample-backend"
  done
}

# Prints COUNT distinct free ports. They are held open together until all are chosen, so
# they differ; another program could still take one before we bind it (unlikely on a
# test machine, and the component's start-up then fails loudly).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

write_haproxy_config() {
  local file="$1"
  {
    cat <<EOF
# Generated by deploy/local/up.sh; rewritten at every start.
global
    # HAProxy refuses a maxconn above the process's file descriptor limit.
    maxconn 4096
    log stdout format raw local0

defaults
    mode http
    log global
    # Only errors and abnormal ends are logged, not every request.
    option httplog
    option dontlog-normal
    # Client and server connections stay open between requests.
    option http-keep-alive
    timeout connect 2s
    timeout client 60s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 60s
    timeout check 1s
    # A connection refused by a replica (stopped, restarting) is retried on another one,
    # and so is a request on an idle keep-alive connection that a draining replica closed
    # just as HAProxy sent it (empty-response): no server can prevent that race.
    retries 2
    option redispatch
    retry-on conn-failure empty-response

frontend gateway
    bind 127.0.0.1:$lb_port
    default_backend proxies

backend proxies
    balance roundrobin
    # A replica takes traffic only while its admin /ready says it serves a snapshot.
    option httpchk
    http-check send meth GET uri /ready
    http-check expect status 200
    default-server inter 500ms fastinter 250ms fall 2 rise 2
EOF
    local i
    for ((i = 1; i <= proxy_count; i++)); do
      echo "    server proxy$i 127.0.0.1:${proxy_port[i]} check port ${admin_port[i]}"
    done
    cat <<EOF

listen stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /
    stats refresh 5s
EOF
  } >"$file"
}

# The scrape config for the ports this run got: a short interval, so a change shows in
# seconds on one machine.
write_prometheus_config() {
  local targets="" i
  for ((i = 1; i <= proxy_count; i++)); do
    targets+="${targets:+, }\"127.0.0.1:${admin_port[i]}\""
  done
  cat >"$1" <<EOF
# Written by deploy/local/up.sh; deploy/prometheus/prometheus.yml is the fixed-port form.
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $alert_rules
scrape_configs:
  - job_name: switchyard-proxy
    static_configs:
      - targets: [$targets]
  - job_name: switchyard-control
    static_configs:
      - targets: ["127.0.0.1:$control_metrics_port"]
EOF
}

print_table() {
  printf '%-14s %-22s %-8s %s\n' COMPONENT ADDRESS PID LOG
  local name address pid starttime logfile
  while IFS=$'\t' read -r name address pid starttime logfile; do
    printf '%-14s %-22s %-8s %s\n' "$name" "$address" "$pid" "$logfile"
  done <"$COMPONENTS"
}

do_up() {
  if any_running; then
    log "already running from $state_dir (see \`$0 status --state-dir $state_dir\`); stop it first with \`$0 down\`"
    exit 1
  fi
  rm -f "$COMPONENTS" "$ENDPOINTS"
  find_binaries

  # Port layout: fixed offsets from --base-port, or free ports. The proxies and the
  # control plane take port 0 and report theirs in a ready file, so only the ports other
  # components must know in advance are picked here.
  local i
  declare -g -a proxy_port=() admin_port=()
  if ((base_port == 0)); then
    read -r lb_port stats_port blue_port green_port prometheus_port <<<"$(free_ports 5)"
    control_port=0
    control_metrics_port=0
    for ((i = 1; i <= proxy_count; i++)); do
      proxy_port[i]=0
      admin_port[i]=0
    done
  else
    lb_port=$base_port
    stats_port=$((base_port + 1))
    control_port=$((base_port + 2))
    blue_port=$((base_port + 3))
    green_port=$((base_port + 4))
    for ((i = 1; i <= proxy_count; i++)); do
      proxy_port[i]=$((base_port + 3 + 2 * i))
      admin_port[i]=$((base_port + 4 + 2 * i))
    done
    control_metrics_port=$((base_port + 5 + 2 * proxy_count))
    prometheus_port=$((base_port + 6 + 2 * proxy_count))
  fi

  local logs="$state_dir/logs"

  # Backends first: the initial snapshot routes to them.
  start blue "$logs/blue.log" "$backend_bin" --listen="127.0.0.1:$blue_port" --name=blue
  set_address blue "127.0.0.1:$blue_port"
  start green "$logs/green.log" "$backend_bin" --listen="127.0.0.1:$green_port" --name=green
  set_address green "127.0.0.1:$green_port"
  wait_until blue "an answer on :$blue_port" http_ok "http://127.0.0.1:$blue_port/"
  wait_until green "an answer on :$green_port" http_ok "http://127.0.0.1:$green_port/"

  # The control plane keeps its SQLite store across runs: `up` after `down` resumes at the
  # last stored version.
  local control_ready="$state_dir/control.ready"
  rm -f "$control_ready"
  local control_security=(--insecure)
  if ((secure == 1)); then
    local pki_args=()
    for ((i = 1; i <= proxy_count; i++)); do pki_args+=(--proxy "local-proxy$i"); done
    "$pki_script" -d "$pki" "${pki_args[@]}" >"$logs/make-pki.log" 2>&1 ||
      fail "make-pki.sh failed: $(cat "$logs/make-pki.log")"
    control_security=(--tls_ca="$pki/ca.pem" --tls_cert="$pki/control-plane.pem"
      --tls_key="$pki/control-plane-key.pem" --admin_token_hash_file="$pki/admin-token.sha256"
      --audit_log="$state_dir/audit.log")
    echo secure >"$state_dir/mode"
  else
    echo insecure >"$state_dir/mode"
  fi
  start control "$logs/control.log" "$control_bin" --listen="127.0.0.1:$control_port" \
    --metrics_listen="127.0.0.1:$control_metrics_port" \
    --db="$state_dir/control.db" --ready_file="$control_ready" "${control_security[@]}"
  wait_until control "ready file" has_ready_line "$control_ready" 2
  control_port="$(ready_line "$control_ready" 1)"
  control_metrics_port="$(ready_line "$control_ready" 2)"
  set_address control "127.0.0.1:$control_port"
  write_yardctl_config "$control_port"
  wait_until control "listening socket" tcp_open "$control_port"

  # The initial config goes in before the proxies start, so they become ready with their
  # first snapshot instead of waiting for one.
  sed -e "s/@BLUE_PORT@/$blue_port/g" -e "s/@GREEN_PORT@/$green_port/g" \
    "$config_template" >"$state_dir/initial.yaml"
  local out rc=0
  out="$(run_yardctl apply -f "$state_dir/initial.yaml" \
    --message "deploy/local/up.sh: initial config" 2>&1)" || rc=$?
  ((rc == 0)) || fail "yardctl apply of the initial config failed (exit $rc):
$out"
  echo "$out" >"$logs/yardctl-initial-apply.log"

  make_run_dir
  for ((i = 1; i <= proxy_count; i++)); do
    rm -f "$state_dir/proxy$i.ready"
    proxy_command "$i"
    start "proxy$i" "$logs/proxy$i.log" "${proxy_cmd[@]}"
  done
  for ((i = 1; i <= proxy_count; i++)); do
    local ready="$state_dir/proxy$i.ready"
    wait_until "proxy$i" "ready file" has_ready_line "$ready" 2
    proxy_port[i]="$(ready_line "$ready" 1)"
    admin_port[i]="$(ready_line "$ready" 2)"
    set_address "proxy$i" "127.0.0.1:${proxy_port[i]}"
    wait_until "proxy$i" "200 from admin /ready" http_ok "http://127.0.0.1:${admin_port[i]}/ready"
    # The command line with the ports it got, for restart-proxy and upgrade-proxy.
    proxy_command "$i"
    printf '%s\0' "${proxy_cmd[@]}" >"$state_dir/proxy$i.argv"
  done

  local haproxy_cfg="$state_dir/haproxy.cfg"
  write_haproxy_config "$haproxy_cfg"
  out="$("$haproxy_bin" -c -f "$haproxy_cfg" 2>&1)" || fail "haproxy rejects $haproxy_cfg:
$out"
  start haproxy "$logs/haproxy.log" "$haproxy_bin" -db -f "$haproxy_cfg"
  set_address haproxy "127.0.0.1:$lb_port"
  wait_until haproxy "all $proxy_count proxies UP in its stats" haproxy_all_up "$stats_port"
  wait_until haproxy "a 200 through it" http_ok "http://127.0.0.1:$lb_port/"

  # Prometheus scrapes every proxy's admin port and the control plane's /metrics, with
  # deploy/prometheus's alert rules (its data in STATE_DIR/prometheus).
  local prometheus_cfg="$state_dir/prometheus.yml"
  write_prometheus_config "$prometheus_cfg"
  start prometheus "$logs/prometheus.log" "$prometheus_bin" --config.file="$prometheus_cfg" \
    --storage.tsdb.path="$state_dir/prometheus" \
    --web.listen-address="127.0.0.1:$prometheus_port"
  set_address prometheus "127.0.0.1:$prometheus_port"
  wait_until prometheus "200 from /-/ready" http_ok "http://127.0.0.1:$prometheus_port/-/ready"

  {
    echo "STATE_DIR=$state_dir"
    echo "LB_PORT=$lb_port"
    echo "LB_STATS_PORT=$stats_port"
    echo "CONTROL_PORT=$control_port"
    echo "CONTROL_ADDR=127.0.0.1:$control_port"
    echo "CONTROL_METRICS_PORT=$control_metrics_port"
    echo "PROMETHEUS_PORT=$prometheus_port"
    echo "BLUE_PORT=$blue_port"
    echo "GREEN_PORT=$green_port"
    echo "PROXY_COUNT=$proxy_count"
    for ((i = 1; i <= proxy_count; i++)); do
      echo "PROXY${i}_PORT=${proxy_port[i]}"
      echo "PROXY${i}_ADMIN_PORT=${admin_port[i]}"
    done
  } >"$ENDPOINTS.tmp"
  mv "$ENDPOINTS.tmp" "$ENDPOINTS"

  echo
  print_table
  echo
  echo "HAProxy stats:   http://127.0.0.1:$stats_port/"
  for ((i = 1; i <= proxy_count; i++)); do
    echo "proxy$i admin:    http://127.0.0.1:${admin_port[i]}/stats"
  done
  echo "yardctl:         YARDCTL_CONFIG=$state_dir/yardctl.config $yardctl_bin status"
  echo "try:             curl -H 'Host: api.example.com' http://127.0.0.1:$lb_port/users/7"
}

# Sets proxy_cmd to replica I's command line. The drain grace period outlasts HAProxy's
# health checks (every 500 ms, 2 failures) so it stops sending before the listener closes.
proxy_command() {
  local i="$1"
  local security=(--control_plane_insecure)
  if ((secure == 1)); then
    security=(--control_plane_ca="$pki/ca.pem"
      --control_plane_cert="$pki/proxy-local-proxy$i.pem"
      --control_plane_key="$pki/proxy-local-proxy$i-key.pem")
  fi
  proxy_cmd=("$proxy_bin"
    --control_plane="127.0.0.1:$control_port" "${security[@]}"
    --node_id="local-proxy$i" --node_group=local --node_labels="replica=$i,env=local"
    --snapshot_cache="$state_dir/proxy$i.cache"
    --listen="127.0.0.1:${proxy_port[i]}" --admin="127.0.0.1:${admin_port[i]}"
    --workers="$workers" --ready_file="$state_dir/proxy$i.ready"
    --drain_grace_period=2s --drain_timeout=15s --handoff_socket="$run_dir/proxy$i.sock"
    ${proxy_args[@]+"${proxy_args[@]}"})
}

# restart-proxy N / upgrade-proxy N: replaces replica N's process while the others serve.
do_replace_proxy() {
  local name="proxy$replica"
  [[ -f "$COMPONENTS" && -f "$state_dir/$name.argv" ]] || {
    log "no $name started from $state_dir"
    exit 3
  }
  local pid starttime logfile admin
  pid="$(field_of "$name" 3)"
  starttime="$(field_of "$name" 4)"
  logfile="$(field_of "$name" 5)"
  keep_running_on_failure=1
  is_ours "$pid" "$starttime" || fail "$name (pid $pid) is not running"
  run_dir="$(cat "$state_dir/run_dir")"
  local -a cmd
  mapfile -d '' cmd <"$state_dir/$name.argv"
  local ready="$state_dir/$name.ready"
  local drain_limit=$((SECONDS + start_timeout + 20))
  if [[ "$command" == restart-proxy ]]; then
    echo "$name: SIGTERM to pid $pid; it drains, then starts again"
    kill -TERM "$pid"
    while is_ours "$pid" "$starttime"; do
      ((SECONDS < drain_limit)) || fail "$name (pid $pid) still runs after its drain"
      sleep 0.1
    done
    rm -f "$ready"
    launch "$logfile" "${cmd[@]}"
    rerecord "$name"
  else
    echo "$name: a new process takes pid $pid's sockets; the old one drains"
    rm -f "$ready"
    launch "$logfile" "${cmd[@]}" --take_listeners_from="$run_dir/$name.sock"
    rerecord "$name"
    wait_until "$name" "ready file" has_ready_line "$ready" 2
    while is_ours "$pid" "$starttime"; do
      ((SECONDS < drain_limit)) || fail "the old $name (pid $pid) still runs after its drain"
      sleep 0.1
    done
  fi
  wait_until "$name" "ready file" has_ready_line "$ready" 2
  admin="$(ready_line "$ready" 2)"
  wait_until "$name" "200 from admin /ready" http_ok "http://127.0.0.1:$admin/ready"
  # Done when HAProxy sends it traffic again, so that a rolling restart's next step never
  # takes a second replica out while this one is still marked down.
  local stats
  stats="$(sed -n 's/^LB_STATS_PORT=//p' "$ENDPOINTS")"
  proxy_count="$(sed -n 's/^PROXY_COUNT=//p' "$ENDPOINTS")"
  wait_until haproxy "all $proxy_count proxies UP in its stats" haproxy_all_up "$stats"
  echo "$name: pid $launched_pid serves"
}

# yardctl's settings for this deployment, in a config file the user can reuse
# (YARDCTL_CONFIG=STATE_DIR/yardctl.config yardctl status): the server, and with --secure
# the CA and the admin token; else --insecure (plaintext on loopback).
write_yardctl_config() {
  local config="$state_dir/yardctl.config"
  (
    umask 077
    {
      echo "# written by deploy/local/up.sh"
      echo "server = 127.0.0.1:$1"
      if [[ "$(cat "$state_dir/mode" 2>/dev/null)" == secure ]]; then
        echo "ca = $pki/ca.pem"
        echo "token-file = $pki/admin-token"
      else
        echo "insecure = true"
      fi
    } >"$config"
  )
}

run_yardctl() { YARDCTL_CONFIG="$state_dir/yardctl.config" "$yardctl_bin" "$@"; }

do_status() {
  if [[ ! -f "$COMPONENTS" ]]; then
    echo "nothing started from $state_dir"
    exit 3
  fi
  local name address pid starttime logfile state detail all_running=1 port admin
  printf '%-14s %-22s %-8s %-8s %s\n' COMPONENT ADDRESS PID STATE DETAIL
  while IFS=$'\t' read -r name address pid starttime logfile; do
    state=running
    detail=""
    if ! is_ours "$pid" "$starttime"; then
      state=exited
      all_running=0
    elif [[ "$name" == proxy* && -f "$state_dir/$name.ready" ]]; then
      admin="$(ready_line "$state_dir/$name.ready" 2)"
      # version, ready and discovery.connected from the replica's own /stats.
      detail="$(curl -s --max-time 2 "http://127.0.0.1:$admin/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
d = s.get("discovery", {})
print("version=%s ready=%s connected=%s acks=%s nacks=%s" % (s.get("version"), s.get("ready"),
      d.get("connected"), d.get("acks"), d.get("nacks")))' 2>/dev/null || echo "admin not answering")"
    fi
    printf '%-14s %-22s %-8s %-8s %s\n' "$name" "$address" "$pid" "$state" "$detail"
  done <"$COMPONENTS"
  port="$(field_of control 2)"
  port="${port##*:}"
  if [[ -n "$port" && "$port" != "-" ]]; then
    find_binaries
    echo
    run_yardctl status || true
  fi
  ((all_running == 1))
}

case "$command" in
  up) do_up ;;
  run)
    # Ctrl-C (or SIGTERM from a test harness) stops everything this run started.
    trap 'echo; stop_all; exit 0' INT TERM
    do_up
    echo
    echo "Running; Ctrl-C stops everything."
    # `wait` returns early when a signal arrives, so the trap runs at once. If every
    # component exits on its own, there is nothing left to stop.
    wait || true
    stop_all
    ;;
  status) do_status ;;
  restart-proxy | upgrade-proxy) do_replace_proxy ;;
  down)
    if [[ -f "$COMPONENTS" ]]; then
      stop_all
    else
      echo "nothing started from $state_dir"
    fi
    ;;
esac
