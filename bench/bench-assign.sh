#!/bin/sh
# bench-assign.sh -- `awscredit assign` of 100,000 pending credits, end to
# end against MariaDB, next to LOAD DATA LOCAL INFILE of the same split rows
# into a table of the same shape, measured in the same run.
# Target: assign <= 2x LOAD DATA.
#
# Usage: sh bench/bench-assign.sh [CREDITS]   (from the repository root,
# after `make release`; starts scripts/devdb when it is not running)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-100000}
P=2026-10
DB=awc_bench_assign
BIN=build/awscredit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-assign.XXXXXX")
STARTED=0

# AWC_BENCH_SOCKET points at another server (e.g. one sized for production);
# otherwise the throwaway devdb is used.
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
cleanup() {
    mariadb --no-defaults -S "$S" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
    rm -rf "$TMP"
    [ $STARTED = 1 ] && sh scripts/devdb stop >/dev/null
    return 0
}
trap cleanup EXIT

ms() { date +%s%3N; }
sql() { mariadb --no-defaults -S "$S" -uroot "$DB" "$@"; }

mariadb --no-defaults -S "$S" -uroot -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n[assign]\ndefault = customer:100\n' \
    "$S" "$DB" > "$TMP/awscredit.ini"
export AWSCREDIT_CONFIG="$TMP/awscredit.ini"
$BIN migrate >/dev/null
$BIN rules import docs/examples/rules.xml >/dev/null

# 1,000 accounts (one in fifty unowned) and N pending credits over them.
sql -e "
INSERT INTO accounts (account_id, valid_from, customer_id, asset_id, reseller_id, customer_name, reseller_name)
SELECT LPAD(100000000000 + seq, 12, '0'), '2025-01-01', CONCAT('C-', seq % 300), CONCAT('AS-', seq),
       ELT(1 + seq % 3, 'R-NORTH', 'R-SOUTH', 'R-WEST'), CONCAT('Customer ', seq % 300), 'Reseller'
FROM seq_1_to_1000 WHERE seq % 50 <> 0;
SELECT SETVAL(credit_seq, $((N + 1)));
INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, product_code, currency,
                     description, credit_type, amount, status, line_count)
SELECT seq, '$P', '999999999999', LPAD(100000000000 + 1 + seq % 1000, 12, '0'), CONCAT('credit id: ', seq),
       ELT(1 + seq % 4, 'AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda'),
       ELT(1 + seq % 5, 'USD', 'USD', 'USD', 'EUR', 'JPY'),
       ELT(1 + seq % 6, 'AWS Migration Acceleration Program Credit_MPE1', 'EDP Commitment Credit',
           'SLA credit for S3', 'AWS Activate Credits', 'Promotional credit', 'Goodwill Credits'),
       ELT(1 + seq % 6, 'MAP', 'EDP', 'SLA', 'PROMOTIONAL', 'PROMOTIONAL', 'PROMOTIONAL'),
       -(seq % 100000) / 97 - 0.01, 'PENDING_ASSIGN', 1
FROM seq_1_to_$N;"

t0=$(ms)
/usr/bin/time -f "client: %U s user, %S s sys, %M KB" $BIN assign --period $P > "$TMP/assign.out"
t1=$(ms)
assign_ms=$((t1 - t0))
sed 's/^/  /' "$TMP/assign.out"

# The peer: the same split rows loaded into a table of the same shape.
sql -N -B -e "SELECT seq, line_no, target, IFNULL(party_id, '\\\\N'), target_name,
              IFNULL(percent_bp, '\\\\N'), amount_minor, IFNULL(customer_id, '\\\\N'),
              IFNULL(asset_id, '\\\\N'), IFNULL(reseller_id, '\\\\N'), '\\\\N'
              FROM credit_splits" > "$TMP/splits.tsv"
rows=$(wc -l < "$TMP/splits.tsv")
sql -e "CREATE TABLE splits_copy LIKE credit_splits"
t0=$(ms)
sql --local-infile=1 -e "LOAD DATA LOCAL INFILE '$TMP/splits.tsv' INTO TABLE splits_copy"
t1=$(ms)
load_ms=$((t1 - t0))

assigned=$(sql -N -B -e "SELECT COUNT(*) FROM credits WHERE status = 'ASSIGNED'")
awk -v a="$assign_ms" -v l="$load_ms" -v n="$N" -v r="$rows" -v k="$assigned" 'BEGIN {
    printf "assign: %d credits (%d assigned, %d split rows): %.2f s, %d credits/s\n", n, k, r, a / 1000, n * 1000 / (a ? a : 1)
    printf "LOAD DATA LOCAL INFILE of the same %d split rows: %.2f s\n", r, l / 1000
    printf "ratio assign / LOAD DATA: %.2f (target <= 2.00)\n", a / (l ? l : 1)
}'
