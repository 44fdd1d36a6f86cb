#!/bin/sh
# Container entry point: what the Debian package's postinst does on the
# first install (an empty users file, a development PKI, nothing
# overwritten), then exec rwarden with the given arguments, so that SIGTERM
# from `docker stop` reaches it (run with --init to have an init reap
# orphans, as docs/operations.md shows).
set -e
install -d -m 0700 /var/lib/rwarden
[ -e /var/lib/rwarden/users.txt ] || install -m 0600 /dev/null /var/lib/rwarden/users.txt
if [ "$1" = serve ]; then
  /usr/bin/rwarden pki dev /etc/rwarden/pki >/dev/null
fi
exec /usr/bin/rwarden "$@"
