#!/bin/sh
# Runs every test suite (unit, unit under ASan/UBSan, simulator, end to end)
# and ends with one line "N passed, N failed" summing them all.
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
out=$(mktemp)
all=$(mktemp)
trap 'rm -f "$out" "$all"' EXIT

# With an argument, only the suites whose name contains it run (make test
# T=NAME); the check that no API key was printed runs either way.
only=${1:-}
ran=0

# Runs one suite; its last "N passed, N failed" line is added to the totals.
suite() {
	name=$1
	shift
	case $name in *"$only"*) ;; *) return ;; esac
	ran=$((ran + 1))
	printf '== %s\n' "$name"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out" >>"$all"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		cat "$out"
		echo "   no result line (exit $rc): counted as 1 failure"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		line="$line (but exit status $rc)"
	fi
	if [ "$f" -ne 0 ]; then
		# Every failed check's own line first (a long log may bury it),
		# then the end of the output for its context.
		grep -E '^ *(FAIL|not ok)' "$out" | head -n 40
		echo "   -- last lines:"
		grep -vE '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 40
	fi
	echo "   $line"
	passed=$((passed + p))
	failed=$((failed + f))
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in build/unit/test_*; do
	[ -x "$t" ] || continue
	suite "unit $(basename "$t")" "$t"
done
for t in build/asan/test_*; do
	[ -x "$t" ] || continue
	suite "unit $(basename "$t") (ASan+UBSan)" "$t"
done
for t in tests/sim/test_*.py tests/e2e/test_*.py; do
	[ -f "$t" ] || continue
	suite "$t" python3 "$t"
done
# The end-to-end suites again on PostgreSQL: each on a throwaway cluster
# of its own (tests/pg.py), each of its stores a fresh database there. A
# suite with nothing to check on PostgreSQL says so and counts nothing.
for t in tests/e2e/test_*.py; do
	[ -f "$t" ] || continue
	case $t in */test_pg_*) continue ;; esac
	suite "$t on PostgreSQL" python3 tests/pg.py exec -- python3 "$t"
done
if [ "$ran" -eq 0 ]; then
	echo "no suite matches '$only'"
	failed=$((failed + 1))
fi
# The API keys the end-to-end tests use must appear in no test output.
printf '== API keys absent from all test output\n'
if grep -qE 'sim-key-0123456789abcdef|sms-only-key-aaaabbbbcccc' "$all"; then
	echo "   FAIL: a test printed an API key"
	failed=$((failed + 1))
else
	echo "   1 passed, 0 failed"
	passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
