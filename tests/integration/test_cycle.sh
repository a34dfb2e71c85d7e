#!/bin/sh
# test_cycle.sh -- the monthly cycle through the real host and module on a
# real MariaDB: accounts, rules, pull, assign, explain, edits, invoice on the
# spool adapter, a crash right after sending, reconcile (closed and
# rejected), period close, and a concurrent run refused.  Prints
# "ok N - ..." / "not ok N - ..." per check; exits 1 if any check failed.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD (the
# sanitizer build: awscredit, awscredit.so, plugin.manifest),
# AWC_TEST_SOCKET (a running MariaDB).
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_cycle_$$
P=2026-10

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_cycle.XXXXXX") || exit 1
SPOOL=$TMP/spool
OUT=$TMP/out
ERR=$TMP/err
LOCKPID=

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }

cleanup() {
    [ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB CHARACTER SET utf8mb4" || exit 1
mkdir -p "$SPOOL"
{ db_ini "$DB"; cat <<EOF
[assign]
default = customer:100
[invoicing]
adapter = spool
spool_dir = $SPOOL
item_mpn = AWS-CREDIT
EOF
} > "$TMP/awscredit.ini"

# The month: five credits of two payers, one account without an owner.
cat > "$TMP/cur.csv" <<'EOF'
identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
1,2026-10-01T00:00:00Z,111111111111,222222222222,Usage,2026-10-02T00:00:00Z,AmazonEC2,USD,500.00,EC2,AWS,AWS Inc,
2,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-100.005,"MAP migration credit _MPE12345, credit id: 10000000001",AWS,AWS Inc,
3,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-04T00:00:00Z,AmazonS3,USD,-33.3333333333,"Promotional credit, credit id: 10000000002",AWS,AWS Inc,
4,2026-10-01T00:00:00Z,111111111111,333333333333,Credit,2026-10-05T00:00:00Z,AmazonRDS,USD,-10,"EDP credit, credit id: 10000000003",AWS,AWS Inc,
5,2026-10-01T00:00:00Z,444444444444,555555555555,Credit,2026-10-06T00:00:00Z,AmazonEC2,EUR,-7.77,"SLA credit for EC2",AWS,AWS EMEA,
6,2026-10-01T00:00:00Z,444444444444,999999999999,Credit,2026-10-06T00:00:00Z,AmazonEC2,EUR,-1.00,"Promotional credit, credit id: 10000000009",AWS,AWS EMEA,
EOF
cat > "$TMP/accounts.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1001,R-1,Acme,North Reseller,2026-01-01,
333333333333,C-2,AS-1002,R-1,Beta,North Reseller,2026-01-01,2026-09-30
333333333333,C-3,AS-1003,R-2,Gamma,South Reseller,2026-10-01,
555555555555,C-4,AS-1004,R-2,Delta,South Reseller,2026-01-01,
EOF
cat > "$TMP/rules.xml" <<'EOF'
<rules xmlns="urn:awscredit:rules:1">
  <rule id="R-MAP" name="MAP credits split with the reseller" created="2026-01-05T10:00:00Z">
    <description match="contains">MPE</description>
    <split customer="80" reseller="15"/>
  </rule>
  <rule id="R-ALL-R2" name="South reseller keeps a tenth" created="2026-02-01T00:00:00Z">
    <resellers mode="only">R-2</resellers>
    <split customer="90" reseller="10"/>
  </rule>
</rules>
EOF

run migrate
check "$rc = 0" "migrate"

printf 'account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to\n12345,C-1,A,R,,,2026-01-01,\n222222222222,C-1,A,R,,,2026-13-01,\n' > "$TMP/bad-accounts.csv"
run accounts import "$TMP/bad-accounts.csv"
check "$rc = 65 -a $(sql 'SELECT COUNT(*) FROM accounts') = 0" "bad accounts file: refused, nothing imported"
grep -q 'bad-accounts.csv:2: account_id' "$ERR"
check "$? = 0" "bad accounts file: the error names file, line and column"

run accounts import "$TMP/accounts.csv"
check "$rc = 0 -a $(sql 'SELECT COUNT(*) FROM accounts') = 4" "accounts import"
run rules import "$TMP/rules.xml"
check "$rc = 0 -a $(sql 'SELECT COUNT(*) FROM rules') = 2" "rules import"

run pull --period $P --path "$TMP/cur.csv"
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE period='$P'") = 5" "pull: five credits"
run pull --period $P --path "$TMP/cur.csv"
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits") = 5" "pull again: no duplicate"

run assign --period $P
check "$rc = 0" "assign"
MAP=$(sql "SELECT seq FROM credits WHERE credit_key='10000000001'")
PROMO=$(sql "SELECT seq FROM credits WHERE credit_key='10000000002'")
EDP=$(sql "SELECT seq FROM credits WHERE credit_key='10000000003'")
UNM=$(sql "SELECT seq FROM credits WHERE credit_key='10000000009'")
check "$(sql "SELECT rule_id FROM credit_view WHERE seq=$MAP") = R-MAP" "assign: the MAP credit by its description rule"
check "$(sql "SELECT rule_id FROM credit_view WHERE seq=$PROMO") = default" "assign: no rule matches, the default applies"
check "$(sql "SELECT CONCAT(customer_id,'/',reseller_id,'/',rule_id) FROM credit_view WHERE seq=$EDP") = C-3/R-2/R-ALL-R2" \
    "assign: ownership on the period's first day (the account moved on 10-01)"
check "$(sql "SELECT CONCAT(status,unmapped) FROM credit_view WHERE seq=$UNM") = PENDING_ASSIGN1" "assign: no owner: pending, flagged unmapped"
# MAP -100.005 -> -100.01 (half away from zero); 80 % = -80.01 (largest remainder), 15 % = -15.00, retained -5.00
got=$(sql "SELECT GROUP_CONCAT(target,':',amount_minor ORDER BY line_no) FROM credit_splits WHERE seq=$MAP")
check "$got = customer:-8001,reseller:-1500,retained:-500" "splits: exact, largest remainder, retained shown ($got)"
check "$(sql "SELECT COUNT(*) FROM credits c WHERE status='ASSIGNED' AND ROUND(amount,2)*100 <> (SELECT SUM(amount_minor) FROM credit_splits s WHERE s.seq=c.seq)") = 0" \
    "splits: every assigned credit's lines add up to its invoiceable amount"

cid() { # seq -> credit ID with its check digit, via the module's own formatting
    "$HOST" --config "$TMP/awscredit.ini" --json list --limit 1000 2>/dev/null |
        python3 -c "import json,sys; d=json.load(sys.stdin); print([c['credit_id'] for c in d['credits'] if int(c['credit_id'].replace('-','')[4:17])==$1][0])"
}
MAPID=$(cid "$MAP")
run explain "$MAPID"
check "$rc = 0" "explain runs"
grep -q 'R-MAP' "$OUT" && grep -q 'WINS' "$OUT"
check "$? = 0" "explain names the winning rule"
run explain "$(cid "$UNM")"
grep -q 'unmapped' "$OUT"
check "$rc = 0 -a $? = 0" "explain: the unmapped case is explained"

V=$(sql "SELECT version FROM credits WHERE seq=$PROMO")
PROMOID=$(cid "$PROMO")
run edit "$PROMOID" --split customer:60,reseller:30 --expect-version "$V"
check "$rc = 0 -a $(sql "SELECT version FROM credits WHERE seq=$PROMO") = $((V + 1))" "edit with the current version"
run edit "$PROMOID" --split customer:50 --expect-version "$V"
check "$rc = 65" "edit with a stale version: refused as a conflict"
run edit "$PROMOID" --amounts customer:-40.00
check "$rc = 65" "edit: amounts over the credit refused"
grep -q 'add up to -40.00 USD, more than the credit' "$ERR"
check "$? = 0" "edit: the refusal speaks in currency units"
run edit "$PROMOID" --amounts customer:5.00
check "$rc = 65" "edit: an amount of the wrong sign refused"
run --as reseller:R-2:bob edit "$PROMOID" --split customer:100
check "$rc = 66" "edit by another reseller: not found"
run --as viewer:vic edit "$PROMOID" --split customer:100
check "$rc = 77" "edit by a viewer: refused"

# AWS restates an ASSIGNED credit: its split keeps its proportions (60/30)
sed 's/-33.3333333333/-50.00/' "$TMP/cur.csv" > "$TMP/cur-r.csv" && mv "$TMP/cur-r.csv" "$TMP/cur.csv"
run pull --period $P --path "$TMP/cur.csv"
got=$(sql "SELECT GROUP_CONCAT(target,':',amount_minor ORDER BY line_no) FROM credit_splits WHERE seq=$PROMO")
check "$rc = 0 -a $got = customer:-3000,reseller:-1500,retained:-500" \
    "restated ASSIGNED credit: splits recomputed with the same proportions ($got)"
check "$(sql "SELECT COUNT(*) FROM credits c WHERE status='ASSIGNED' AND ROUND(amount,2)*100 <> (SELECT SUM(amount_minor) FROM credit_splits s WHERE s.seq=c.seq)") = 0" \
    "after the restatement every assigned credit's lines still add up"
run edit "$PROMOID" --amounts customer:-30.00,reseller:-10.00
sed 's/-50.00,"Promotional/-100.00,"Promotional/' "$TMP/cur.csv" > "$TMP/cur-r.csv" && mv "$TMP/cur-r.csv" "$TMP/cur.csv"
run pull --period $P --path "$TMP/cur.csv"
got=$(sql "SELECT GROUP_CONCAT(target,':',amount_minor ORDER BY line_no) FROM credit_splits WHERE seq=$PROMO")
check "$rc = 0 -a $got = customer:-6000,reseller:-2000,retained:-2000" \
    "restated credit with fixed amounts: scaled by their share ($got)"
V=$(sql "SELECT version FROM credits WHERE seq=$PROMO")

# invoice on the spool; the platform's answer arrives later in acks/
run invoice --period $P
check "$rc = 0" "invoice"
files=$(ls "$SPOOL/outbox/"*.csv 2>/dev/null | wc -l)
check "$files = 3" "invoice: one usage file per reseller and currency ($files)"
check "$(sql "SELECT COUNT(*) FROM credits WHERE status='PROCESSING'") = 4" "invoice: assigned credits are PROCESSING"
rec_sum=$(python3 - "$SPOOL"/outbox/*.csv <<'PY'
import csv, sys
from decimal import Decimal
total = Decimal(0)
for path in sys.argv[1:]:
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            total += Decimal(row['amount'])
print(int(total * 100))
PY
)
db_sum=$(sql "SELECT SUM(amount_minor) FROM credit_splits WHERE target <> 'retained'")
check "$rec_sum = $db_sum" "invoice: record amounts equal the assigned, non-retained split amounts ($rec_sum)"
run invoice --period $P
check "$rc = 0 -a $(ls "$SPOOL/outbox/"*.csv | wc -l) = 3" "invoice again: nothing more is sent"
run edit "$MAPID" --split customer:100
check "$rc = 65" "edit of a PROCESSING credit: read-only"

# a credit restated and invoiced: crash right after the platform has it
sed 's/-7.77/-8.77/' "$TMP/cur.csv" > "$TMP/cur2.csv"
printf '7,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-09T00:00:00Z,AmazonEC2,USD,-5,"Late promotional credit, credit id: 10000000010",AWS,AWS Inc,\n' >> "$TMP/cur2.csv"
run pull --period $P --path "$TMP/cur2.csv"
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE adjusts IS NOT NULL") = 1" "restated processed credit: an adjustment credit"
run assign --period $P
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE status='ASSIGNED'") = 2" "assign the adjustment and the late credit"
AWC_FAULT=after-send "$HOST" --config "$TMP/awscredit.ini" invoice --period $P >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc = 75 -a $(sql "SELECT COUNT(*) FROM usage_files WHERE status='sending'") = 1" \
    "a crash right after the platform has a file: the file is still 'sending' in the database"
check "$(sql "SELECT COUNT(*) FROM credits WHERE status='PROCESSING' AND outbox_id IS NULL AND revision>0") = 0" \
    "after the crash: its credits are not PROCESSING yet"
run invoice --period $P
check "$rc = 0" "the re-run finishes"
files=$(ls "$SPOOL/outbox/"*.csv | wc -l)
check "$files = $(sql "SELECT COUNT(*) FROM usage_files")" "one outbox file per usage file, none twice ($files)"
lines=$(cat "$SPOOL"/outbox/*.csv | grep -c '^UR-')
check "$lines = $(sql "SELECT SUM(record_count) FROM usage_files")" "no duplicate record at the platform ($lines)"
check "$(sql "SELECT COUNT(*) FROM credits WHERE status='ASSIGNED'") = 0" "after the re-run: no credit left behind"
check "$(sql "SELECT COUNT(*) FROM (SELECT seq FROM credit_events WHERE kind='collect' GROUP BY seq HAVING COUNT(*) > 1) d") = 0" \
    "exactly one collect per credit"

# the platform answers: one file closed, one rejected
uf_closed=$(sql "SELECT usage_file_id FROM usage_files WHERE reseller_id='R-1' AND currency='USD' ORDER BY local_id LIMIT 1")
uf_rej=$(sql "SELECT usage_file_id FROM usage_files WHERE reseller_id='R-2' AND currency='EUR' ORDER BY local_id LIMIT 1")
mkdir -p "$SPOOL/acks"
printf 'closed\ninvoice INV-1\n' > "$SPOOL/acks/$uf_closed.status"
printf 'rejected\nasset AS-1004 is suspended\n' > "$SPOOL/acks/$uf_rej.status"
run reconcile
check "$rc = 0" "reconcile"
check "$(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$uf_closed' AND status<>'PROCESSED'") = 0" "reconcile: closed file's credits PROCESSED"
check "$(sql "SELECT status FROM credits WHERE seq=(SELECT seq FROM credit_view WHERE currency='EUR' AND customer_id='C-4' AND revision=0)") = ASSIGNED" \
    "reconcile: rejected file's credits back to ASSIGNED"
check "$(sql "SELECT COUNT(*) FROM credit_events WHERE kind='reject' AND note LIKE '%AS-1004 is suspended%'") -ge 1" "reconcile: the rejection note is in the event"

run close --period $P
check "$rc = 0" "close the period"
grep -q 'PENDING_ASSIGN and .* ASSIGNED stay as they are' "$OUT"
check "$? = 0" "close says which credits it leaves behind"
run assign --period $P
check "$rc = 65" "assign in a closed period: refused"
run invoice --period $P
check "$rc = 65" "invoice in a closed period: refused"
grep -q 'closed' "$ERR"
check "$? = 0" "the refusal says the period is closed"

# a run holding the period's lock (a row of locks, as a host on this server
# takes it): a second run is refused, naming it
mariadb --no-defaults -S "$SOCKET" -uroot "$DB" -e \
    "INSERT INTO runs (period, step, status, actor_id, host) VALUES ('2026-11','run','running','alice','ops-1'); INSERT INTO locks SELECT 'awscredit.run.2026-11', 'ops-1:99:00000001', CONCAT(@@hostname, ':', @@port, ':', @@socket), SUBSTRING_INDEX(USER(), '@', 1), CONNECTION_ID(), NOW(6), NOW(6), NOW(6) + INTERVAL 60 SECOND; SELECT SLEEP(20);" >/dev/null 2>&1 &
LOCKPID=$!
i=0
while [ $i -lt 50 ] && [ "$(sql "SELECT COUNT(*) FROM locks WHERE name = 'awscredit.run.2026-11'")" != 1 ]; do
    sleep 0.1; i=$((i + 1))
done
run run --period 2026-11
check "$rc = 75" "a concurrent run for the same period: refused"
grep -q 'alice' "$ERR"
check "$? = 0" "the refusal names the holder"
kill "$LOCKPID" 2>/dev/null
LOCKPID=

tap_done
