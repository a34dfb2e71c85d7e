# tap.sh -- sourced by tests/integration/*.sh: the environment tests/run
# gives them, and TAP-style checks ("ok N - ...", "not ok N - ...") that
# tests/run counts.  Not a test itself (it lives outside tests/integration).
#
# After sourcing: ROOT, BUILD, HOST, SOCKET, TMP (removed at exit by the
# caller's trap), and pass / fail / check; a script sets OUT and ERR to the
# files whose heads fail() shows, and calls tap_done at the end.

ROOT=${AWC_TEST_ROOT:-$(pwd)}
BUILD=${AWC_TEST_BUILD:-$ROOT/build/san}
HOST=$BUILD/awscredit
SOCKET=${AWC_TEST_SOCKET:?AWC_TEST_SOCKET is not set: run through tests/run}
unset AWSCREDIT_CONFIG AWSCREDIT_MODULE_DIR
export USER=tester
n=0
failed=0
rc=0

# db_ini DB -- the [db] section of a config for database DB on the test server.
db_ini() { printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n' "$SOCKET" "$1"; }

pass() { n=$((n + 1)); echo "ok $n - $1"; }

fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    echo "# exit status $rc"
    [ -n "${OUT:-}" ] && [ -f "$OUT" ] && head -c 800 "$OUT" | sed 's/^/#   out: /'
    [ -n "${ERR:-}" ] && [ -f "$ERR" ] && head -c 800 "$ERR" | sed 's/^/#   err: /'
    return 0
}

# check "A = B -a C -gt D" "what": the condition is split into test(1)
# arguments, so its values must not contain blanks.
# shellcheck disable=SC2086
check() { if [ $1 ]; then pass "$2"; else fail "$2"; fi; }

tap_done() {
    echo "# $n checks, $failed failed"
    [ "$failed" = 0 ]
}

# tap_db NAME -- a working directory TMP (with OUT and ERR) and an empty
# database DB on the test server, both removed at exit, for a script that
# needs nothing else cleaned up.  The script writes $TMP/awscredit.ini
# (db_ini "$DB" and its own sections), then uses sql, run and credit_id.
tap_db() {
    DB=awc_$1_$$
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_$1.XXXXXX") || exit 1
    OUT=$TMP/out
    ERR=$TMP/err
    trap 'mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null; rm -rf "$TMP"' EXIT
    mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
}

# sql TEXT -- one statement on DB, its rows tab-separated without headers.
sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }

# run ARGS... -- the host with $TMP/awscredit.ini: output in OUT and ERR,
# exit status in rc.
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }

# credit_id TEXT -- the ID of the first credit whose description holds TEXT.
credit_id() {
    "$HOST" --config "$TMP/awscredit.ini" --json list --description "$1" </dev/null |
        sed -n 's/.*"credit_id": "\(AWSC-[0-9-]*\)".*/\1/p' | head -n 1
}
