#!/bin/sh
# test_grants.sh -- grants, balances and the hierarchy (SPEC 16) through the
# command line against a real MariaDB: grants import (bad rows named, nothing
# written; an existing grant_id updated), grant set with its event, the
# Billing API's grants merged, hierarchy import (cycles and unknown parents
# refused), roll-ups on a 4-level tree (own + children == node, exactly),
# --node and --level, issue-date periods across a month boundary, unmatched
# credits, expiring with forecast_unused and --fail-if-any, and scope.
# Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db grants
# the value of "key" in the JSON object of the grant / node with that id
jget() { # jget FILE KIND ID FIELD [CURRENCY]
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for o in d[sys.argv[2]]:
    if o.get("grant_id", o.get("node_id")) == sys.argv[3] and (len(sys.argv) < 6 or o["currency"] == sys.argv[5]):
        print(o[sys.argv[4]]); break
' "$@"
}

{ db_ini "$DB"; printf '[assign]\ndefault = customer:100\n[grants]\nexpiring_days = 30\n'; } \
    > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'CSV'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
CSV
HEAD=identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
# October: usage on 1 October is issued on 30 September; November: usage on
# 1 November is issued on 31 October and counts in October
{ echo "$HEAD"
  echo '1,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-01T00:00:00Z,AmazonEC2,USD,-100,"MAP migration, credit id: 80000000001",AWS,AWS Inc,'
  echo '2,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-10T00:00:00Z,AmazonS3,USD,-30.05,"Promo, credit id: 80000000002",AWS,AWS Inc,'
  echo '3,2026-10-01T00:00:00Z,111111111111,333333333333,Credit,2026-10-10T00:00:00Z,AmazonEC2,EUR,-70,"EDP, credit id: 80000000003",AWS,AWS Inc,'
} > "$TMP/oct.csv"
{ echo "$HEAD"
  echo '1,2026-11-01T00:00:00Z,111111111111,222222222222,Credit,2026-11-01T00:00:00Z,AmazonEC2,USD,-20,"MAP migration, credit id: 80000000001",AWS,AWS Inc,'
  echo '2,2026-11-01T00:00:00Z,111111111111,222222222222,Credit,2026-11-15T00:00:00Z,AmazonEC2,USD,-45,"MAP migration, credit id: 80000000001",AWS,AWS Inc,'
  echo '3,2026-11-01T00:00:00Z,111111111111,222222222222,Credit,2026-11-15T00:00:00Z,AmazonRDS,USD,-9.99,"Other, credit id: 80000000004",AWS,AWS Inc,'
  echo '4,2026-11-01T00:00:00Z,111111111111,222222222222,Credit,2026-11-15T00:00:00Z,AWSLambda,USD,-3,"Lambda, credit id: 80000000005",AWS,AWS Inc,'
} > "$TMP/nov.csv"
run migrate && run accounts import "$TMP/accounts.csv" &&
    run pull --period 2026-10 --path "$TMP/oct.csv" && run pull --period 2026-11 --path "$TMP/nov.csv"
check "$rc = 0" "set up: October and November pulled"
check "$(sql "SELECT MAX(version) FROM schema_migrations") = $(ls "$ROOT"/sql/migrations/*.sql | wc -l)" "schema at the last migration"

# the hierarchy: a cycle and an unknown parent are refused with the line
cat > "$TMP/cycle.csv" <<'CSV'
node_id,parent_id,name,level
BU,,Business unit,BU
D1,P1,Dept,Department
P1,D1,Portfolio,Portfolio
CSV
run hierarchy import "$TMP/cycle.csv"
check "$rc = 65" "hierarchy import refuses a cycle (exit 65)"
check "$(grep -c 'cycle.csv:3: parent_id: node .D1. is its own ancestor' "$ERR") = 1" \
    "the cycle is named with its line and field"
printf 'node_id,parent_id,name,level\nBU,,B,BU\nD1,NOPE,D,Department\n' > "$TMP/unknown.csv"
run hierarchy import "$TMP/unknown.csv"
check "$rc = 65" "hierarchy import refuses an unknown parent"
check "$(grep -c "unknown.csv:3: parent_id: unknown parent 'NOPE'" "$ERR") = 1" \
    "the unknown parent is named with its line"
check "$(sql "SELECT COUNT(*) FROM hierarchy_nodes") = 0" "a refused hierarchy writes nothing"

# 4 levels: BU -> Department -> Portfolio -> Product, and a second root
cat > "$TMP/hierarchy.csv" <<'CSV'
node_id,parent_id,name,level
BU,,Business unit,BU
D1,BU,Department 1,Department
D2,BU,Department 2,Department
P1,D1,Portfolio 1,Portfolio
PR1,P1,Product 1,Product
PR2,P1,Product 2,Product
OTHER,,Another root,BU
CSV
run hierarchy import "$TMP/hierarchy.csv"
check "$rc = 0" "hierarchy import: 7 nodes, two roots"

# grants: one bad row refuses the file, names the line and field
cat > "$TMP/bad.csv" <<'CSV'
grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products
MAP-1,222222222222,80000000001,USD,150,2026-09-01,2027-03-31,MAP MPE123,PR1,
PROMO-1,222222222222,,USD,-5,2026-09-01,2026-12-31,,PR2,
CSV
run grants import "$TMP/bad.csv"
check "$rc = 65" "grants import refuses a bad file (exit 65)"
check "$(grep -c 'bad.csv:3: amount:' "$ERR") = 1" "the error names file, line and field"
check "$(sql "SELECT COUNT(*) FROM grants") = 0" "a refused file writes nothing"
printf 'grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products\nX,222222222222,,USD,1,,,,NO-SUCH-NODE,\n' > "$TMP/nonode.csv"
run grants import "$TMP/nonode.csv"
check "$rc = 65" "a grant on an unknown node is refused"

cat > "$TMP/grants.csv" <<'CSV'
grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products
MAP-1,222222222222,80000000001,USD,150,2026-09-01,2027-03-31,MAP MPE123,PR1,
PROMO-1,222222222222,,USD,100,2026-09-15,2026-12-31,promotion,PR2,AmazonS3 AmazonEC2
EDP-1,333333333333,,EUR,1000,2026-01-01,2026-12-01,EDP 2026,D2,
OWN-1,222222222222,,USD,5,2026-01-01,,,P1,AmazonRDS
CSV
run grants import "$TMP/grants.csv"
check "$rc = 0" "grants import: four grants"
check "$(grep -c '4 new, 0 updated' "$OUT") = 1" "all four are new"
sed -i 's/^EDP-1,333333333333,,EUR,1000,/EDP-1,333333333333,,EUR,1200,/' "$TMP/grants.csv"
run grants import "$TMP/grants.csv"
check "$(grep -c '0 new, 4 updated' "$OUT") = 1" "importing again updates by grant_id"
check "$(sql "SELECT amount FROM grants WHERE grant_id = 'EDP-1'") = 1200.0000000000" \
    "the amount was updated"
check "$(sql "SELECT COUNT(*) FROM grant_events WHERE kind = 'IMPORT' AND actor_id = 'tester'") = 8" \
    "every imported grant has an event with its actor"

# the Billing API's grants: one nobody entered, one with the id of an entered grant
sql "INSERT INTO credit_grants (credit_id, payer_account_id, account_id, credit_type, description,
     initial_amount, remaining_amount, currency, start_date, expiry_date, products, status)
     VALUES ('80000000004', '111111111111', '222222222222', 'Promotion', 'RDS promo', 8, 0, 'USD',
             '2026-11-01', '2027-01-31', 'AmazonRDS', 'ACTIVE'),
            ('MAP-1', '111111111111', '222222222222', 'Promotion', 'AWS text', 999, 0, 'USD',
             '2026-01-01', '2028-01-01', '', 'ACTIVE')"

run --json balance --as-of 2026-11-20
cp "$OUT" "$TMP/all.json"
check "$rc = 0" "balance --json"
# issue dates: usage on 1 Oct -> 30 Sep (100), 1 Nov -> 31 Oct (the two
# November lines of MAP are one credit of 65); MAP-1 (key 80000000001):
# 100 + 65 = 165 > 150
check "$(jget "$TMP/all.json" grants MAP-1 used) = 150.0000000000" "MAP-1 is used up to its amount"
check "$(jget "$TMP/all.json" grants MAP-1 status) = EXHAUSTED" "MAP-1 is EXHAUSTED"
check "$(jget "$TMP/all.json" grants MAP-1 amount) = 150.0000000000" \
    "an entered grant wins over the Billing API's with the same id"
# PROMO-1 (blank key, S3 and EC2): 30.05 of S3, then the 15 EC2 MAP-1 left over
check "$(jget "$TMP/all.json" grants PROMO-1 used) = 45.0500000000" \
    "the blank-key grant takes what the key's grant left, to the cent"
check "$(jget "$TMP/all.json" grants PROMO-1 remaining) = 54.9500000000" "PROMO-1 remaining"
check "$(jget "$TMP/all.json" grants PROMO-1 status) = ACTIVE" "PROMO-1 is ACTIVE (ends in 41 days, expiring_days 30)"
check "$(jget "$TMP/all.json" grants 80000000004 source) = billing" "a Billing API grant is listed"
check "$(jget "$TMP/all.json" grants 80000000004 used) = 8.0000000000" \
    "the Billing API grant is drawn by its credit id"
check "$(jget "$TMP/all.json" grants OWN-1 used) = 1.9900000000" "OWN-1 takes the RDS rest"
check "$(jget "$TMP/all.json" grants EDP-1 status) = EXPIRING" "EDP-1 ends within 30 days: EXPIRING"
check "$(jget "$TMP/all.json" grants EDP-1 used) = 70.0000000000" "EDP-1 used in EUR"

# the use per issue month (a burn-down's data): MAP-1's credit of usage on
# 1 October counts in September, the one of usage on 1 November in October;
# every grant's months sum exactly to its used
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=[x for x in d["grants"] if x["grant_id"]=="MAP-1"][0]; print(";".join(m["month"]+"="+m["used"] for m in g["months"]))' "$TMP/all.json") = 2026-09=100.0000000000;2026-10=50.0000000000" \
    "MAP-1's months: 100 issued in September, 50 in October"
check "$(python3 -c '
import json, sys
from decimal import Decimal
d = json.load(open(sys.argv[1]))
print(all(sum((Decimal(m["used"]) for m in g["months"]), Decimal(0)) == Decimal(g["used"])
          and [m["month"] for m in g["months"]] == sorted({m["month"] for m in g["months"]})
          for g in d["grants"]))' "$TMP/all.json") = True" \
    "every grant's months are in order, once each, and sum to its used"

# roll-ups: own + children == node, exactly, per currency
check "$(jget "$TMP/all.json" nodes PR1 amount) = 150.0000000000" "PR1 = its grant"
check "$(jget "$TMP/all.json" nodes P1 used) = 197.0400000000" "P1 = PR1 + PR2 + its own grant (used)"
check "$(jget "$TMP/all.json" nodes P1 amount) = 255.0000000000" "P1 amount = 150 + 100 + 5"
check "$(jget "$TMP/all.json" nodes D1 remaining) = $(jget "$TMP/all.json" nodes P1 remaining)" \
    "D1 = P1 (no grant of its own)"
check "$(jget "$TMP/all.json" nodes BU amount USD) = 255.0000000000" "BU in USD"
check "$(jget "$TMP/all.json" nodes BU amount EUR) = 1200.0000000000" "BU in EUR, apart"
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len([n for n in d["nodes"] if n["node_id"]=="OTHER"]))' "$TMP/all.json") = 0" \
    "a root without grants has no figures"

run --json balance --as-of 2026-11-20 --node P1
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(sorted(g["grant_id"] for g in d["grants"])), ",".join(sorted(n["node_id"] for n in d["nodes"])))' "$OUT" | tr ' ' '/') = MAP-1,OWN-1,PROMO-1/P1,PR1,PR2" \
    "--node shows the subtree's grants and nodes"
run --json balance --as-of 2026-11-20 --level Department
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(n["node_id"]+":"+n["currency"] for n in d["nodes"]))' "$OUT") = D1:USD,D2:EUR" \
    "--level shows one level"
run balance --as-of 2026-11-20 --node NOPE
check "$rc = 66" "--node of no node: not found"

check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(";".join(u["account_id"]+","+u["credit_key"]+","+u["currency"]+","+u["amount"] for u in d["unmatched"]))' "$TMP/all.json") = 222222222222,80000000005,USD,3.0000000000" \
    "what no grant covers is unmatched, per account and key"

# periods by issue date: usage on 1 November was issued on 31 October and
# counts in October; usage on 1 October counts in September
run --json balance --as-of 2026-11-20 --period 2026-10
check "$(jget "$OUT" grants MAP-1 used) = 50.0000000000" "October: MAP-1 used 50 (the credit issued 31 Oct)"
check "$(jget "$OUT" grants MAP-1 remaining) = 0.0000000000" "remaining after October"
check "$(jget "$OUT" grants PROMO-1 used) = 45.0500000000" "October: PROMO-1"
check "$(jget "$OUT" grants 80000000004 used) = 0.0000000000" "October: nothing of November"
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(m["month"] for m in [x for x in d["grants"] if x["grant_id"]=="MAP-1"][0]["months"]))' "$OUT") = 2026-10" \
    "--period: only the months of the period"
run --json balance --as-of 2026-11-20 --period 2026-09
check "$(jget "$OUT" grants MAP-1 used) = 100.0000000000" "September: the credit of usage on 1 October"
run --json balance --as-of 2026-11-20 --from 2026-11 --to 2026-11
check "$(jget "$OUT" grants 80000000004 used) = 8.0000000000" "--from/--to: November"
run balance --period 2026-13
check "$rc = 64" "a malformed period is a usage error"

# policy aws: the closest end date first -- PROMO-1 (Dec) before MAP-1 is
# not a choice (different keys); show the order between PROMO-1 and OWN-1
run --json balance --as-of 2026-11-20 --policy aws
check "$(jget "$OUT" grants PROMO-1 used) = 45.0500000000" "--policy aws"
check "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["policy"])' "$OUT") = aws" \
    "the policy is reported"

# grant set, with its event; a Billing API grant becomes entered
run grant set PROMO-1 --end-date 2026-12-10 --reference "promo, extended" --node PR1
check "$rc = 0" "grant set"
check "$(sql "SELECT CONCAT(end_date, '/', node_id) FROM grants WHERE grant_id = 'PROMO-1'") = 2026-12-10/PR1" \
    "grant set changed the end date and node"
check "$(sql "SELECT COUNT(*) FROM grant_events WHERE grant_id = 'PROMO-1' AND kind = 'SET'") = 1" \
    "grant set is an event"
run grant set 80000000004 --amount 12.5
check "$rc = 0" "grant set on a Billing API grant"
check "$(sql "SELECT amount FROM grants WHERE grant_id = '80000000004'") = 12.5000000000" \
    "it is entered now, with the new amount"
run grant set NOPE --amount 1
check "$rc = 66" "grant set of no grant: not found"
run grant set MAP-1 --amount -1
check "$rc = 64" "grant set --amount must be positive"
run grant set MAP-1 --node NOPE
check "$rc = 64" "grant set --node must name a node"

# expiring: forecast_unused from the last three whole months' use
run --json expiring --as-of 2026-11-20 --within 30
check "$rc = 0" "expiring --json"
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(g["grant_id"] for g in d["grants"]))' "$OUT") = EDP-1,PROMO-1" \
    "expiring lists the grants ending within 30 days with something left"
# EDP-1: 1130 left; 70 used in Aug-Oct -> 23.33.. a month; 0 whole months left
check "$(jget "$OUT" grants EDP-1 forecast_unused) = 1130.0000000000" "forecast_unused with no whole month left"
run expiring --as-of 2026-11-20 --within 30 --fail-if-any
check "$rc = 1" "--fail-if-any exits 1 when the list is not empty"
run expiring --as-of 2026-11-20 --within 5 --fail-if-any
check "$rc = 0" "--fail-if-any exits 0 when it is empty"
run --json expiring --as-of 2026-11-01 --within 60
check "$(jget "$OUT" grants EDP-1 forecast_unused) = 1106.6666666667" \
    "forecast_unused = remaining - mean monthly use x whole months left (1130 - 70/3)"

# scope: a reseller sees its customers' accounts only, and changes nothing
run --as reseller:R-2:bob --json balance --as-of 2026-11-20
check "$rc = 0" "a reseller may see balance"
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(g["grant_id"] for g in d["grants"]), len(d["unmatched"]))' "$OUT" | tr ' ' '/') = EDP-1/0" \
    "... only the grants of its customers' accounts"
run --as reseller:R-2:bob grants import "$TMP/grants.csv"
check "$rc = 77" "a reseller may not import grants"
run --as viewer:v grant set EDP-1 --amount 1
check "$rc = 77" "a viewer may not set a grant"
run --as reseller:R-2:bob hierarchy import "$TMP/hierarchy.csv"
check "$rc = 77" "a reseller may not import the hierarchy"

# a hierarchy that drops a node a grant is allocated to is refused
printf 'node_id,parent_id,name,level\nBU,,B,BU\n' > "$TMP/small.csv"
run hierarchy import "$TMP/small.csv"
check "$rc = 65" "hierarchy import refuses to drop a node a grant is allocated to"
check "$(grep -c 'is allocated to node' "$ERR") = 1" "... and says which grant"
check "$(sql "SELECT COUNT(*) FROM hierarchy_nodes") = 7" "... and writes nothing"

# show: which grants a credit draws from, how much, and what none covers
NOV=$("$HOST" --config "$TMP/awscredit.ini" --json list --period 2026-11 --description MAP |
      sed -n 's/.*"credit_id": "\(AWSC-[0-9-]*\)".*/\1/p' | head -n 1)
run --json show "$NOV"
check "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(g["grant_id"]+":"+g["amount"] for g in d["drawn_from"]), d["unmatched"])' "$OUT" | tr ' ' '/') = MAP-1:50.0000000000,PROMO-1:15.0000000000/0.0000000000" \
    "show: the November MAP credit draws 50 from MAP-1 and 15 from PROMO-1"
run show "$(credit_id Lambda)"
check "$(grep -c '^Unmatched     3.0000000000 USD: no grant covers it' "$OUT") = 1" \
    "show: a credit no grant covers says so"

# text output
run balance --as-of 2026-11-20
check "$(grep -c '^MAP-1 .*EXHAUSTED' "$OUT") = 1" "balance as text shows the status"

tap_done
