#!/bin/sh
# make bench-compare BASE=REV: builds git revision REV in a temporary
# worktree with that revision's own Makefile (only its build/ programs
# matter), then runs tests/bench.py --compare on it, so that REV's programs
# and this tree's run the same rows in turn in one run. The worktree is
# removed at the end, also when the build or the bench fails or is stopped.
# Usage: compare.sh REV [tests/bench.py options: --rows, --seconds, --repeat]
set -u
rev=${1:?usage: compare.sh REV [bench.py options]}
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ibc-bench-base.XXXXXX") || exit 1
tree=$tmp/base
cleanup() {
	if [ -e "$tree" ]; then
		git -C "$top" worktree remove --force "$tree"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
git -C "$top" worktree add --detach --quiet "$tree" "$rev" || exit 1
short=$(git -C "$tree" rev-parse --short HEAD)
case $short in
"$rev"*) name=$rev ;;
*) name="$rev ($short)" ;;
esac
echo "make bench-compare: building $name in a temporary worktree"
if ! make -C "$tree" -j"$(nproc 2>/dev/null || echo 2)" all >"$tmp/build.log" 2>&1; then
	tail -n 30 "$tmp/build.log" >&2
	echo "make bench-compare: $rev did not build" >&2
	exit 1
fi
python3 "$top/tests/bench.py" --compare "$tree" --base-name "$name" "$@"
