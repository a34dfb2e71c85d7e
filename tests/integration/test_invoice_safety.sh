#!/bin/sh
# test_invoice_safety.sh -- what must never happen around invoicing: two
# invoices of one period at once, a re-pull changing a credit that waits in
# a prepared usage file, credits stuck behind a file with nothing to send,
# a file finished through another adapter, a period closed over half-sent
# files.  Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_safety_$$
P=2026-10
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_invoice_safety.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
LOCKPID=
cleanup() {
    [ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
config() { # ADAPTER
    { db_ini "$DB"; cat <<EOF
[assign]
default = customer:100
[invoicing]
adapter = $1
spool_dir = $TMP/spool
url = http://127.0.0.1:9/RPC2
timeout = 2
EOF
    } > "$TMP/awscredit.ini"
}

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
mkdir -p "$TMP/spool"
config spool
EURO100=$(python3 -c "print('\u20ac' * 100)")
EURO60=$(python3 -c "print('\u20ac' * 60)")
cat > "$TMP/accounts.csv" <<EOF
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,$EURO100,North,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
EOF
printf 'account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to\n444444444444,C-9,-A1,R-1,x,y,2026-01-01,\n' > "$TMP/bad-accounts.csv"
cur() { # AMOUNT-OF-A
    cat > "$TMP/cur.csv" <<EOF
identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
1,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,$EURO60,USD,$1,"Promo, credit id: 40000000001",AWS,AWS Inc,
2,2026-10-01T00:00:00Z,111111111111,333333333333,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-0.004,"Tiny, credit id: 40000000002",AWS,AWS Inc,
EOF
}
cur -100.00
run migrate
run accounts import "$TMP/accounts.csv"
run pull --period $P --path "$TMP/cur.csv"
run accounts import "$TMP/bad-accounts.csv"
check "$rc = 65" "an asset id a spreadsheet would take for a formula: refused at import"
run assign --period $P
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE status='ASSIGNED'") = 2" \
    "two assigned credits (one worth 0.00), a 100-character name of 3-byte characters on a line"
run list --period $P
check "$rc = 0" "list with a 60-character product code of 3-byte characters"
run export --period $P
check "$rc = 0" "export with it too"

# another process is invoicing the period: refused, nothing marked
mariadb --no-defaults -S "$SOCKET" -uroot "$DB" -e \
    "INSERT INTO locks SELECT 'awscredit.invoice.$P', 'otherhost:1:00000001', CONCAT(@@hostname, ':', @@port, ':', @@socket), SUBSTRING_INDEX(USER(), '@', 1), CONNECTION_ID(), NOW(6), NOW(6), NOW(6) + INTERVAL 60 SECOND; SELECT SLEEP(20);" >/dev/null 2>&1 &
LOCKPID=$!
i=0
while [ $i -lt 50 ] && [ "$(sql "SELECT COUNT(*) FROM locks WHERE name = 'awscredit.invoice.$P'")" != 1 ]; do
    sleep 0.1; i=$((i + 1))
done
run invoice --period $P
check "$rc = 75 -a $(sql 'SELECT COUNT(*) FROM usage_files') = 0" "a second invoice of the period at once: refused, nothing prepared"
kill "$LOCKPID" 2>/dev/null
wait "$LOCKPID" 2>/dev/null
LOCKPID=
# the holder's session ends (the server notices the closed client within
# about 5 s of its SLEEP); its lock is then taken at once
i=0
while [ $i -lt 120 ] && [ "$(sql "SELECT COUNT(*) FROM locks l JOIN information_schema.PROCESSLIST p
                                 ON p.ID = l.connection_id WHERE l.name = 'awscredit.invoice.$P'")" != 0 ]; do
    sleep 0.1; i=$((i + 1))
done

# prepared, then the process dies before sending
AWC_FAULT=after-prepare "$HOST" --config "$TMP/awscredit.ini" invoice --period $P >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc = 75 -a $(sql "SELECT COUNT(*) FROM usage_files WHERE status='prepared'") = 1" "a usage file prepared, not sent"
check "$(sql "SELECT COUNT(*) FROM credits WHERE outbox_id IS NULL AND status='ASSIGNED' AND credit_key='40000000002'") = 1" \
    "the credit with nothing to send is in no file"

# AWS restates the credit that waits in the prepared file
cur -250.00
run pull --period $P --path "$TMP/cur.csv"
check "$rc = 0" "pull the restated month"
check "$(sql "SELECT COUNT(*) FROM credits WHERE credit_key='40000000001' AND revision=0 AND amount=-100") = 1" \
    "a re-pull leaves a credit waiting in a usage file as it is"
check "$(sql "SELECT COUNT(*) FROM credits WHERE credit_key='40000000001' AND revision=1 AND amount=-150") = 1" \
    "the difference becomes an adjustment credit"

run close --period $P
check "$rc = 65" "close while a usage file has not reached the platform: refused"

# the file was prepared for the spool: another adapter must not skip it silently
config xmlrpc
run invoice --period $P
check "$rc = 78" "a file prepared for another adapter: a configuration error"
grep -q 'prepared for the spool adapter' "$ERR"
check "$? = 0" "the error names the adapter to finish it with"

config spool
run invoice --period $P
check "$rc = 0" "the same adapter finishes it"
rec=$(python3 -c "import csv,sys; print(sum(1 for r in csv.DictReader(open(sys.argv[1], newline='')) if r['amount']=='-100.00'))" "$TMP"/spool/outbox/*.csv 2>/dev/null)
check "${rec:-0} = 1" "the file invoices the amount it was prepared with"
grep -q 'nothing to hand over' "$ERR"
check "$? = 0" "the credit worth 0.00 is reported, not stuck"
run invoice --period $P
check "$rc = 0" "invoice again: nothing fails"

tap_done
