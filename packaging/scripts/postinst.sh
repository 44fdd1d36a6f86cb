#!/bin/sh
# rwarden postinst: system user and group, directories, an empty users file
# and a development PKI for the loopback listener; never overwrites what
# exists (upgrades keep keys, users and the audit trail).
set -e

if [ "$1" = configure ]; then
  # The rwarden group owns /etc/rwarden: its members (operators) may read
  # the configuration and policies. The service itself runs as root (see
  # the unit), so the user has no shell and no home of its own.
  if ! getent group rwarden >/dev/null; then
    groupadd --system rwarden
  fi
  if ! getent passwd rwarden >/dev/null; then
    useradd --system --gid rwarden --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin --comment "rwarden R proxy" rwarden
  fi
  chown root:rwarden /etc/rwarden /etc/rwarden/rwarden.yaml
  chmod 0750 /etc/rwarden
  chmod 0640 /etc/rwarden/rwarden.yaml

  install -d -m 0700 -o root -g root /var/lib/rwarden
  if [ ! -e /var/lib/rwarden/users.txt ]; then
    install -m 0600 -o root -g root /dev/null /var/lib/rwarden/users.txt
  fi
  # Keys stay root's alone.
  /usr/bin/rwarden pki dev /etc/rwarden/pki >/dev/null
  chmod 0700 /etc/rwarden/pki

  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
    if [ -z "$2" ]; then
      # First install: enabled for boot, not started until there is a user.
      deb-systemd-helper enable rwarden.service >/dev/null 2>&1 || systemctl enable rwarden.service >/dev/null || true
    else
      systemctl try-restart rwarden.service >/dev/null || true
    fi
  fi
fi
exit 0
