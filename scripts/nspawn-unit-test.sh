#!/usr/bin/env bash
# Runs scripts/deb-test.sh under a real systemd: boots a Debian bookworm root
# (debootstrap minbase plus systemd) with systemd-nspawn as PID 1 of its own
# container, installs the package there with deb-test.sh, which then starts
# the unit with systemctl, evaluates over TLS, prints `systemctl status` and
# `systemd-analyze security`, stops the unit and verifies the audit trail.
# For a machine without systemd as PID 1 (the project's own); where systemd
# runs, `make deb-test` does the same without a container.
#
# Needs root, debootstrap, systemd-container (systemd-nspawn), nsenter and
# network access to the Debian mirror (systemd and everything the package
# depends on or recommends are installed in the base root: the container
# has no network, --private-network). Usage:
#
#   scripts/nspawn-unit-test.sh bin/rwarden_0.1.0_amd64.deb
#
# Environment: NSPAWN_DIR (default /var/tmp/rwarden-nspawn) holds base/, a
# debootstrap root with systemd and the package's dependencies, made once and
# reused, and run.*/, a copy per run (removed unless NSPAWN_KEEP=1 or the
# test failed). MIRROR picks the Debian mirror.
#
# How the container differs from a machine: systemd-nspawn is started with
# --keep-unit --register=no (there is no systemd on the host to register
# with; without them it fails with "Failed to open system bus"), with
# --private-network (the unit's 127.0.0.1:9443 is the container's own), and
# with the three Landlock system calls added to nspawn's seccomp allow list:
# systemd 252's list lacks them, so inside the container Landlock reports ABI
# 0 and rwarden refuses to start workers ("missing required protection:
# landlock filesystem"), failing closed.
set -euo pipefail

DEB="${1:?usage: nspawn-unit-test.sh PACKAGE.deb}"
DEB="$(realpath "$DEB")"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
NSPAWN_DIR="${NSPAWN_DIR:-/var/tmp/rwarden-nspawn}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
BASE="$NSPAWN_DIR/base"

say() { echo "nspawn-unit-test: $(date -u +%H:%M:%S) $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"
for c in debootstrap systemd-nspawn nsenter; do
  command -v "$c" >/dev/null || die "needs $c (apt-get install debootstrap systemd-container util-linux)"
done
[ -f "$DEB" ] || die "no package $DEB"

in_chroot() {
  chroot "$1" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin "${@:2}"
}

mkdir -p "$NSPAWN_DIR"
if [ ! -x "$BASE/lib/systemd/systemd" ]; then
  say "debootstrap bookworm (minbase) into $BASE, then systemd and the package's dependencies"
  rm -rf "$BASE.partial"
  debootstrap --variant=minbase bookworm "$BASE.partial" "$MIRROR"
  cp /etc/resolv.conf "$BASE.partial/etc/resolv.conf"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$BASE.partial/etc/hosts"
  # Locally added CAs, as fresh-machine-test.sh does (a TLS-inspecting proxy).
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$BASE.partial/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$BASE.partial/usr/local/share/ca-certificates/"
  fi
  in_chroot "$BASE.partial" sh -c 'apt-get update && apt-get install -y --no-install-recommends \
    systemd systemd-sysv dbus ca-certificates iproute2 procps r-base-core r-cran-data.table libseccomp2 python3' \
    > "$NSPAWN_DIR/base-apt.log" 2>&1 || die "installing systemd and R in the base root (log: $NSPAWN_DIR/base-apt.log)"
  mv "$BASE.partial" "$BASE"
fi

RUN="$(mktemp -d "$NSPAWN_DIR/run.XXXXXX")"
ROOT="$RUN/root"
NSPAWN_PID=""
cleanup() {
  local rc=$?
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    # SIGTERM asks the container's systemd to power off.
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 1; done
    kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID" 2>/dev/null
    wait "$NSPAWN_PID" 2>/dev/null || true
  fi
  if [ "${NSPAWN_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "container root and logs kept in $RUN"
  else
    rm -rf "$RUN"
  fi
  exit $rc
}
trap cleanup EXIT

say "copying the base root to $ROOT"
cp -a "$BASE" "$ROOT"
mkdir -p "$ROOT/opt/rwtest"
cp "$DEB" "$SRC/scripts/deb-test.sh" "$ROOT/opt/rwtest/"

say "booting it with systemd-nspawn (console: $RUN/console.log)"
# setsid: the container's console is not this terminal; the session's
# process group is the container alone.
setsid systemd-nspawn --boot --directory="$ROOT" --machine=rwarden-test \
  --register=no --keep-unit --private-network --console=read-only \
  --system-call-filter='landlock_create_ruleset landlock_add_rule landlock_restrict_self' \
  > "$RUN/console.log" 2>&1 < /dev/null &
NSPAWN_PID=$!
# The container's PID 1 is nspawn's child; it is booted when systemd says so.
LEADER=""
for _ in $(seq 1 120); do
  kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$RUN/console.log" >&2; die "systemd-nspawn exited"; }
  LEADER="$(ps --ppid "$NSPAWN_PID" -o pid= | tr -d ' ' | head -1 || true)"
  if [ -n "$LEADER" ]; then
    state="$(nsenter -t "$LEADER" -a /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) break ;; esac
  fi
  sleep 1
done
say "container systemd state: ${state:-unknown}"
case "${state:-}" in running|degraded) ;; *) die "the container did not finish booting in two minutes" ;; esac

say "running deb-test.sh inside (log: $RUN/deb-test.log)"
if nsenter -t "$LEADER" -a /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    bash /opt/rwtest/deb-test.sh "/opt/rwtest/$(basename "$DEB")" > "$RUN/deb-test.log" 2>&1; then
  grep -v 'msg="policy warning"' "$RUN/deb-test.log" >&2
  say "PASS: the unit ran under systemd (PID 1 of the container) and served TLS"
else
  grep -v 'msg="policy warning"' "$RUN/deb-test.log" | tail -40 >&2
  die "deb-test.sh failed under systemd"
fi
