#!/bin/sh
# test_locks.sh -- exit statuses say whether trying again helps (75 only
# then), and a refusal for a lock says who holds it and when a dead
# holder's lock frees.  Locks are rows of `locks` with a lease (so that
# they hold across a Galera cluster, where GET_LOCK is one node's alone):
# a mariadb client session on this server takes the reconcile lock as a
# host would; reconcile is refused with 75, the message names the holder
# and its connection; once that session is killed (kill -9) its lock is
# taken at once.  A holder on another node is refused until its lease runs
# out, then taken over.  Prints "ok N - ..." lines; exits 1 on failure.
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
# wait_lock HELD -- wait (at most 10 s) until the reconcile lock's row is there (1) or not (0)
wait_lock() {
    i=0
    while [ $i -lt 100 ] &&
          [ "$(sql "SELECT COUNT(*) FROM locks WHERE name = 'awscredit.reconcile'")" != "$1" ]; do
        sleep 0.1; i=$((i + 1))
    done
}
TAKE="INSERT INTO locks SELECT 'awscredit.reconcile', 'otherhost:4242:0badf00d',
      CONCAT(@@hostname, ':', @@port, ':', @@socket), SUBSTRING_INDEX(USER(), '@', 1),
      CONNECTION_ID(), NOW(6), NOW(6), NOW(6) + INTERVAL 60 SECOND"

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
mkdir -p "$TMP/spool"
{ db_ini "$DB"; printf '[invoicing]\nadapter = spool\nspool_dir = %s\n' "$TMP/spool"; } >"$TMP/awscredit.ini"
run migrate
check "$rc = 0" "migrate"
run reconcile
check "$rc = 0" "reconcile with the lock free"
check "$(sql "SELECT COUNT(*) FROM locks") = 0" "a released lock leaves no row"

# --- a live holder on this server, then killed --------------------------------------------------
mkfifo "$TMP/in"
timeout 60 mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" <"$TMP/in" >"$TMP/holder" 2>&1 &
HOLDER=$!
exec 9>"$TMP/in"
echo "$TAKE;" >&9
wait_lock 1
ID=$(sql "SELECT connection_id FROM locks WHERE name = 'awscredit.reconcile'")
run reconcile
check "$rc = 75" "reconcile while another process holds the lock: 75, try again later"
has "reconcile: another process is reconciling: the lock awscredit.reconcile is held by otherhost:4242:0badf00d (database connection $ID on this server, since " \
    "the message names the holder, its connection and server"
has "if that process died, its lock frees as soon as the server notices its closed connection, at the latest within " \
    "the message says when a dead holder's lock frees"
kill -KILL "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=
exec 9>&-
i=0
while [ $i -lt 100 ] && [ "$(sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = $ID")" != 0 ]; do
    sleep 0.1; i=$((i + 1))
done
run reconcile
check "$rc = 0" "the killed holder's lock is taken at once: reconcile runs"
check "$(sql "SELECT COUNT(*) FROM locks") = 0" "and lets it go"

# --- a holder on another node: its lease -----------------------------------------------------------
sql "INSERT INTO locks VALUES ('awscredit.reconcile', 'farhost:7:01020304', 'node2:3306:', 'root',
     17, NOW(6), NOW(6), NOW(6) + INTERVAL 60 SECOND)"
run reconcile
check "$rc = 75" "a holder on another node: 75"
has "held by farhost:7:01020304 (database connection 17 on node2:3306:," "the message names the other node"
has "if that process died, its lock frees within " "the message says the lease runs out"
sql "UPDATE locks SET expires_at = NOW(6) - INTERVAL 1 SECOND"
run reconcile
check "$rc = 0" "a lease that ran out is taken over: reconcile runs"
check "$(sql "SELECT COUNT(*) FROM locks") = 0" "and lets it go"

# --- db.hosts: a malformed list is a configuration error (78), naming the item -------------------
for bad in "127.0.0.1:99999" "[::1" "host:" ","; do
    printf '[db]\nhosts = %s\nuser = root\ndatabase = %s\nconnect_timeout = 2\n' "$bad" "$DB" >"$TMP/hosts.ini"
    timeout 60 "$HOST" --config "$TMP/hosts.ini" migrate >"$OUT" 2>"$ERR" </dev/null
    rc=$?
    check "$rc = 78" "db.hosts = '$bad': a configuration error"
    has "db.hosts" "db.hosts = '$bad': the message names the key"
done
printf '[db]\nhosts = 127.0.0.1:1, admin:s3cret-pw@127.0.0.1:3306\nuser = root\ndatabase = %s\n' "$DB" >"$TMP/hosts.ini"
timeout 60 "$HOST" --config "$TMP/hosts.ini" migrate >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc = 78" "db.hosts with user:password@host: a configuration error"
if grep -q "s3cret" "$ERR" "$OUT"; then fail "the password is not echoed"; else pass "the password is not echoed"; fi
has "node 2 holds an '@'" "the message names the node by number"
# a node that does not answer (a closed port): the next is tried, and when none answers the
# message says so
printf '[db]\nhosts = 127.0.0.1:1, 127.0.0.1:2\nuser = root\ndatabase = %s\nconnect_timeout = 2\n' "$DB" >"$TMP/hosts.ini"
timeout 60 "$HOST" --config "$TMP/hosts.ini" migrate >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc = 69" "db.hosts with no node answering: 69"
has "none of the 2 nodes of db.hosts answered" "the message says no node answered"

# --- the statuses, as --help states them ----------------------------------------------------------
"$HOST" --help >"$OUT" 2>"$ERR" </dev/null
rc=$?
tr '\n' ' ' <"$OUT" | grep -q "65 bad data, a stale version or a state that does not allow it" &&
    tr '\n' ' ' <"$OUT" | grep -q "75 busy or timed out: try again later" &&
    pass "--help: a stale version is 65, only busy or timed out is 75" ||
    fail "--help: a stale version is 65, only busy or timed out is 75"

tap_done
