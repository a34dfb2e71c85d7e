#!/bin/sh
# bench-grants.sh -- `awscredit balance` over GRANTS grants, CREDITS credits
# and a NODES-node hierarchy of four levels (BU -> Department -> Portfolio
# -> Product), end to end against MariaDB: the grants read, every negative
# credit drawn in issue-date order, the roll-up by recursive CTE, the JSON
# written.  Also `balance --level Department`, `balance --node` of one
# department and `expiring --within 60`.  Target (issue 18): balance under
# 2 s on 2 cores for 100,000 grants, 1,000,000 credits, 10,000 nodes.
#
# Usage: sh bench/bench-grants.sh [GRANTS [CREDITS [NODES [ROUNDS]]]]
#        (from the repository root, after `make release`; starts
#        scripts/devdb when it is not running)
#
# The data is made by the server (its sequence tables), not by the
# program: 20,000 accounts with GRANTS/20,000 grants each (one in two with
# the account's credit key, the rest blank-key; one in four for two
# products only), allocated to the Product nodes; CREDITS credits over the
# same accounts, twelve periods, 50 products, one in five with a key no
# grant has (unmatched).  The figure is the median of ROUNDS runs.  Every
# run checks own + children == node for every node of the answer, exactly.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
G=${1:-100000}
C=${2:-1000000}
N=${3:-10000}
ROUNDS=${4:-3}
DB=awc_bench_grants
BIN=build/awscredit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-grants.XXXXXX")
STARTED=0

if [ -n "${AWC_BENCH_SOCKET:-}" ]; then
    S=$AWC_BENCH_SOCKET
else
    if ! sh scripts/devdb status >/dev/null 2>&1; then
        sh scripts/devdb start >/dev/null
        STARTED=1
    fi
    eval "$(sh scripts/devdb env)"
    S=$AWSCREDIT_DEVDB_SOCKET
fi
root() { mariadb --no-defaults -S "$S" -uroot "$@"; }
cleanup() {
    root -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
    rm -rf "$TMP"
    [ $STARTED = 1 ] && sh scripts/devdb stop >/dev/null
    return 0
}
trap cleanup EXIT
[ -n "${AWC_BENCH_KEEP:-}" ] && trap - EXIT
ms() { date +%s%3N; }
sql() { root "$DB" "$@"; }

root -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n' "$S" "$DB" > "$TMP/awscredit.ini"
"$BIN" --config "$TMP/awscredit.ini" migrate >/dev/null

# levels: 10 BUs, then Departments, Portfolios and Products in the ratio
# 1 : 10 : 100 of the rest (10,000 nodes: 10, 90, 900, 9,000)
B=10
D=$(((N - B) / 111))
P=$((D * 10))
R=$((N - B - D - P))
t0=$(ms)
sql -e "
INSERT INTO hierarchy_nodes (node_id, parent_id, name, level)
  SELECT CONCAT('BU', seq), NULL, CONCAT('Business unit ', seq), 'BU' FROM seq_1_to_$B;
INSERT INTO hierarchy_nodes (node_id, parent_id, name, level)
  SELECT CONCAT('D', seq), CONCAT('BU', 1 + seq % $B), CONCAT('Department ', seq), 'Department'
  FROM seq_1_to_$D;
INSERT INTO hierarchy_nodes (node_id, parent_id, name, level)
  SELECT CONCAT('P', seq), CONCAT('D', 1 + seq % $D), CONCAT('Portfolio ', seq), 'Portfolio'
  FROM seq_1_to_$P;
INSERT INTO hierarchy_nodes (node_id, parent_id, name, level)
  SELECT CONCAT('PR', seq), CONCAT('P', 1 + seq % $P), CONCAT('Product ', seq), 'Product'
  FROM seq_1_to_$R;
INSERT INTO grants (grant_id, account_id, credit_key, currency, amount, issue_date, end_date,
                    reference, node_id, products)
  SELECT CONCAT('G', seq), LPAD(100000000000 + seq % 20000, 12, '0'),
         IF(seq % 2 = 0, CONCAT('K', seq % 20000 % 4), ''), 'USD',
         100 + seq % 900 + (seq % 97) / 100,
         DATE_ADD('2025-10-01', INTERVAL seq % 200 DAY),
         DATE_ADD('2026-06-01', INTERVAL seq % 400 DAY),
         CONCAT('MAP MPE', seq), CONCAT('PR', 1 + seq % $R),
         IF(seq % 4 = 1, CONCAT('Prod', seq % 50, ' Prod', (seq + 7) % 50), '')
  FROM seq_1_to_$G;
INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, product_code,
                     currency, description, issue_date, amount)
  SELECT seq, DATE_FORMAT(DATE_ADD('2025-11-01', INTERVAL (seq DIV 20000) % 12 MONTH), '%Y-%m'),
         '999999999999', LPAD(100000000000 + seq % 20000, 12, '0'),
         IF(seq % 5 = 0, CONCAT('X', seq % 3), CONCAT('K', seq % 20000 % 4)),
         CONCAT('Prod', (seq DIV 20000) % 50), 'USD', 'bench',
         DATE_ADD(DATE_ADD('2025-10-31', INTERVAL (seq DIV 20000) % 12 MONTH),
                  INTERVAL seq % 27 DAY),
         -(1 + (seq % 5000) / 100)
  FROM seq_1_to_$C;
ANALYZE TABLE credits, grants, hierarchy_nodes;" >/dev/null
t1=$(ms)
echo "data: $G grants, $C credits, $N nodes ($B/$D/$P/$R) made in $((t1 - t0)) ms"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The server's CPU time in ms (its user + system), when it is the devdb.
# (an assignment whose substitution fails would end the script under set -e)
PID=""
if [ -z "${AWC_BENCH_SOCKET:-}" ]; then
    PID=$(sh scripts/devdb status 2>/dev/null | sed -n 's/.*pid \([0-9]*\).*/\1/p')
fi
HZ=$(getconf CLK_TCK)
server_ms() { if [ -n "$PID" ]; then awk -v hz="$HZ" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$PID/stat"; else echo 0; fi; }

# timed CMD... -> "WALL CLIENT SERVER": the medians of ROUNDS runs, in ms, of
# the wall time, the program's CPU time and the server's; the last output
# in $TMP/out.  On a busy machine the wall time is the CPU times stretched.
timed() {
    i=0
    : > "$TMP/wall"; : > "$TMP/client"; : > "$TMP/server"
    while [ $i -lt "$ROUNDS" ]; do
        s0=$(server_ms)
        a=$(ms)
        /usr/bin/time -f '%U %S' -o "$TMP/cpu" "$BIN" --config "$TMP/awscredit.ini" "$@" > "$TMP/out"
        b=$(ms)
        s1=$(server_ms)
        echo $((b - a)) >> "$TMP/wall"
        awk '{print int(($1 + $2) * 1000)}' "$TMP/cpu" >> "$TMP/client"
        echo $((s1 - s0)) >> "$TMP/server"
        i=$((i + 1))
    done
    echo "$(median < "$TMP/wall") $(median < "$TMP/client") $(median < "$TMP/server")"
}
report() { # report LABEL "WALL CLIENT SERVER"
    set -- "$1" $2
    printf '%-28s wall %6s ms   program CPU %6s ms   server CPU %6s ms\n' "$1" "$2" "$3" "$4"
}

check_rollup() {
    python3 - "$TMP/out" <<'PY'
import json, sys
from decimal import Decimal as D
d = json.load(open(sys.argv[1]))
own, fig, parent = {}, {}, {}
for g in d["grants"]:
    if g["node"]:
        k = (g["node"], g["currency"])
        own[k] = own.get(k, D(0)) + D(g["used"])
for n in d["nodes"]:
    fig[(n["node_id"], n["currency"])] = D(n["used"])
    parent[n["node_id"]] = n["parent_id"]
kids = {}
for (node, cur), v in fig.items():
    p = parent[node]
    if p:
        kids[(p, cur)] = kids.get((p, cur), D(0)) + v
bad = [k for k, v in fig.items() if v != own.get(k, D(0)) + kids.get(k, D(0))]
if bad:
    sys.exit("roll-up differs at %s" % bad[:3])
print("  check: %d grants, %d node rows, %d unmatched; own + children == node everywhere"
      % (len(d["grants"]), len(d["nodes"]), len(d["unmatched"])))
PY
}

echo "median of $ROUNDS runs each; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
report "balance --json" "$(timed --json balance --as-of 2026-11-15)"
check_rollup
report "balance (text)" "$(timed balance --as-of 2026-11-15)"
report "balance --level Department" "$(timed balance --as-of 2026-11-15 --level Department)"
report "balance --node D1" "$(timed balance --as-of 2026-11-15 --node D1)"
report "expiring --within 60" "$(timed --json expiring --as-of 2026-11-15 --within 60)"
echo "target (issue 18): balance under 2000 ms on 2 cores at 100,000 grants, 1,000,000 credits, 10,000 nodes"
