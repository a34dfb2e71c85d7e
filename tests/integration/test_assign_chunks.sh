#!/bin/sh
# test_assign_chunks.sh -- `assign` over several chunks on a real MariaDB.
# Each chunk is a unit of work of its own, and lanes (threads with
# connections of their own, assign.lanes) work on different ranges of the
# period at once, so these checks look for anything crossing chunks or
# lanes: every credit gets exactly one event, whose detail, note and
# assignment match the split lines and assignment the credit was given; a
# credit changed after it was read is read again and assigned at its new
# version; one, two and three lanes give the same result; a failure in one
# chunk leaves that chunk's credits untouched and every other credit either
# done or pending, and a run after the fix finishes the job; a second run
# changes nothing; edits keep their notes; and, with a ThreadSanitizer
# build ($AWC_TEST_TSAN), the assignment runs clean under it.  Prints
# "ok N - ..." / "not ok N - ..." per check; exits 1 if any check failed.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_chunks_$$
P=2026-10
N=3500 # four chunks of at most 1,000 credits

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_assign_chunks.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
cleanup() {
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB;
        DROP DATABASE IF EXISTS ${DB}_tsan; DROP DATABASE IF EXISTS ${DB}_fail;
        DROP DATABASE IF EXISTS ${DB}_l1; DROP DATABASE IF EXISTS ${DB}_l3;
        DROP DATABASE IF EXISTS ${DB}_cap; DROP DATABASE IF EXISTS ${DB}_steal;
        DROP USER IF EXISTS 'awc_cap_$$'@'localhost'" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB CHARACTER SET utf8mb4" || exit 1
{ db_ini "$DB"; printf '[assign]\ndefault = customer:100\n'; } > "$TMP/awscredit.ini"
run migrate
check "$rc = 0" "migrate"
run rules import "$ROOT/docs/examples/rules.xml"
check "$rc = 0" "rules import"

# fill DB -- 100 accounts, one in ten without an owner; N pending credits
# over them in USD and EUR (two decimals), of every credit type the example
# rules name.
fill() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$1" -e "
     INSERT INTO accounts (account_id, valid_from, customer_id, asset_id, reseller_id,
                           customer_name, reseller_name)
     SELECT LPAD(100000000000 + seq, 12, '0'), '2025-01-01', CONCAT('C-', seq % 30),
            CONCAT('AS-', seq), ELT(1 + seq % 3, 'R-NORTH', 'R-SOUTH', 'R-WEST'),
            CONCAT('Customer ', seq % 30), 'Reseller'
     FROM seq_1_to_100 WHERE seq % 10 <> 0;
     DO SETVAL(credit_seq, $((N + 1)));
     INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key,
                          product_code, currency, description, credit_type, amount, status)
     SELECT seq, '$P', '999999999999', LPAD(100000000000 + 1 + seq % 100, 12, '0'),
            CONCAT('credit id: ', seq), ELT(1 + seq % 4, 'AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda'),
            ELT(1 + seq % 2, 'USD', 'EUR'),
            ELT(1 + seq % 6, 'AWS Migration Acceleration Program Credit_MPE1', 'EDP Commitment Credit',
                'SLA credit for S3', 'AWS Activate Credits', 'Promotional credit', 'Goodwill Credits'),
            ELT(1 + seq % 6, 'MAP', 'EDP', 'SLA', 'PROMOTIONAL', 'PROMOTIONAL', 'PROMOTIONAL'),
            -(seq * 7919 % 100003) / 97 - 0.005, 'PENDING_ASSIGN'
     FROM seq_1_to_$N"
}
fill "$DB"
OWNED=$(sql "SELECT COUNT(*) FROM credits WHERE usage_account_id IN (SELECT account_id FROM accounts)")
check "$OWNED -gt 0 -a $OWNED -lt $N" "setup: $N pending credits, $OWNED of them owned"

run assign --period $P
check "$rc = 0" "assign over four chunks"
UNOWNED=$((N - OWNED))
grep -q "assign $P: $N pending: .* $UNOWNED unmapped ($UNOWNED newly flagged), 0 left pending" "$OUT"
check "$? = 0" "the summary counts every credit once ($OWNED assigned, $UNOWNED flagged)"
check "$(sql "SELECT COUNT(*) FROM credits WHERE status = 'ASSIGNED' AND version = 2") = $OWNED" \
    "every owned credit assigned, once"
check "$(sql "SELECT COUNT(*) FROM credit_view WHERE status = 'PENDING_ASSIGN' AND unmapped = 1
              AND version = 2") = $UNOWNED" "every unowned credit flagged unmapped, once"
check "$(sql "SELECT COUNT(*) FROM (SELECT seq FROM credit_events GROUP BY seq HAVING COUNT(*) = 1) e") = $N" \
    "exactly one event per credit"
check "$(sql "SELECT COUNT(*) FROM credits c JOIN (SELECT seq, SUM(amount_minor) s FROM credit_splits
              GROUP BY seq) l ON l.seq = c.seq WHERE l.s = ROUND(c.amount * 100)") = $OWNED" \
    "every assigned credit's lines add up to its invoiceable amount"
# the detail of each assign event is the JSON of the credit's own lines
check "$(sql "SELECT COUNT(*) FROM credit_events e JOIN (
              SELECT seq, CONCAT('[', GROUP_CONCAT(CONCAT('{\"target\":\"', target, '\"',
                     IF(party_id IS NULL, '', CONCAT(',\"party_id\":\"', party_id, '\"')),
                     ',\"percent_bp\":', IFNULL(percent_bp, -1), ',\"amount_minor\":', amount_minor, '}')
                     ORDER BY line_no SEPARATOR ','), ']') j
              FROM credit_splits GROUP BY seq) l ON l.seq = e.seq
              WHERE e.kind = 'assign' AND e.detail = l.j") = $OWNED" \
    "each assign event's detail is its credit's split lines"
check "$(sql "SELECT COUNT(*) FROM credit_events e JOIN credit_view c ON c.seq = e.seq
              WHERE e.assignment_id = c.assignment_id AND e.to_version = c.version
              AND e.note = IF(c.unmapped = 1,
                              CONCAT('no owner for account ', c.usage_account_id, ' on $P-01'),
                              IF(c.rule_id = 'default', 'default configuration customer:100',
                                 CONCAT('rule ', c.rule_id)))") = $N" \
    "each event names the assignment, version and rule its credit was given"
check "$(sql "SELECT COUNT(*) FROM credit_splits s JOIN credit_view c ON c.seq = s.seq
              WHERE s.target <> 'retained' AND (s.customer_id <> c.customer_id
                    OR s.reseller_id <> c.reseller_id OR s.asset_id <> c.asset_id)") = 0" \
    "each split line names its own credit's owner"

# The same credits with one lane and with three: the same assignments,
# split lines and events (credit 5 aside, which the one-lane run finds
# changed).  The rows are hashed whole: group_concat_max_len would
# otherwise cut the text at 1 MiB.
digest() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$1" -e "
     SET SESSION group_concat_max_len = 1073741824;
     SELECT MD5(GROUP_CONCAT(x ORDER BY x SEPARATOR '|')) FROM (
       SELECT CONCAT_WS(',', c.seq, c.status, c.version, c.customer_id, c.asset_id, c.reseller_id,
                        c.rule_id, c.unmapped) x FROM credit_view c WHERE c.seq <> 5
       UNION ALL SELECT CONCAT_WS(',', seq, line_no, target, IFNULL(party_id, '-'), percent_bp,
                                  amount_minor) FROM credit_splits WHERE seq <> 5
       UNION ALL SELECT CONCAT_WS(',', seq, kind, from_version, to_version, note, detail)
                 FROM credit_events WHERE seq <> 5) t"
}
status() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B -e "SELECT variable_value
        FROM information_schema.global_status WHERE variable_name = '$1'"
}
for lanes in 1 3; do
    mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_l$lanes CHARACTER SET utf8mb4"
    { db_ini "${DB}_l$lanes"; printf '[assign]\ndefault = customer:100\nlanes = %s\n' $lanes; } \
        > "$TMP/l$lanes.ini"
    "$HOST" --config "$TMP/l$lanes.ini" migrate >/dev/null 2>&1 &&
        "$HOST" --config "$TMP/l$lanes.ini" rules import "$ROOT/docs/examples/rules.xml" >/dev/null 2>&1
    fill "${DB}_l$lanes"
    if [ $lanes = 1 ]; then
        # Credit 5 (owned) changes after assign has read it: a session holds
        # its row, moved to version 2, for four seconds; assign starts once
        # the row is held.  Its plain read sees version 1, its write waits
        # for the row (one lane: nothing else of assign's can wait), then
        # finds the credit changed; the chunk is read again under lock and
        # credit 5 assigned at version 2.
        mariadb --no-defaults -S "$SOCKET" -uroot -N -B "${DB}_l1" -e "BEGIN;
            UPDATE credits SET version = 2 WHERE seq = 5; DO GET_LOCK('awc_hold_$$', 0);
            DO SLEEP(4); COMMIT" &
        HOLDER=$!
        # the named lock says the row is held (innodb_trx is a cache that
        # polling faster than 0.1 s never refreshes)
        i=0
        while [ $i -lt 100 ] && [ "$(mariadb --no-defaults -S "$SOCKET" -uroot -N -B -e "
              SELECT IS_USED_LOCK('awc_hold_$$') IS NOT NULL")" != 1 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        waits=$(status INNODB_ROW_LOCK_WAITS)
    fi
    "$HOST" --config "$TMP/l$lanes.ini" assign --period $P >"$OUT" 2>"$ERR" </dev/null
    check "$? = 0" "assign with $lanes lane(s)"
    if [ $lanes = 1 ]; then
        wait $HOLDER
        echo "# row lock waits: $waits before assign, $(status INNODB_ROW_LOCK_WAITS) after"
        check "$(status INNODB_ROW_LOCK_WAITS) -gt $waits" \
            "assign waited for the changed credit's row (its read came before the change)"
        check "$(mariadb --no-defaults -S "$SOCKET" -uroot -N -B "${DB}_l1" -e "
              SELECT CONCAT_WS(',', c.status, c.version, e.from_version, e.to_version)
              FROM credits c JOIN credit_events e ON e.seq = c.seq WHERE c.seq = 5") = ASSIGNED,3,2,3" \
            "a credit changed after it was read is assigned once, at its new version"
    fi
    check "$(digest "${DB}_l$lanes") = $(digest "$DB")" \
        "$lanes lane(s) give the same assignments, lines and events as two"
done

# Uneven ranges: the first half of the period's seqs holds few pending
# credits, so the first lane soon runs out and takes the upper half of
# what the other has left (and the other drops what it read beyond its new
# end).  Every pending credit is assigned once, nothing else is touched.
steal() {
    mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$1" -e "
     INSERT INTO accounts (account_id, valid_from, customer_id, asset_id, reseller_id,
                           customer_name, reseller_name)
     SELECT LPAD(100000000000 + seq, 12, '0'), '2025-01-01', CONCAT('C-', seq % 30),
            CONCAT('AS-', seq), 'R-NORTH', 'Customer', 'Reseller' FROM seq_1_to_100;
     DO SETVAL(credit_seq, 8001);
     INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key,
                          product_code, currency, description, credit_type, amount, status)
     SELECT seq, '$P', '999999999999', LPAD(100000000000 + 1 + seq % 100, 12, '0'),
            CONCAT('credit id: ', seq), 'AmazonEC2', 'USD', 'Promotional credit', 'PROMOTIONAL',
            -(seq % 1000) - 1, IF(seq <= 3800, 'PROCESSED', 'PENDING_ASSIGN')
     FROM seq_1_to_8000"
}
mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_steal CHARACTER SET utf8mb4"
{ db_ini "${DB}_steal"; printf '[assign]\ndefault = customer:100\n'; } > "$TMP/steal.ini"
"$HOST" --config "$TMP/steal.ini" migrate >/dev/null 2>&1 &&
    "$HOST" --config "$TMP/steal.ini" rules import "$ROOT/docs/examples/rules.xml" >/dev/null 2>&1
steal "${DB}_steal"
"$HOST" --config "$TMP/steal.ini" assign --period $P >"$OUT" 2>"$ERR" </dev/null
check "$? = 0" "uneven ranges: assign"
check "$(mariadb --no-defaults -S "$SOCKET" -uroot -N -B "${DB}_steal" -e "
      SELECT CONCAT_WS(',', SUM(status = 'ASSIGNED' AND version = 2), SUM(status = 'PROCESSED'
             AND version = 1), (SELECT COUNT(*) FROM credit_events),
             (SELECT COUNT(DISTINCT seq) FROM credit_events WHERE seq > 3800))
      FROM credits") = 4200,3800,4200,4200" \
    "uneven ranges: every pending credit assigned once, the others untouched"

# A user allowed two connections, with three lanes: the command's own
# connection and one lane's; the other two lanes get none, and the one
# that has a connection does their parts too.
CAP=awc_cap_$$
mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_cap CHARACTER SET utf8mb4;
    CREATE USER '$CAP'@'localhost' WITH MAX_USER_CONNECTIONS 2;
    GRANT ALL ON ${DB}_cap.* TO '$CAP'@'localhost'"
{ db_ini "${DB}_cap"; printf '[assign]\ndefault = customer:100\n'; } > "$TMP/cap-root.ini"
{ printf '[db]\nsocket = %s\nuser = %s\ndatabase = %s\n' "$SOCKET" "$CAP" "${DB}_cap"
  printf '[assign]\ndefault = customer:100\nlanes = 3\n'; } > "$TMP/cap.ini"
"$HOST" --config "$TMP/cap-root.ini" migrate >/dev/null 2>&1 &&
    "$HOST" --config "$TMP/cap-root.ini" rules import "$ROOT/docs/examples/rules.xml" >/dev/null 2>&1
fill "${DB}_cap"
"$HOST" --config "$TMP/cap.ini" assign --period $P >"$OUT" 2>"$ERR" </dev/null
check "$? = 0" "three lanes, connections for one: assign succeeds"
check "$(grep -c "has no connection" "$ERR") = 2" "two lanes without a connection are named in warnings"
check "$(digest "${DB}_cap") = $(digest "$DB")" \
    "the lane with a connection does the others' parts: the same result"
mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP USER '$CAP'@'localhost'"

# A chunk that fails (a fault injected at one credit in test builds: a bad
# credit alone is held instead, see test_hardening.sh): that chunk is not
# written, the run stops, and every credit is either done or untouched;
# after the fault is gone a second run does the rest, each credit once.
mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_fail CHARACTER SET utf8mb4"
{ db_ini "${DB}_fail"; printf '[assign]\ndefault = customer:100\n'; } > "$TMP/fail.ini"
frun() { "$HOST" --config "$TMP/fail.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
fsql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "${DB}_fail" -e "$1"; }
frun migrate && frun rules import "$ROOT/docs/examples/rules.xml"
fill "${DB}_fail"
AWC_FAULT_ASSIGN_SEQ=2600 frun assign --period $P
check "$rc -ne 0" "a chunk that cannot be worked out: assign fails"
grep -q "credit 2600" "$ERR" && grep -q "injected fault" "$ERR" &&
    grep -Eq "nothing was assigned|credits were assigned or flagged before it stopped" "$ERR"
check "$? = 0" "the error names the credit and says what was assigned"
check "$(fsql "SELECT CONCAT(status, version) FROM credits WHERE seq = 2600") = PENDING_ASSIGN1" \
    "the credit's chunk is not written"
check "$(fsql "SELECT COUNT(*) FROM credit_view c WHERE NOT (
              (c.version = 1 AND NOT EXISTS (SELECT 1 FROM credit_events e WHERE e.seq = c.seq)
               AND NOT EXISTS (SELECT 1 FROM credit_splits s WHERE s.seq = c.seq))
              OR (c.version = 2 AND (SELECT COUNT(*) FROM credit_events e WHERE e.seq = c.seq) = 1
                  AND (c.status = 'ASSIGNED' OR c.unmapped = 1)))") = 0" \
    "after the failure every credit is either done once or untouched"
frun assign --period $P
check "$rc = 0" "after the fault, assign again"
check "$(fsql "SELECT COUNT(*) FROM credits WHERE version = 2") = $N" \
    "after the second run every credit is done, once"
check "$(fsql "SELECT COUNT(*) FROM (SELECT seq FROM credit_events GROUP BY seq HAVING COUNT(*) = 1) e") = $N" \
    "after the second run one event per credit"

EVENTS=$(sql "SELECT COUNT(*) FROM credit_events")
run assign --period $P
check "$rc = 0" "assign again"
grep -q "assign $P: $UNOWNED pending: 0 by rule, 0 by default, $UNOWNED unmapped (0 newly flagged)" "$OUT"
check "$? = 0" "a second run finds only the unmapped credits and changes nothing"
check "$(sql "SELECT COUNT(*) FROM credit_events") = $EVENTS" "a second run writes no event"

# Edits go through the same store call, one credit at a time: a short
# note, and one of 200 characters (most of them two bytes), are kept whole
# with the actor, the versions and the splits before and after.
ids=$("$HOST" --config "$TMP/awscredit.ini" --json list --period $P --status ASSIGNED 2>/dev/null |
    python3 -c "
import json, sys
c = json.load(sys.stdin)['credits']
print(c[0]['credit_id'], c[1]['credit_id'])")
set -- $ids
SHORT_ID=$1 LONG_ID=$2
LONG_NOTE=$(python3 -c "print('Vertrag f\u00fcr ' + '\u00e9' * 188)")
run edit "$SHORT_ID" --split customer:60,reseller:30 --note "per contract" --expect-version 2
check "$rc = 0" "edit with a short note"
run edit "$LONG_ID" --split customer:50,reseller:50 --note "$LONG_NOTE" --expect-version 2
check "$rc = 0" "edit with a note of 200 characters"
got=$(sql "SELECT CONCAT_WS(',', kind, from_state, to_state, from_version, to_version, actor_role,
            actor_id, IFNULL(actor_reseller, '-'), note) FROM credit_events
            WHERE kind = 'edit' ORDER BY id LIMIT 1")
[ "$got" = "edit,ASSIGNED,ASSIGNED,2,3,distributor,tester,-,per contract" ]
check "$? = 0" "the short note's edit event: kind, states, versions, actor, note"
check "$(sql "SELECT note = '$LONG_NOTE' AND CHAR_LENGTH(note) = 200 FROM credit_events
              WHERE kind = 'edit' ORDER BY id DESC LIMIT 1") = 1" \
    "the long note's edit event keeps all 200 characters"
check "$(sql "SELECT COUNT(*) FROM credit_events WHERE kind = 'edit' AND to_version = 3
              AND detail LIKE '{\"splits\\_before\":[{%}],\"splits\\_after\":[{%}]}'
              AND actor_role = 'distributor' AND actor_id = 'tester'") = 2" \
    "both edit events carry the splits before and after, and the actor"

# The uneven assignment in a build with ThreadSanitizer (make tsan), when
# the test build has one: the lanes and the calling thread share nothing
# unguarded, a lane taking part of another's range included.
TSAN_HOST=${AWC_TEST_TSAN:-}/awscredit
if [ -x "$TSAN_HOST" ]; then
    mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE ${DB}_tsan CHARACTER SET utf8mb4"
    { db_ini "${DB}_tsan"; printf '[assign]\ndefault = customer:100\n'; } > "$TMP/tsan.ini"
    trun() { "$TSAN_HOST" --config "$TMP/tsan.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
    trun migrate && trun rules import "$ROOT/docs/examples/rules.xml"
    steal "${DB}_tsan"
    trun assign --period $P
    check "$rc = 0" "under ThreadSanitizer: assign in two lanes over uneven ranges"
    ! grep -q "ThreadSanitizer" "$ERR"
    check "$? = 0" "under ThreadSanitizer: no report"
    check "$(mariadb --no-defaults -S "$SOCKET" -uroot -N -B "${DB}_tsan" -e "SELECT COUNT(*)
              FROM credit_events") = 4200" "under ThreadSanitizer: one event per pending credit"
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE ${DB}_tsan"
else
    echo "# no ThreadSanitizer build at ${AWC_TEST_TSAN:-(AWC_TEST_TSAN not set)}: make tsan"
fi

tap_done
