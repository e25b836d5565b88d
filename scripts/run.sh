#!/usr/bin/env bash
# Runs Switchyard's main job on this machine, end to end: switchyard-control with its
# embedded SQLite store, a switchyard-proxy subscribed to it, and two sample backends.
# It applies a config with yardctl, shows a request routed, applies a change live and
# shows the same request routed differently, without restarting anything. Installs what
# it needs (scripts/setup.sh), builds, and stops everything it started on Ctrl-C.
# Everything listens on 127.0.0.1 only.
#
# Environment:
#   SWITCHYARD_PORT=8080         the proxy's port (the control plane uses 18000, admin 9901)
#   SWITCHYARD_RUN_ONCE=1        show the demo, then stop (used by tests and CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port="${SWITCHYARD_PORT:-8080}"
control_port=18000
admin_port=9901
bash scripts/setup.sh
bazel build //dataplane:switchyard-proxy //controlplane:switchyard-control \
  //tools/yardctl:yardctl //tools/sample_backend:sample-backend
bin="$(bazel info bazel-bin 2>/dev/null)"
yardctl() { "$bin/tools/yardctl/yardctl" --server "127.0.0.1:$control_port" --insecure "$@"; }

state="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-run.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

wait_for_file() {
  for _ in $(seq 100); do [[ -s "$1" ]] && return 0; sleep 0.1; done
  echo "run.sh: $2 did not start; its log:" >&2
  cat "$3" >&2
  exit 1
}

# --insecure / --control_plane_insecure / yardctl --insecure: this demo runs on loopback
# only; deploy/local/up.sh --secure shows the same with certificates and a token.
"$bin/controlplane/switchyard-control" --insecure --listen="127.0.0.1:$control_port" \
  --db="$state/switchyard.db" --ready_file="$state/control.ready" >"$state/control.log" 2>&1 &
pids+=($!)
"$bin/tools/sample_backend/sample-backend" --listen=127.0.0.1:9001 --name=blue \
  >"$state/blue.log" 2>&1 &
pids+=($!)
"$bin/tools/sample_backend/sample-backend" --listen=127.0.0.1:9002 --name=green \
  >"$state/green.log" 2>&1 &
pids+=($!)
wait_for_file "$state/control.ready" "switchyard-control" "$state/control.log"
# No load balancer in front here: on exit the proxy need not announce its drain first.
"$bin/dataplane/switchyard-proxy" --control_plane="127.0.0.1:$control_port" --control_plane_insecure \
  --listen="127.0.0.1:$port" --admin="127.0.0.1:$admin_port" --workers=2 --drain_grace_period=0s \
  --snapshot_cache="$state/snapshot.cache" --node_id=demo-proxy \
  --ready_file="$state/proxy.ready" >"$state/proxy.log" 2>&1 &
pids+=($!)
wait_for_file "$state/proxy.ready" "switchyard-proxy" "$state/proxy.log"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
  echo "\$ $*"
  "$@" || true
}
route() {
  curl -sS --max-time 5 -o /dev/null -w "GET $1 -> %{http_code} from backend '%header{x-backend}'\n" \
    -H 'Host: api.example.com' "http://127.0.0.1:$port$1"
}
ready() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin_port/ready"; }

step "control plane on 127.0.0.1:$control_port, proxy on 127.0.0.1:$port (admin :$admin_port)"
echo "proxy /ready before any config: $(ready)"

step "apply deploy/examples/static.yaml as version 1"
show yardctl apply -f deploy/examples/static.yaml --message "first config"
for _ in $(seq 50); do [[ "$(ready)" == 200 ]] && break; sleep 0.1; done
echo "proxy /ready: $(ready)"
route /users/42

step "change live: move /users/ from blue to green"
sed 's|route: {cluster: blue, prefix_rewrite: /v2/users/, timeout: 5s}|route: {cluster: green, prefix_rewrite: /v2/users/, timeout: 5s}|' \
  deploy/examples/static.yaml >"$state/users-on-green.yaml"
show yardctl diff -f "$state/users-on-green.yaml"
show yardctl apply -f "$state/users-on-green.yaml" --message "users to green"
sleep 0.2
route /users/42

step "what the control plane knows"
show yardctl history
show yardctl status

if [[ "${SWITCHYARD_RUN_ONCE:-}" == "1" ]]; then exit 0; fi
step "running; Ctrl-C stops everything"
cat <<MSG
Try: curl -H 'Host: api.example.com' http://127.0.0.1:$port/users/7
     $bin/tools/yardctl/yardctl --server 127.0.0.1:$control_port --insecure rollback 1
     curl http://127.0.0.1:$admin_port/stats
MSG
wait
