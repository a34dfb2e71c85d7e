#!/bin/sh
# test_scopes.sh -- every role against every command (SPEC 13): a
# distributor does everything; a reseller lists, shows, explains, exports
# and edits only its own customers' credits, gets "not found" for others'
# and may not invoice, reconcile, close, import rules or change accounts; a
# viewer only reads.  Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_scopes_$$
P=2026-10

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_scopes.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
cleanup() {
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
# expect STATUS WHAT ARGS... -- run ARGS and check the exit status
expect() {
    want=$1 what=$2
    shift 2
    run "$@"
    n=$((n + 1))
    if [ "$rc" = "$want" ]; then
        echo "ok $n - $what (exit $rc)"
    else
        failed=$((failed + 1))
        echo "not ok $n - $what: exit $rc, expected $want"
        head -c 400 "$ERR" | sed 's/^/#   /'
    fi
}
# ok "A = B -a C = D" "what": the condition is split into test(1) arguments
# shellcheck disable=SC2086
ok() { n=$((n + 1)); if [ $1 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
mkdir -p "$TMP/spool"
{ db_ini "$DB"; cat <<EOF
[assign]
default = customer:100
[invoicing]
adapter = spool
spool_dir = $TMP/spool
[cur]
path = $TMP/cur.csv
EOF
} > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
EOF
cat > "$TMP/cur.csv" <<'EOF'
identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
1,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-10,"Promo, credit id: 30000000001",AWS,AWS Inc,
2,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonS3,USD,-20,"Promo, credit id: 30000000002",AWS,AWS Inc,
3,2026-10-01T00:00:00Z,111111111111,333333333333,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-30,"Promo, credit id: 30000000003",AWS,AWS Inc,
EOF
# Two rules that match no credit here: one for every reseller, one for R-2
# only (which R-1's explain counts but does not show).
cat > "$TMP/rules.xml" <<'EOF'
<rules xmlns="urn:awscredit:rules:1">
  <rule id="R-EVERYONE" name="every reseller" created="2026-01-01T00:00:00Z">
    <description match="contains">zz never matches</description>
    <split customer="100"/>
  </rule>
  <rule id="R-SOUTH-DEAL" name="South's own deal" created="2026-01-01T00:00:00Z">
    <description match="contains">zz never matches</description>
    <resellers mode="only">R-2</resellers>
    <split customer="100"/>
  </rule>
</rules>
EOF

D="--as distributor:dana"
R1="--as reseller:R-1:alice"
R2="--as reseller:R-2:bob"
V="--as viewer:vic"

# shellcheck disable=SC2086
{
expect 0 "distributor: migrate" $D migrate
expect 77 "reseller: migrate refused" $R1 migrate
expect 77 "viewer: migrate refused" $V migrate
expect 77 "reseller: accounts import refused" $R1 accounts import "$TMP/accounts.csv"
expect 77 "viewer: accounts import refused" $V accounts import "$TMP/accounts.csv"
expect 0 "distributor: accounts import" $D accounts import "$TMP/accounts.csv"
expect 77 "reseller: rules import refused" $R1 rules import "$TMP/rules.xml"
expect 77 "viewer: rules import refused" $V rules import "$TMP/rules.xml"
expect 0 "distributor: rules import" $D rules import "$TMP/rules.xml"
expect 77 "reseller: pull refused" $R1 pull --period $P
expect 77 "viewer: pull refused" $V pull --period $P
expect 0 "distributor: pull" $D pull --period $P
expect 77 "reseller: assign refused" $R1 assign --period $P
expect 77 "viewer: assign refused" $V assign --period $P
expect 0 "distributor: assign" $D assign --period $P
}

id_of() { # the credit ID of credit key $1, from the distributor's list
    "$HOST" --config "$TMP/awscredit.ini" --json list 2>/dev/null | python3 -c "
import json, sys
for c in json.load(sys.stdin)['credits']:
    if '$1' in c['description']: print(c['credit_id'])"
}
OWN=$(id_of 30000000001)
OTHER=$(id_of 30000000003)
ok "-n $OWN -a -n $OTHER" "credit IDs found ($OWN, $OTHER)"

# shellcheck disable=SC2086
{
run $R1 --json list
count=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['count'])" "$OUT" 2>/dev/null)
ok "$rc = 0 -a ${count:-x} = 2" "reseller R-1: list shows its own 2 credits"
run $V --json list
count=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['count'])" "$OUT" 2>/dev/null)
ok "$rc = 0 -a ${count:-x} = 3" "viewer: list shows all 3 credits"
run $R1 export
ok "$rc = 0 -a $(grep -c '^AWSC-' "$OUT") = 2" "reseller R-1: export has its own 2 credits only"
run $V export
ok "$rc = 0 -a $(grep -c '^AWSC-' "$OUT") = 3" "viewer: export has all 3"
expect 0 "reseller: show own credit" $R1 show "$OWN"
expect 66 "reseller: show another reseller's credit: not found" $R1 show "$OTHER"
grep -q 'not found' "$ERR"; ok "$? = 0" "reseller: the answer does not reveal the credit exists"
expect 0 "viewer: show any credit" $V show "$OTHER"
expect 0 "reseller: explain own credit" $R1 explain "$OWN"
ok "$(grep -c 'R-EVERYONE' "$OUT") = 1 -a $(grep -c 'R-SOUTH-DEAL' "$OUT") = 0" \
    "reseller: explain lists the rules for every reseller, not another reseller's"
grep -q '(1 rule for other resellers not shown)' "$OUT"
ok "$? = 0" "reseller: explain says one rule is not shown"
run $R1 --json explain "$OWN"
hidden=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rules_not_shown'])" \
         "$OUT" 2>/dev/null)
ok "$rc = 0 -a ${hidden:-x} = 1" "reseller: explain --json counts it"
expect 0 "distributor: explain shows every rule" $D explain "$OWN"
ok "$(grep -c 'R-SOUTH-DEAL' "$OUT") = 1" "distributor: R-2's rule is listed"
expect 66 "reseller: explain another's credit: not found" $R1 explain "$OTHER"
expect 0 "viewer: explain" $V explain "$OWN"
expect 0 "reseller: edit own credit" $R1 edit "$OWN" --split customer:80,reseller:20
expect 66 "reseller: edit another's credit: not found" $R2 edit "$OWN" --split customer:100
expect 77 "viewer: edit refused" $V edit "$OWN" --split customer:100
expect 0 "reseller: unassign own credit" $R1 unassign "$OWN"
expect 77 "viewer: unassign refused" $V unassign "$OTHER"
expect 66 "reseller: unassign another's credit: not found" $R1 unassign "$OTHER"
expect 0 "reseller: re-assign own pending credit by edit" $R1 edit "$OWN" --split customer:100
expect 0 "reseller: balance, within its scope (SPEC 16)" $R1 balance
expect 0 "viewer: balance" $V balance
expect 77 "reseller: rules export refused" $R1 rules export
expect 0 "viewer: rules export" $V rules export
expect 77 "reseller: invoice refused" $R1 invoice --period $P
expect 77 "viewer: invoice refused" $V invoice --period $P
expect 77 "reseller: run refused" $R1 run --period $P
expect 0 "distributor: invoice" $D invoice --period $P
expect 77 "reseller: reconcile refused" $R1 reconcile
expect 77 "viewer: reconcile refused" $V reconcile
expect 0 "distributor: reconcile" $D reconcile
expect 77 "reseller: close refused" $R1 close --period $P
expect 77 "viewer: close refused" $V close --period $P
expect 0 "distributor: close" $D close --period $P
}
ok "$(sql "SELECT COUNT(*) FROM credit_events WHERE actor_role='reseller' AND actor_id='alice' AND actor_reseller='R-1'") = 3" \
    "every change records its actor (alice's 3 events)"
ok "$(sql "SELECT COUNT(*) FROM credit_events WHERE actor_id='alice' AND actor_via='distributor:tester'") = 3" \
    "and the operator who acted for alice with --as (SPEC 13)"
ok "$(sql "SELECT COUNT(*) FROM credit_events WHERE actor_via IS NOT NULL AND actor_id='tester'") = 0" \
    "an operator acting as itself is recorded once"
"$HOST" --config "$TMP/awscredit.ini" $R1 show "$OWN" >"$OUT" 2>"$ERR" </dev/null
grep -q "reseller:R-1:alice (via distributor:tester)" "$OUT"
ok "$? = 0" "show names both"

# R-1's credit whose account has moved to R-2 since: a rule for R-2 only
# now matches it, and R-1's explain shows that rule (it is about the credit).
cat > "$TMP/accounts2.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-2,Acme,South,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
EOF
sed 's/zz never matches/credit id: 30000000001/' "$TMP/rules.xml" > "$TMP/rules2.xml"
# shellcheck disable=SC2086
{
expect 0 "distributor: the account moves to R-2" $D accounts import "$TMP/accounts2.csv"
expect 0 "distributor: rules that match the moved credit" $D rules import "$TMP/rules2.xml"
expect 0 "reseller: explain the credit that moved" $R1 explain "$OWN"
}
ok "$(grep -c 'WINS *R-SOUTH-DEAL' "$OUT") = 1" "reseller: a matching rule for R-2 is shown"

tap_done
