#!/usr/bin/env bash
# Issue 12: hold RWARDEN_IDLE_SESSIONS (default 500) concurrent idle QAP1
# sessions of the anonymous guest (policy-checked, forked allowlisted
# sessions, audited, default memory budget) and report whether all were
# served, how long opening them took, their memory (USS, PSS, the drop of
# MemAvailable), the CPU they take while idle and whether each still
# answers. Needs R and some GiB of free memory; run as root for the full
# sandbox. Figures go into docs/benchmarks.md.
#   RWARDEN_IDLE_SESSIONS  sessions to hold (default 500)
#   RWARDEN_IDLE_SECONDS   how long the idle CPU is measured (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ${RWARDEN_IDLE_SESSIONS:-500} concurrent idle sessions (load average: $(cut -d' ' -f1-3 /proc/loadavg)) =="
go test ./proxy -run '^$' -bench 'IdleSessionsHeld' -benchtime 1x -timeout 30m \
  | grep -vE '^(goos|goarch|pkg|cpu|PASS)' || true
