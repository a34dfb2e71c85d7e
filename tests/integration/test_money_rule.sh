#!/bin/sh
# test_money_rule.sh -- who may move which money (SPEC 7), through the
# command line: a reseller admin redistributes only what the assignment
# gives its reseller and customers; the retained share and every named
# party's share stay exact, and only a distributor adds, removes or changes
# a named party.  A refused edit changes nothing.  Prints "ok N - ..."
# lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db money_rule
R1="--as reseller:R-1:alice"
# the split lines of the credit whose key is $1: target:amount_minor,...
lines() {
    sql "SELECT GROUP_CONCAT(CONCAT(IF(s.target = 'party', s.party_id, s.target), ':',
                                    s.amount_minor) ORDER BY s.line_no)
         FROM credit_splits s JOIN credits c ON c.seq = s.seq WHERE c.credit_key = '$1'"
}

{ db_ini "$DB"; printf '[assign]\ndefault = customer:100\n'; } > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'CSV'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
CSV
cat > "$TMP/rules.xml" <<'XML'
<rules xmlns="urn:awscredit:rules:1">
  <rule id="R-MAP" name="MAP 80/15, 5 % retained" created="2026-01-01T00:00:00Z">
    <description match="contains">MAP</description>
    <split customer="80" reseller="15"/>
  </rule>
  <rule id="R-FUND" name="a marketing fund takes 10 %" created="2026-01-01T00:00:00Z">
    <description match="contains">Fund</description>
    <split customer="70" reseller="15">
      <party id="MKT-FUND" percent="10"/>
    </split>
  </rule>
</rules>
XML
HEAD=identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
{ echo "$HEAD"
  echo '1,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-100,"MAP migration, credit id: 80000000001",AWS,AWS Inc,'
  echo '2,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonEC2,USD,-200,"Fund promo, credit id: 80000000002",AWS,AWS Inc,'
  echo '3,2026-10-01T00:00:00Z,111111111111,222222222222,Credit,2026-10-03T00:00:00Z,AmazonEC2,JPY,-1001,"MAP yen, credit id: 80000000003",AWS,AWS Inc,'
} > "$TMP/cur.csv"

run migrate && run accounts import "$TMP/accounts.csv" && run rules import "$TMP/rules.xml" &&
    run pull --period 2026-10 --path "$TMP/cur.csv" && run assign --period 2026-10
check "$rc = 0" "set up: three credits assigned by rule"
MAP=$(credit_id 80000000001)
FUND=$(credit_id 80000000002)
YEN=$(credit_id 80000000003)
check "$(lines 80000000001) = customer:-8000,reseller:-1500,retained:-500" "MAP is split 80/15, 5 % retained"

# the case of the issue: reseller:100 took the distributor's 5 %
V=$(sql "SELECT version FROM credits WHERE credit_key = '80000000001'")
run $R1 edit "$MAP" --split reseller:100
check "$rc = 77" "a reseller's reseller:100 on an 80/15 credit is refused as forbidden"
grep -q "the customer and the reseller share 95 %" "$ERR"
check "$? = 0" "the refusal says what they may share"
check "$(lines 80000000001) = customer:-8000,reseller:-1500,retained:-500" "and nothing changed"
check "$(sql "SELECT version FROM credits WHERE credit_key = '80000000001'") = $V" "not even the version"
run $R1 edit "$MAP" --amounts customer:-50.00,reseller:-50.00
check "$rc = 77" "amounts that take the retained share are refused too"
run $R1 edit "$MAP" --split customer:60,reseller:35 --note "per contract"
check "$rc = 0" "a reseller redistributes the 95 % between its customer and itself"
check "$(lines 80000000001) = customer:-6000,reseller:-3500,retained:-500" "the retained 5 % stays exact"
run $R1 edit "$MAP" --amounts customer:-94.99,reseller:-0.01
check "$rc = 0" "or by amounts that add up to the same"
check "$(lines 80000000001) = customer:-9499,reseller:-1,retained:-500" "the retained 5 % stays exact"

# named parties: kept exactly; only a distributor adds or changes one
check "$(lines 80000000002) = customer:-14000,reseller:-3000,MKT-FUND:-2000,retained:-1000" \
    "the fund credit has a named party"
run $R1 edit "$FUND" --split customer:85
check "$rc = 0" "a reseller moves its own share to the customer"
check "$(lines 80000000002) = customer:-17000,MKT-FUND:-2000,retained:-1000" \
    "the party's and the retained shares stay exact"
run $R1 edit "$FUND" --split customer:75,party:MKT-FUND:20
check "$rc = 77" "a reseller may not change a named party's share"
run $R1 edit "$FUND" --split customer:75,reseller:5,party:C-2:5
check "$rc = 77" "a reseller may not add a named party (here another reseller's customer)"
grep -q "only a distributor adds, removes or changes a named party" "$ERR"
check "$? = 0" "the refusal says why"
check "$(lines 80000000002) = customer:-17000,MKT-FUND:-2000,retained:-1000" "nothing changed"

# JPY: exact to the yen
YL=$(lines 80000000003)
run $R1 edit "$YEN" --split customer:33.33,reseller:61.67
check "$rc = 0" "a JPY credit is redistributed"
check "$(sql "SELECT SUM(s.amount_minor) FROM credit_splits s JOIN credits c ON c.seq = s.seq
              WHERE c.credit_key = '80000000003'") = -1001" "its lines add up to the yen"
check "$(lines 80000000003 | sed 's/.*retained:/retained:/') = $(echo "$YL" | sed 's/.*retained:/retained:/')" \
    "and the retained yen stay"

# a pending credit: what its rule would give
run unassign "$MAP"
check "$rc = 0" "the distributor unassigns the MAP credit"
run $R1 edit "$MAP" --split customer:100
check "$rc = 77" "a reseller's customer:100 on a pending credit whose rule retains 5 % is refused"
run $R1 edit "$MAP" --split customer:95
check "$rc = 0" "customer:95 is what the rule lets it redistribute"
check "$(lines 80000000001) = customer:-9500,retained:-500" "the rule's retained share is kept"

# unassigning and assigning again must not undo a distributor's decision
run edit "$MAP" --split customer:50,party:AUDIT:10
check "$rc = 0" "a distributor gives 10 % to a party and retains 40 %"
run $R1 unassign "$MAP"
check "$rc = 77" "a reseller may not unassign a credit whose shares differ from its rule's"
grep -q "only a distributor unassigns it" "$ERR"
check "$? = 0" "the refusal says why"
check "$(lines 80000000001) = customer:-5000,AUDIT:-1000,retained:-4000" "nothing changed"
run edit "$MAP" --split customer:90,reseller:5
check "$rc = 0" "the distributor puts the rule's shares back"
run $R1 unassign "$MAP"
check "$rc = 0" "a reseller may unassign a credit that its rule would assign alike"

# a pending credit moved to an account whose rule gives a party a share
cat >> "$TMP/accounts.csv" <<'CSV'
444444444444,C-3,AS-3,R-1,Gamma,North,2026-01-01,
CSV
cat > "$TMP/rules2.xml" <<'XML'
<rules xmlns="urn:awscredit:rules:1">
  <rule id="R-MAP" name="MAP 80/15, 5 % retained" created="2026-01-01T00:00:00Z">
    <description match="contains">MAP</description>
    <split customer="80" reseller="15"/>
  </rule>
  <rule id="R-C3" name="C-3's MAP credits feed a fund" created="2026-02-01T00:00:00Z">
    <description match="contains">MAP</description>
    <customers mode="only">C-3</customers>
    <split customer="45">
      <party id="P-C3" percent="50"/>
    </split>
  </rule>
</rules>
XML
run accounts import "$TMP/accounts.csv" && run rules import "$TMP/rules2.xml"
check "$rc = 0" "a third account, of C-3, whose MAP rule gives a party 50 %"
run $R1 edit "$MAP" --account 444444444444 --split customer:95
check "$rc = 77" "a reseller may not move a pending credit where the rules give the party money"
grep -q "another share for account 444444444444" "$ERR"
check "$? = 0" "the refusal names the account"
check "$(sql "SELECT status FROM credits WHERE credit_key = '80000000001'") = PENDING_ASSIGN" \
    "the credit stays pending"
run $R1 edit "$MAP"  --account 222222222222
check "$rc = 0" "--account alone on a pending credit takes the split of its rule"
check "$(lines 80000000001) = customer:-8000,reseller:-1500,retained:-500" "(80/15, 5 % retained)"

# the distributor may change every share
run edit "$MAP" --split reseller:100 --note "distributor decision"
check "$rc = 0" "a distributor may give everything to the reseller"
check "$(lines 80000000001) = reseller:-10000,retained:0" "and nothing is retained"
run edit "$FUND" --split customer:80,reseller:20
check "$rc = 0" "a distributor may remove a named party"

# a split by amounts stays as it is when the credit moves to another account
echo '555555555555,C-4,AS-4,R-1,Delta,North,2026-01-01,' >> "$TMP/accounts.csv"
run accounts import "$TMP/accounts.csv"
run edit "$MAP" --amounts customer:-90.00,reseller:-5.00
check "$(lines 80000000001) = customer:-9000,reseller:-500,retained:-500" \
    "set up: the MAP credit split by amounts, 5.00 retained"
run edit "$MAP" --account 555555555555
check "$rc = 0" "a distributor moves it to another account of the same reseller"
check "$(lines 80000000001) = customer:-9000,reseller:-500,retained:-500" \
    "and the amounts stay as they were (not the default's customer:100)"
run $R1 edit "$MAP" --account 222222222222
check "$rc = 0" "a reseller moves it back with --account alone"
check "$(lines 80000000001) = customer:-9000,reseller:-500,retained:-500" "amounts kept again"

tap_done
