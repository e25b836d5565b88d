#!/usr/bin/env python3
"""Counts test cases of one `bazel test` run and prints `N passed, N failed`.

Bazel's own summary counts test binaries; CI wants every test case. The cases come from
the gtest XML files Bazel leaves in bazel-testlogs/**/test.xml, but which targets belong
to *this* run comes from the run's build event protocol file (--build_event_json_file):
bazel-testlogs keeps results of earlier runs (deleted tests, other target subsets, and a
target that now fails to build still has its old, passing test.xml there), so walking the
folder alone could count stale passes.

Rules:
  * <testcase> with a <failure> or <error> child: failed. (gtest writes <failure>;
    Bazel's fallback XML for non-gtest tests and crashed binaries writes <error>.)
  * skipped (GTEST_SKIP, DISABLED_ tests): counted as failed. The project's rule is that
    no test skips its point; a skip would otherwise pass silently. Set
    SWITCHYARD_FAIL_ON_SKIP=0 to report skips on a note line without failing.
  * a test target that was expected to run but has no result (failed to build, analysis
    error), whose test.xml is missing or unreadable, whose status is not PASSED although
    no case failed (crash at exit, timeout), or whose test.log shows a crash: 1 failed.
  * if Bazel itself failed (exit code other than 0, 3 = tests failed, 4 = no tests) and
    nothing above was counted as failed: 1 failed, so a broken build never reads green.

Several runs (the plain suite and the --config=asan suite run the same targets) and
cases that are not Bazel tests (each fuzz target, tools/fuzz/run.sh) add up into the one
closing line:
  * each BEP_JSON_FILE BAZEL_EXIT_CODE pair is one run, counted by the rules above; its
    failures are reported with the run's name (the BEP file's name without ".json");
  * --cases FILE adds one case per line of FILE: "PASSED <name>..." passes, any other
    non-empty line fails (a missing or empty FILE is one failure: the step did not run).

A later run may overwrite an earlier run's test.xml (scripts/test.sh reruns the plain-built
integration suites against a sanitized proxy, in the same output tree), so a run can be
counted as soon as it ends and its tally kept for the closing line:
  * --save TALLY_FILE BEP_JSON_FILE BAZEL_EXIT_CODE counts that one run (named after the
    BEP file) and writes the tally to TALLY_FILE as JSON; it prints nothing;
  * --saved TALLY_FILE adds a saved tally (a missing or unreadable one is one failure).

Usage: count_tests.py [BEP_JSON_FILE BAZEL_EXIT_CODE ...] [--saved TALLY_FILE ...]
                      [--cases FILE ...]
       count_tests.py --save TALLY_FILE BEP_JSON_FILE BAZEL_EXIT_CODE
Exit status: 0 if nothing failed, 1 otherwise (--save: 0 once the tally is written).
"""

import json
import os
import re
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

# Lines in test.log that mean the binary crashed or hit undefined behaviour even if it
# still exited 0 (UBSan reports and continues by default). Kept narrow on purpose: a test
# that merely prints the word "error" must not count as a crash.
CRASH_PATTERNS = re.compile(
    r"Segmentation fault|\(core dumped\)|terminate called (after throwing|without)"
    r"|ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer)"
    r"|WARNING: ThreadSanitizer|:\d+:\d+: runtime error: "
)


def uri_to_path(uri):
    if uri.startswith("file://"):
        return urllib.request.url2pathname(urllib.parse.urlparse(uri).path)
    return None


def read_events(bep_path):
    """Yields the JSON events of a BEP file; a truncated last line is ignored."""
    try:
        with open(bep_path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        return


# CI shows only the tail of the output: each failed case brings the first lines of its
# first assertion's message, enough to tell which expectation broke and with what values.
EXCERPT_LINES = 8
EXCERPT_LINE_CHARS = 240


def failure_excerpt(problem):
    """Returns the first lines of a <failure>/<error> element's message, indented."""
    text = problem.get("message") or problem.text or ""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    excerpt = [f"    {line[:EXCERPT_LINE_CHARS]}" for line in lines[:EXCERPT_LINES]]
    if len(lines) > EXCERPT_LINES:
        excerpt.append(f"    ... ({len(lines) - EXCERPT_LINES} more lines in test.xml)")
    return excerpt


def count_xml(xml_path):
    """Returns (passed, failed, skipped, notes) for one gtest-style XML file."""
    root = ET.parse(xml_path).getroot()
    passed = failed = skipped = 0
    notes = []
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}.{case.get('name', '')}".strip(".")
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            failed += 1
            notes.append(f"  case failed: {name}")
            notes.extend(failure_excerpt(problem))
        elif (
            case.find("skipped") is not None
            or case.get("result") in ("skipped", "suppressed")
            or case.get("status") == "notrun"
        ):
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped, notes


def count_run(bep_path, bazel_rc, run_name):
    """Returns (passed, failed, skipped, lines) for one `bazel test` run."""
    prefix = f"[{run_name}] " if run_name else ""
    expected = set()   # test targets this run built (or tried to)
    broken = {}        # label -> why it produced no result
    results = {}       # (label, run, shard) -> (attempt, status, {name: path})
    for ev in read_events(bep_path):
        eid = ev.get("id", {})
        if "targetConfigured" in eid:
            label = eid["targetConfigured"].get("label")
            configured = ev.get("configured", {})
            kind = configured.get("targetKind", "")  # e.g. "cc_test rule"
            if label and (kind.endswith("_test rule") or "testSize" in configured):
                expected.add(label)
            if label and "aborted" in ev:
                broken[label] = ev["aborted"].get("description") or "analysis aborted"
        elif "targetCompleted" in eid:
            label = eid["targetCompleted"].get("label")
            completed = ev.get("completed")
            if label in expected and (completed is None or not completed.get("success")):
                broken.setdefault(label, "failed to build")
        elif "testResult" in eid:
            tid = eid["testResult"]
            label = tid.get("label")
            expected.add(label)
            key = (label, tid.get("run", 1), tid.get("shard", 1))
            attempt = tid.get("attempt", 1)
            res = ev.get("testResult", {})
            outputs = {
                o.get("name"): uri_to_path(o.get("uri", ""))
                for o in res.get("testActionOutput", [])
            }
            # With --flaky_test_attempts only the last attempt decides.
            if key not in results or attempt >= results[key][0]:
                results[key] = (attempt, res.get("status", "NO_STATUS"), outputs)

    passed = failed = skipped = 0
    lines = []
    labels_with_results = {k[0] for k in results}
    for label in sorted(expected - labels_with_results):
        failed += 1
        lines.append(f"FAILED {prefix}{label}: no test result "
                     f"({broken.get(label, 'did not run')})")

    for (label, run, shard), (_attempt, status, outputs) in sorted(results.items()):
        where = prefix + (label if (run, shard) == (1, 1)
                          else f"{label} (run {run}, shard {shard})")
        xml_path = outputs.get("test.xml")
        log_path = outputs.get("test.log")
        t_pass = t_fail = t_skip = 0
        notes = []
        problems = []
        if xml_path and os.path.exists(xml_path):
            try:
                t_pass, t_fail, t_skip, notes = count_xml(xml_path)
            except ET.ParseError as e:
                problems.append(f"unreadable test.xml ({e})")
        else:
            problems.append("test.xml missing")
        if log_path and os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as f:
                m = CRASH_PATTERNS.search(f.read())
            if m:
                problems.append(f"test.log shows a crash: {m.group(0)!r}")
        if status != "PASSED" and t_fail == 0:
            problems.append(f"target status {status} although no case failed")
        if problems and t_fail == 0:
            t_fail = 1  # the whole target counts as one failure
        passed += t_pass
        failed += t_fail
        skipped += t_skip
        if t_fail or problems:
            lines.append(f"FAILED {where}: {t_fail} failed, {t_pass} passed"
                         + (f" ({'; '.join(problems)})" if problems else ""))
            lines.extend(notes)

    if bazel_rc not in (0, 3, 4) and failed == 0:
        failed = 1
        lines.append(f"FAILED {prefix}bazel exited with code {bazel_rc} "
                     "(build or analysis error)")
    if bazel_rc == 4:
        lines.append(f"note: {prefix}no test targets matched")
    return passed, failed, skipped, lines


def count_cases(path):
    """Returns (passed, failed, lines) for a --cases file (see the module doc)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            entries = [line.rstrip("\n") for line in f if line.strip()]
    except FileNotFoundError:
        entries = []
    if not entries:
        return 0, 1, [f"FAILED {path}: no results (the step did not run)"]
    passed = sum(1 for e in entries if e.startswith("PASSED "))
    lines = [e if e.startswith("FAILED ") else f"FAILED {e}"
             for e in entries if not e.startswith("PASSED ")]
    return passed, len(entries) - passed, lines


def run_name(bep_path):
    name = os.path.basename(bep_path)
    return name[:-len(".json")] if name.endswith(".json") else name


def read_tally(path):
    """Returns (passed, failed, skipped, lines) saved by --save."""
    try:
        with open(path, encoding="utf-8") as f:
            t = json.load(f)
        return int(t["passed"]), int(t["failed"]), int(t["skipped"]), list(t["lines"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return 0, 1, 0, [f"FAILED {path}: no saved tally ({e})"]


def take_option(args, flag):
    """Removes every `flag VALUE` from args and returns the values (None if malformed)."""
    values = []
    while flag in args:
        i = args.index(flag)
        if i + 1 >= len(args):
            return None
        values.append(args[i + 1])
        del args[i:i + 2]
    return values


def main():
    args = sys.argv[1:]
    if args[:1] == ["--save"]:
        if len(args) != 4:
            print(__doc__, file=sys.stderr)
            return 2
        r_pass, r_fail, r_skip, r_lines = count_run(args[2], int(args[3]), run_name(args[2]))
        with open(args[1], "w", encoding="utf-8") as f:
            json.dump({"passed": r_pass, "failed": r_fail, "skipped": r_skip,
                       "lines": r_lines}, f)
        return 0
    case_files = take_option(args, "--cases")
    tally_files = take_option(args, "--saved")
    if case_files is None or tally_files is None or len(args) % 2 or not (
            args or tally_files):
        print(__doc__, file=sys.stderr)
        return 2
    fail_on_skip = os.environ.get("SWITCHYARD_FAIL_ON_SKIP", "1") != "0"
    runs = [(args[i], int(args[i + 1])) for i in range(0, len(args), 2)]

    tallies = []
    for bep_path, bazel_rc in runs:
        name = run_name(bep_path) if len(runs) + len(tally_files) > 1 else ""
        tallies.append(count_run(bep_path, bazel_rc, name))
    tallies.extend(read_tally(path) for path in tally_files)
    passed = failed = skipped = 0
    lines = []
    for r_pass, r_fail, r_skip, r_lines in tallies:
        passed += r_pass
        failed += r_fail
        skipped += r_skip
        lines.extend(r_lines)
    for path in case_files:
        c_pass, c_fail, c_lines = count_cases(path)
        passed += c_pass
        failed += c_fail
        lines.extend(c_lines)

    for line in lines:
        print(line)
    if skipped:
        print(f"note: {skipped} test case(s) skipped"
              + (" (counted as failed; SWITCHYARD_FAIL_ON_SKIP=0 to allow)" if fail_on_skip
                 else ""))
        if fail_on_skip:
            failed += skipped
    # The closing line CI reads: exactly "N passed, N failed", alone on its line, last.
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
