#!/bin/sh
# test_cycle_xmlrpc.sh -- the monthly cycle with the XML-RPC invoicing
# adapter against tests/fakes/platform.py (a stateful fake billing platform
# that rejects duplicate external ids): invoice, a second invoice that sends
# nothing, a crash right after the platform has a file and the re-run that
# sends nothing twice, a dropped connection mid-send, closed and rejected
# files through reconcile.  Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_xcycle_$$
P=2026-10

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_cycle_xmlrpc.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
FAKEPID=

cleanup() {
    [ -n "$FAKEPID" ] && kill "$FAKEPID" 2>/dev/null
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
# platform EXPR -- evaluate a Python expression over the fake's state `d`
# (test.dump()) or call a control method through `p`.
platform() {
    python3 - "$PORT" "$1" <<'PY'
import sys, xmlrpc.client
p = xmlrpc.client.ServerProxy("http://127.0.0.1:%s/RPC2" % sys.argv[1], allow_none=True)
d = p.test.dump()
print(eval(sys.argv[2]))
PY
}

python3 "$ROOT/tests/fakes/platform.py" --port 0 --max-seconds 300 > "$TMP/fake.out" 2> "$TMP/fake.err" &
FAKEPID=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^PORT ' "$TMP/fake.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's/^PORT //p' "$TMP/fake.out")
[ -n "$PORT" ] || { echo "not ok 1 - the fake platform did not start"; cat "$TMP/fake.err"; exit 1; }

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
{ db_ini "$DB"; cat <<EOF
[assign]
default = customer:70,reseller:20
[invoicing]
adapter = xmlrpc
url = http://127.0.0.1:$PORT/RPC2
item_mpn = AWS-CREDIT
timeout = 5
EOF
} > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1001,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-1002,R-2,Beta,South,2026-01-01,
EOF
{
    echo "identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id"
    k=1
    while [ $k -le 40 ]; do
        acct=222222222222
        [ $((k % 3)) = 0 ] && acct=333333333333
        cur=USD
        [ $((k % 4)) = 0 ] && cur=EUR
        echo "$k,2026-10-01T00:00:00Z,111111111111,$acct,Credit,2026-10-0$((k % 9 + 1))T00:00:00Z,AmazonEC2,$cur,-$k.$((k * 7 % 100)),\"Promotional credit, credit id: 20000000$k\",AWS,AWS Inc,"
        k=$((k + 1))
    done
} > "$TMP/cur.csv"

run migrate
check "$rc = 0" "migrate"
run accounts import "$TMP/accounts.csv"
run pull --period $P --path "$TMP/cur.csv"
check "$rc = 0 -a $(sql 'SELECT COUNT(*) FROM credits') = 40" "pull 40 credits"
run assign --period $P
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE status='ASSIGNED'") = 40" "assign"

# the first file goes through, the second dies right after the platform has it
AWC_FAULT=after-send "$HOST" --config "$TMP/awscredit.ini" invoice --period $P >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc = 75 -a $(platform 'len(d["files"])') = 1" "a crash right after the first file reached the platform"
run invoice --period $P
check "$rc = 0" "the re-run finishes"
files=$(platform 'len(d["files"])')
check "$files = $(sql 'SELECT COUNT(*) FROM usage_files')" "one platform file per usage file ($files)"
dups=$(platform 'sum(len(f["records"]) - len({r["note"] + r["amount"] for r in f["records"]}) for f in d["files"])')
check "$dups = 0" "no duplicate record at the platform"
recs=$(platform 'sum(len(f["records"]) for f in d["files"])')
check "$recs = $(sql "SELECT COUNT(*) FROM credit_splits WHERE target <> 'retained' AND amount_minor <> 0")" \
    "one record per non-retained split line ($recs)"
plat_sum=$(platform 'int(sum(__import__("decimal").Decimal(r["amount"]) for f in d["files"] for r in f["records"]) * 100)')
check "$plat_sum = $(sql "SELECT SUM(amount_minor) FROM credit_splits WHERE target <> 'retained'")" \
    "record amounts at the platform equal the assigned amounts ($plat_sum)"
check "$(sql "SELECT COUNT(*) FROM credits WHERE status='PROCESSING'") = 40" "every credit PROCESSING, once"
check "$(sql "SELECT COUNT(*) FROM credit_splits WHERE target <> 'retained' AND amount_minor <> 0 AND record_id IS NULL") = 0" \
    "every split line knows its record id"
run invoice --period $P
check "$rc = 0 -a $(platform 'len(d["files"])') = $files" "a second invoice sends nothing"

# the platform's answers
ufs=$(sql "SELECT usage_file_id FROM usage_files ORDER BY local_id")
first=$(echo "$ufs" | sed -n 1p)
second=$(echo "$ufs" | sed -n 2p)
platform "p.test.setStatus('$first', 'closed', 'INV-77')" >/dev/null
platform "p.test.setStatus('$second', 'rejected', 'item AWS-CREDIT unknown')" >/dev/null
run reconcile
check "$rc = 0" "reconcile"
check "$(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$first' AND status<>'PROCESSED'") = 0" "closed file: credits PROCESSED"
back=$(sql "SELECT COUNT(*) FROM credit_events WHERE kind='reject' AND note LIKE '%item AWS-CREDIT unknown%'")
check "$back -ge 1 -a $(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$second'") = 0" \
    "rejected file: its $back credits back to ASSIGNED with the note"
# re-invoicing the rejected credits makes a new file with a new external id
run invoice --period $P
check "$rc = 0 -a $(platform 'len(d["files"])') = $((files + 1))" "rejected credits go out again in a new file"
run reconcile
check "$rc = 0" "reconcile again"

tap_done
