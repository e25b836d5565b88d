#!/usr/bin/env bash
# Runs count_tests_test.py with the system python3 (count_tests.py is stdlib only).
exec python3 "$(dirname "$0")/count_tests_test.py" -v
