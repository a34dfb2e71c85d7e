#!/bin/sh
# test_release.sh -- the release build as it ships: the module exports
# its entry function and nothing else of ours, and the host runs under
# valgrind with no leak and no error.  Prints "ok N - ..." lines.
#
# Environment: AWC_TEST_ROOT (repository root; the release build is in
# build/ below it, made by `make test`).
set -u

ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# the release build sits beside the sanitizer build tests/run names
REL=$ROOT/build
[ -n "${AWC_TEST_BUILD:-}" ] && REL=$(dirname "$AWC_TEST_BUILD")
SO=$REL/awscredit.so
HOST=$REL/awscredit
n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

if [ ! -f "$SO" ] || [ ! -x "$HOST" ]; then
    echo "not ok 1 - release build missing: run 'make release'"
    exit 1
fi

ours=$(nm -D --defined-only "$SO" | awk '{ print $3 }' | grep -v '^_' | sort)
if [ "$ours" = "awscredit_module" ]; then
    pass "nm -D --defined-only awscredit.so: only awscredit_module"
else
    fail "nm -D --defined-only awscredit.so: $(echo "$ours" | tr '\n' ' ')"
fi
others=$(nm -D --defined-only "$SO" | awk '{ print $3 }' | grep -v -x awscredit_module |
         grep -v -E '^_(init|fini|edata|end|_bss_start)$' | grep -c . || true)
if [ "$others" = 0 ]; then pass "no other defined dynamic symbol"; else fail "$others other symbols"; fi

if command -v valgrind >/dev/null 2>&1; then
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_release.XXXXXX")
    for args in "version" "--json version" "show AWSC-000000-0000-0008" "--help"; do
        # shellcheck disable=SC2086
        valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
            "$HOST" $args > "$TMP/out" 2> "$TMP/vg" </dev/null
        rc=$?
        if [ $rc != 99 ] && grep -q 'ERROR SUMMARY: 0 errors' "$TMP/vg" &&
           grep -Eq 'definitely lost: 0 bytes|no leaks are possible' "$TMP/vg"; then
            pass "valgrind awscredit $args: no leak, no error (exit $rc)"
        else
            fail "valgrind awscredit $args (exit $rc)"
            grep -E 'lost|ERROR SUMMARY' "$TMP/vg" | sed 's/^/#   /'
        fi
    done
    rm -rf "$TMP"
else
    fail "valgrind is not installed (scripts/deps installs it)"
fi
echo "# $n checks, $failed failed"
[ $failed = 0 ]
