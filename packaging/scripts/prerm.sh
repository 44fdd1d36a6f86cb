#!/bin/sh
# rwarden prerm: stop the service before its files go.
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
  systemctl stop rwarden.service >/dev/null 2>&1 || true
  systemctl disable rwarden.service >/dev/null 2>&1 || true
fi
exit 0
