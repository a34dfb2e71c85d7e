#!/bin/sh
# test_cycle_connect.sh -- the monthly cycle with the connect invoicing
# adapter against tests/fakes/connect_fake.py (a stand-in for CloudBlue
# Connect's usage-file API that checks the key, the fields, the state
# machine and every record of the workbook):
#   - a month to PROCESSED: invoice, accept, close, reconcile;
#   - the process killed after create, after upload and after submit, then
#     re-run: one Connect file per group, every record once;
#   - the workbook read back equals the records the spool adapter writes for
#     the same month;
#   - a rejected file and an invalid workbook: credits back to ASSIGNED with
#     Connect's note, then sent again and closed;
#   - faults: a 500 on upload, a connection dropped after create, a slow
#     answer; more than one page of files; a refused key (401) stops at once;
#   - the key never reaches an output, the database or the workbook.
# Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db ccycle
P=2026-10
P2=2026-11
P3=2026-09
KEY_SECRET=k3yS3cretQ7x9
export CONNECT_API_KEY="SU-TEST-0001:$KEY_SECRET"
PY=/usr/bin/python3
FAKEPID=
LOGALL=$TMP/all-output
: > "$LOGALL"
trap 'kill "$FAKEPID" 2>/dev/null; mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB; DROP DATABASE IF EXISTS ${DB}_spool" 2>/dev/null; rm -rf "$TMP"' EXIT

# every run's output is kept, to look for the key at the end
run() {
    "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null
    rc=$?
    cat "$OUT" "$ERR" >> "$LOGALL"
}
frun() {   # frun FAULT ARGS...: a run that stops dead at a fault point
    f=$1
    shift
    AWC_FAULT=$f "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null
    rc=$?
    cat "$OUT" "$ERR" >> "$LOGALL"
}

$PY "$ROOT/tests/fakes/connect_fake.py" --port 0 --max-seconds 500 --api-key "$CONNECT_API_KEY" \
    --product PRD-100-200-300 --contract CRD-00000-11111-22222 \
    > "$TMP/fake.out" 2> "$TMP/fake.err" &
FAKEPID=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^PORT ' "$TMP/fake.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's/^PORT //p' "$TMP/fake.out")
[ -n "$PORT" ] || { echo "not ok 1 - the Connect stand-in did not start"; cat "$TMP/fake.err"; exit 1; }

# fake EXPR -- a Python expression over the stand-in's state d (GET /_control);
# live(d) is its files of our product that are not deleted.
fake() {
    $PY - "$PORT" "$1" <<'PY'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control" % sys.argv[1]))
def live(d, period=None):
    return [f for f in d["files"] if f["status"] != "deleted" and
            f["product"]["id"] == "PRD-100-200-300" and
            (period is None or f["period"]["from"][:7] == period)]
print(eval(sys.argv[2]))
PY
}
# ctl JSON -- a control action (the distributor's decisions, faults, ...)
ctl() {
    $PY - "$PORT" "$1" <<'PY'
import sys, urllib.request
r = urllib.request.Request("http://127.0.0.1:%s/_control" % sys.argv[1], data=sys.argv[2].encode(),
                           headers={"Content-Type": "application/json"})
urllib.request.urlopen(r).read()
PY
}
# ext PERIOD RESELLER CURRENCY N -- the external id the module gives a group
ext() {
    $PY -c 'import hashlib,sys; p,r,c,n=sys.argv[1:]; print("awscredit:%s:%s:%s:%s" % (p, hashlib.sha256(r.encode()).hexdigest()[:16], c, n))' "$@"
}

ini() {   # ini ADAPTER [TIMEOUT]
    db_ini "$DB"
    cat <<EOF
[assign]
default = customer:70,reseller:20
[invoicing]
adapter = $1
spool_dir = $TMP/spool
item_mpn = AWS-CREDIT
timeout = ${2:-10}
[connect]
url = http://127.0.0.1:$PORT/public/v1
api_key_env = CONNECT_API_KEY
product_id = PRD-100-200-300
contract_id = CRD-00000-11111-22222
category = CAT-AWS
EOF
}
ini connect > "$TMP/awscredit.ini"

cat > "$TMP/accounts.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1001,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-1002,R-2,Beta,South,2026-01-01,
444444444444,C-3,AS-1003,R-1,Gamma,North,2026-01-01,
EOF
# cur PERIOD COUNT -- a CUR month of COUNT credits over three accounts, two currencies
cur() {
    echo "identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id"
    k=1
    while [ "$k" -le "$2" ]; do
        acct=222222222222
        [ $((k % 3)) = 0 ] && acct=333333333333
        [ $((k % 5)) = 0 ] && acct=444444444444
        c=USD
        [ $((k % 4)) = 0 ] && c=EUR
        echo "$k,$1-01T00:00:00Z,111111111111,$acct,Credit,$1-0$((k % 9 + 1))T00:00:00Z,AmazonEC2,$c,-$k.$((k * 7 % 100)),\"Promotional credit $1 #$k, credit id: 3000$k\",AWS,AWS Inc,"
        k=$((k + 1))
    done
}
cur $P 40 > "$TMP/cur-$P.csv"
cur $P2 12 > "$TMP/cur-$P2.csv"
cur $P3 12 > "$TMP/cur-$P3.csv"

run migrate
check "$rc = 0" "migrate"
run accounts import "$TMP/accounts.csv"
for p in $P $P2 $P3; do
    run pull --period $p --path "$TMP/cur-$p.csv"
    run assign --period $p
done
check "$(sql "SELECT COUNT(*) FROM credits WHERE status='ASSIGNED'") = 64" "pull and assign three months (64 credits)"

# --- crashes after create, after upload, after submit; then the re-run ----------------------
frun connect-after-create invoice --period $P
check "$rc = 75 -a $(fake 'len(live(d))') = 1 -a $(fake "live(d)[0]['status']") = draft" \
    "killed right after create: Connect holds one draft file"
frun connect-after-upload invoice --period $P
check "$rc = 75 -a $(fake 'len(live(d))') = 1 -a $(fake "len(live(d)[0]['uploads'])") = 1" \
    "killed right after upload: the same file, uploaded once"
frun connect-after-submit invoice --period $P
check "$rc = 75 -a $(fake 'len(live(d))') = 1 -a $(fake "live(d)[0]['status']") = pending" \
    "killed right after submit: the same file, pending"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period='$P' AND status='PROCESSING'") = 0" \
    "nothing PROCESSING before the module recorded the file"
run invoice --period $P
check "$rc = 0" "the re-run finishes"
files=$(fake "len(live(d, '$P'))")
check "$files -ge 3 -a $files = $(sql "SELECT COUNT(*) FROM usage_files WHERE period='$P'")" \
    "one Connect file per usage file ($files)"
check "$(fake "len(live(d, '$P')) - len({f['external_id'] for f in live(d, '$P')})") = 0" \
    "no external id twice"
check "$(fake "sum(len(f['uploads']) for f in live(d, '$P'))") = $files" "every file uploaded once"
check "$(fake "sum(len(f['records']) - len({r['record_id'] for r in f['records']}) for f in live(d, '$P'))") = 0" \
    "no record twice"
recs=$(fake "sum(len(f['records']) for f in live(d, '$P'))")
check "$recs = $(sql "SELECT COUNT(*) FROM credit_splits s JOIN credits c ON c.seq = s.seq WHERE c.period='$P' AND s.target <> 'retained' AND s.amount_minor <> 0")" \
    "one record per non-retained split line ($recs)"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period='$P' AND status='PROCESSING'") = 40" \
    "every credit of the month PROCESSING"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period='$P' AND usage_file_id IS NULL") = 0" \
    "every credit knows its Connect file"
mine=$(sql "SELECT COUNT(*) FROM credit_splits s JOIN credits c ON c.seq = s.seq WHERE c.period='$P' AND s.record_id IS NOT NULL")
check "$mine = $recs" "every split line knows its record id"
run invoice --period $P
check "$rc = 0 -a $(fake "len(live(d, '$P'))") = $files -a $(fake "d['calls'].get('create', 0)") = $files" \
    "a second invoice creates nothing"
check "$(fake "all(f['name'].startswith('AWS credits $P ') and f['external_id'].startswith('awscredit:$P:') and f['currency'] in ('USD', 'EUR') and f['period'] == {'from': '$P-01', 'to': '$P-31'} for f in live(d, '$P'))") = True" \
    "files named readably, with external_id, currency and period"

# --- the workbook read back equals what the spool adapter writes -------------------------------
mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_spool" || exit 1
mkdir -p "$TMP/spool"
{ ini spool | sed "s/^database = .*/database = ${DB}_spool/"; } > "$TMP/spool.ini"
for a in migrate "accounts import $TMP/accounts.csv" "pull --period $P --path $TMP/cur-$P.csv" \
         "assign --period $P" "invoice --period $P"; do
    # shellcheck disable=SC2086
    "$HOST" --config "$TMP/spool.ini" $a >/dev/null 2>>"$TMP/spool.err" </dev/null
done
same=$($PY - "$PORT" "$TMP/spool/outbox" <<'PY'
import csv, glob, json, sys, urllib.request
from decimal import Decimal
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control" % sys.argv[1]))
def t(s):   # both forms of a UTC time, as one
    return s.replace("T", " ").replace("Z", "")
wb = sorted((r["record_note"], r["item_search_criteria"], r["item_search_value"],
             r["asset_search_criteria"], r["asset_search_value"], t(r["start_time_utc"]),
             t(r["end_time_utc"]), Decimal(str(r["amount"])), int(r["quantity"]))
            for f in d["files"] if f["status"] != "deleted" and f["period"]["from"].startswith("2026-10")
            for r in f["records"])
sp = []
for path in glob.glob(sys.argv[2] + "/UF-*.csv"):
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            sp.append((r["record_note"], "item." + r["item_search_criteria"], r["item_search_value"],
                       r["asset_search_criteria"], r["asset_search_value"], t(r["start_time_utc"]),
                       t(r["end_time_utc"]), Decimal(r["amount"]), int(r["quantity"])))
print("yes" if wb == sorted(sp) and len(wb) > 0 else "no: %d workbook rows, %d spool rows, first difference %s" % (
    len(wb), len(sp), next(((a, b) for a, b in zip(wb, sorted(sp)) if a != b), None)))
PY
)
if [ "$same" = yes ]; then
    pass "the workbook read back equals the spool adapter's records of the month"
else
    fail "the workbook read back equals the spool adapter's records of the month: $same"
    sed 's/^/# spool: /' "$TMP/spool.err"
fi

# --- the distributor decides: accepted, closed; rejected, sent again -------------------------
ufs=$(sql "SELECT usage_file_id FROM usage_files WHERE period='$P' ORDER BY local_id")
first=$(echo "$ufs" | sed -n 1p)
second=$(echo "$ufs" | sed -n 2p)
ctl "{\"action\": \"accept\", \"id\": \"$first\", \"note\": \"ok\"}"
run reconcile
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$first' AND status='PROCESSING'") -gt 0" \
    "accepted: credits stay PROCESSING"
ctl "{\"action\": \"close\", \"id\": \"$first\"}"
ctl "{\"action\": \"reject\", \"id\": \"$second\", \"note\": \"Rates for R-2 not agreed yet\"}"
run reconcile
check "$rc = 0" "reconcile"
check "$(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$first' AND status<>'PROCESSED'") = 0" \
    "closed: credits PROCESSED"
back=$(sql "SELECT COUNT(DISTINCT seq) FROM credit_events WHERE kind='reject' AND note LIKE '%Rates for R-2 not agreed yet%'")
check "$back -ge 1 -a $(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$second'") = 0" \
    "rejected: its $back credits back to ASSIGNED with the rejection note"
run invoice --period $P
check "$rc = 0 -a $(fake "len(live(d, '$P'))") = $((files + 1))" "the rejected credits go out again in a new file"
third=$(sql "SELECT usage_file_id FROM usage_files WHERE period='$P' ORDER BY local_id DESC LIMIT 1")
ctl "{\"action\": \"accept\", \"id\": \"$third\"}"
ctl "{\"action\": \"close\", \"id\": \"$third\"}"
run reconcile
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE usage_file_id='$third' AND status='PROCESSED'") = $back" \
    "sent again and closed: PROCESSED"

# --- an invalid workbook: an asset Connect does not know -----------------------------------
ctl '{"action": "assets", "ids": ["AS-1001", "AS-1003"]}'
run invoice --period $P2
check "$rc = 65" "invoice reports the file Connect found invalid (exit $rc)"
grep -q 'asset AS-1002 not found' "$ERR"
check "$? = 0" "with Connect's error_detail"
inv=$(fake "len([f for f in live(d, '$P2') if f['status'] == 'invalid'])")
want=$(sql "SELECT COUNT(DISTINCT currency) FROM credits WHERE period='$P2' AND usage_account_id='333333333333'")
check "$inv = $want" "Connect holds R-2's $want files as invalid"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period='$P2' AND status='ASSIGNED' AND usage_account_id='333333333333'") -gt 0 -a $(sql "SELECT COUNT(*) FROM credit_events e JOIN credits c ON c.seq = e.seq WHERE c.period='$P2' AND e.kind='reject' AND e.note LIKE '%asset AS-1002 not found%'") -gt 0" \
    "its credits back to ASSIGNED with the error detail in their history"
ctl '{"action": "assets", "ids": null}'
run invoice --period $P2
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE period='$P2' AND status='PROCESSING'") = 12" \
    "once Connect knows the asset, the next invoice sends them again"
for id in $(fake "' '.join(f['id'] for f in live(d, '$P2') if f['status'] == 'pending')"); do
    ctl "{\"action\": \"accept\", \"id\": \"$id\"}"
    ctl "{\"action\": \"close\", \"id\": \"$id\"}"
done
run reconcile
check "$rc = 0 -a $(sql "SELECT COUNT(*) FROM credits WHERE period='$P2' AND status='PROCESSED'") = 12" \
    "and closed: the month PROCESSED"

# --- faults and pages ---------------------------------------------------------------------------
ctl '{"action": "page_max", "n": 1}'
e1=$(ext $P3 R-1 USD 1)
for k in 1 2 3; do
    ctl "{\"action\": \"seed\", \"file\": {\"name\": \"deleted by hand $k\", \"status\": \"deleted\", \"period\": {\"from\": \"$P3-01\", \"to\": \"$P3-30\"}, \"currency\": \"USD\", \"product\": {\"id\": \"PRD-100-200-300\"}, \"contract\": {\"id\": \"CRD-00000-11111-22222\"}, \"external_id\": \"$e1\"}}"
done
ctl "{\"action\": \"seed\", \"file\": {\"name\": \"another product's\", \"status\": \"pending\", \"period\": {\"from\": \"$P3-01\", \"to\": \"$P3-30\"}, \"currency\": \"USD\", \"product\": {\"id\": \"PRD-999-999-999\"}, \"contract\": {\"id\": \"CRD-00000-11111-22222\"}, \"external_id\": \"$e1\"}}"
ctl '{"action": "fault", "route": "upload", "kind": "500", "count": 1}'
ctl '{"action": "fault", "route": "create", "kind": "drop", "count": 1}'
ctl '{"action": "fault", "route": "get", "kind": "500", "count": 2}'
lists=$(fake "d['calls'].get('list', 0)")
run invoice --period $P3
check "$rc = 0" "invoice through a 500 on upload, a dropped create and 500s on polls"
check "$(fake "len(live(d, '$P3'))") = $(sql "SELECT COUNT(*) FROM usage_files WHERE period='$P3'")" \
    "one Connect file per usage file after the faults"
check "$(fake "len([f for f in live(d, '$P3') if f['external_id'] == '$e1'])") = 1" \
    "three deleted files and another product's with the same external id, one page each: one live file of ours"
check "$(fake "d['calls'].get('list', 0)") -ge $((lists + 4))" "the look-ups followed Content-Range pages"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period='$P3' AND status='PROCESSING'") = 12" \
    "every credit of the month PROCESSING once"

# a slow answer: create answers after the timeout; the look-up finds the file
ctl '{"action": "page_max", "n": 100}'
cur 2026-08 6 > "$TMP/cur-2026-08.csv"
run pull --period 2026-08 --path "$TMP/cur-2026-08.csv"
run assign --period 2026-08
ini connect 2 > "$TMP/awscredit.ini"
ctl '{"action": "fault", "route": "create", "kind": "slow", "seconds": 3, "count": 1}'
run invoice --period 2026-08
check "$rc = 0 -a $(fake "len(live(d, '2026-08'))") = $(sql "SELECT COUNT(*) FROM usage_files WHERE period='2026-08'")" \
    "a create answered after the timeout is found, not made twice"
ini connect > "$TMP/awscredit.ini"

# --- a refused key stops at once -------------------------------------------------------------------
cur 2026-07 6 > "$TMP/cur-2026-07.csv"
run pull --period 2026-07 --path "$TMP/cur-2026-07.csv"
run assign --period 2026-07
refused=$(fake "d['refused']")
CONNECT_API_KEY="SU-TEST-0001:wrongW0rdX" "$HOST" --config "$TMP/awscredit.ini" invoice --period 2026-07 \
    >"$OUT" 2>"$ERR" </dev/null
rc=$?
cat "$OUT" "$ERR" >> "$LOGALL"
check "$rc = 78" "a refused key: exit 78 (configuration)"
grep -q "HTTP 401, AUTH_001" "$ERR" && grep -q "CONNECT_API_KEY" "$ERR"
check "$? = 0" "the message names the code and the variable"
check "$(fake "d['refused']") = $((refused + 1))" "one request, then nothing more"
check "$(grep -c wrongW0rdX "$LOGALL") = 0" "the refused key is not shown"
run invoice --period 2026-07
check "$rc = 0" "with the right key the month goes out"

# --- the key never leaks --------------------------------------------------------------------------
dump=$(mariadb-dump --no-defaults -S "$SOCKET" -uroot "$DB" 2>/dev/null | grep -c "$KEY_SECRET")
check "$dump = 0" "the key is not in the database"
check "$(grep -c "$KEY_SECRET" "$LOGALL") = 0" "the key is not in any output"
check "$(fake "d['key_seen_in_upload']") = False" "the key is not in any workbook"

tap_done
