#!/bin/sh
# test_devdb.sh -- scripts/devdb keeps data across a crash: start a second,
# separate devdb (its own record file, AWSCREDIT_DEVDB_RECORD), write a row,
# kill -9 its mariadbd, `start` again: the same directory and the row are
# still there; only `stop` removes the directory.  The suite's own server
# (AWC_TEST_SOCKET, build/devdb.dir) is left alone.  Prints "ok N - ..."
# lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_devdb.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
export AWSCREDIT_DEVDB_RECORD="$TMP/devdb.dir"
SUITE_RECORD=$(cat "$ROOT/build/devdb.dir" 2>/dev/null || true)

devdb() { timeout 120 sh "$ROOT/scripts/devdb" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
# ours -- the directory our record names ("" when none)
ours() { cat "$AWSCREDIT_DEVDB_RECORD" 2>/dev/null || true; }
sql() { timeout 30 mariadb --no-defaults -S "$(ours)/mysql.sock" -uroot -N -B awscredit -e "$1"; }

cleanup() {
    # whatever happened, our server and its directory go
    [ -f "$AWSCREDIT_DEVDB_RECORD" ] && timeout 120 sh "$ROOT/scripts/devdb" stop >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

devdb start
DIR=$(ours)
check "$rc = 0 -a -n $DIR -a -d $DIR/data" "start: a separate server, recorded in its own file"
check "x$DIR != x$SUITE_RECORD" "start: not the suite's directory"
if [ -z "$DIR" ] || [ "x$DIR" = "x$SUITE_RECORD" ]; then
    # a devdb that ignores AWSCREDIT_DEVDB_RECORD: touch nothing more
    fail "devdb does not keep a separate server apart; stopped here"
    tap_done
    exit 1
fi
devdb env
check "$rc = 0" "env: works with the separate record"
grep -qF "$DIR/mysql.sock" "$OUT" && pass "env: names the separate server's socket" ||
    fail "env: names the separate server's socket"

sql "CREATE TABLE kept (v INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO kept VALUES (42)"
check "$(sql 'SELECT v FROM kept') = 42" "a row is written"

PID=$(cat "$DIR/mysqld.pid" 2>/dev/null || echo none)
kill -KILL "$PID" 2>/dev/null
i=0
while [ $i -lt 50 ] && kill -0 "$PID" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
devdb status
check "$rc = 1" "status: the killed server is not running"
grep -q "stale" "$OUT" && pass "status: says stale" || fail "status: says stale"

devdb start
check "$rc = 0 -a $(ours) = $DIR -a -d $DIR/data" "start after a crash: the same directory"
grep -q "restarted on its kept data" "$OUT" && pass "start after a crash: says the data is kept" ||
    fail "start after a crash: says the data is kept"
check "$(sql 'SELECT v FROM kept' 2>/dev/null || echo gone) = 42" "start after a crash: the row is still there"
devdb start
check "$rc = 0" "start again while running: nothing to do"
grep -q "already running" "$OUT" && pass "start again: already running" ||
    fail "start again: already running"

# a server stopped by hand (no crash) is started again on its data too
PID=$(cat "$DIR/mysqld.pid" 2>/dev/null || echo none)
timeout 30 mariadb-admin --no-defaults -S "$DIR/mysql.sock" -uroot shutdown >/dev/null 2>&1
i=0
while [ $i -lt 100 ] && kill -0 "$PID" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
devdb start
check "$rc = 0 -a $(sql 'SELECT v FROM kept' 2>/dev/null || echo gone) = 42" \
    "start after a shutdown: the row is still there"

devdb stop
check "$rc = 0 -a ! -e $DIR -a ! -e $AWSCREDIT_DEVDB_RECORD" "stop: the directory and the record are removed"

# the suite's server was not touched
check "x$(cat "$ROOT/build/devdb.dir" 2>/dev/null || true) = x$SUITE_RECORD" "the suite's record is unchanged"
check "$(timeout 30 mariadb --no-defaults -S "$SOCKET" -uroot -N -B -e 'SELECT 1') = 1" \
    "the suite's server still answers"

tap_done
