#!/bin/sh
# test_locks.sh -- exit statuses say whether trying again helps (75 only
# then), and a refusal for a named lock says who holds it and when a dead
# holder's lock frees: a mariadb client session takes the reconcile lock,
# busy in a statement and then idle; reconcile is refused with 75 and the
# holder's connection; after the idle holder is killed (kill -9) the lock
# frees and reconcile runs.  Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_locks_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_locks.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
HOLDER=
cleanup() {
    [ -n "$HOLDER" ] && kill -KILL "$HOLDER" 2>/dev/null
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

sql() { timeout 30 mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
run() { timeout 60 "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
has() { # PHRASE WHAT -- stderr contains PHRASE
    if grep -qF -- "$1" "$ERR"; then pass "$2"; else fail "$2 (no '$1')"; fi
}
LOCK="CONCAT(DATABASE(), '.awscredit.reconcile')"
# wait_lock HELD -- wait (at most 10 s) until the lock is held (1) or free (0)
wait_lock() {
    i=0
    while [ $i -lt 100 ] && [ "$(sql "SELECT IS_USED_LOCK($LOCK) IS NOT NULL")" != "$1" ]; do
        sleep 0.1; i=$((i + 1))
    done
}

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
mkdir -p "$TMP/spool"
{ db_ini "$DB"; printf '[invoicing]\nadapter = spool\nspool_dir = %s\n' "$TMP/spool"; } >"$TMP/awscredit.ini"
run migrate
check "$rc = 0" "migrate"
run reconcile
check "$rc = 0" "reconcile with the lock free"

# --- a holder busy in a statement -----------------------------------------------------------
timeout 60 mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e \
    "SELECT CONNECTION_ID(), GET_LOCK($LOCK, 0); SELECT SLEEP(30)" >"$TMP/holder1" 2>&1 &
HOLDER=$!
wait_lock 1
ID=$(sql "SELECT IS_USED_LOCK($LOCK)")
run reconcile
check "$rc = 75" "reconcile while another session holds the lock: 75, try again later"
has "reconcile: another process is reconciling: the lock awscredit.reconcile is held by database connection $ID (root@localhost, Query for " \
    "the message names the holder's connection and what it does"
has "if that process died, the server frees the lock when the statement the connection is running ends; try again then" \
    "the message says when a dead busy holder's lock frees"
kill -KILL "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=
sql "KILL $ID" 2>/dev/null
wait_lock 0

# --- an idle holder, then killed ------------------------------------------------------------------
mkfifo "$TMP/in"
timeout 60 mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" <"$TMP/in" >"$TMP/holder2" 2>&1 &
HOLDER=$!
exec 9>"$TMP/in"
echo "SELECT GET_LOCK($LOCK, 0);" >&9
wait_lock 1
ID=$(sql "SELECT IS_USED_LOCK($LOCK)")
run reconcile
check "$rc = 75" "reconcile while an idle session holds the lock: 75"
has "is held by database connection $ID (root@localhost, idle for " "the message says the holder is idle"
has "if that process died, the server frees the lock as soon as it notices the closed connection: at once for a client on this machine, within wait_timeout (" \
    "the message says when a dead idle holder's lock frees"
kill -KILL "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=
exec 9>&-
wait_lock 0
run reconcile
check "$rc = 0" "the killed holder's lock is freed: reconcile runs"

# --- the statuses, as --help states them ----------------------------------------------------------
"$HOST" --help >"$OUT" 2>"$ERR" </dev/null
rc=$?
tr '\n' ' ' <"$OUT" | grep -q "65 bad data, a stale version or a state that does not allow it" &&
    tr '\n' ' ' <"$OUT" | grep -q "75 busy or timed out: try again later" &&
    pass "--help: a stale version is 65, only busy or timed out is 75" ||
    fail "--help: a stale version is 65, only busy or timed out is 75"

tap_done
