#!/bin/sh
# test_doc_grants.sh -- the doc test of docs/ADMIN-GUIDE.md, chapter 9
# (grants, balances and the hierarchy): every file the chapter shows is
# written, every command it shows is run against a database holding the
# credits the chapter speaks of, and each must print exactly what the
# chapter says (tests/support/docrun.py).  Prints "ok N - ..." lines; exits
# 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.  AWC_DOC_FILL=1 rewrites the chapter with what the
# commands print (for its author; review the diff).
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db doc_grants

{ db_ini "$DB"; } > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'CSV'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
CSV
HEAD=identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
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
check "$rc = 0" "set up: the credits the chapter speaks of"

mode=check
[ -n "${AWC_DOC_FILL:-}" ] && mode=fill
python3 "$ROOT/tests/support/docrun.py" $mode "$ROOT/docs/ADMIN-GUIDE.md" \
    "## 9. Grants, balances and the hierarchy" "$TMP" "$HOST" "$TMP/awscredit.ini" |
    sed "s/^\(not \)\{0,1\}ok [0-9]*/&/" > "$TMP/doc.tap"
# renumber after this script's own checks
while IFS= read -r line; do
    case $line in
        "ok "*) pass "${line#ok * - }" ;;
        "not ok "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${line#not ok * - }" ;;
        *) echo "$line" ;;
    esac
done < "$TMP/doc.tap"
tap_done
