#!/bin/sh
# What make bench needs beyond make deps: wrk, and Kannel as the peer to
# compare with (Debian's packages). As root it installs the missing ones;
# otherwise it prints the apt-get line and fails. The bench runs Kannel's
# boxes itself on loopback, so when installing Kannel starts its system
# service, the service is stopped and disabled at once.
set -u
top=$(dirname "$0")/../..
installed=$(sh "$top/deploy/deps.sh" "make bench" wrk kannel) || exit 1
case "$installed" in
*kannel*)
	# The package's init script stops only the boxes it started (by
	# their pid files); under systemd the service is disabled as well.
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now kannel >/dev/null 2>&1 || true
	fi
	if [ -x /etc/init.d/kannel ]; then
		/etc/init.d/kannel stop >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
