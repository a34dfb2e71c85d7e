#!/bin/sh
# test_upgrade.sh -- a database written before migration 006 (assignments
# as columns of credits) upgrades in place: every credit keeps its owner
# account, customer, asset, reseller, rule and unmapped flag; the old
# columns are gone; 006 can run twice (a crash before it was recorded);
# the upgraded database assigns, edits and lists like a new one.
# Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
DB=awc_upgrade_$$
DB2=awc_grants_$$
OP=awc_op_$$

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_upgrade.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
cleanup() {
    mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB;
        DROP DATABASE IF EXISTS $DB2; DROP USER IF EXISTS '$OP'@'localhost'" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

sql() { mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB" -e "$1"; }
run() { "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
crc() { python3 -c 'import sys, zlib; print(zlib.crc32(open(sys.argv[1], "rb").read()))' "$1"; }

mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB" || exit 1
{ db_ini "$DB"; cat <<EOF
[assign]
default = customer:100
EOF
} > "$TMP/awscredit.ini"

# The schema as release 005 left it, recorded the way migrate records it.
sql "CREATE TABLE schema_migrations (version INT UNSIGNED NOT NULL PRIMARY KEY,
     name VARCHAR(200) NOT NULL, checksum INT UNSIGNED NOT NULL,
     applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB"
for f in "$ROOT"/sql/migrations/00[1-5]_*.sql; do
    base=$(basename "$f" .sql)
    mariadb --no-defaults -S "$SOCKET" -uroot "$DB" < "$f" || fail "apply $base"
    sql "INSERT INTO schema_migrations (version, name, checksum)
         VALUES (${base%%_*} + 0, '${base#*_}', $(crc "$f"))"
done
check "$(sql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='$DB'
              AND table_name='credits' AND column_name='customer_id'") = 1" \
    "the old schema has the assignment columns"

# Credits in every shape the old columns could hold.
sql "INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, product_code,
        currency, amount, status, version, unmapped, customer_id, asset_id, reseller_id, rule_id,
        owner_account_id) VALUES
     (1, '2026-09', '111111111111', '222222222222', 'k1', 'AmazonEC2', 'USD', -10, 'ASSIGNED', 2,
      0, 'C-1', 'AS-1', 'R-1', 'R-MAP', NULL),
     (2, '2026-09', '111111111111', '222222222222', 'k2', 'AmazonEC2', 'USD', -20, 'ASSIGNED', 2,
      0, 'C-1', 'AS-1', 'R-1', 'R-MAP', NULL),
     (3, '2026-09', '111111111111', '333333333333', 'k3', 'AmazonS3', 'USD', -30, 'PROCESSED', 4,
      0, 'C-2', 'AS-2', 'R-2', 'manual', '222222222222'),
     (4, '2026-09', '111111111111', '444444444444', 'k4', 'AmazonS3', 'USD', -40, 'PENDING_ASSIGN', 2,
      1, NULL, NULL, NULL, NULL, NULL),
     (5, '2026-10', '111111111111', '222222222222', 'k5', 'AmazonEC2', 'EUR', -50, 'PENDING_ASSIGN', 1,
      0, NULL, NULL, NULL, NULL, NULL)"
# Their history, with ids from the old AUTO_INCREMENT (migration 008
# moves events to a sequence and clusters them by credit).
sql "INSERT INTO credit_events (seq, kind, from_state, to_state, from_version, to_version,
        actor_role, actor_id) VALUES
     (5, 'create', 'NONE', 'PENDING_ASSIGN', 0, 1, 'distributor', 'op'),
     (1, 'create', 'NONE', 'PENDING_ASSIGN', 0, 1, 'distributor', 'op'),
     (1, 'assign', 'PENDING_ASSIGN', 'ASSIGNED', 1, 2, 'distributor', 'op')"
sql "SELECT id, seq, kind FROM credit_events ORDER BY id" > "$TMP/events_before"
sql "SELECT seq, status, version, unmapped, IFNULL(customer_id,''), IFNULL(asset_id,''),
            IFNULL(reseller_id,''), IFNULL(rule_id,''), IFNULL(owner_account_id,'')
     FROM credits ORDER BY seq" > "$TMP/before"

# A crash after 006 ran but before it was recorded: it runs again.
mariadb --no-defaults -S "$SOCKET" -uroot "$DB" < "$ROOT/sql/migrations/006_assignments.sql" ||
    fail "006 by hand"
run migrate
check "$rc = 0" "migrate upgrades the old schema"
check "$(sql "SELECT MAX(version) FROM schema_migrations") = $(ls "$ROOT"/sql/migrations/*.sql | wc -l | tr -d " ")" \
    "recorded up to the last migration"
sql "SELECT id, seq, kind FROM credit_events ORDER BY id" > "$TMP/events_after"
check "$(cmp -s "$TMP/events_before" "$TMP/events_after" && echo same || echo differ) = same" \
    "every event keeps its id"
check "$(sql "SELECT GROUP_CONCAT(index_name) FROM information_schema.statistics WHERE
              table_schema='$DB' AND table_name='credit_events' AND seq_in_index = 1") = PRIMARY" \
    "credit_events has one index, its primary key"
sql "SELECT seq, status, version, unmapped, customer_id, asset_id, reseller_id, rule_id,
            owner_account_id FROM credit_view ORDER BY seq" > "$TMP/after"
if cmp -s "$TMP/before" "$TMP/after"; then
    pass "every credit keeps its assignment, state and version"
else
    fail "every credit keeps its assignment, state and version"
    diff "$TMP/before" "$TMP/after" | sed 's/^/#   /'
fi
check "$(sql "SELECT COUNT(*) FROM assignments") = 4" \
    "one row per distinct value: the empty one, two assigned, one unmapped"
check "$(sql "SELECT assignment_id FROM credits WHERE seq=5") = 1" "a plain pending credit points at the empty value"
check "$(sql "SELECT COUNT(DISTINCT assignment_id) FROM credits WHERE seq IN (1, 2)") = 1" \
    "credits with the same assignment share its row"
check "$(sql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='$DB'
              AND table_name='credits' AND column_name IN ('customer_id','asset_id','reseller_id',
              'rule_id','unmapped','owner_account_id')") = 0" "the old columns are gone"
check "$(sql "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema='$DB'
              AND table_name='credits' AND index_name IN ('credits_customer','credits_reseller',
              'credits_period')") = 0" "and their indexes"
run migrate
check "$rc = 0" "migrate again: nothing to do"

# The upgraded database works like a new one.
cat > "$TMP/accounts.csv" <<'EOF'
account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to
222222222222,C-1,AS-1,R-1,Acme,North,2026-01-01,
EOF
run accounts import "$TMP/accounts.csv"
check "$rc = 0" "accounts import"
run assign --period 2026-10
check "$rc = 0" "assign after the upgrade"
check "$(sql "SELECT CONCAT(status, '/', customer_id, '/', rule_id) FROM credit_view WHERE seq=5") = \
ASSIGNED/C-1/default" "the pending credit is assigned by the default"
check "$(sql "SELECT GROUP_CONCAT(kind ORDER BY id) FROM credit_events WHERE seq=5") = create,assign" \
    "its new event sorts after the one written before the upgrade"
run list --period 2026-09 --customer C-2
check "$rc = 0 -a $(grep -c . "$OUT") -ge 2" "list by customer finds the processed credit"
run list --period 2026-09 --unmapped
check "$rc = 0" "list unmapped"
grep -q "AWSC" "$OUT" && pass "the unmapped credit is listed" || fail "the unmapped credit is listed"

# A new database and a user with exactly the privileges the operator guide
# lists: migrate, import and assign work.
grants=$(sed -n '/^GRANT SELECT/,/ON awscredit/p' "$ROOT/docs/OPERATOR-GUIDE.md" | tr '\n' ' ' |
         sed 's/ *ON awscredit.*//')
mariadb --no-defaults -S "$SOCKET" -uroot -e "CREATE DATABASE $DB2;
    CREATE USER '$OP'@'localhost' IDENTIFIED BY 'op-secret-1';
    $grants ON $DB2.* TO '$OP'@'localhost'" || fail "create the operator user: $grants"
cat > "$TMP/op.ini" <<EOF
[db]
socket = $SOCKET
user = $OP
password_env = AWC_TEST_OP_PASSWORD
database = $DB2
[assign]
default = customer:100
EOF
export AWC_TEST_OP_PASSWORD=op-secret-1
oprun() { "$HOST" --config "$TMP/op.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?; }
oprun migrate
check "$rc = 0" "migrate with the documented privileges"
oprun accounts import "$TMP/accounts.csv"
check "$rc = 0" "accounts import with them"
mariadb --no-defaults -S "$SOCKET" -uroot "$DB2" -e "INSERT INTO credits (seq, period,
    payer_account_id, usage_account_id, credit_key, product_code, currency, amount)
    VALUES (1, '2026-10', '111111111111', '222222222222', 'k1', 'AmazonEC2', 'USD', -5)"
oprun assign --period 2026-10
check "$rc = 0" "assign with them"
check "$(mariadb --no-defaults -S "$SOCKET" -uroot -N -B "$DB2" -e "SELECT customer_id
         FROM credit_view WHERE seq = 1") = C-1" "the credit is assigned"
tap_done
