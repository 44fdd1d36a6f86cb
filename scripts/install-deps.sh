#!/usr/bin/env bash
# Installs what rwarden needs to build, run and test on Debian (bookworm):
#
# 1. System packages from apt: R, libseccomp for the worker's seccomp filter,
#    gcc for cgo and the fork library, Rserve and RSclient for the
#    compatibility tests and benchmarks, Python for the client, Node.js and
#    npm for the MCP test with the TypeScript SDK, Chromium for the browser
#    console test, PostgreSQL, DBI and RPostgreSQL for the egress tests, HAProxy
#    for the cluster test.
# 2. A Go toolchain at least as new as go.mod's `go` line. Debian bookworm
#    ships Go 1.19, too old for go.mod and too old to fetch a newer toolchain
#    itself (GOTOOLCHAIN needs Go 1.21). When `go` on PATH is missing or too
#    old, this script installs Debian's golang-go only as a bootstrap, uses it
#    to download the Go toolchain module golang.org/toolchain@v0.0.1-goX.Y.Z.
#    linux-ARCH from the Go module proxy (GOPROXY, default proxy.golang.org;
#    the download is checked against the Go checksum database, GOSUMDB, like
#    any module), unpacks it to /usr/local/go, and links /usr/local/bin/go and
#    /usr/local/bin/gofmt to it (/usr/local/bin comes before /usr/bin in
#    Debian's PATH). This is the same module that Go's own GOTOOLCHAIN
#    switching downloads. An existing /usr/local/go is never overwritten.
#
# Idempotent: packages already present are not reinstalled, and a new enough
# `go` on PATH is used as it is. Every action is printed on stderr.
set -euo pipefail

cd "$(dirname "$0")/.."

say() { echo "install-deps: $*" >&2; }
die() { say "$*"; exit 1; }

SUDO=""
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to $1"
    SUDO="sudo"
  fi
}

APT_UPDATED=""
apt_install() {
  need_root "install $*"
  say "installing with apt-get: $*"
  if [ -z "$APT_UPDATED" ]; then
    $SUDO apt-get update
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$@"
}

PKGS=(
  r-base-core        # R itself (R 4.2.2 on bookworm)
  r-cran-jsonlite    # used by tests that compare values with R
  r-cran-rserve      # Rserve 1.8: the benchmark and compatibility baseline
  r-cran-rsclient    # RSclient: a real Rserve client for QAP1 tests
  r-cran-data.table  # data.table: granted to role:analyst, used by the benign corpus and the parameter model; fread reads CSV uploads (read.csv without it)
  r-cran-dbi r-cran-rpostgresql  # DBI + RPostgreSQL: network egress tests (alice queries PostgreSQL)
  postgresql         # initdb/pg_ctl/psql: the egress tests start a temporary cluster on loopback
  haproxy            # the cluster test runs deploy/haproxy/haproxy.cfg in front of three nodes
  libseccomp-dev     # seccomp filter for workers (cgo, libseccomp-golang)
  pkg-config         # lets cgo find libseccomp
  gcc libc6-dev      # cgo and the fork library
  python3            # the Python client and its tests
  chromium           # headless browser for the browser console test (proxy/httpapi TestConsoleBrowser)
  nodejs npm         # the MCP interoperability test runs the official TypeScript SDK client (proxy/e2e)
  slapd              # OpenLDAP server: the LDAP login tests start one on loopback (auth, proxy/e2e)
  libpam0g-dev       # PAM headers: the PAM login test builds rwarden with -tags pam (proxy/e2e)
  curl               # the HTTP API tests run the documented curl commands (proxy, proxy/e2e, proxy/httpapi)
  ca-certificates make git procps iproute2
)

# provided P: a command that stands for package P when another package
# supplies it (NodeSource's nodejs bundles npm and conflicts with Debian's).
provided() {
  case "$1" in
    nodejs) command -v node >/dev/null ;;
    npm) command -v npm >/dev/null ;;
    *) return 1 ;;
  esac
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || provided "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# --- Go toolchain -----------------------------------------------------------

GO_WANT="go$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' go.mod)"
[ "$GO_WANT" != "go" ] || die "cannot read the go line of go.mod"

# version_ok V: V (go1.X.Y) is at least GO_WANT.
version_ok() {
  [ "$(printf '%s\n%s\n' "${GO_WANT#go}" "${1#go}" | sort -V | head -1)" = "${GO_WANT#go}" ]
}

# go_version GO: the version GO runs this module with (a Go 1.21 or newer
# switches to go.mod's version by itself unless GOTOOLCHAIN=local), empty if
# it cannot say.
go_version() {
  "$1" env GOVERSION 2>/dev/null || true
}

if command -v go >/dev/null; then
  have="$(go_version go)"
  if [ -n "$have" ] && version_ok "$have"; then
    say "apt packages in place; using $have ($(command -v go))"
    exit 0
  fi
  say "go on PATH ($(command -v go)) is ${have:-unusable}; go.mod needs $GO_WANT or newer"
fi

if [ -x /usr/local/go/bin/go ]; then
  have="$(go_version /usr/local/go/bin/go)"
  if [ -n "$have" ] && version_ok "$have"; then
    die "/usr/local/go has $have but is not first on PATH: run  export PATH=/usr/local/go/bin:\$PATH"
  fi
  die "/usr/local/go holds ${have:-an unusable Go}, older than $GO_WANT; remove or move it and run again (it is not overwritten)"
fi

case "$(uname -m)" in
  x86_64) GOARCH_DL=amd64 ;;
  aarch64) GOARCH_DL=arm64 ;;
  *) die "no Go toolchain download known for $(uname -m); install $GO_WANT from https://go.dev/dl and run again" ;;
esac
TOOLCHAIN="golang.org/toolchain@v0.0.1-${GO_WANT}.linux-${GOARCH_DL}"

# Debian's Go is only the bootstrap that downloads and verifies the toolchain.
BOOT=/usr/lib/go/bin/go
if [ ! -x "$BOOT" ]; then
  apt_install golang-go
fi
[ -x "$BOOT" ] || die "golang-go did not install $BOOT"

say "downloading the Go toolchain $TOOLCHAIN through ${GOPROXY:-the Go module proxy} (checked against the checksum database)"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
# A private module cache and no module: nothing of the user's Go set-up is
# used or changed. GOFLAGS=-modcacherw lets the trap delete the cache.
if ! json="$(cd "$work" && GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOFLAGS=-modcacherw GO111MODULE=on \
  "$BOOT" mod download -json "$TOOLCHAIN")"; then
  printf '%s\n' "$json" >&2
  die "downloading $TOOLCHAIN failed"
fi
dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] && [ -f "$dir/bin/go" ] || die "the download of $TOOLCHAIN has no bin/go"

need_root "install Go into /usr/local/go"
say "installing $GO_WANT into /usr/local/go; linking /usr/local/bin/go and /usr/local/bin/gofmt"
$SUDO mkdir -p /usr/local/go.partial
$SUDO cp -a "$dir/." /usr/local/go.partial/
# Module zips carry no file modes: the executables need theirs back (as Go's
# own toolchain switch does after its download).
$SUDO chmod -R a+rX,go-w /usr/local/go.partial
$SUDO find /usr/local/go.partial/bin /usr/local/go.partial/pkg/tool -type f -exec chmod 0755 {} +
$SUDO mv /usr/local/go.partial /usr/local/go
for t in go gofmt; do
  if [ -e "/usr/local/bin/$t" ] && [ "$(readlink "/usr/local/bin/$t")" != "/usr/local/go/bin/$t" ]; then
    say "/usr/local/bin/$t exists and is not ours: left alone"
  else
    $SUDO ln -sfn "/usr/local/go/bin/$t" "/usr/local/bin/$t"
  fi
done

have="$(go_version go)"
if [ -z "$have" ] || ! version_ok "$have"; then
  die "installed /usr/local/go, but go on PATH ($(command -v go || echo none)) is ${have:-missing}: put /usr/local/bin or /usr/local/go/bin first on PATH"
fi
say "Go ready: $(go version)"
