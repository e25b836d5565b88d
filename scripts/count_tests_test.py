#!/usr/bin/env python3
"""Tests for count_tests.py: the closing line CI reads, and tallies saved per run."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "count_tests.py")

PASSING_XML = """<testsuites><testsuite name="S">
<testcase classname="S" name="a"/><testcase classname="S" name="b"/>
</testsuite></testsuites>"""
FAILING_XML = """<testsuites><testsuite name="S">
<testcase classname="S" name="a"><failure message="boom"/></testcase>
</testsuite></testsuites>"""


class CountTestsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.xml = os.path.join(self.dir, "test.xml")
        self.log = os.path.join(self.dir, "test.log")
        with open(self.log, "w") as f:
            f.write("ok\n")

    def write_run(self, name, xml, status="PASSED"):
        """One BEP file naming //t:t, whose result is self.xml (written now)."""
        with open(self.xml, "w") as f:
            f.write(xml)
        bep = os.path.join(self.dir, name + ".json")
        events = [
            {"id": {"targetConfigured": {"label": "//t:t"}},
             "configured": {"targetKind": "cc_test rule"}},
            {"id": {"testResult": {"label": "//t:t", "run": 1, "shard": 1, "attempt": 1}},
             "testResult": {"status": status, "testActionOutput": [
                 {"name": "test.xml", "uri": "file://" + self.xml},
                 {"name": "test.log", "uri": "file://" + self.log}]}},
        ]
        with open(bep, "w") as f:
            f.write("\n".join(json.dumps(e) for e in events) + "\n")
        return bep

    def count(self, *args):
        p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
        return p.returncode, p.stdout.splitlines()

    def test_closing_line_counts_cases(self):
        rc, out = self.count(self.write_run("plain", PASSING_XML), "0")
        self.assertEqual(out[-1], "2 passed, 0 failed")
        self.assertEqual(rc, 0)

    def test_saved_tally_survives_a_later_run_overwriting_the_xml(self):
        tally = os.path.join(self.dir, "plain.tally")
        rc, out = self.count("--save", tally, self.write_run("plain", PASSING_XML), "0")
        self.assertEqual((rc, out), (0, []))
        # The rerun writes the same test.xml path, as Bazel does for the same target.
        rerun = self.write_run("rerun", FAILING_XML, status="FAILED")
        rc, out = self.count("--saved", tally, rerun, "3")
        self.assertEqual(out[-1], "2 passed, 1 failed")
        self.assertIn("FAILED [rerun] //t:t: 1 failed, 0 passed", out)
        self.assertEqual(rc, 1)

    def test_a_failed_case_shows_the_start_of_its_message(self):
        message = "x.cc:12\nExpected equality of these values:\n" + "".join(
            f"  line {i}\n" for i in range(20))
        xml = FAILING_XML.replace('message="boom"', 'message="%s"' % message.replace(
            "\n", "&#x0A;"))
        rc, out = self.count(self.write_run("plain", xml, status="FAILED"), "3")
        at = out.index("  case failed: S.a")
        self.assertEqual(out[at + 1:at + 3], ["    x.cc:12", "    Expected equality of these values:"])
        self.assertIn("    ... (14 more lines in test.xml)", out)
        self.assertEqual(out[-1], "0 passed, 1 failed")

    def test_missing_tally_is_a_failure(self):
        rc, out = self.count("--saved", os.path.join(self.dir, "absent.tally"))
        self.assertEqual(out[-1], "0 passed, 1 failed")
        self.assertEqual(rc, 1)

    def test_failed_build_without_results_is_a_failure(self):
        bep = os.path.join(self.dir, "plain.json")
        with open(bep, "w") as f:
            f.write(json.dumps({"id": {"targetConfigured": {"label": "//t:t"}},
                                "configured": {"targetKind": "cc_test rule"}}) + "\n")
        rc, out = self.count(bep, "1")
        self.assertEqual(out[-1], "0 passed, 1 failed")
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    unittest.main()
