#!/bin/sh
# What make bench needs beyond make deps: wrk, and Kannel as the peer to
# compare with (Debian's packages). As root it installs the missing ones;
# otherwise it prints the apt-get line and fails. The bench runs Kannel's
# boxes itself on loopback, so when installing Kannel starts its system
# service, the service is stopped and disabled at once.
set -u
missing=""
for p in wrk kannel; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "make bench needs these Debian packages:$missing" >&2
	echo "Install them as root with:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing Debian packages for make bench:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null ||
	{ echo "apt-get install failed for:$missing" >&2; exit 1; }
case "$missing" in
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
