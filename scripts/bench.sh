#!/usr/bin/env bash
# make bench: every benchmark of rwarden, printing the figures recorded in
# docs/benchmarks.md. Run on an otherwise idle machine: the figures are
# latencies and rates. Needs R, Rserve and RSclient (make deps).
#   RWARDEN_BENCH_SECONDS  length of the sustained-load runs (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n== %s ==\n' "$*"; }

section "Sandbox: warm acquire, 1+1 round trip, cold start and idle memory (sandbox)"
go test ./sandbox -run '^$' -bench 'AcquireWarm|EvalOnePlusOne|ColdStart' -benchtime 300x -timeout 30m \
  | grep -E '^Benchmark|^ok|FAIL'

section "Policy: parse + check of a 1,000-line script, against R's parse() + getParseData() (policy)"
go test ./policy/refs ./policy/rsyntax ./policy -run '^$' \
  -bench 'ParseAndFind1000Lines|Parse1000Lines|Check1000Lines$|RParse1000Lines' -benchtime 3s -timeout 30m \
  | grep -E '^Benchmark|^ok|FAIL'

section "Audit: records per second by fsync policy (audit)"
go test ./audit -run '^$' -bench 'Write' -benchtime 3s -timeout 30m | grep -E '^Benchmark|^ok|FAIL'

section "Framed protocol: rwarden (plaintext, TLS) against Rserve 1.8, one-shot and sustained (proxy)"
go test ./proxy -run '^$' -bench 'FramedVsRserve' -benchtime 1x -timeout 60m \
  | grep -vE '^(goos|goarch|pkg|cpu|PASS)' || true

section "HTTP API: one-shot POST /v1/eval against the framed one-shot, and streamed-event lag (proxy)"
go test ./proxy -run '^$' -bench 'HTTPVsFramed' -benchtime 1x -timeout 30m \
  | grep -vE '^(goos|goarch|pkg|cpu|PASS)' || true

# ---- QAP1 (proxy/qap1, proxy/qap1_*): RSclient vs Rserve 1.8 vs rwarden ----
bash scripts/bench-qap1.sh
# ---- end QAP1 ----
