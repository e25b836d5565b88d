#!/usr/bin/env bash
# Runs Switchyard's main job on this machine: two sample backends and switchyard-proxy
# in front of them with deploy/examples/static.yaml, then shows requests being routed.
# Installs what it needs (scripts/setup.sh), builds, and stops everything it started on
# Ctrl-C. Everything listens on 127.0.0.1 only.
#
# Environment:
#   SWITCHYARD_PORT=8080       the proxy's port
#   SWITCHYARD_RUN_ONCE=1      show the demo requests, then stop (used by tests and CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port="${SWITCHYARD_PORT:-8080}"
bash scripts/setup.sh
bazel build //dataplane:switchyard-proxy //tools/sample_backend:sample-backend
bin="$(bazel info bazel-bin 2>/dev/null)"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-run.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$bin/tools/sample_backend/sample-backend" --listen=127.0.0.1:9001 --name=blue &
pids+=($!)
"$bin/tools/sample_backend/sample-backend" --listen=127.0.0.1:9002 --name=green &
pids+=($!)
"$bin/dataplane/switchyard-proxy" --config=deploy/examples/static.yaml \
  --listen="127.0.0.1:$port" --workers=2 --ready_file="$workdir/ready" &
pids+=($!)

for _ in $(seq 100); do [[ -s "$workdir/ready" ]] && break; sleep 0.1; done
[[ -s "$workdir/ready" ]] || { echo "run.sh: the proxy did not start" >&2; exit 1; }

show() {
  echo
  echo "\$ curl $*"
  curl -sS --max-time 5 "$@" | head -c 600
}
echo
echo "switchyard-proxy listens on 127.0.0.1:$port; backends blue :9001 and green :9002."
show -H 'Host: api.example.com' "http://127.0.0.1:$port/users/42"
show -H 'Host: api.example.com' -H 'x-canary: true' "http://127.0.0.1:$port/users/42"
show -i "http://127.0.0.1:$port/" -o /dev/null -w '%{http_code} from %header{x-backend}\n'
show -i -H 'Host: api.example.com' "http://127.0.0.1:$port/nothing-here"

if [[ "${SWITCHYARD_RUN_ONCE:-}" == "1" ]]; then exit 0; fi
echo
echo "Try more requests against http://127.0.0.1:$port (see README.md). Ctrl-C stops everything."
wait
