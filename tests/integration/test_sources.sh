#!/bin/sh
# test_sources.sh -- `pull` from local files, from s3:// (legacy and CUR 2.0
# objects, plain and gzip) and from Athena stores exactly the same credits.
# S3 and Athena are tests/fakes/aws_fake.py on 127.0.0.1, which checks
# every request's SigV4 signature.  Prints "ok N - ..." / "not ok N - ...";
# exits 1 if any check failed.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AWC_TEST_BUILD:-$ROOT/build/san}
HOST=$BUILD/awscredit
SOCKET=${AWC_TEST_SOCKET:?AWC_TEST_SOCKET is not set: run through tests/run}
FIX=$ROOT/tests/fixtures/aws
P=2026-10
TAG=$$

unset AWSCREDIT_CONFIG AWSCREDIT_MODULE_DIR AWS_SESSION_TOKEN
export USER=tester
export AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE
export AWS_SECRET_ACCESS_KEY=fake/Secret+Key/EXAMPLE

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_sources.XXXXXX") || exit 1
FAKEPID=
DBS=
cleanup() {
    [ -n "$FAKEPID" ] && kill "$FAKEPID" 2>/dev/null
    for d in $DBS; do
        mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $d" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    head -c 800 "$TMP/err" 2>/dev/null | sed 's/^/#   err: /'
}

python3 "$ROOT/tests/fakes/aws_fake.py" --port 0 --max-seconds 120 --s3-root "$FIX/s3" \
    --athena-fixture "$FIX/athena-results.json" --billing-fixture "$FIX/billing-credits.json" \
    > "$TMP/fake.out" 2> "$TMP/fake.err" &
FAKEPID=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^PORT ' "$TMP/fake.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's/^PORT //p' "$TMP/fake.out")
[ -n "$PORT" ] || { echo "not ok 1 - the fake AWS did not start"; cat "$TMP/fake.err"; exit 1; }
EP=http://127.0.0.1:$PORT

# config NAME [extra ini lines...] -- a database and its configuration
config() {
    name=$1
    shift
    aws_extra=
    if [ "${1:-}" = "[aws]" ]; then aws_extra=$2; shift 2; fi
    db=awc_src_${name}_$TAG
    DBS="$DBS $db"
    mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $db" || exit 1
    {
        printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n' "$SOCKET" "$db"
        printf '[aws]\nregion = us-east-1\ns3_endpoint = %s\ntimeout = 30\n%s\n' "$EP" "$aws_extra"
        for line in "$@"; do printf '%s\n' "$line"; done
    } > "$TMP/$name.ini"
    "$HOST" --config "$TMP/$name.ini" migrate >/dev/null 2>"$TMP/err" || exit 1
}

# snapshot NAME -- the stored credits, in a stable order, without IDs and times
snapshot() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B "awc_src_$1_$TAG" -e \
        "SELECT period, payer_account_id, usage_account_id, credit_key, product_code, currency,
                amount, line_count, first_usage, last_usage, issue_date, credit_type, description
         FROM credits ORDER BY payer_account_id, usage_account_id, credit_key, product_code, currency" \
        > "$TMP/$1.tsv"
}

pull() { # NAME [--path X]
    name=$1
    shift
    "$HOST" --config "$TMP/$name.ini" pull --period $P "$@" > "$TMP/out" 2> "$TMP/err"
}

config file
if pull file --path "$FIX/s3/cur-bucket/legacy/$P/*.csv*"; then pass "pull from local files"; else fail "pull from local files"; fi
snapshot file
count=$(wc -l < "$TMP/file.tsv")
if [ "$count" -ge 5 ]; then pass "local files give $count credits"; else fail "local files give $count credits"; fi

config period
if pull period --path "$FIX/s3/cur-bucket/legacy/{period}/*.csv*"; then pass "pull with {period} in the path"; else fail "pull with {period} in the path"; fi
snapshot period
if cmp -s "$TMP/file.tsv" "$TMP/period.tsv"; then pass "{period} names the month's files"; else fail "{period} names the month's files"; fi

config s3legacy
if pull s3legacy --path "s3://cur-bucket/legacy/$P/"; then pass "pull from s3:// (legacy CUR, .csv and .csv.gz)"; else fail "pull from s3:// (legacy CUR)"; fi
snapshot s3legacy
if cmp -s "$TMP/file.tsv" "$TMP/s3legacy.tsv"; then pass "s3:// legacy objects: exactly the credits of the files"; else
    fail "s3:// legacy objects: exactly the credits of the files"; diff "$TMP/file.tsv" "$TMP/s3legacy.tsv" | head -5 | sed 's/^/#   /'; fi

config s3cur2
if pull s3cur2 --path "s3://cur-bucket/cur2/acme-export/data/BILLING_PERIOD=$P/"; then pass "pull from s3:// (CUR 2.0)"; else fail "pull from s3:// (CUR 2.0)"; fi
snapshot s3cur2
if cmp -s "$TMP/file.tsv" "$TMP/s3cur2.tsv"; then pass "s3:// CUR 2.0 objects: exactly the same credits"; else
    fail "s3:// CUR 2.0 objects: exactly the same credits"; diff "$TMP/file.tsv" "$TMP/s3cur2.tsv" | head -5 | sed 's/^/#   /'; fi

config athena '[cur]' 'source = athena' '[athena]' "endpoint = $EP" 'region = us-east-1' \
    'database = cur' 'table = acme' 'output_location = s3://cur-bucket/athena/' 'cur_version = 1' \
    'query_timeout = 30'
if pull athena; then pass "pull from Athena"; else fail "pull from Athena"; fi
snapshot athena
if cmp -s "$TMP/file.tsv" "$TMP/athena.tsv"; then pass "Athena: exactly the same credits"; else
    fail "Athena: exactly the same credits"; diff "$TMP/file.tsv" "$TMP/athena.tsv" | head -5 | sed 's/^/#   /'; fi
if pull athena; then pass "Athena again: no duplicate"; else fail "Athena again"; fi
snapshot athena
if cmp -s "$TMP/file.tsv" "$TMP/athena.tsv"; then pass "Athena again: unchanged"; else fail "Athena again: unchanged"; fi

# the AWS Billing API: issued, remaining and expiry, stored with the pull
config billing "[aws]" "billing_endpoint = $EP"
if pull billing --path "$FIX/s3/cur-bucket/legacy/$P/*.csv*" && grep -q 'AWS Billing API' "$TMP/out"; then
    pass "pull with the Billing API configured stores its credits"; else fail "pull with the Billing API"; fi
grants=$(mariadb --no-defaults -S "$SOCKET" -uroot -N -B "awc_src_billing_$TAG" -e "SELECT COUNT(*) FROM credit_grants")
if [ "$grants" -ge 1 ]; then pass "grants stored ($grants)"; else fail "grants stored ($grants)"; fi
if "$HOST" --config "$TMP/billing.ini" --json balance > "$TMP/out" 2> "$TMP/err" &&
   python3 -c "import json,sys; from decimal import Decimal as D; d=json.load(open(sys.argv[1])); c=[g for g in d['grants'] if g['grant_id']=='10063543426'][0]; assert c['source']=='billing' and c['amount']=='500.0000000000' and c['credit_key']=='10063543426' and D(c['used'])+D(c['remaining'])==D(c['amount']), c" "$TMP/out"; then
    pass "balance: a Billing API grant, merged and exact"; else fail "balance"; sed 's/^/#   /' "$TMP/out" | head -30; fi
if "$HOST" --config "$TMP/billing.ini" expiring --within 3660 > "$TMP/out" 2> "$TMP/err" && grep -q 10063543426 "$TMP/out"; then
    pass "expiring --within: lists credits with something left"; else fail "expiring"; fi
if "$HOST" --config "$TMP/billing.ini" expiring --within 1 > "$TMP/out" 2> "$TMP/err" && ! grep -q 10063543426 "$TMP/out"; then
    pass "expiring --within 1: a credit expiring later is not listed"; else fail "expiring --within 1"; fi

# invoicing.group_by must keep a file to one period, reseller and currency
printf '[invoicing]\ngroup_by = period,currency\n' >> "$TMP/file.ini"
"$HOST" --config "$TMP/file.ini" show AWSC-000000-0000-0017 > "$TMP/out" 2> "$TMP/err"
rc=$?
if [ $rc = 78 ] && grep -q 'file.ini:[0-9]*: invoicing.group_by' "$TMP/err"; then
    pass "invoicing.group_by without reseller: refused naming file and line"; else fail "group_by check (exit $rc)"; fi

# a wrong secret: refused the way AWS refuses it, and the secret is never printed
AWS_SECRET_ACCESS_KEY=wrong/Secret+Key/NOTTHIS pull s3legacy --path "s3://cur-bucket/legacy/$P/"
rc=$?
if [ $rc -ne 0 ] && grep -q 'SignatureDoesNotMatch' "$TMP/err" && ! grep -q 'NOTTHIS' "$TMP/err"; then
    pass "a wrong secret is refused (SignatureDoesNotMatch) and never printed"; else
    fail "a wrong secret is refused (exit $rc)"; fi
unset AWS_ACCESS_KEY_ID
pull s3legacy --path "s3://cur-bucket/legacy/$P/"
rc=$?
if [ $rc = 78 ] && grep -q 'AWS_ACCESS_KEY_ID' "$TMP/err"; then pass "missing credentials: a configuration error naming the variable"; else
    fail "missing credentials (exit $rc)"; fi

echo "# $n checks, $failed failed"
[ $failed = 0 ]
