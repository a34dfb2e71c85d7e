# fixture.sh -- sourced by the API and browser tests after tap_db: a small
# distributor (two resellers, three customers), rules, credits of two
# periods (2026-09 invoiced, so PROCESSING; 2026-10 assigned), and users:
#   dana  distributor            (password dana-password-1)
#   nora  reseller:R-1           (password nora-password-1)
#   sam   reseller:R-2           (password sam-password-12)
#   vic   viewer                 (password vic-password-12)
# TOKEN is an API token of dana's, VTOKEN one of vic's.
mkdir -p "$TMP/spool"
{ db_ini "$DB"
  printf '[assign]\ndefault = customer:100\n'
  printf '[invoicing]\nadapter = spool\nspool_dir = %s\nitem_mpn = AWS-CREDIT\n' "$TMP/spool"
} > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'CSV'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme Corp,North Partners,2026-01-01,
444444444444,C-3,AS-3,R-1,Gamma Ltd,North Partners,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta GmbH,South Services,2026-01-01,
CSV
cat > "$TMP/rules.xml" <<'XML'
<rules xmlns="urn:awscredit:rules:1">
  <rule id="R-MAP" name="MAP 80/15, 5 % retained" created="2026-01-01T00:00:00Z">
    <description match="contains">MAP</description>
    <split customer="80" reseller="15"/>
  </rule>
</rules>
XML
HEAD=identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
{ echo "$HEAD"
  echo '1,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-100,"MAP migration, credit id: 80000000001",AWS,AWS Inc,'
  echo '2,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonS3,USD,-20.5,"Promotional credit 50% off, credit id: 80000000002",AWS,AWS Inc,'
  echo '3,2026-10-01T00:00:00Z,111111111111,333333333333,Credit,2026-10-03T00:00:00Z,AmazonEC2,EUR,-300,"MAP South, credit id: 80000000003",AWS,AWS Inc,'
  echo '4,2026-10-01T00:00:00Z,111111111111,444444444444,Credit,2026-10-03T00:00:00Z,AmazonEC2,JPY,-1001,"SLA credit yen, credit id: 80000000004",AWS,AWS Inc,'
  echo '5,2026-10-01T00:00:00Z,111111111111,555555555555,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-7,"Nobody owns this, credit id: 80000000005",AWS,AWS Inc,'
} > "$TMP/cur10.csv"
{ echo "$HEAD"
  echo '9,2026-09-01T00:00:00Z,111111111111,222222222222,Credit,2026-09-03T00:00:00Z,AmazonEC2,USD,-50,"MAP September, credit id: 80000000009",AWS,AWS Inc,'
} > "$TMP/cur09.csv"

run migrate && run accounts import "$TMP/accounts.csv" && run rules import "$TMP/rules.xml" &&
    run pull --period 2026-09 --path "$TMP/cur09.csv" && run assign --period 2026-09 &&
    run invoice --period 2026-09 &&
    run pull --period 2026-10 --path "$TMP/cur10.csv" && run assign --period 2026-10
check "$rc = 0" "set up: credits of 2026-09 invoiced, of 2026-10 assigned"
for u in "dana distributor dana-password-1" "nora reseller:R-1 nora-password-1" \
         "sam reseller:R-2 sam-password-12" "vic viewer vic-password-12"; do
    set -- $u
    printf '%s\n' "$3" | "$HOST" --config "$TMP/awscredit.ini" user add "$1" --role "$2" \
        --password-stdin >/dev/null 2>"$ERR" || fail "user add $1"
done
TOKEN=$("$HOST" --config "$TMP/awscredit.ini" user token dana --label tests | sed -n 1p)
VTOKEN=$("$HOST" --config "$TMP/awscredit.ini" user token vic --label tests | sed -n 1p)
check "${#TOKEN} = 85 -a ${#VTOKEN} = 85" "set up: four users and two API tokens"
