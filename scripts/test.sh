#!/usr/bin/env bash
# Runs the whole test suite the way CI does (.ci/run calls this) and prints the per-case
# count `N passed, N failed` alone on its last line. Exits non-zero if anything failed.
#
# Environment:
#   SWITCHYARD_TEST_TARGETS  target patterns to test (default //...), e.g.
#                            "//proto/... //dataplane/http/..." while other packages are mid-edit.
#   SWITCHYARD_KEEP_BAZEL=1  do not run `bazel shutdown` at the end (during development,
#                            where the workspace's one Bazel server is shared).
#   SWITCHYARD_FAIL_ON_SKIP=0  do not count skipped test cases as failed (see count_tests.py).
set -uo pipefail  # no -e: a failing `bazel test` must still be counted and reported

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bash scripts/setup.sh || { echo "test.sh: setup.sh failed"; echo "0 passed, 1 failed"; exit 1; }

workdir="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-test.XXXXXX")"
shut_down=0
stop_bazel() {
  # Bazel's server would otherwise linger for --max_idle_secs after CI is done. Its
  # output goes to stderr so that the count stays the last line on stdout.
  if [[ "$shut_down" == 0 && "${SWITCHYARD_KEEP_BAZEL:-}" != "1" ]]; then
    shut_down=1
    bazel shutdown >&2
  fi
}
# Also on an early exit or Ctrl-C.
trap 'stop_bazel; rm -rf "$workdir"' EXIT

read -r -a targets <<<"${SWITCHYARD_TEST_TARGETS:-//...}"
bep="$workdir/bep.json"

# --nocache_test_results: every test really runs (.bazelrc sets it too; repeated so this
#   script does not depend on it).
# --keep_going: one package that fails to build must not hide the results of the others;
#   its tests are counted as failed by count_tests.py.
# --build_event_json_file: tells count_tests.py exactly which targets this run tested,
#   so stale results left in bazel-testlogs by earlier runs are never counted.
bazel test --nocache_test_results --keep_going --build_event_json_file="$bep" -- "${targets[@]}"
bazel_rc=$?

# The logs and XML files stay on disk after the server stops.
stop_bazel

python3 scripts/count_tests.py "$bep" "$bazel_rc"
