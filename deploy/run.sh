#!/bin/sh
# make run: a working local installation in var/ — lighttpd with the three
# programs on 127.0.0.1:8080, the Infobip simulator with its phone page, the
# sender loop, and a demo connection answered by the built-in rules agent.
# Ctrl-C stops everything it started, and so do SIGTERM and SIGHUP (a
# closed terminal); a second run reuses the store.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
port=${IBCHANNEL_PORT:-8080}
simport=${IBSIM_PORT:-9090}
var=${IBCHANNEL_VAR:-$top/var}
export IBCHANNEL_DB="$var/ibchannel.db"
export IBCHANNEL_KEY_FILE="$var/ibchannel.key"
export IBCHANNEL_SYNC=${IBCHANNEL_SYNC:-full}
export IBCHANNEL_PUBLIC_URL="http://127.0.0.1:$port"
ibc=$top/build/ibchannel
demo_key=demo-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0
pids=""

stop() {
	trap - HUP INT TERM EXIT
	# The terminal may be gone (SIGHUP): stop the children before saying
	# anything, and let a write to a closed output stop nothing.
	trap '' HUP PIPE
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	{
		echo
		echo "Stopped. The store stays in var/; 'make run' again reuses it."
	} 2>/dev/null
	exit 0
}
trap stop HUP INT TERM EXIT

port_busy() {
	python3 -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1]))) == 0 else 1)" "$1"
}
wait_port() {
	i=0
	while ! port_busy "$1"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}
for p in "$port" "$simport"; do
	if port_busy "$p"; then
		echo "Port $p on 127.0.0.1 is in use; stop what holds it or set IBCHANNEL_PORT / IBSIM_PORT." >&2
		trap - EXIT
		exit 1
	fi
done

mkdir -p "$var" "$var/www"
"$ibc" init >/dev/null || exit 1
"$ibc" settings set public_url "$IBCHANNEL_PUBLIC_URL"

python3 tests/sim/ibsim.py --port "$simport" --keys "$demo_key" --quiet \
	>"$var/ibsim.log" 2>&1 &
pids="$pids $!"
wait_port "$simport" || { echo "the Infobip simulator did not start; see var/ibsim.log" >&2; exit 1; }

sed -e "s|@BIND@|127.0.0.1|" -e "s|@PORT@|$port|" -e "s|@WWW@|$var/www|" \
	-e "s|@VAR@|$var|g" -e "s|@DB@|$IBCHANNEL_DB|" -e "s|@KEY@|$IBCHANNEL_KEY_FILE|" \
	-e "s|@SYNC@|$IBCHANNEL_SYNC|" -e "s|@PUBLIC_URL@|$IBCHANNEL_PUBLIC_URL|" \
	-e "s|@BIN@|$top/build|g" -e "s|@PROCS@|1|g" -e "s|@ADMIN_NO_AUTH@|1|" \
	-e '/^# admin auth begin$/,/^# admin auth end$/d' \
	-e '/^# server user begin$/,/^# server user end$/d' \
	deploy/lighttpd.conf.in >"$var/lighttpd.conf"
lighttpd -D -f "$var/lighttpd.conf" 2>"$var/lighttpd.out" &
pids="$pids $!"
wait_port "$port" || { echo "lighttpd did not start; see var/lighttpd.out" >&2; exit 1; }

# The demo connection and agent, created once and reused.
conn=$(cat "$var/demo-connection" 2>/dev/null)
if [ -z "$conn" ] || ! "$ibc" connection show "$conn" >/dev/null 2>&1; then
	conn=$("$ibc" connection add --name "Demo line" --api-key "$demo_key" \
		--api-url "http://127.0.0.1:$simport" --sender 447700900000 \
		--description "Local demo against the Infobip simulator") || exit 1
	echo "$conn" >"$var/demo-connection"
	agent=$("$ibc" agent add --name "Demo rules agent" --kind rules \
		--instructions-file deploy/rules-demo.txt) || exit 1
	"$ibc" agent attach "$agent" "$conn" --inbound || exit 1
	"$ibc" agent start "$agent" >/dev/null || exit 1
fi
# Start validates against the simulator (it is new on every run).
"$ibc" connection start "$conn" || exit 1
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
	-d "{\"mo_url\": \"$IBCHANNEL_PUBLIC_URL/channel/$conn/webhook/sms\"}" \
	"http://127.0.0.1:$simport/_sim/config"

# The sender, as cron runs it, but in one long window: it leaves (status 0)
# on Ctrl-C or SIGTERM and is started again only after an error. (A loop of
# 55-second windows raced Ctrl-C: a window ending on the signal was followed
# by a new one that nobody stopped.)
(
	child=""
	trap 'kill $child 2>/dev/null; exit 0' TERM
	while :; do
		"$ibc" sender --for 86400 &
		child=$!
		wait "$child" && break
		sleep 1
	done
) >>"$var/sender.log" 2>&1 &
pids="$pids $!"

cat <<EOF

ibchannel is running.

  Customer's phone (Infobip simulator): http://127.0.0.1:$simport/
  Connection API docs:                  $IBCHANNEL_PUBLIC_URL/channel/$conn/docs
  Inbound webhook:                      $IBCHANNEL_PUBLIC_URL/channel/$conn/webhook/sms
  Admin (no sign-in on this machine):   $IBCHANNEL_PUBLIC_URL/admin/
  Store:                                sqlite3 $IBCHANNEL_DB

Type a message on the phone page; the demo agent answers within a second.
Logs: var/lighttpd-error.log, var/sender.log, var/ibsim.log. Ctrl-C stops everything.
EOF
wait
