#!/usr/bin/env bash
# Checks the README's two commands on a fresh Debian bookworm: builds a
# minimal bookworm root with debootstrap (no Go, no R, nothing but
# Debian's required packages), copies this source tree into it, and inside a
# chroot runs, as the README says:
#
#   apt-get install make      (the one prerequisite the README names)
#   make run                  then the connect commands it prints, pasted
#                             as printed (the demo password filled in)
#   make test                 (skipped with FRESH_SKIP_TEST=1: it takes long)
#
# Needs root, debootstrap, and network access to the Debian mirror and the Go
# module proxy. Slow (minutes for the root and R, much longer for make test);
# not part of CI. Usage:
#
#   sudo scripts/fresh-machine-test.sh            # keeps the base root for the next run
#   FRESH_SKIP_TEST=1 scripts/fresh-machine-test.sh
#
# Environment: FRESH_DIR (default /var/tmp/rwarden-fresh) holds base/, a
# pristine debootstrap root made once and reused, and run.*/, a copy per run
# (removed afterwards unless FRESH_KEEP=1). MIRROR picks the Debian mirror.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
FRESH_DIR="${FRESH_DIR:-/var/tmp/rwarden-fresh}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
BASE="$FRESH_DIR/base"

say() { echo "fresh-machine-test: $(date -u +%H:%M:%S) $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
# The chroot shares this machine's network: make run's default port must be free.
if ss -ltnH 'sport = :9443' | grep -q .; then
  die "port 9443 is in use on this machine; make run inside the chroot would not get it"
fi

mkdir -p "$FRESH_DIR"
if [ ! -x "$BASE/bin/bash" ]; then
  say "debootstrap bookworm (minbase) into $BASE"
  rm -rf "$BASE.partial"
  debootstrap --variant=minbase bookworm "$BASE.partial" "$MIRROR"
  mv "$BASE.partial" "$BASE"
fi

RUN="$(mktemp -d "$FRESH_DIR/run.XXXXXX")"
ROOT="$RUN/root"
cleanup() {
  local rc=$?
  for m in dev/pts dev sys proc; do
    if mountpoint -q "$ROOT/$m"; then umount -l "$ROOT/$m"; fi
  done
  if mountpoint -q "$ROOT"; then umount -l "$ROOT"; fi
  if [ "${FRESH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "root kept in $ROOT"
  else
    rm -rf "$RUN"
  fi
  exit $rc
}
trap cleanup EXIT

say "copying the base root to $ROOT"
cp -a "$BASE" "$ROOT"
# A machine's / is a mount point; a chroot's directory is not, and the
# sandbox's mount namespace set-up (making mounts private, pivot_root) needs
# it to be. Binding the root onto itself makes it one.
mount --bind "$ROOT" "$ROOT"
mount --make-private "$ROOT"
for m in proc sys dev dev/pts; do mkdir -p "$ROOT/$m"; done
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# Debian's installer (and every container runtime) writes /etc/hosts with
# localhost; debootstrap does not, and tests connect to "localhost".
if [ ! -e "$ROOT/etc/hosts" ]; then
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
fi
# CA certificates this machine added locally (a machine whose traffic goes
# through a TLS-inspecting proxy needs them to reach the Go module proxy;
# one with direct access has none): the root's ca-certificates, installed
# by install-deps, takes them in. FRESH_LOCAL_CAS=0 leaves them out.
if [ "${FRESH_LOCAL_CAS:-1}" = 1 ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
fi
# Go's environment as this machine has it for reaching the module proxy,
# nothing else of it: the chroot has no Go.
GOENV_PASS=()
for v in GOPROXY GOSUMDB GONOSUMDB GOPRIVATE http_proxy https_proxy no_proxy; do
  [ -n "${!v:-}" ] && GOENV_PASS+=("$v=${!v}")
done

say "copying the source tree (tracked and unignored files) to /src/rwarden"
mkdir -p "$ROOT/src/rwarden"
(cd "$SRC" && { git ls-files -z; git ls-files -z --others --exclude-standard; } |
  tar --null -T - -cf - ) | tar -xf - -C "$ROOT/src/rwarden"

in_root() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${GOENV_PASS[@]}" "$@"
}

in_root sh -c '! command -v go' || die "the base root has a go; it is not fresh"

say "step 0: apt-get install make"
in_root sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make' \
  > "$RUN/apt-make.log" 2>&1 || die "installing make (log: $RUN/apt-make.log)"

say "step 1: make run (log: $RUN/make-run.log)"
# In a session of its own (setsid execs in place, so $! is its process
# group): stop_run signals exactly make and rwarden under it, and nothing
# else on this machine. SIGTERM is rwarden's graceful stop.
setsid chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${GOENV_PASS[@]}" \
  sh -c 'cd /src/rwarden && exec make run' > "$RUN/make-run.log" 2>&1 &
RUN_PID=$!
stop_run() {
  kill -TERM -- "-$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
}
for _ in $(seq 1 3600); do
  grep -q '^or with the demo client certificate:' "$RUN/make-run.log" && break
  kill -0 "$RUN_PID" 2>/dev/null || { tail -30 "$RUN/make-run.log" >&2; die "make run exited before it was serving"; }
  sleep 1
done
grep -q '^or with the demo client certificate:' "$RUN/make-run.log" || { stop_run; die "make run did not start serving within an hour"; }
sleep 1
pw="$(sed -n 's/^  demo user: demo   password: \(.*\)$/\1/p' "$RUN/make-run.log")"
[ -n "$pw" ] || { stop_run; die "no demo password printed"; }

# The printed connect commands, pasted as a user would from /src/rwarden,
# with the password in place of "...".
mapfile -t cmds < <(sed -n 's/^  \(.*\(rwarden eval\|rwarden_client.py\) .*\)$/\1/p' "$RUN/make-run.log")
[ "${#cmds[@]}" -ge 3 ] || { stop_run; die "expected three printed connect commands, found ${#cmds[@]}"; }
fails=0
for c in "${cmds[@]}"; do
  c="${c//RWARDEN_PASSWORD=.../RWARDEN_PASSWORD=$pw}"
  say "pasting: ${c//$pw/***}"
  # The Python client, like the rpy2 client it replaces, exits 0 on an
  # error answer: an answer starting with "Error" counts as a failure too.
  if out="$(in_root bash -c "cd /src/rwarden && $c" 2>&1)" && ! printf '%s' "$out" | grep -q '^Error'; then
    printf '%s\n' "$out" | head -12 >&2
  else
    printf '%s\n' "$out" >&2
    say "that command failed"
    fails=$((fails + 1))
  fi
done
stop_run
[ "$fails" -eq 0 ] || die "$fails printed connect command(s) failed"
say "make run: serving, and every printed connect command worked"

if [ "${FRESH_SKIP_TEST:-0}" = 1 ]; then
  say "step 2: make test skipped (FRESH_SKIP_TEST=1)"
  exit 0
fi
say "step 2: make test (log: $RUN/make-test.log)"
in_root sh -c 'cd /src/rwarden && make test' > "$RUN/make-test.log" 2>&1 || { tail -40 "$RUN/make-test.log" >&2; die "make test failed"; }
say "make test passed"
