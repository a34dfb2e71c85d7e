#!/bin/sh
# test_galera.sh -- the store on a 3-node Galera 4 cluster (scripts/galera,
# loopback only, its own temporary directory), with three hosts whose
# db.hosts start at different nodes:
#   - migrate on node 1, then use from the others;
#   - two hosts assign the same period at once, then two invoice it at
#     once: every credit assigned once (one event), every usage record sent
#     once, sums exact;
#   - a node killed (SIGKILL) in the middle of an assign and of an invoice:
#     the host on it fails cleanly or moves on; a re-run on a survivor
#     finishes; the invariants hold;
#   - the host that sent a usage file dies before recording it: another
#     host, on another node, takes the invoice lock over once its lease runs
#     out and adopts the file instead of sending it again;
#   - a node cut off from the others (SIGSTOP of the other two) refuses
#     work with a clear error rather than diverging.
# Bounded: the cluster starts in about 20 s; every command has a timeout.
# Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET (unused: this test brings its own servers).
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_galera.XXXXXX") || exit 1
OUT=$TMP/out
ERR=$TMP/err
SPOOL=$TMP/spool
export AWSCREDIT_GALERA_RECORD=$TMP/galera.dir
P1=2026-08
P2=2026-09
N=600            # credits a period

galera() { timeout 300 sh "$ROOT/scripts/galera" "$@" >>"$TMP/galera.out" 2>&1 </dev/null; }
cleanup() {
    [ -f "$AWSCREDIT_GALERA_RECORD" ] && timeout 120 sh "$ROOT/scripts/galera" stop >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

# once more if the first start fails (a busy machine): the test is about
# the store, not about starting servers
if ! galera start && ! { galera stop; galera start; }; then
    OUT=$TMP/galera.out
    fail "scripts/galera start: a 3-node cluster on loopback"
    tap_done
    exit 1
fi
eval "$(sh "$ROOT/scripts/galera" env)"
pass "scripts/galera start: a 3-node cluster on loopback"

# sqln N TEXT -- one statement on node N
sqln() {
    eval "s=\$AWSCREDIT_GALERA_SOCKET$1"
    timeout 30 mariadb --no-defaults -S "$s" -uroot -N -B awscredit -e "$2"
}
# hosts_from N -- db.hosts starting at node N
hosts_from() {
    case $1 in
        1) echo "127.0.0.1:$AWSCREDIT_GALERA_PORT1, 127.0.0.1:$AWSCREDIT_GALERA_PORT2, 127.0.0.1:$AWSCREDIT_GALERA_PORT3" ;;
        2) echo "127.0.0.1:$AWSCREDIT_GALERA_PORT2, 127.0.0.1:$AWSCREDIT_GALERA_PORT3, 127.0.0.1:$AWSCREDIT_GALERA_PORT1" ;;
        3) echo "127.0.0.1:$AWSCREDIT_GALERA_PORT3, 127.0.0.1:$AWSCREDIT_GALERA_PORT1, 127.0.0.1:$AWSCREDIT_GALERA_PORT2" ;;
    esac
}
mkdir -p "$SPOOL"
for h in 1 2 3; do
    cat >"$TMP/h$h.ini" <<EOF
[db]
hosts = $(hosts_from $h)
user = root
database = awscredit
connect_timeout = 3
lock_seconds = 6
[assign]
default = customer:90
lanes = 2
[invoicing]
adapter = spool
spool_dir = $SPOOL
item_mpn = AWS-CREDIT
EOF
done
# only node 1: for the partition
sed "s/^hosts = .*/hosts = 127.0.0.1:$AWSCREDIT_GALERA_PORT1/" "$TMP/h1.ini" >"$TMP/only1.ini"

# runh H ARGS... -- host H (its db.hosts start at node H), bounded
runh() {
    h=$1; shift
    timeout 120 "$HOST" --config "$TMP/h$h.ini" "$@" >"$OUT" 2>"$ERR" </dev/null; rc=$?
}
# bgh H NAME ARGS... -- host H in the background; its pid in $!
bgh() {
    h=$1; name=$2; shift 2
    timeout 120 "$HOST" --config "$TMP/h$h.ini" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
}

# cur PERIOD FIRST -- N credits of 40 accounts under 4 resellers
cur() {
    awk -v p="$1" -v first="$2" -v n=$N 'BEGIN {
        print "identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id," \
              "line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date," \
              "line_item_product_code,line_item_currency_code,line_item_unblended_cost," \
              "line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id"
        for (i = 0; i < n; i++) {
            acct = sprintf("%012d", 100000000000 + i % 40)
            cents = 100 + (i * 37) % 9000
            printf "%d,%s-01T00:00:00Z,999999999999,%s,Credit,%s-02T00:00:00Z,AmazonEC2,USD,-%d.%02d,Promotional credit id: %d,AWS,AWS Inc,\n", \
                i + 1, p, acct, p, cents / 100, cents % 100, first + i
        }
    }'
}
{
    echo "account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to"
    i=0
    while [ $i -lt 40 ]; do
        printf '%012d,C-%d,AS-%d,R-%d,,,2026-01-01,\n' $((100000000000 + i)) $i $i $((i % 4))
        i=$((i + 1))
    done
} >"$TMP/accounts.csv"
cur $P1 50000000000 >"$TMP/cur1.csv"
cur $P2 60000000000 >"$TMP/cur2.csv"

# invariants PERIOD NODE WHAT -- every credit of PERIOD assigned exactly once,
# every split line with a record sent at most once, sums exact
assigned_once() {
    check "$(sqln "$2" "SELECT COUNT(*) FROM credits WHERE period = '$1' AND status = 'PENDING_ASSIGN'") = 0" \
        "$3: no credit of $1 left unassigned"
    check "$(sqln "$2" "SELECT COUNT(*) FROM (SELECT e.seq FROM credit_events e JOIN credits c ON c.seq = e.seq
                         WHERE c.period = '$1' AND e.kind = 'assign' GROUP BY e.seq HAVING COUNT(*) <> 1) x") = 0" \
        "$3: every credit of $1 has exactly one assign event"
}
# spool PERIOD -- "records sum distinct" of the usage records of PERIOD's
# files in the spool (amounts in cents)
spool() {
    python3 - "$SPOOL/outbox" "$1" <<'PY'
import csv, decimal, glob, os, sys
n, total, ids = 0, decimal.Decimal(0), set()
for f in glob.glob(os.path.join(sys.argv[1], "UF-*.csv")):
    for r in csv.DictReader(open(f, newline="")):
        if r["start_time_utc"].startswith(sys.argv[2]):
            n += 1
            total += decimal.Decimal(r["amount"])
            ids.add(r["record_id"])
print(n, int(total * 100), len(ids))
PY
}
invoiced_once() {
    check "$(sqln "$2" "SELECT COUNT(*) FROM credits WHERE period = '$1' AND status <> 'PROCESSING'") = 0" \
        "$3: every credit of $1 PROCESSING"
    want=$(sqln "$2" "SELECT COUNT(*) FROM credit_splits s JOIN credits c ON c.seq = s.seq
                      WHERE c.period = '$1' AND s.target <> 'retained' AND s.amount_minor <> 0")
    sum_db=$(sqln "$2" "SELECT SUM(s.amount_minor) FROM credit_splits s JOIN credits c ON c.seq = s.seq
                        WHERE c.period = '$1' AND s.target <> 'retained'")
    set -- "$1" "$2" "$3" $(spool "$1")
    check "${4:-x} = ${want:-y} -a ${6:-x} = ${want:-y}" "$3: each of the $want usage records of $1 sent once (${4:-?} in the spool, ${6:-?} distinct ids)"
    check "${5:-x} = ${sum_db:-y}" "$3: the records' amounts add up to the splits' ($sum_db cents)"
}

# --- migrate on one node, use from the others -------------------------------------------------------
runh 1 migrate
check "$rc = 0" "migrate through node 1"
runh 2 migrate
check "$rc = 0" "migrate again through node 2: nothing to do"
grep -q "up to date" "$OUT"
check "$? = 0" "node 2 sees node 1's migrations"
check "$(sqln 3 "SELECT COUNT(*) FROM locks") = 0" "the migration lock is let go on every node"
runh 2 accounts import "$TMP/accounts.csv"
check "$rc = 0" "accounts imported through node 2"
runh 3 pull --period $P1 --path "$TMP/cur1.csv"
check "$rc = 0 -a $(sqln 1 "SELECT COUNT(*) FROM credits WHERE period = '$P1'") = $N" "pull through node 3: $N credits seen on node 1"
ids=$(sqln 2 "SELECT COUNT(DISTINCT seq) FROM credits")
check "$ids = $N" "credit ids distinct"

# --- two hosts on two nodes assign the same period at once, then invoice it -----------------------
# slices of 100 seqs (test builds): six of them, claimed by the two hosts
export AWC_ASSIGN_SLICE=100
bgh 1 a1 assign --period $P1; A1=$!
bgh 2 a2 assign --period $P1; A2=$!
wait $A1; r1=$?
wait $A2; r2=$?
echo "# assign at once: $r1 $r2"; head -c 400 "$TMP/a1.err" "$TMP/a2.err" | sed 's/^/#   /'
check "$r1 = 0 -o $r1 = 75" "assign on node 1 alongside another: done or busy ($r1)"
check "$r2 = 0 -o $r2 = 75" "assign on node 2 alongside another: done or busy ($r2)"
runh 3 assign --period $P1
check "$rc = 0" "assign again on node 3: nothing left to do"
unset AWC_ASSIGN_SLICE
assigned_once $P1 3 "two assigns at once"
check "$(sqln 3 "SELECT COUNT(*) FROM locks") = 0" "the slices' claims are let go"

bgh 1 i1 invoice --period $P1; I1=$!
bgh 3 i3 invoice --period $P1; I3=$!
wait $I1; r1=$?
wait $I3; r3=$?
echo "# invoice at once: $r1 $r3"; head -c 400 "$TMP/i1.err" "$TMP/i3.err" | sed 's/^/#   /'
check "$r1 = 0 -o $r1 = 75" "invoice on node 1 alongside another: done, or busy while the other prepared ($r1)"
check "$r3 = 0 -o $r3 = 75" "invoice on node 3 alongside another: done, or busy while the other prepared ($r3)"
check "$r1 = 0 -o $r3 = 0" "one of them invoiced"
runh 2 invoice --period $P1
check "$rc = 0" "invoice again on node 2: nothing left to send"
invoiced_once $P1 2 "two invoices at once"

# --- a node killed in the middle of an assign and of an invoice -----------------------------------
runh 2 pull --period $P2 --path "$TMP/cur2.csv"
check "$rc = 0" "pull $P2 through node 2"
bgh 1 k1 assign --period $P2; K1=$!
sleep 0.3
galera kill 1
wait $K1; r=$?
echo "# assign on a killed node: $r"; head -c 400 "$TMP/k1.err" | sed 's/^/#   /'
check "$r = 0 -o $r = 69 -o $r = 75" "assign whose node was killed: done elsewhere or failed cleanly ($r)"
grep -q "AddressSanitizer\|runtime error" "$TMP/k1.err"
check "$? = 1" "no crash"
runh 2 assign --period $P2
check "$rc = 0" "assign re-run through node 2 finishes"
assigned_once $P2 2 "a node killed during assign"
# a joiner copies the cluster's data (SST) before it is Synced: on a busy
# machine that can outlast one try; the second try starts from what the
# first copied
if galera restart 1 || { tail -n 20 "$TMP/galera.out" | sed 's/^/#   /'; galera restart 1; }; then
    pass "node 1 rejoins"
else
    tail -n 40 "$TMP/galera.out" | sed 's/^/#   /'
    fail "node 1 rejoins"
fi

bgh 3 k3 invoice --period $P2; K3=$!
sleep 0.3
galera kill 3
wait $K3; r=$?
echo "# invoice on a killed node: $r"; head -c 400 "$TMP/k3.err" | sed 's/^/#   /'
check "$r = 0 -o $r = 69 -o $r = 75" "invoice whose node was killed: done elsewhere or failed cleanly ($r)"
i=0
until runh 2 invoice --period $P2 && [ "$rc" = 0 ]; do  # a lock of the dead host waits for its lease
    i=$((i + 1)); [ $i -ge 10 ] && break; sleep 2
done
check "$rc = 0" "invoice re-run through node 2 finishes"
invoiced_once $P2 2 "a node killed during invoice"

# --- the sending host dies; another finishes on another node (nodes 1 and 2) ---------------------
P3=2026-10
cur $P3 70000000000 >"$TMP/cur3.csv"
runh 1 pull --period $P3 --path "$TMP/cur3.csv"
runh 1 assign --period $P3
check "$rc = 0" "pull and assign $P3 through node 1"
AWC_FAULT=after-send timeout 120 "$HOST" --config "$TMP/h1.ini" invoice --period $P3 >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc = 75 -a $(sqln 2 "SELECT COUNT(*) FROM locks WHERE name LIKE 'awscredit.uf.%'") = 1" \
    "the host died right after sending a file, holding its claim"
t0=$(date +%s)
runh 2 invoice --period $P3
t1=$(date +%s)
check "$rc = 0 -a $((t1 - t0)) -ge 3" "another host on node 2 sends the other files, waits for the dead host's lease ($((t1 - t0)) s), then takes its file over"
grep -q "1 usage file\|adopted\|handed over" "$OUT"
invoiced_once $P3 2 "the sending host died"
check "$(sqln 1 "SELECT COUNT(*) FROM locks") = 0" "no lock left behind"

# --- a node cut off from the others (node 3 is dead: node 1 and node 2 remain) ------------------
galera pause 2
sleep 9      # evs.inactive_timeout (6 s): node 1 is alone, half of the cluster, not primary
timeout 60 "$HOST" --config "$TMP/only1.ini" accounts import "$TMP/accounts.csv" >"$OUT" 2>"$ERR" </dev/null
rc=$?
check "$rc != 0" "a node cut off from the others refuses work ($rc)"
grep -q "not ready\|primary component\|1047" "$ERR"
check "$? = 0" "with a clear error"
galera resume 2
i=0
while [ $i -lt 60 ] && [ "$(sqln 1 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
                                    WHERE VARIABLE_NAME = 'WSREP_READY'" 2>/dev/null)" != ON ]; do
    sleep 0.5; i=$((i + 1))
done
runh 1 accounts import "$TMP/accounts.csv"
check "$rc = 0" "the nodes back together: node 1 takes work again"
n1=$(sqln 1 "SELECT COUNT(*), SUM(amount) FROM credits")
n2=$(sqln 2 "SELECT COUNT(*), SUM(amount) FROM credits")
check "x$(echo $n1 | tr ' \t' '__') = x$(echo $n2 | tr ' \t' '__')" "nodes 1 and 2 agree ($n1)"

tap_done
