#!/bin/sh
# test_cli_errors.sh -- the command line tells the truth about filters
# (SPEC 10): a malformed value or an unknown value of an enumerated filter
# is a usage error (exit 64) naming the values it takes; --min-amount and
# --max-amount need --currency when the credits in scope are in several;
# a reader that goes away (list | head) is not an error.  Prints
# "ok N - ..." lines; exits 1 on failure.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db cli_errors
. "$ROOT/tests/api/fixture.sh"

refused() { # WHAT ARGS... -- exit 64 and a message holding $EXPECT
    what=$1
    shift
    run "$@"
    if [ "$rc" = 64 ] && grep -q -- "$EXPECT" "$ERR"; then pass "$what"; else fail "$what"; fi
}
EXPECT="expected MAP, EDP, POC, GRAVITON, MARKETPLACE, PARTNER, SLA or PROMOTIONAL"
refused "--type FOO: exit 64 naming the credit types" list --type FOO
EXPECT="expected PENDING_ASSIGN, ASSIGNED, PROCESSING or PROCESSED"
refused "--status DONE: exit 64 naming the states" list --status DONE
EXPECT="expected YYYY-MM"
refused "--period 2026-13: exit 64" list --period 2026-13
EXPECT="not a decimal number"
refused "--min-amount abc: exit 64" export --min-amount abc
EXPECT="12-digit"
refused "--account 12345: exit 64" list --account 12345
EXPECT="three capital letters"
refused "--currency usd: exit 64" list --currency usd
run list --type map --period 2026-10
check "$rc = 0" "--type takes any case"
grep -q "^2 credits" "$OUT"
check "$? = 0" "and finds the two MAP credits of 2026-10"
EXPECT="credits these filters select are in EUR, JPY, USD: add --currency"
refused "--min-amount over three currencies: exit 64 saying which" list --min-amount -200
refused "export too" export --max-amount -1
run list --min-amount -200 --currency USD --period 2026-10
check "$rc = 0" "with --currency it compares within that currency"
grep -q "^3 credits" "$OUT"
check "$? = 0" "the three USD credits of at most 200 back"
run list --min-amount -200 --reseller R-2
check "$rc = 0" "one currency in scope needs no --currency"

# edit of several credits: the same change to each, each in its own unit
MAP=$(credit_id 80000000001)
PROMO=$(credit_id 80000000002)
YEN=$(credit_id 80000000004)
run edit "$MAP" "$PROMO" --note "contract C-42"
check "$rc = 0" "edit with two IDs changes both"
grep -q "edit: 2 credits changed, 0 refused" "$ERR"
check "$? = 0" "and says so"
check "$(sql "SELECT COUNT(*) FROM credit_events WHERE note = 'contract C-42'") = 2" \
    "one event each"
printf '# credits of the MAP review\n%s\n\nAWSC-999999-9999-9999\n  %s\n' "$MAP" "$YEN" > "$TMP/ids.txt"
run edit --ids-from "$TMP/ids.txt" --note "reviewed"
check "$rc = 65" "--ids-from: one malformed ID: the exit status of that refusal (65)"
grep -q "AWSC-999999-9999-9999: " "$ERR" && grep -q "edit: 2 credits changed, 1 refused" "$ERR"
check "$? = 0" "the refusal names its ID and the others went on"
check "$(sql "SELECT COUNT(*) FROM credit_events WHERE note = 'reviewed'") = 2" \
    "both known credits changed"
EXPECT="--expect-version is for one credit"
refused "--expect-version with several IDs: exit 64" edit "$MAP" "$PROMO" --note x --expect-version 3
EXPECT="expected credit IDs or --ids-from FILE"
refused "edit with no ID: exit 64" edit --note x

(
    "$HOST" --config "$TMP/awscredit.ini" export 2>"$ERR"
    echo $? >"$TMP/st"
) | head -c 10 >/dev/null
check "$(cat "$TMP/st") = 0" "export | head -c 10: a reader that goes away is not an error"
check "! -s $ERR" "and nothing is said about a broken pipe"
tap_done
