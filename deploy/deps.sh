#!/bin/sh
# Checks the Debian packages ibchannel needs to build, test and run; as root
# it installs the missing ones, otherwise it prints the apt-get line and fails.
# With arguments, checks those instead: deps.sh WHO PACKAGE... ("make bench"
# wrk kannel); it prints the missing ones installed, one per line, on stdout.
set -u
who=ibchannel
pkgs="gcc make pkg-config libfcgi-dev libcurl4-openssl-dev libjson-c-dev
libsqlite3-dev libssl-dev sqlite3 lighttpd python3 curl ca-certificates
e2fsprogs procps chromium apache2 apache2-utils spawn-fcgi mandoc man-db
logrotate tzdata libpq-dev postgresql pg-auto-failover-cli
postgresql-15-auto-failover debhelper dpkg-dev fakeroot lintian haproxy"
if [ $# -gt 1 ]; then
	who=$1
	shift
	pkgs="$*"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "$who needs these Debian packages:$missing" >&2
	echo "Install them as root with:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing Debian packages for $who:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null ||
	{ echo "apt-get install failed for:$missing" >&2; exit 1; }
[ $# -eq 0 ] || printf '%s\n' $missing
