#!/usr/bin/env bash
# QAP1 (Rserve protocol) benchmark: RSclient against Debian's Rserve 1.8 and
# against rwarden, in the same run, over plaintext loopback and TLS:
#   - the `1+1` round trip on an open connection (RS.eval), and
#   - connect + RSA login (RS.authkey/RS.login) + `1+1` + close.
# rwarden runs with its real sandbox, policy check and audit trail (audit
# fsync "interval", the default, "always" and "never"); Rserve is started on
# loopback by the benchmark itself, also behind a do-nothing relay (blocking
# and spinning: what a proxy process costs by itself) and pinned with the
# client to one CPU and to different CPUs (taskset). Needs R with
# r-cran-rsclient and r-cran-rserve (make deps). Figures go into docs/benchmarks.md (## QAP1).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== QAP1: RSclient against Rserve 1.8 and rwarden =="
go test ./proxy -run '^$' -bench 'QAP1RSclient' -benchtime 1x -v -timeout 30m \
  | grep -E 'qap1_bench_test|^Benchmark|^ok|FAIL' || true
echo "== QAP1: sustained one-shot (connect + 1+1 + close, 8 Go clients) against Rserve 1.8, CPU per evaluation =="
go test ./proxy -run '^$' -bench 'QAP1OneShotVsRserve' -benchtime 1x -timeout 30m \
  | grep -vE '^(goos|goarch|pkg|cpu|PASS)' || true
echo "== QAP1: open-connection 1+1 round trip, lean client in its own process, against Rserve 1.8 (issue 12) =="
go test ./proxy -run '^$' -bench 'QAP1LeanRoundTrip' -benchtime 1x -v -timeout 30m \
  | grep -E 'round|median|^ok|FAIL' || true
echo "== QAP1: front end against the evaluation core (Go client, open connection) =="
go test ./proxy -run '^$' -bench 'QAP1EvalRoundTrip' -benchtime 3000x -count 3 -timeout 30m \
  | grep -E '^Benchmark|^ok|FAIL' || true
echo "== QAP1: busy polling with 1-8 concurrent busy sessions (Go clients) =="
go test ./proxy -run '^$' -bench 'QAP1Concurrent' -benchtime 1x -v -timeout 30m \
  | grep -E 'busy_poll|^ok|FAIL' || true
