#!/usr/bin/env bash
# Mutation testing of the consensus rules: apply each deliberate break kept
# in consensus/testdata/mutations/*.patch, alone, to a temporary copy of the
# repository, run the default consensus tests there, and print a table of
# which break was caught and by which tests. A break that no test catches
# is a hole in the tests.
#
#   scripts/mutate-consensus.sh                 # every mutation
#   scripts/mutate-consensus.sh 01 05           # those whose name starts so
#   MUTATE_GO_TEST_FLAGS='-short' scripts/mutate-consensus.sh
#
# The working tree is never touched. Exit status 1 if a mutation survives.
set -euo pipefail

root=$(git rev-parse --show-toplevel)
mutations=$root/consensus/testdata/mutations
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tmp")

flags=${MUTATE_GO_TEST_FLAGS:-}
run_tests() { # prints the failing top-level tests, or "build failed"
	local log=$1
	(cd "$tmp" && nice go test -count=1 $flags ./consensus/... >"$log" 2>&1) && return 0
	if grep -q '^--- FAIL' "$log"; then
		grep '^--- FAIL' "$log" | awk '{print $3}' | sort -u | paste -sd' ' -
	elif grep -qE '^(panic:|FAIL.*\[build failed\]|# )' "$log"; then
		echo "build failed or panic: $(grep -m1 -E 'panic:|\.go:[0-9]+' "$log")"
	else
		echo "failed: $(tail -1 "$log")"
	fi
	return 1
}

echo "baseline: go test ./consensus/... on the unmodified copy" >&2
if failed=$(run_tests "$tmp/baseline.log"); then
	echo "baseline passes" >&2
else
	echo "baseline fails ($failed); fix that first" >&2
	exit 2
fi

survived=0
printf '| mutation | what it breaks | caught | by |\n|---|---|---|---|\n'
for patch in "$mutations"/*.patch; do
	name=$(basename "$patch" .patch)
	if [ $# -gt 0 ]; then
		keep=0
		for want in "$@"; do [[ $name == "$want"* ]] && keep=1; done
		[ $keep = 1 ] || continue
	fi
	what=$(sed -n '1s/^Mutation: //p' "$patch")
	(cd "$tmp" && git apply "$patch")
	start=$(date +%s)
	if failed=$(run_tests "$tmp/$name.log"); then
		printf '| %s | %s | **no** | (%ss) |\n' "$name" "$what" $(($(date +%s) - start))
		survived=$((survived + 1))
	else
		printf '| %s | %s | yes | %s (%ss) |\n' "$name" "$what" "$failed" $(($(date +%s) - start))
	fi
	(cd "$tmp" && git apply -R "$patch")
done
[ $survived = 0 ]
