#!/bin/sh
# test_web.sh -- the web console (SPEC 15, docs/WEB.md) in a real headless
# Chromium driven by Selenium (tests/browser/web_test.py): sign in as a
# reseller admin, filter, edit a split, meet a stale version changed by a
# second session, download the CSV and compare it byte for byte with
# `export` for the same actor and filters, a description that looks like
# HTML shown as text, the edit dialog with the keyboard alone, no
# horizontal scrolling at 1280 pixels; the Balances tab as a distributor and
# as a reseller (its own customers' grants only), the hierarchy opened with
# the keyboard, a grant's burn-down chart.  Screenshots of the Credits,
# Periods and Balances tabs and the edit dialog go to
# $AWC_TEST_BUILD/screenshots/.  Prints "ok N - ..."
# lines; exits 1 on failure.
#
# Needs chromium, chromium-driver and python3-selenium (scripts/deps installs
# them); without them the test fails and says so.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
PY=/usr/bin/python3
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] ||
    ! "$PY" -c 'import selenium' 2>/dev/null; then
    fail "chromium, chromium-driver and python3-selenium are installed (run scripts/deps)"
    exit 1
fi
tap_db web

# docs/WEB.md: every awscredit command in its sh blocks is one the host has,
# with options its help lists; every [web] key it shows is a known key.
sed -n '/^```sh$/,/^```$/p' "$ROOT/docs/WEB.md" | sed -n 's/.*\(awscredit [^#]*\).*/\1/p' |
    sed 's/ *\\$//' > "$TMP/doc-commands"
check "$(wc -l < "$TMP/doc-commands") -ge 8" "docs/WEB.md shows the awscredit commands"
while read -r _ sub rest; do
    case $sub in user) set -- "$sub" "${rest%% *}" ;; *) set -- "$sub" ;; esac
    "$HOST" "$@" --help >"$OUT" 2>"$ERR" </dev/null
    rc=$?
    bad=""
    for opt in $(printf '%s\n' "$rest" | grep -o -- '--[a-z-]*'); do
        grep -q -- "$opt" "$OUT" || bad="$bad,$opt"
    done
    check "$rc = 0 -a ${bad:-none} = none" "docs/WEB.md: 'awscredit $* ...' exists with its options$bad"
done < "$TMP/doc-commands"
for key in $(sed -n '/^```ini$/,/^```$/p' "$ROOT/docs/WEB.md" |
             sed -n '/^\[web\]/,/^$/p' | sed -n 's/^\([a-z_]*\) = .*/\1/p' | sort -u); do
    grep -q "\"web\.$key\"" "$ROOT/module/config.c"
    check "$? = 0" "docs/WEB.md: web.$key is a configuration key"
done
SERVER=""
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; fi
      mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
      rm -rf "$TMP"' EXIT
PASSWORD='a long test password'

# A free port on the loopback: bound, read and let go.
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

{ db_ini "$DB"
  printf '[assign]\ndefault = customer:100\n'
  printf '[web]\nroot = %s/web\nthreads = 4\n' "$ROOT"
  printf '[invoicing]\nadapter = spool\nspool_dir = %s/spool\nitem_mpn = AWS-CREDIT\n' "$TMP"
} > "$TMP/awscredit.ini"
mkdir -p "$TMP/spool"

cat > "$TMP/accounts.csv" <<'CSV'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme Corporation,North Cloud Partners,2026-01-01,
222222222223,C-3,AS-3,R-1,Gamma Industries,North Cloud Partners,2026-01-01,
333333333333,C-2,AS-2,R-2,Beta Limited,South IT Services,2026-01-01,
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
LONG="Promotional credit with a description long enough to overflow any column of a table at twelve hundred and eighty pixels unless it is cut with an ellipsis and shown whole elsewhere"
{ echo "$HEAD"
  i=1
  for acct in 222222222222 222222222223 333333333333 444444444444; do
      for k in 1 2 3 4 5 6 7; do
          key=$((80000000000 + i))
          cur=USD
          case $k in
              1|2|3) desc="MAP migration $k, credit id: $key" ;;
              4) desc="$LONG, credit id: $key" ;;
              5) cur=EUR; desc="EDP discount, credit id: $key" ;;
              *) desc="Promo $k, credit id: $key" ;;
          esac
          echo "$i,2026-10-01T00:00:00Z,111111111111,$acct,Credit,2026-10-0${k}T00:00:00Z,AmazonEC2,$cur,-$((i * 7)).25,\"$desc\",AWS,AWS Inc,"
          i=$((i + 1))
      done
  done
} > "$TMP/cur.csv"

run migrate && run accounts import "$TMP/accounts.csv" && run rules import "$TMP/rules.xml" &&
    run pull --period 2026-10 --path "$TMP/cur.csv" && run assign --period 2026-10
check "$rc = 0" "set up: a month of credits pulled and assigned"
XSS=$(credit_id 80000000006)
check "-n $XSS" "a credit to carry an HTML-like description"
sql "UPDATE credits SET description = '<img src=x onerror=alert(1)>' WHERE credit_key = '80000000006'"
check "$(sql "SELECT COUNT(*) FROM credits WHERE description = '<img src=x onerror=alert(1)>'") = 1" \
    "its description is now <img src=x onerror=alert(1)>"

# grants and a 4-level hierarchy for the Balances tab; Acme's credits as if
# issued over four months, so that its grant's burn-down has a shape
cat > "$TMP/hierarchy.csv" <<'CSV'
node_id,parent_id,name,level
DIST,,Distributor,distributor
R-1,DIST,North Cloud Partners,reseller
R-2,DIST,South IT Services,reseller
C-1,R-1,Acme Corporation,customer
C-3,R-1,Gamma Industries,customer
C-2,R-2,Beta Limited,customer
P-ACME,C-1,Acme data platform,project
CSV
cat > "$TMP/grants.csv" <<'CSV'
grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products
MAP-NORTH,222222222222,,USD,200,2026-06-01,2027-01-31,MAP MPE-2026-0042,P-ACME,
EDP-NORTH-EUR,222222222222,,EUR,30,2026-01-01,2026-12-01,EDP 2026 Acme,C-1,
PROMO-GAMMA,222222222223,,USD,1000,2026-09-01,2026-12-31,re:Invent promotion,C-3,
OLD-GAMMA,222222222223,no-such-key,USD,25,2026-01-01,2026-06-30,expired goodwill,C-3,
EDP-BETA,333333333333,,EUR,500,2026-01-01,2026-12-31,EDP 2026 Beta,C-2,
CSV
for d in 80000000001:2026-07-15 80000000002:2026-08-10 80000000003:2026-09-05 \
         80000000004:2026-09-20; do
    sql "UPDATE credits SET issue_date = '${d#*:}' WHERE credit_key = '${d%%:*}'"
done
run hierarchy import "$TMP/hierarchy.csv" && run grants import "$TMP/grants.csv"
check "$rc = 0" "set up: a hierarchy of four levels and five grants"

for u in alice:reseller:R-1 bob:reseller:R-1 boss:distributor fin:viewer; do
    printf '%s\n' "$PASSWORD" | "$HOST" --config "$TMP/awscredit.ini" user add "${u%%:*}" \
        --role "${u#*:}" --password-stdin >"$OUT" 2>"$ERR"
    rc=$?
    check "$rc = 0" "user add ${u%%:*} as ${u#*:}"
done

"$HOST" --config "$TMP/awscredit.ini" serve --listen "127.0.0.1:$PORT" \
    >"$TMP/serve.log" 2>&1 </dev/null &
SERVER=$!
up=1
for _ in $(seq 1 100); do
    if "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/', timeout=2)" \
        2>/dev/null; then
        up=0
        break
    fi
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.2
done
check "$up = 0" "awscredit serve answers on 127.0.0.1:$PORT"

SHOTS=$BUILD/screenshots
mkdir -p "$SHOTS"
if [ "$up" = 0 ]; then
    AWC_URL="http://127.0.0.1:$PORT" AWC_HOST="$HOST" AWC_CONFIG="$TMP/awscredit.ini" \
        AWC_PASSWORD="$PASSWORD" AWC_XSS="$XSS" AWC_SHOTS="$SHOTS" AWC_TMP="$TMP" \
        AWC_TAP_START="$n" timeout 240 "$PY" "$ROOT/tests/browser/web_test.py" \
        >"$TMP/browser.out" 2>"$TMP/browser.err"
    prc=$?
    cat "$TMP/browser.out"
    n=$((n + $(grep -c '^\(not \)\?ok ' "$TMP/browser.out")))
    failed=$((failed + $(grep -c '^not ok ' "$TMP/browser.out")))
    rc=$prc
    OUT=/dev/null ERR=$TMP/browser.err
    check "$prc = 0" "the browser checks ran to their end"
fi

kill "$SERVER" 2>/dev/null
stopped=1
for _ in $(seq 1 100); do
    if ! kill -0 "$SERVER" 2>/dev/null; then
        stopped=0
        break
    fi
    sleep 0.1
done
wait "$SERVER"
rc=$?
SERVER=""
OUT=$TMP/serve.log ERR=/dev/null
check "$stopped = 0 -a $rc = 0" "the server stops cleanly on SIGTERM"
grep -q 'ERROR\|AddressSanitizer\|runtime error' "$TMP/serve.log"
check "$? -ne 0" "and logged no error"

tap_done
