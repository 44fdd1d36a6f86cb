#!/usr/bin/env bash
# Installs the Debian package built by `make deb` on this machine, starts the
# service and evaluates R through it over TLS, as an operator would:
#
#   apt-get install ./rwarden_VERSION_ARCH.deb
#   rwarden user add --users /var/lib/rwarden/users.txt alice   (alice's policy is shipped)
#   systemctl start rwarden          (or, where systemd is not PID 1, the unit's
#                                     ExecStartPre and ExecStart run as the unit
#                                     would: its user, capability bounding set
#                                     and no_new_privs, with a NOTIFY_SOCKET
#                                     that must receive READY=1)
#   rwarden eval over TLS with the package's CA: an allowed and a denied call
#   rwarden audit verify of the audit trail
#
# then stops the service and purges the package (DEB_TEST_KEEP=1 keeps it
# installed). It changes this machine: run it as root, on a machine where
# that is fine (not in CI). Prints `systemd-analyze security` of the unit
# where systemd-analyze is available (offline analysis needs no running
# systemd). Usage: scripts/deb-test.sh bin/rwarden_0.1.0_amd64.deb
set -euo pipefail

DEB="${1:?usage: deb-test.sh PACKAGE.deb}"
DEB="$(realpath "$DEB")"
UNIT=/lib/systemd/system/rwarden.service
USERS=/var/lib/rwarden/users.txt
ADDR=127.0.0.1:9443

say() { echo "deb-test: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (installs a package)"
[ -f "$DEB" ] || die "no package $DEB"
if dpkg-query -W -f='${Status}' rwarden 2>/dev/null | grep -q "install ok installed"; then
  die "rwarden is already installed here; remove it first (this test installs and purges it)"
fi
# What the package leaves behind on purge by design (the audit trail and
# users file, the system user) is removed again by this test only if it was
# not there before it.
if [ -e /var/lib/rwarden ]; then
  die "/var/lib/rwarden exists (state of an earlier installation?); this test would mix with it"
fi
had_user=0; getent passwd rwarden >/dev/null && had_user=1
had_group=0; getent group rwarden >/dev/null && had_group=1
if ss -ltnH "sport = :${ADDR##*:}" | grep -q .; then
  die "port ${ADDR##*:} is in use; the packaged configuration listens there"
fi

work="$(mktemp -d)"
SERVICE_PID=""
NOTIFY_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVICE_PID" ]; then kill -TERM "$SERVICE_PID" 2>/dev/null || true; wait "$SERVICE_PID" 2>/dev/null || true; fi
  if [ -n "$NOTIFY_PID" ]; then kill "$NOTIFY_PID" 2>/dev/null || true; wait "$NOTIFY_PID" 2>/dev/null || true; fi
  if [ -d /run/systemd/system ]; then systemctl stop rwarden.service 2>/dev/null || true; fi
  if [ "${DEB_TEST_KEEP:-0}" != 1 ]; then
    say "purging the package"
    DEBIAN_FRONTEND=noninteractive apt-get purge -y rwarden >"$work/purge.log" 2>&1 || cat "$work/purge.log" >&2
    [ -e /etc/rwarden ] && say "(purge left /etc/rwarden: $(ls -A /etc/rwarden))"
    rm -rf /var/lib/rwarden /run/rwarden
    if [ $had_user = 0 ] && getent passwd rwarden >/dev/null; then userdel rwarden; fi
    if [ $had_group = 0 ] && getent group rwarden >/dev/null; then groupdel rwarden; fi
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

say "installing $DEB"
DEBIAN_FRONTEND=noninteractive apt-get install -y "$DEB" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; die "apt-get install"; }

say "what the package installed"
rwarden version >&2
[ "$(readlink -f /usr/bin/rwarden)" = /usr/lib/rwarden/rwarden ] || die "/usr/bin/rwarden does not lead to /usr/lib/rwarden/rwarden"
[ -f /usr/lib/rwarden/rwarden_fork.so ] || die "no fork library beside the binary"
[ -f /usr/share/man/man1/rwarden-serve.1.gz ] || die "no man page"
getent passwd rwarden >/dev/null || die "no system user rwarden"
[ "$(stat -c %a /var/lib/rwarden)" = 700 ] || die "/var/lib/rwarden is not 0700"
[ "$(stat -c %a "$USERS")" = 600 ] || die "$USERS is not 0600"
[ -f /etc/rwarden/pki/server.key ] && [ "$(stat -c %a /etc/rwarden/pki/server.key)" = 600 ] || die "no server key 0600"
rwarden config check --config /etc/rwarden/rwarden.yaml >&2 || die "rwarden config check of the packaged configuration"

if command -v systemd-analyze >/dev/null; then
  say "systemd-analyze security of the unit (offline)"
  systemd-analyze security --offline=true --no-pager "$UNIT" >&2 || say "(systemd-analyze security failed)"
fi

say "adding user alice (the shipped policy users/alice.csv makes her an analyst)"
pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$pw" | rwarden user add --users "$USERS" alice >&2

# unit_value KEY: the value of KEY= in the unit's [Service] section.
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }

if [ -d /run/systemd/system ]; then
  say "systemd is running: systemctl start rwarden"
  systemctl daemon-reload
  systemctl start rwarden.service || { journalctl -u rwarden --no-pager | tail -40 >&2; die "systemctl start"; }
  systemctl is-active rwarden.service >&2
  systemctl status --no-pager --lines=15 rwarden.service >&2 || true
  say "systemd-analyze security of the running unit"
  systemd-analyze security --no-pager rwarden.service >&2 || say "(systemd-analyze security failed)"
else
  say "systemd is not PID 1 here: running the unit's command lines as the unit would"
  user="$(unit_value User)"; user="${user:-root}"
  caps="$(unit_value CapabilityBoundingSet)"
  nnp="$(unit_value NoNewPrivileges)"
  bset="-all"
  for c in $caps; do c="${c#CAP_}"; bset="$bset,+${c,,}"; done
  SETPRIV=(setpriv --reuid "$user" --regid "$(id -g "$user")" --init-groups --bounding-set "$bset" --inh-caps -all)
  [ "$nnp" = yes ] && SETPRIV+=(--no-new-privs)
  say "as: ${SETPRIV[*]}"
  # A stand-in for systemd's notification socket: it must hear READY=1.
  python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode() + "\n--\n")
PY
  NOTIFY_PID=$!
  for _ in $(seq 1 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
  pre="$(unit_value ExecStartPre)"
  start="$(unit_value ExecStart)"
  # The unit's state and runtime directories, as systemd would make them.
  install -d -m 0700 /var/lib/rwarden
  install -d -m 0750 /run/rwarden
  read -r -a precmd <<<"$pre"
  "${SETPRIV[@]}" -- "${precmd[@]}" >&2 || die "ExecStartPre: $pre"
  read -r -a startcmd <<<"$start"
  NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC="$(( $(unit_value WatchdogSec | tr -dc 0-9) * 1000000 ))" \
    "${SETPRIV[@]}" -- "${startcmd[@]}" 2>"$work/serve.log" &
  SERVICE_PID=$!
  for _ in $(seq 1 1200); do
    grep -q '^READY=1' "$work/notify.log" 2>/dev/null && break
    kill -0 "$SERVICE_PID" 2>/dev/null || { cat "$work/serve.log" >&2; die "ExecStart exited"; }
    sleep 0.1
  done
  grep -q '^READY=1' "$work/notify.log" || { cat "$work/serve.log" >&2; die "no READY=1 within two minutes"; }
  say "READY=1 received"
fi

say "evaluating over TLS as alice"
out="$(RWARDEN_PASSWORD="$pw" rwarden eval --addr "$ADDR" --tls-ca /etc/rwarden/pki/ca.pem --user alice -e 'summary(cars)')" \
  || die "allowed evaluation failed: $out"
printf '%s\n' "$out" >&2
grep -q 'Median' <<<"$out" || die "unexpected answer"
set +e
out="$(RWARDEN_PASSWORD="$pw" rwarden eval --addr "$ADDR" --tls-ca /etc/rwarden/pki/ca.pem --user alice -e 'system("id")' 2>&1)"
rc=$?
set -e
printf '%s\n' "$out" >&2
[ $rc -eq 1 ] && grep -q '^Error' <<<"$out" || die "system() was not denied (exit $rc)"
out="$(rwarden eval --addr "$ADDR" --tls-ca /etc/rwarden/pki/ca.pem -e '1' 2>&1 || true)"
grep -qi 'error\|refused\|denied' <<<"$out" || die "an unauthenticated client got an answer: $out"

if [ -n "$SERVICE_PID" ]; then
  kill -TERM "$SERVICE_PID"
  wait "$SERVICE_PID" || die "ExecStart did not exit cleanly on SIGTERM"
  SERVICE_PID=""
  grep -q '^STOPPING=1' "$work/notify.log" || die "no STOPPING=1"
  grep -q '^WATCHDOG=1' "$work/notify.log" || say "(no WATCHDOG=1 yet: the interval is half of WatchdogSec)"
else
  systemctl stop rwarden.service
fi
rwarden audit verify /var/lib/rwarden/audit.jsonl >&2 || die "audit verify"
say "PASS: installed, started, served TLS with the shipped policies, audit verified"
