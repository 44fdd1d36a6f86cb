#!/bin/sh
# rwarden postrm: purge removes the configuration, keys and the PKI, but
# never the audit trail or the users file in /var/lib/rwarden (evidence;
# delete them by hand), and not the user and group (files may still be
# owned by them).
set -e
if [ "$1" = purge ]; then
  rm -rf /etc/rwarden/pki
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
