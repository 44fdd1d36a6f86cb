#!/usr/bin/env bash
# make bench: every benchmark section of rwarden. Each section is owned by
# its package; keep them separated.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- QAP1 (proxy/qap1, proxy/qap1_*): RSclient vs Rserve 1.8 vs rwarden ----
bash scripts/bench-qap1.sh
# ---- end QAP1 ----
