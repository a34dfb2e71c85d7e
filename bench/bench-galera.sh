#!/bin/sh
# bench-galera.sh -- a month through pull, assign and invoice (spool) with
# three hosts on a 3-node Galera cluster (one host per node; assign and
# invoice started on the three at once, pull on one) against one host on a
# single server (scripts/devdb), same machine, same run.
# Goal: the cluster no slower than 2x the single server (reported, not
# enforced).
#
# Usage: sh bench/bench-galera.sh [CREDITS]    (default 1,000,000; from the
# repository root after `make release`)
#
# Starts its own cluster with scripts/galera (a separate record, removed at
# the end) and uses the devdb server (started when not running).  Prints
# the seconds of each step on each side and the ratios.  Checks that every
# credit ended PROCESSING on both sides and that the spools hold the same
# number of records; a wrong result fails the benchmark.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-1000000}
P=2026-10
DB=awc_bench_galera
BIN=build/awscredit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-galera.XXXXXX")
export AWSCREDIT_GALERA_RECORD=$TMP/galera.dir
STARTED=0

if ! sh scripts/devdb status >/dev/null 2>&1; then
    sh scripts/devdb start >/dev/null
    STARTED=1
fi
eval "$(sh scripts/devdb env)"
S=$AWSCREDIT_DEVDB_SOCKET
cleanup() {
    mariadb --no-defaults -S "$S" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
    [ -f "$AWSCREDIT_GALERA_RECORD" ] && sh scripts/galera stop >/dev/null 2>&1
    rm -rf "$TMP"
    [ $STARTED = 1 ] && sh scripts/devdb stop >/dev/null
    return 0
}
trap cleanup EXIT

ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

echo "generating $N credits over 1,000 accounts and 12 resellers"
awk -v p=$P -v n="$N" 'BEGIN {
    print "identity_line_item_id,bill_billing_period_start_date,bill_payer_account_id," \
          "line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date," \
          "line_item_product_code,line_item_currency_code,line_item_unblended_cost," \
          "line_item_line_item_description,bill_billing_entity,line_item_legal_entity,bill_invoice_id"
    for (i = 0; i < n; i++) {
        cents = 100 + (i * 37) % 9000
        printf "%d,%s-01T00:00:00Z,%012d,%012d,Credit,%s-02T00:00:00Z,AmazonEC2,USD,-%d.%02d,Promotional credit id: %d,AWS,AWS Inc,\n", \
            i + 1, p, 900000000000 + i % 7, 100000000000 + i % 1000, p, cents / 100, cents % 100, \
            10000000000 + i
    }
}' >"$TMP/cur.csv"
{
    echo "account_id,customer_id,asset_id,reseller_id,customer_name,reseller_name,valid_from,valid_to"
    awk 'BEGIN { for (i = 0; i < 1000; i++)
        printf "%012d,C-%d,AS-%d,R-%d,,,2026-01-01,\n", 100000000000 + i, i, i, i % 12 }'
} >"$TMP/accounts.csv"

# ini FILE DBLINES SPOOL
ini() {
    mkdir -p "$3"
    { printf '%s\n' "$2"; cat <<EOF
[assign]
default = customer:90
[invoicing]
adapter = spool
spool_dir = $3
item_mpn = AWS-CREDIT
EOF
    } >"$1"
}

# --- one host, one server ---------------------------------------------------------------------
mariadb --no-defaults -S "$S" -uroot -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
ini "$TMP/single.ini" "$(printf '[db]\nsocket = %s\nuser = root\ndatabase = %s' "$S" "$DB")" \
    "$TMP/spool1"
"$BIN" --config "$TMP/single.ini" migrate >/dev/null
"$BIN" --config "$TMP/single.ini" accounts import "$TMP/accounts.csv" >/dev/null
t0=$(ms)
"$BIN" --config "$TMP/single.ini" pull --period $P --path "$TMP/cur.csv" >/dev/null
t1=$(ms)
"$BIN" --config "$TMP/single.ini" assign --period $P >/dev/null
t2=$(ms)
"$BIN" --config "$TMP/single.ini" invoice --period $P >/dev/null
t3=$(ms)
s_pull=$(secs $t0 $t1); s_assign=$(secs $t1 $t2); s_invoice=$(secs $t2 $t3); s_all=$(secs $t0 $t3)
left=$(mariadb --no-defaults -S "$S" -uroot -N -B "$DB" -e \
       "SELECT COUNT(*) FROM credits WHERE status <> 'PROCESSING'")
[ "$left" = 0 ] || { echo "single server: $left credits not PROCESSING" >&2; exit 1; }
mariadb --no-defaults -S "$S" -uroot -e "DROP DATABASE IF EXISTS $DB"

# --- three hosts, three nodes ----------------------------------------------------------------------
c0=$(ms)
sh scripts/galera start >/dev/null
c1=$(ms)
eval "$(sh scripts/galera env)"
for n in 1 2 3; do
    eval "port=\$AWSCREDIT_GALERA_PORT$n"
    ini "$TMP/node$n.ini" "$(printf '[db]\nhosts = 127.0.0.1:%s\nuser = root\ndatabase = awscredit' "$port")" \
        "$TMP/spool3"
done
"$BIN" --config "$TMP/node1.ini" migrate >/dev/null
"$BIN" --config "$TMP/node1.ini" accounts import "$TMP/accounts.csv" >/dev/null
# all3 ARGS... -- the three hosts at once; fails when one failed
all3() {
    "$BIN" --config "$TMP/node1.ini" "$@" >/dev/null & a=$!
    "$BIN" --config "$TMP/node2.ini" "$@" >/dev/null & b=$!
    "$BIN" --config "$TMP/node3.ini" "$@" >/dev/null & c=$!
    ok=0
    wait $a || ok=1
    wait $b || ok=1
    wait $c || ok=1
    return $ok
}
t0=$(ms)
"$BIN" --config "$TMP/node1.ini" pull --period $P --path "$TMP/cur.csv" >/dev/null
t1=$(ms)
all3 assign --period $P
t2=$(ms)
all3 invoice --period $P || "$BIN" --config "$TMP/node2.ini" invoice --period $P >/dev/null
t3=$(ms)
g_pull=$(secs $t0 $t1); g_assign=$(secs $t1 $t2); g_invoice=$(secs $t2 $t3); g_all=$(secs $t0 $t3)
left=$(mariadb --no-defaults -S "$AWSCREDIT_GALERA_SOCKET3" -uroot -N -B awscredit -e \
       "SELECT COUNT(*) FROM credits WHERE status <> 'PROCESSING'")
[ "$left" = 0 ] || { echo "cluster: $left credits not PROCESSING" >&2; exit 1; }
r1=$(cat "$TMP"/spool1/outbox/*.csv | grep -vc '^record_id,')
r3=$(cat "$TMP"/spool3/outbox/*.csv | grep -vc '^record_id,')
[ "$r1" = "$r3" ] || { echo "records: $r1 on one server, $r3 on the cluster" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 0.001) }'; }
printf '%d credits, %d usage records; cluster start %.0f s (not counted)\n' "$N" "$r1" \
    "$(secs $c0 $c1)"
printf '%-8s %10s %10s %8s\n' step single cluster ratio
printf '%-8s %9ss %9ss %7sx\n' pull "$s_pull" "$g_pull" "$(ratio $s_pull $g_pull)"
printf '%-8s %9ss %9ss %7sx\n' assign "$s_assign" "$g_assign" "$(ratio $s_assign $g_assign)"
printf '%-8s %9ss %9ss %7sx\n' invoice "$s_invoice" "$g_invoice" "$(ratio $s_invoice $g_invoice)"
printf '%-8s %9ss %9ss %7sx   (goal: <= 2x)\n' total "$s_all" "$g_all" "$(ratio $s_all $g_all)"
