#!/bin/sh
# test_accounts_import.sh -- `accounts import` of a 20,000-row map against
# MariaDB: every row stored as written (quoted names, open ranges), the
# accounts counted; a file with an overlap far from the row it meets, or a
# bad field deep in the file, is refused naming file, line and column and
# leaves the stored map as it was; a smaller file replaces the map whole;
# the same map again writes no row, and a map with a few rows gone, changed
# or new writes only those and stores what an import into an empty table
# does.  Prints "ok N - ..." lines; exits 1 on
# failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_accounts_$$

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_accounts_import.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
cleanup() {
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB;
        DROP DATABASE IF EXISTS ${DB}_b" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
# writes -- rows the server has inserted, updated and deleted since it
# started (the tests run one at a time; awscredit's own bookkeeping, a
# commit marker, adds a few)
writes() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B -e "SELECT SUM(variable_value)
        FROM information_schema.global_status
        WHERE variable_name IN ('HANDLER_WRITE', 'HANDLER_UPDATE', 'HANDLER_DELETE')"
}
# digest [DATABASE] -- the whole stored map as one value
digest() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B "${1:-$DB}" -e "SELECT CONCAT(COUNT(*), '/', SUM(CRC32(CONCAT_WS('|', account_id, valid_from,
         IFNULL(valid_to, 'open'), customer_id, asset_id, reseller_id, customer_name,
         reseller_name)))) FROM accounts"
}

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB CHARACTER SET utf8mb4" || exit 1
db_ini "$DB" > "$TMP/awscredit.ini"
run migrate
check "$rc = 0" "migrate"

# gen N [awk statements run for line L before it is printed] -- N rows
# over accounts with two ranges each (the first closed, the second open),
# ids spread over the 12-digit space; one customer name in ten quoted
# with a comma.
gen() {
    awk -v n="$1" "BEGIN {
        print \"account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to\"
        for (i = 0; i < n; i++) {
            a = int(i / 2); L = i + 2
            id = sprintf(\"%012.0f\", 100000000000 + (a * 7919 + 12345) % 900000000000)
            name = a % 10 == 3 ? sprintf(\"\\\"Customer %d, Inc.\\\"\", a) : sprintf(\"Customer %d\", a)
            from = i % 2 ? \"2025-01-01\" : \"2020-01-01\"; to = i % 2 ? \"\" : \"2024-12-31\"
            ${2:-}
            printf \"%s,C-%d,AS-%d,R-%d,%s,Reseller %d,%s,%s\\n\", id, a, a, a % 7, name, a % 7, from, to
        }
    }"
}

gen 20000 > "$TMP/map.csv"
run accounts import "$TMP/map.csv"
check "$rc = 0" "a 20,000-row map imports"
grep -q "imported 20000 rows for 10000 accounts" "$OUT"
check "$? = 0" "the output counts 20,000 rows and 10,000 accounts"
check "$(sql 'SELECT COUNT(*) FROM accounts') = 20000" "every row is stored"
v=$(sql "SELECT CONCAT_WS('|', customer_name, reseller_name, valid_from, IFNULL(valid_to, 'open'))
         FROM accounts WHERE account_id = LPAD(100000000000 + (3 * 7919 + 12345), 12, '0')
         ORDER BY valid_from" | tr '\n' ';')
check "$(printf '%s' "$v" | tr ' ' _) = Customer_3,_Inc.|Reseller_3|2020-01-01|2024-12-31;Customer_3,_Inc.|Reseller_3|2025-01-01|open;" \
    "a quoted name and an open range are stored as written"
before=$(digest)

# line 15001 (account 7499's second range) starts on 2024-06-01, inside
# line 15000's range, which ends on 2024-12-31
gen 20000 'if (L == 15001) from = "2024-06-01"' > "$TMP/overlap.csv"
run accounts import "$TMP/overlap.csv"
check "$rc = 65" "an overlapping range is refused"
id=$(printf '%012d' $((100000000000 + (7499 * 7919 + 12345) % 900000000000)))
grep -q "overlap.csv:15001: valid_from: account $id already has an owner on 2024-06-01 (line 15000 covers 2020-01-01..2024-12-31)" "$ERR"
check "$? = 0" "the overlap names file, line 15001, column and the line it meets"
grep -q "1 bad row, nothing imported" "$ERR"
check "$? = 0 -a $(digest) = $before" "nothing imported: the stored map is unchanged"

# the same account's first range moved to line 3: the rows it meets are
# 14,998 lines apart
sed -n 15000p "$TMP/overlap.csv" > "$TMP/row"
{ sed -n 1,2p "$TMP/overlap.csv"; cat "$TMP/row"; sed -n '3,14999p;15001,$p' "$TMP/overlap.csv"; } > "$TMP/far.csv"
run accounts import "$TMP/far.csv"
grep -q "far.csv:15001: valid_from: account $id already has an owner on 2024-06-01 (line 3 covers 2020-01-01..2024-12-31)" "$ERR"
check "$? = 0 -a $rc = 65" "an overlap 14,998 lines from the row it meets is found and named"
check "$(digest) = $before" "the stored map is still unchanged"

# a bad date deep in the file, and a short row
gen 20000 'if (L == 17777) to = "2024-02-30"; if (L == 19999) { printf "%s,C-1\n", id; continue }' > "$TMP/bad.csv"
run accounts import "$TMP/bad.csv"
check "$rc = 65" "bad fields are refused"
grep -q "bad.csv:17777: valid_to: expected a date YYYY-MM-DD or nothing" "$ERR" &&
    grep -q "bad.csv:19999: row: 2 fields, the header has 8" "$ERR" &&
    grep -q "2 bad rows, nothing imported; first: .*bad.csv:17777: valid_to" "$ERR"
check "$? = 0" "each bad row is named by file, line and column"
check "$(digest) = $before" "the stored map is still unchanged"

# a smaller map replaces the whole map; the same map twice gives the same
gen 5000 > "$TMP/small.csv"
run --json accounts import "$TMP/small.csv"
check "$rc = 0 -a $(sql 'SELECT COUNT(*) FROM accounts') = 5000" "a smaller map replaces the whole map"
grep -q '"accounts": 2500' "$OUT" && grep -q '"rows": 5000' "$OUT"
check "$? = 0" "--json counts rows and accounts"
run accounts import "$TMP/map.csv"
check "$rc = 0 -a $(digest) = $before" "the first map again: the same stored map"

# the same map again writes no row
w0=$(writes)
run accounts import "$TMP/map.csv"
w1=$(writes)
check "$rc = 0 -a $(digest) = $before -a $((w1 - w0)) -lt 100" \
    "the same map again writes no row ($((w1 - w0)) row writes on the server)"

# a map with some rows gone, some changed (names, an end, an open range
# closed; rows with a quoted name stay as they are) and some new: the stored map is what importing it into an empty
# table gives, and only those rows are written
awk -F, -v OFS=, 'NR == 1 { print; next }
    NR % 40 == 0 { gone++; next }
    /"/ { print; next }
    NR % 29 == 0 { $5 = "Renamed " NR }
    NR % 31 == 0 { $8 = $8 == "" ? "2026-06-30" : "2024-11-30" }
    { changed += NR % 29 == 0 || NR % 31 == 0; print }
    END { for (i = 0; i < 500; i++) printf "%012d,C-9,AS-9,R-9,New,R,2026-01-01,\n", 999000000000 + i
          printf "%d\n", gone + changed + 500 > "/dev/stderr" }' "$TMP/map.csv" > "$TMP/changed.csv" 2> "$TMP/expect"
mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_b CHARACTER SET utf8mb4" || exit 1
db_ini "${DB}_b" > "$TMP/b.ini"
"$HOST" --config "$TMP/b.ini" migrate >/dev/null 2>&1 &&
    "$HOST" --config "$TMP/b.ini" accounts import "$TMP/changed.csv" >/dev/null 2>&1
check "$? = 0" "the changed map imports into an empty table"
want=$(digest "${DB}_b")
w0=$(writes)
run accounts import "$TMP/changed.csv"
w1=$(writes)
got=$(digest)
check "$rc = 0 -a $got = $want" "the changed map over the first: the same stored map as into an empty table"
e=$(cat "$TMP/expect")
check "$((w1 - w0)) -ge $e -a $((w1 - w0)) -lt $((e + 100))" \
    "only the changed rows are written ($((w1 - w0)) row writes for $e rows gone, changed or new)"

tap_done
