#!/usr/bin/env bash
# Installs the system packages rwarden needs to build, run and test on Debian
# (bookworm): R, libseccomp for the worker's seccomp filter, Rserve and
# RSclient for the compatibility tests and benchmarks, Python for the client,
# Node.js and npm for the MCP test with the TypeScript SDK.
# Idempotent: packages already present are not reinstalled.
set -euo pipefail

PKGS=(
  r-base-core        # R itself (R 4.2.2 on bookworm)
  r-cran-jsonlite    # used by tests that compare values with R
  r-cran-rserve      # Rserve 1.8: the benchmark and compatibility baseline
  r-cran-rsclient    # RSclient: a real Rserve client for QAP1 tests
  r-cran-data.table  # data.table: granted to role:analyst, used by the benign corpus and the parameter model
  libseccomp-dev     # seccomp filter for workers (cgo, libseccomp-golang)
  pkg-config         # lets cgo find libseccomp
  gcc libc6-dev      # cgo
  python3            # the Python client and its tests
  nodejs npm         # the MCP interoperability test runs the official TypeScript SDK client (proxy/e2e)
  ca-certificates make git procps iproute2
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
