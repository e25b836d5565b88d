#!/usr/bin/env bash
# promtool checks the alert rules (syntax, PromQL, templates) and the scrape config that
# loads them. Fails when promtool is missing: scripts/setup.sh installs it.
set -euo pipefail
cd deploy/prometheus
promtool check rules alerts.yml
promtool check config prometheus.yml
echo "PASS"
