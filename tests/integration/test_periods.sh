#!/bin/sh
# test_periods.sh -- the month's edges (SPEC 17): pull and close want a
# month that has ended, assign one that has begun, unless --allow-open;
# close and reopen are events, reopen only by a distributor and with a
# reason.  Prints "ok N - ..." lines; exits 1 on failure.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db periods
. "$ROOT/tests/api/fixture.sh"

NOW=$(date -u +%Y-%m)
NEXT=$(date -u -d "$(date -u +%Y-%m-15) +1 month" +%Y-%m)
refused() { # STATUS TEXT WHAT ARGS...
    want=$1 text=$2 what=$3
    shift 3
    run "$@"
    if [ "$rc" = "$want" ] && grep -q -- "$text" "$ERR"; then pass "$what"; else fail "$what"; fi
}
refused 64 "has not ended" "close of the current month ($NOW): refused, exit 64" close --period "$NOW"
refused 64 "has not begun" "close of next month: refused" close --period "$NEXT"
refused 64 "has not begun" "assign of next month: refused" assign --period "$NEXT"
refused 64 "has not ended" "pull of the current month: refused" pull --period "$NOW" --path "$TMP/cur10.csv"
check "$(sql "SELECT COUNT(*) FROM credits WHERE period = '$NOW'") = 0" "and nothing was pulled"
run assign --period "$NOW"
check "$rc = 0" "assign of the current month is allowed (credits already pulled may be assigned)"
run assign --period "$NEXT" --allow-open
check "$rc = 0" "--allow-open: the operator insists"
run close --period "$NOW" --allow-open
check "$rc = 0" "close --allow-open of the current month"
run reopen --period "$NOW" --reason "closed too early"
check "$rc = 0" "reopen it"

run close --period 2026-10
check "$rc = 0" "close of a past month"
grep -q "1 credit is PENDING_ASSIGN and 4 ASSIGNED" "$OUT"
check "$? = 0" "close says what stays unassigned"
run assign --period 2026-10
check "$rc = 65" "a closed month takes no assignment (65)"
refused 64 "--reason TEXT are required" "reopen needs a reason" reopen --period 2026-10
refused 77 "only a distributor" "a reseller may not reopen" --as reseller:R-1:nora reopen --period 2026-10 --reason x
run reopen --period 2026-10 --reason "late MAP credits, ticket 5521"
check "$rc = 0" "a distributor reopens it with a reason"
run assign --period 2026-10
check "$rc = 0" "and it takes assignment again"
refused 65 "is not closed" "reopen of an open period: 65" reopen --period 2026-10 --reason again
[ "$(sql "SELECT GROUP_CONCAT(CONCAT(kind, ':', actor_id, ':', COALESCE(reason, '')) ORDER BY id SEPARATOR '|') FROM period_events WHERE period = '2026-10'")" = \
    "close:tester:|reopen:tester:late MAP credits, ticket 5521" ]
check "$? = 0" "close and reopen are events, with who and why"
sql "UPDATE period_events SET reason = 'x'" 2>/dev/null
check "$? != 0" "period_events is append-only"
tap_done
