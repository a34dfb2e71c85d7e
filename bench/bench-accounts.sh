#!/bin/sh
# bench-accounts.sh -- `awscredit accounts import` of a 1,000,000-row
# accounts map, end to end against MariaDB, next to LOAD DATA LOCAL INFILE
# of the same file into a table of the same shape, measured in the same run.
# Target: import <= 2x LOAD DATA.
#
# Usage: sh bench/bench-accounts.sh [ROWS [ROUNDS]]   (from the repository
# root, after `make release`; starts scripts/devdb when it is not running)
#
# The file: ROWS rows (default 1,000,000) over accounts with one to three
# consecutive ranges each (the last one open), account ids spread over
# the whole 12-digit space in file order (as a file sorted by customer
# has them), 5,000 customers, 30 resellers, one customer name in ten
# quoted with a comma in it.
#
# Each round builds a fresh database and times the peer, the import and
# the peer again, letting the server finish writing what came before
# (dirty pages, purge) ahead of each.  The round's ratio is the import over
# the mean of the two peer times (the machine changes speed for seconds at
# a time; see bench-assign.sh).  The figure is the median of the rounds'
# ratios.  Every round checks that both tables hold every row of the file,
# with the same values.  For comparison, not as the target, each round
# then imports the file again over the map it stored (the monthly case of
# a map that changed little): the stored map is read and compared, and
# nothing is written.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-1000000}
ROUNDS=${2:-3}
DB=awc_bench_accounts
BIN=build/awscredit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-accounts.XXXXXX")
CSV=$TMP/accounts.csv
STARTED=0

# AWC_BENCH_SOCKET points at another server; otherwise the throwaway devdb.
if [ -n "${AWC_BENCH_SOCKET:-}" ]; then
    S=$AWC_BENCH_SOCKET
else
    if ! sh scripts/devdb status >/dev/null 2>&1; then
        sh scripts/devdb start >/dev/null
        STARTED=1
    fi
    eval "$(sh scripts/devdb env)"
    S=$AWSCREDIT_DEVDB_SOCKET
fi
root() { mariadb --no-defaults -S "$S" -uroot "$@"; }
DIRTY_PCT=$(root -N -B -e "SELECT @@innodb_max_dirty_pages_pct")
cleanup() {
    root -e "DROP DATABASE IF EXISTS $DB; SET GLOBAL innodb_max_dirty_pages_pct = $DIRTY_PCT" \
        2>/dev/null || true
    rm -rf "$TMP"
    [ $STARTED = 1 ] && sh scripts/devdb stop >/dev/null
    return 0
}
trap cleanup EXIT

ms() { date +%s%3N; }
sql() { root "$DB" "$@"; }
status() { root -N -B -e "SELECT variable_value FROM information_schema.global_status
                          WHERE variable_name = '$1'"; }

# settle -- wait (60 s at most) until InnoDB has written its dirty pages and
# purged old row versions, so that the next measurement starts from a quiet
# server.
settle() {
    root -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
    i=0
    while [ $i -lt 300 ]; do
        [ "$(status INNODB_BUFFER_POOL_PAGES_DIRTY)" -le 50 ] &&
            [ "$(status INNODB_HISTORY_LIST_LENGTH)" -le 50 ] && break
        sleep 0.2
        i=$((i + 1))
    done
    root -e "SET GLOBAL innodb_max_dirty_pages_pct = $DIRTY_PCT"
}

# The file.  Account a has 1 + (a * 7) % 3 ranges: from the first of a
# month of 2019 to the year's end, then calendar years, the last one open;
# its id is 100000000000 + (a * 7919 + 12345) % 900000000000, one
# id per a (7919 is a prime that does not divide 900000000000).
awk -v n="$N" 'BEGIN {
    print "account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to"
    rows = 0
    for (a = 0; rows < n; a++) {
        id = sprintf("%012.0f", 100000000000 + (a * 7919 + 12345) % 900000000000)
        k = 1 + (a * 7) % 3
        cu = a % 5000
        name = (cu % 10 == 3) ? sprintf("\"Customer %d, Inc.\"", cu) : sprintf("Customer %d", cu)
        for (r = 0; r < k && rows < n; r++) {
            from = r ? sprintf("%d-01-01", 2019 + r) : sprintf("2019-%02d-01", 1 + a % 12)
            to = (r + 1 < k) ? sprintf("%d-12-31", 2019 + r) : ""
            printf "%s,C-%d,AS-%d,R-%d,%s,Reseller %d,%s,%s\n", id, cu, a, a % 30, name, a % 30, from, to
            rows++
        }
    }
}' > "$CSV"
[ "$(($(wc -l < "$CSV") - 1))" = "$N" ] || { echo "bench-accounts: generated the wrong number of rows" >&2; exit 1; }

fresh() {
    root -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
    printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n' "$S" "$DB" > "$TMP/awscredit.ini"
    export AWSCREDIT_CONFIG="$TMP/awscredit.ini"
    $BIN migrate >/dev/null
}

# import -- times `awscredit accounts import` of the file (ms).
import() {
    settle
    t0=$(ms)
    /usr/bin/time -o "$TMP/time" -f "client: %U s user, %S s sys, %M KB" \
        $BIN accounts import "$CSV" > "$TMP/import.out"
    echo $(($(ms) - t0))
}

# peer -- times LOAD DATA LOCAL INFILE of the file into accounts_copy, a new
# empty copy of accounts (ms), and checks that every row went in: with
# LOCAL, MariaDB turns a row it cannot write into a warning and goes on.
# RFC 4180 as the import reads it: quotes doubled inside quoted fields, no
# backslash escapes; an empty valid_to is NULL (open).
peer() {
    sql -e "DROP TABLE IF EXISTS accounts_copy; CREATE TABLE accounts_copy LIKE accounts"
    settle
    t0=$(ms)
    w=$(sql -N -B --local-infile=1 -e "LOAD DATA LOCAL INFILE '$CSV' INTO TABLE accounts_copy
          CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''
          LINES TERMINATED BY '\\n' IGNORE 1 LINES
          (account_id, customer_id, asset_id, reseller_id, customer_name, reseller_name,
           valid_from, @to) SET valid_to = NULLIF(@to, '');
        SELECT @@warning_count")
    t=$(($(ms) - t0))
    c=$(sql -N -B -e "SELECT COUNT(*) FROM accounts_copy")
    if [ "$w" != 0 ] || [ "$c" != "$N" ]; then
        echo "bench-accounts: LOAD DATA loaded $c rows of $N with $w warnings" >&2
        exit 1
    fi
    echo $t
}

# same -- both tables hold every row of the file, with the same values.
same() {
    got=$(sql -N -B -e "SELECT COUNT(*) FROM accounts")
    eq=$(sql -N -B -e "SELECT COUNT(*) FROM accounts a JOIN accounts_copy c
                      USING (account_id, valid_from)
                      WHERE a.valid_to <=> c.valid_to AND a.customer_id = c.customer_id
                        AND a.asset_id = c.asset_id AND a.reseller_id = c.reseller_id
                        AND a.customer_name = c.customer_name
                        AND a.reseller_name = c.reseller_name")
    if [ "$got" != "$N" ] || [ "$eq" != "$N" ]; then
        echo "bench-accounts: MISMATCH: import holds $got rows, $eq equal to LOAD DATA's, of $N" >&2
        exit 1
    fi
}

# round -- one fresh database: peer, import, peer, check, import again over
# the map; prints "import_ms peer_before_ms peer_after_ms reimport_ms".
round() {
    fresh
    before=$(peer) || exit 1
    a=$(import)
    after=$(peer) || exit 1
    same || exit 1
    again=$(import)
    same || exit 1
    echo "$a $before $after $again"
}

echo "accounts map: $N rows, $(($(wc -c < "$CSV") / 1000000)) MB"
r=1
: > "$TMP/rounds"
while [ $r -le "$ROUNDS" ]; do
    out=$(round) || exit 1
    set -- $out
    echo "$@" >> "$TMP/rounds"
    awk -v r=$r -v a="$1" -v b="$2" -v f="$3" -v g="$4" 'BEGIN { l = (b + f) / 2
        printf "round %d: import %.2f s, LOAD DATA %.2f s (%.2f before, %.2f after), ratio %.2f; again over the map %.2f s\n",
               r, a / 1000, l / 1000, b / 1000, f / 1000, a / (l ? l : 1), g / 1000 }'
    r=$((r + 1))
done
sed 's/^/  /' "$TMP/import.out"
echo "  $(cat "$TMP/time")"
awk -v n="$N" '{ a[NR] = $1; l[NR] = ($2 + $3) / 2; q[NR] = a[NR] / (l[NR] ? l[NR] : 1)
                 g[NR] = $4; w[NR] = g[NR] / (l[NR] ? l[NR] : 1) }
END {
    for (i = 2; i <= NR; i++) for (j = i; j > 1 && w[j - 1] > w[j]; j--) {
        t = w[j]; w[j] = w[j - 1]; w[j - 1] = t
        t = g[j]; g[j] = g[j - 1]; g[j - 1] = t
    }
    mw = int((NR + 1) / 2); wm = w[mw]; gm = g[mw]; wlo = w[1]; whi = w[NR]
    # median by ratio (insertion sort of a few rounds)
    for (i = 2; i <= NR; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) {
        t = q[j]; q[j] = q[j - 1]; q[j - 1] = t
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        t = l[j]; l[j] = l[j - 1]; l[j - 1] = t
    }
    m = int((NR + 1) / 2)
    printf "accounts import: %d rows into an empty map: %.2f s, %d rows/s (median round)\n", n, a[m] / 1000, n * 1000 / (a[m] ? a[m] : 1)
    printf "LOAD DATA LOCAL INFILE of the same %d rows: %.2f s\n", n, l[m] / 1000
    printf "ratio import / LOAD DATA: %.2f, median of %d rounds (%.2f to %.2f) (target <= 2.00)\n", q[m], NR, q[1], q[NR]
    printf "for comparison, the same file again over the map it stored (compared, nothing written): %.2f s, ratio %.2f (%.2f to %.2f)\n", gm / 1000, wm, wlo, whi
}' "$TMP/rounds"
