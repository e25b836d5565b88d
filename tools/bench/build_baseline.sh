#!/usr/bin/env bash
# Builds switchyard-proxy as it was at an earlier commit, for
# `tools/bench/run.sh --switchyard-baseline=OUT`. See README.md beside this.
#
# The commit is checked out into a temporary git worktree (detached, no branch), built
# there with this checkout's user.bazelrc (so the shared disk cache serves every action
# that did not change) under the machine-wide bazel lock, and the binary is copied to OUT.
# The worktree, its Bazel server and its output base are removed afterwards.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# The machine-wide lock every bazel command here takes; overridable for testing the script.
LOCK="${SWITCHYARD_BAZEL_LOCK:-/tmp/switchyard-bazel.lock}"
TARGET=//dataplane:switchyard-proxy

usage() {
  cat <<EOF
Usage: tools/bench/build_baseline.sh COMMIT OUT [BAZEL_BUILD_ARGS...]

  COMMIT  anything git rev-parse understands: a hash, HEAD~1, main, a tag
  OUT     where to put the switchyard-proxy binary (overwritten)
  BAZEL_BUILD_ARGS
          extra arguments for 'bazel build' (say -c opt); use the same ones the binary
          under test was built with, or the comparison measures the flags

Environment: SWITCHYARD_BAZEL_LOCK replaces /tmp/switchyard-bazel.lock (to test this
script with a stub bazel on PATH; real builds must share the machine-wide lock).

Example:
  tools/bench/build_baseline.sh HEAD~1 /tmp/switchyard-proxy.base
  tools/bench/run.sh --proxies=nginx,switchyard --switchyard-baseline=/tmp/switchyard-proxy.base
EOF
}

case "${1:-}" in -h | --help) usage; exit 0 ;; esac
(($# >= 2)) || { usage >&2; exit 2; }
COMMIT="$1"
OUT="$2"
shift 2

command -v flock >/dev/null || { echo "build_baseline.sh: flock not found" >&2; exit 1; }
SHA="$(git -C "$ROOT" rev-parse --verify --quiet "$COMMIT^{commit}")" ||
  { echo "build_baseline.sh: '$COMMIT' is not a commit in $ROOT" >&2; exit 2; }
OUT_DIR="$(dirname "$OUT")"
[[ -d "$OUT_DIR" ]] || { echo "build_baseline.sh: no directory $OUT_DIR for OUT" >&2; exit 2; }
OUT="$(cd "$OUT_DIR" && pwd)/$(basename "$OUT")" # the build runs in another directory

TMP="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-baseline.XXXXXX")"
SRC="$TMP/src"
STARTED_MARK="$TMP/bazel-started" # the lock was taken and bazel ran in $SRC
EXPUNGED="$TMP/expunged"

cleanup() {
  # The worktree's own Bazel server and output base (a full copy of the build outputs)
  # would otherwise outlive it; --expunge stops the server and deletes both. Normally done
  # at the end of the build, under the same lock; here only if the build was interrupted.
  if [[ -e "$STARTED_MARK" && ! -e "$EXPUNGED" ]]; then
    (cd "$SRC" && flock "$LOCK" bazel clean --expunge >/dev/null 2>&1) || true
  fi
  git -C "$ROOT" worktree remove --force "$SRC" 2>/dev/null || true
  git -C "$ROOT" worktree prune 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "build_baseline.sh: checking out ${SHA:0:12} into $SRC"
git -C "$ROOT" worktree add --detach --quiet "$SRC" "$SHA"
if [[ -f "$ROOT/user.bazelrc" ]]; then
  cp "$ROOT/user.bazelrc" "$SRC/user.bazelrc"
else
  echo "build_baseline.sh: warning: no $ROOT/user.bazelrc; building without the disk cache" >&2
fi

echo "build_baseline.sh: building $TARGET (waiting for $LOCK if another build holds it)"
# One turn of the lock for build, copy and clean-up, so the clean-up never queues again
# behind other sessions' builds. install, not cp: Bazel's outputs are read-only, and OUT
# must stay replaceable.
# shellcheck disable=SC2016 # the inner script expands its own arguments
(cd "$SRC" && flock "$LOCK" bash -c '
  out="$1" target="$2" started="$3" expunged="$4"
  shift 4
  touch "$started"
  status=0
  bazel build "$@" "$target" || status=$?
  if ((status == 0)); then
    install -m 0755 bazel-bin/dataplane/switchyard-proxy "$out" || status=$?
  fi
  bazel clean --expunge >/dev/null 2>&1 && touch "$expunged"
  exit "$status"' build_baseline "$OUT" "$TARGET" "$STARTED_MARK" "$EXPUNGED" "$@")
echo "build_baseline.sh: switchyard-proxy at ${SHA:0:12} -> $OUT"
