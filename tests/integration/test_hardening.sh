#!/bin/sh
# test_hardening.sh -- regressions of the hardening round: sums exact for
# any number of credits, the amount range's edge refused at the row, a
# credit that cannot be assigned held (never blocking the month) and
# resolved by `currency set` or `exclude`, reconcile going on past a bad
# answer, regexes that would not stay bounded refused, control characters
# escaped on the terminal, the lossless CSV guard, and a note alone
# changing nothing else.  Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db hardening

mkdir -p "$TMP/spool"
{ db_ini "$DB"; cat <<EOF
[assign]
default = customer:100
[invoicing]
adapter = spool
spool_dir = $TMP/spool
EOF
} > "$TMP/awscredit.ini"
cat > "$TMP/accounts.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme,North,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta,South,2026-01-01,
EOF
HEAD=identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id
# row N PERIOD ACCOUNT CURRENCY AMOUNT DESCRIPTION
row() { printf '%s,%s-01T00:00:00Z,111111111111,%s,Credit,%s-03T00:00:00Z,AmazonEC2,%s,%s,"%s",AWS,AWS Inc,\n' "$1" "$2" "$3" "$2" "$4" "$5" "$6"; }

run migrate
check "$rc = 0" "migrate"
run accounts import "$TMP/accounts.csv"
check "$rc = 0" "accounts import"

# ---- 1. sums exact for any number of credits ---------------------------------
{ echo "$HEAD"
  row 1 2026-08 222222222222 JPY -400000000 "Yen promo, credit id: 50000000001"
  row 2 2026-08 222222222222 JPY -400000000 "Yen promo, credit id: 50000000002"
  row 3 2026-08 222222222222 JPY -400000000 "Yen promo, credit id: 50000000003"
} > "$TMP/jpy.csv"
run pull --period 2026-08 --path "$TMP/jpy.csv"
check "$rc = 0" "three JPY credits of -400000000 pull"
grep -q "total JPY -1200000000.0000000000" "$OUT"
check "$? = 0" "the pull summary totals -1200000000 JPY (not -800000000)"
check "$(sql "SELECT SUM(amount) FROM credits WHERE period = '2026-08'") = -1200000000.0000000000" \
    "the database agrees"
run --json pull --period 2026-08 --path "$TMP/jpy.csv"
tr -d ' \n' < "$OUT" | grep -q '{"currency":"JPY","amount":"-1200000000.0000000000"}' 
check "$? = 0" "the JSON summary of a re-pull totals the same"
run assign --period 2026-08
grep -q "JPY: 3 credits, assigned -1200000000, retained 0" "$OUT"
check "$? = 0" "the assign summary totals -1200000000 JPY"
run list --period 2026-08
grep -q "total JPY -1200000000" "$OUT"
check "$? = 0" "the list totals -1200000000 JPY"

# ---- 2. the range edge ------------------------------------------------------------------
{ echo "$HEAD"
  row 1 2026-07 222222222222 USD -922337203.6854775807 "Largest, credit id: 50000000011"
  row 2 2026-07 222222222222 USD -1 "Small, credit id: 50000000012"
} > "$TMP/edge-ok.csv"
{ echo "$HEAD"
  row 1 2026-07 222222222222 USD -1 "Small, credit id: 50000000012"
  row 2 2026-07 222222222222 USD -922337203.6854775808 "One past, credit id: 50000000013"
} > "$TMP/edge-bad.csv"
run pull --period 2026-07 --path "$TMP/edge-bad.csv"
check "$rc = 65" "an amount one unit past the range fails the pull (max_bad_rows 0)"
grep -q "edge-bad.csv:3: line_item_unblended_cost: amount out of range" "$ERR"
check "$? = 0" "the refusal names file, line and column: amount out of range"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period = '2026-07'") = 0" "nothing was written"
run pull --period 2026-07 --path "$TMP/edge-ok.csv"
check "$rc = 0" "the largest amount itself pulls"
run --json pull --period 2026-07 --path "$TMP/edge-ok.csv"
check "$rc = 0" "a re-pull of the same file succeeds"
grep -q '"unchanged": 2' "$OUT" && grep -q '"new": 0' "$OUT"
check "$? = 0" "and behaves like the first pull: every credit unchanged"

# ---- 3. a credit that cannot be assigned is held, never blocks ------------------
{ echo "$HEAD"
  row 1 2026-09 222222222222 USD -10 "Promo, credit id: 60000000001"
  row 2 2026-09 222222222222 XAU -2.5 "Gold, credit id: 60000000002"
  row 3 2026-09 333333333333 XTS -1 "Testing code, credit id: 60000000003"
  row 4 2026-09 333333333333 USD -30 "Promo, credit id: 60000000004"
  row 5 2026-09 222222222222 XXX -7 "No currency, credit id: 60000000005"
} > "$TMP/held.csv"
run pull --period 2026-09 --path "$TMP/held.csv"
check "$rc = 0" "credits in XAU, XTS and XXX pull"
run --json assign --period 2026-09
check "$rc = 0" "assign succeeds although three credits cannot be assigned"
grep -q '"by_default": 2' "$OUT" && grep -q '"held_new": 3' "$OUT" && grep -q '"held": 3' "$OUT"
check "$? = 0" "the others are assigned; three held, counted in the summary"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period = '2026-09' AND status = 'ASSIGNED'") = 2" \
    "both USD credits are ASSIGNED"
run list --held
check "$(grep -c '^AWSC-' "$OUT") = 3" "list --held lists the three"
XAU=$(credit_id 60000000002)
XTS=$(credit_id 60000000003)
XXX=$(credit_id 60000000005)
run show "$XAU"
grep -q "held: it cannot be assigned" "$OUT" && grep -q "currency XAU has no minor unit" "$OUT"
check "$? = 0" "show says it is held, and why (in its history)"
run --as reseller:R-2:ann list --held
check "$(grep -c '^AWSC-' "$OUT") = 1" "a reseller sees only its own held credit"
EVENTS=$(sql "SELECT COUNT(*) FROM credit_events")
run --json assign --period 2026-09
grep -q '"held_new": 0' "$OUT" && grep -q '"held": 3' "$OUT"
check "$? = 0" "a second assign counts them still held"
check "$(sql "SELECT COUNT(*) FROM credit_events") = $EVENTS" "and writes no event"
run edit "$XAU" --split customer:100
check "$rc = 65" "edit of a held credit is refused with the reason"
grep -q "currency XAU has no minor unit" "$ERR"
check "$? = 0" "the refusal says why"

# resolved: a minor unit for XAU
run --as reseller:R-1:ann currency set XAU --exponent 2 --reason "contract"
check "$rc = 77" "a reseller may not set a currency's minor unit"
run currency set XAU --exponent 2
check "$rc = 64" "currency set needs --reason"
run currency set USD --exponent 3 --reason "no"
check "$rc = 65" "an ISO 4217 currency keeps its minor unit"
run currency set XAU --exponent 2 --reason "priced in centi-ounces by contract"
check "$rc = 0" "a distributor sets XAU's minor unit"
check "$(sql "SELECT CONCAT(code, exponent, actor_role) FROM currency_units") = XAU2distributor" \
    "the decision is recorded with its actor"
run currency set XAU --exponent 3 --reason "changed my mind"
check "$rc = 65" "a minor unit is set once"
sql "UPDATE currency_units SET exponent = 3" >/dev/null 2>&1
check "$? -ne 0" "currency_units is append-only"
sql "INSERT INTO currency_units (code, exponent, reason, actor_role, actor_id)
     VALUES ('XAU', 3, 'another host at the same time', 'distributor', 'bob')" >/dev/null 2>&1
check "$? -ne 0" "the database holds one minor unit per code (two hosts cannot both set one)"

# resolved: XTS excluded
run --as reseller:R-2:ann exclude "$XTS" --reason "test"
check "$rc = 77" "a reseller may not exclude a credit"
run exclude "$XTS"
check "$rc = 64" "exclude needs --reason"
run exclude "$XTS" --reason "ISO test code, not billable"
check "$rc = 0" "a distributor excludes the XTS credit"
run exclude "$XTS" --reason "again"
check "$rc = 65" "excluding twice is refused"
run --json assign --period 2026-09
grep -q '"by_default": 1' "$OUT" && grep -q '"held": 1' "$OUT" && grep -q '"excluded": 1' "$OUT"
check "$? = 0" "assign: XAU assigned now, XXX still held, XTS excluded and left alone"
check "$(sql "SELECT status FROM credits WHERE currency = 'XAU'") = ASSIGNED" "the XAU credit is ASSIGNED"
run list --excluded
check "$(grep -c '^AWSC-' "$OUT") = 1" "list --excluded lists it"
run edit "$XTS" --split customer:100
check "$rc = 65" "an excluded credit cannot be edited"
run show "$XTS"
grep -q "excluded by a distributor" "$OUT" && grep -q "ISO test code, not billable" "$OUT"
check "$? = 0" "show says it is excluded, and why"

# invoice: the XAU credit goes out in its minor unit; the excluded one does not
run invoice --period 2026-09
check "$rc = 0" "invoice the period"
grep -h -q ',-2.50,1,.*,XAU' "$TMP"/spool/outbox/*.csv
check "$? = 0" "the XAU record is -2.50 in its minor unit"
check "$(sql "SELECT status FROM credits WHERE currency = 'XTS'") = PENDING_ASSIGN" \
    "the excluded credit stays PENDING_ASSIGN, not invoiced"
run include "$XTS" --reason "billable after all"
check "$rc = 0" "include puts it back"
check "$(sql "SELECT a.unmapped FROM credits c JOIN assignments a ON a.id = c.assignment_id
              WHERE c.currency = 'XTS'") = 0" "no longer flagged"

# reconcile: one malformed answer does not stop the others
set -- "$TMP"/spool/outbox/UF-*.csv
check "$# = 3" "three usage files (R-1 USD, R-2 USD, R-1 XAU)"
F1=$(basename "$1" .csv) F2=$(basename "$2" .csv) F3=$(basename "$3" .csv)
printf 'closed\n' > "$TMP/spool/acks/$F1.status"
printf 'what is this\n' > "$TMP/spool/acks/$F2.status"
printf 'closed\n' > "$TMP/spool/acks/$F3.status"
run reconcile
check "$rc = 65" "reconcile reports the file it could not settle"
grep -q "1 usage file could not be settled" "$ERR" && grep -q "2 closed" "$ERR"
check "$? = 0" "and settled the two others"
check "$(sql "SELECT COUNT(*) FROM credits WHERE status = 'PROCESSED'") -ge 2" \
    "their credits are PROCESSED"

# ---- 4. regexes whose matching is not bounded are refused ---------------------
cat > "$TMP/rules.xml" <<'EOF'
<rules xmlns="urn:awscredit:rules:1">
  <rule id="R-BACKREF" name="backreferences" created="2026-01-01T00:00:00Z">
    <description match="regex">(.*)(.*)(.*)(.*)\4\3\2\1(#|~)</description>
    <split customer="100"/>
  </rule>
</rules>
EOF
run rules validate "$TMP/rules.xml"
check "$rc = 65" "a regex with backreferences does not validate"
grep -q "rules.xml:3: .*backreference" "$ERR"
check "$? = 0" "the refusal names the line"
sed 's|(.*)(.*)(.*)(.*)\\4\\3\\2\\1(#\|~)|((a{1,100}){1,100})b|' "$TMP/rules.xml" > "$TMP/nested.xml"
run rules import "$TMP/nested.xml"
check "$rc = 65" "nested bounds past 256 positions do not import"

# ---- 8. control characters never reach the terminal raw ----------------------
{ echo "$HEAD"
  printf '1,2026-06-01T00:00:00Z,111111111111,222222222222,Credit,2026-06-03T00:00:00Z,AmazonEC2,USD,-1,"Bell\a and \033[2J clear, credit id: 70000000001",AWS,AWS Inc,\n'
  row 2 2026-06 222222222222 USD -2 "'=1+1 starts with an apostrophe, credit id: 70000000002"
  printf '3,2026-06-01T00:00:00Z,111111111111,222222222222,Credit,2026-06-03T00:00:00Z,AmazonEC2,USD,-3,"C1 \302\2332J csi, credit id: 70000000003",AWS,AWS Inc,\n'
} > "$TMP/ctl.csv"
run pull --period 2026-06 --path "$TMP/ctl.csv"
check "$rc = 0" "a description with BEL and ESC pulls"
CTL=$(credit_id 70000000001)
run show "$CTL"
check "$(tr -d '\n\t' < "$OUT" | LC_ALL=C tr -d '\040-\176' | wc -c) = 0" \
    "show writes no control character"
grep -q 'Bell\\x07 and \\x1b\[2J clear' "$OUT"
check "$? = 0" "show writes them as visible escapes"
run list --period 2026-06
check "$(tr -d '\n\t' < "$OUT" | LC_ALL=C tr -d '\040-\176' | wc -c) = 0" \
    "list writes no control character (C0 or C1)"
run show "$(credit_id 70000000003)"
grep -q 'C1 \\u009b2J csi' "$OUT"
check "$? = 0" "show writes a C1 CSI as \\u009b"
# data written to a terminal (here a pseudo-terminal from script(1)) is
# escaped; to a file it stays exact
script -qec "'$HOST' --config '$TMP/awscredit.ini' export --period 2026-06" /dev/null \
    > "$TMP/tty.out" 2>&1 </dev/null
check "$(LC_ALL=C grep -c "$(printf '\033')" "$TMP/tty.out") = 0" \
    "export to a terminal writes no ESC"
grep -q 'Bell\\x07 and \\x1b\[2J clear' "$TMP/tty.out"
check "$? = 0" "export to a terminal shows them as escapes"
run export --period 2026-06 -o "$TMP/ctl-export.csv"
check "$(LC_ALL=C grep -c "$(printf '\033')" "$TMP/ctl-export.csv") = 1" \
    "export to a file keeps the bytes exactly"
run edit "$CTL" --note "$(printf 'see \033]0;title\007 this')"
run show "$CTL"
check "$(tr -d '\n\t' < "$OUT" | LC_ALL=C tr -d '\040-\176' | wc -c) = 0" \
    "a note with an OSC sequence is escaped too"

# ---- 9. the CSV guard is lossless ---------------------------------------------
run export --period 2026-06
grep -q ",\"''=1+1 starts with an apostrophe," "$OUT"
check "$? = 0" "a description that starts with '= is exported with one more apostrophe"

# ---- 13. a note alone changes nothing else ------------------------------------------
run assign --period 2026-06
NOTE=$(credit_id 70000000002)
RULE=$(sql "SELECT rule_id FROM credit_view WHERE credit_key = '70000000002'")
LINES=$(sql "SELECT GROUP_CONCAT(CONCAT(s.target, s.amount_minor)) FROM credit_splits s
             JOIN credits c ON c.seq = s.seq WHERE c.credit_key = '70000000002'")
run edit "$NOTE" --note "checked with finance"
check "$rc = 0" "edit --note alone is accepted"
grep -q "note added" "$OUT"
check "$? = 0" "and says nothing else changed"
check "$(sql "SELECT CONCAT(status, ',', rule_id) FROM credit_view
              WHERE credit_key = '70000000002'") = ASSIGNED,$RULE" \
    "the state and the rule that assigned it stay (rule $RULE, not manual)"
check "$(sql "SELECT kind FROM credit_events e JOIN credits c ON c.seq = e.seq
              WHERE c.credit_key = '70000000002' ORDER BY e.id DESC LIMIT 1") = note" \
    "the history has a note event"
check "$(sql "SELECT GROUP_CONCAT(CONCAT(s.target, s.amount_minor)) FROM credit_splits s
              JOIN credits c ON c.seq = s.seq WHERE c.credit_key = '70000000002'") = $LINES" \
    "the split is kept ($LINES)"

# ---- the money check covers lib/ and adapters/ ----------------------------------
mkdir -p "$TMP/tree/scripts" "$TMP/tree/module" "$TMP/tree/rules" "$TMP/tree/adapters" \
    "$TMP/tree/lib"
cp "$ROOT/scripts/check-money" "$TMP/tree/scripts/"
printf 'int ok;\n' > "$TMP/tree/module/a.c"
sh "$TMP/tree/scripts/check-money" >"$OUT" 2>"$ERR"
check "$? = 0" "check-money passes a tree without floating point"
for d in adapters lib; do
    printf 'static double x;\n' > "$TMP/tree/$d/reader.c"
    sh "$TMP/tree/scripts/check-money" >"$OUT" 2>"$ERR"
    rc=$?
    check "$rc -ne 0" "check-money fails on a double in $d/"
    grep -q "$d/reader.c:1" "$ERR"
    check "$? = 0" "and names $d/reader.c:1"
    rm -f "$TMP/tree/$d/reader.c"
done

tap_done
