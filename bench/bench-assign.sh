#!/bin/sh
# bench-assign.sh -- `awscredit assign` of 100,000 pending credits, end to
# end against MariaDB, next to LOAD DATA LOCAL INFILE of the same split rows
# into a table of the same shape, measured in the same run.
# Target: assign <= 2x LOAD DATA.
#
# Usage: sh bench/bench-assign.sh [CREDITS [ROUNDS]]   (from the repository
# root, after `make release`; starts scripts/devdb when it is not running)
#
# Each round builds a fresh database and times the peer, assign, and the
# peer again, letting the server finish writing what came before (dirty
# pages, purge) ahead of each, so that no measurement pays for another.
# The round's ratio is assign over the mean of the two peer times: these
# machines change speed by up to 2x for seconds at a time (a CPU-bound loop
# shows it too), and a peer timed on one side of assign alone measured
# another machine as often as not.  The peer's rows are the split lines a
# first, untimed assign of the same data wrote.  The figure is the median
# of the rounds' ratios; each round is printed too.  For comparison, not as
# the target, each round also loads that assign's events, and the last line
# sets assign against loading everything it writes (split rows and events).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-100000}
ROUNDS=${2:-3}
P=2026-10
DB=awc_bench_assign
BIN=build/awscredit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-assign.XXXXXX")
STARTED=0

# AWC_BENCH_SOCKET points at another server (e.g. one sized for production);
# otherwise the throwaway devdb is used.  AWC_BENCH_LANES sets assign.lanes
# (default: the configuration's default, 2).
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
DIRTY_PCT=$(root -N -B -e "SELECT @@innodb_max_dirty_pages_pct")
cleanup() {
    root -e "DROP DATABASE IF EXISTS $DB; SET GLOBAL innodb_max_dirty_pages_pct = $DIRTY_PCT" \
        2>/dev/null || true
    rm -rf "$TMP"
    [ $STARTED = 1 ] && sh scripts/devdb stop >/dev/null
    return 0
}
trap cleanup EXIT

ms() { date +%s%3N; }
sql() { root "$DB" "$@"; }
status() { root -N -B -e "SELECT variable_value FROM information_schema.global_status
                          WHERE variable_name = '$1'"; }

# settle -- wait (30 s at most) until InnoDB has written its dirty pages and
# purged old row versions, so that the next measurement starts from a quiet
# server.
settle() {
    root -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
    i=0
    while [ $i -lt 150 ]; do
        [ "$(status INNODB_BUFFER_POOL_PAGES_DIRTY)" -le 50 ] &&
            [ "$(status INNODB_HISTORY_LIST_LENGTH)" -le 50 ] && break
        sleep 0.2
        i=$((i + 1))
    done
    root -e "SET GLOBAL innodb_max_dirty_pages_pct = $DIRTY_PCT"
}

# fresh -- a new database with 1,000 accounts (one in fifty unowned) and N
# pending credits over them.
fresh() {
    root -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
    printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n[assign]\ndefault = customer:100\n' \
        "$S" "$DB" > "$TMP/awscredit.ini"
    if [ -n "${AWC_BENCH_LANES:-}" ]; then
        printf 'lanes = %s\n' "$AWC_BENCH_LANES" >> "$TMP/awscredit.ini"
    fi
    export AWSCREDIT_CONFIG="$TMP/awscredit.ini"
    $BIN migrate >/dev/null
    $BIN rules import docs/examples/rules.xml >/dev/null

    sql -e "
    INSERT INTO accounts (account_id, valid_from, customer_id, asset_id, reseller_id, customer_name, reseller_name)
    SELECT LPAD(100000000000 + seq, 12, '0'), '2025-01-01', CONCAT('C-', seq % 300), CONCAT('AS-', seq),
           ELT(1 + seq % 3, 'R-NORTH', 'R-SOUTH', 'R-WEST'), CONCAT('Customer ', seq % 300), 'Reseller'
    FROM seq_1_to_1000 WHERE seq % 50 <> 0;
    DO SETVAL(credit_seq, $((N + 1)));
    INSERT INTO credits (seq, period, payer_account_id, usage_account_id, credit_key, product_code, currency,
                         description, credit_type, amount, status, line_count)
    SELECT seq, '$P', '999999999999', LPAD(100000000000 + 1 + seq % 1000, 12, '0'), CONCAT('credit id: ', seq),
           ELT(1 + seq % 4, 'AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda'),
           ELT(1 + seq % 5, 'USD', 'USD', 'USD', 'EUR', 'JPY'),
           ELT(1 + seq % 6, 'AWS Migration Acceleration Program Credit_MPE1', 'EDP Commitment Credit',
               'SLA credit for S3', 'AWS Activate Credits', 'Promotional credit', 'Goodwill Credits'),
           ELT(1 + seq % 6, 'MAP', 'EDP', 'SLA', 'PROMOTIONAL', 'PROMOTIONAL', 'PROMOTIONAL'),
           -(seq % 100000) / 97 - 0.01, 'PENDING_ASSIGN', 1
    FROM seq_1_to_$N;"
}

# assign -- times `awscredit assign` (ms), keeping its output.
assign() {
    settle
    t0=$(ms)
    /usr/bin/time -o "$TMP/time" -f "client: %U s user, %S s sys, %M KB" \
        $BIN assign --period $P > "$TMP/assign.out"
    echo $(($(ms) - t0))
}

# load FILE TABLE SOURCE [COLUMNS] -- times LOAD DATA LOCAL INFILE of
# $TMP/FILE into TABLE, a new empty copy of SOURCE (ms), and checks that
# every row went in as it was: with LOCAL, MariaDB turns a row it cannot
# write (a duplicate key, a bad value) into a warning and goes on, and a
# load that skips rows times something else.
load() {
    sql -e "DROP TABLE IF EXISTS $2; CREATE TABLE $2 LIKE $3"
    settle
    t0=$(ms)
    w=$(sql -N -B --local-infile=1 -e "LOAD DATA LOCAL INFILE '$TMP/$1'
                                       INTO TABLE $2 ${4:-}; SELECT @@warning_count")
    t=$(($(ms) - t0))
    n=$(sql -N -B -e "SELECT COUNT(*) FROM $2")
    if [ "$w" != 0 ] || [ "$n" != "$(wc -l < "$TMP/$1")" ]; then
        echo "bench-assign: $1 loaded $n rows of $(wc -l < "$TMP/$1") with $w warnings" >&2
        exit 1
    fi
    echo $t
}

# peer -- the split rows into a table of the same shape.
peer() { load splits.tsv splits_copy credit_splits; }

# events -- the events into a table of the same shape: with the split rows,
# everything assign writes (printed for comparison, not the target's peer).
events() {
    load events.tsv events_copy credit_events "(seq, kind, from_state, to_state,
        from_version, to_version, assignment_id, actor_role, actor_id, actor_reseller, note,
        detail) SET id = NEXTVAL(credit_event_seq)"
}

# The loads' rows: the split lines and events of a first assign of the same
# data, as LOAD DATA reads them (raw output: NULL is \N, which the SQL below
# writes; the benchmark's strings hold no tab, newline or backslash).
fresh
assign >/dev/null
sql -r -N -B -e "SELECT seq, line_no, target, IFNULL(party_id, '\\\\N'), target_name,
                 IFNULL(percent_bp, '\\\\N'), amount_minor, IFNULL(customer_id, '\\\\N'),
                 IFNULL(asset_id, '\\\\N'), IFNULL(reseller_id, '\\\\N'), '\\\\N'
                 FROM credit_splits ORDER BY seq, line_no" > "$TMP/splits.tsv"
sql -r -N -B -e "SELECT seq, kind, from_state, to_state, from_version, to_version,
                 IFNULL(assignment_id, '\\\\N'), actor_role, actor_id,
                 IFNULL(actor_reseller, '\\\\N'), IFNULL(note, '\\\\N'),
                 IFNULL(detail, '\\\\N') FROM credit_events ORDER BY seq, id" > "$TMP/events.tsv"

# round -- one fresh database: peer, assign, peer, events; prints
# "assign_ms peer_before_ms peer_after_ms split_rows assigned events_ms".
round() {
    fresh
    before=$(peer) || exit 1
    a=$(assign)
    after=$(peer) || exit 1
    ev=$(events) || exit 1
    echo "$a $before $after $(sql -N -B -e "SELECT COUNT(*) FROM credit_splits") \
$(sql -N -B -e "SELECT COUNT(*) FROM credits WHERE status = 'ASSIGNED'") $ev"
}

r=1
: > "$TMP/rounds"
while [ $r -le "$ROUNDS" ]; do
    out=$(round) || exit 1
    set -- $out
    echo "$@" >> "$TMP/rounds"
    awk -v r=$r -v a="$1" -v b="$2" -v f="$3" 'BEGIN { l = (b + f) / 2
        printf "round %d: assign %.2f s, LOAD DATA %.2f s (%.2f before, %.2f after), ratio %.2f\n",
               r, a / 1000, l / 1000, b / 1000, f / 1000, a / (l ? l : 1) }'
    r=$((r + 1))
done
sed 's/^/  /' "$TMP/assign.out"
echo "  $(cat "$TMP/time")"
awk -v n="$N" '{ a[NR] = $1; l[NR] = ($2 + $3) / 2; q[NR] = a[NR] / (l[NR] ? l[NR] : 1); rows = $4; k = $5
     w[NR] = a[NR] / (l[NR] + $6); ev[NR] = $6 }
END {
    # the same for assign over everything it writes, loaded (for comparison)
    for (i = 2; i <= NR; i++) for (j = i; j > 1 && w[j - 1] > w[j]; j--) {
        t = w[j]; w[j] = w[j - 1]; w[j - 1] = t
        t = ev[j]; ev[j] = ev[j - 1]; ev[j - 1] = t
    }
    mw = int((NR + 1) / 2); wm = w[mw]; em = ev[mw]; wlo = w[1]; whi = w[NR]
    # median by ratio (insertion sort of at most a few rounds)
    for (i = 2; i <= NR; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) {
        t = q[j]; q[j] = q[j - 1]; q[j - 1] = t
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        t = l[j]; l[j] = l[j - 1]; l[j - 1] = t
    }
    m = int((NR + 1) / 2)
    printf "assign: %d credits (%d assigned, %d split rows): %.2f s, %d credits/s (median round)\n", n, k, rows, a[m] / 1000, n * 1000 / (a[m] ? a[m] : 1)
    printf "LOAD DATA LOCAL INFILE of the same %d split rows: %.2f s\n", rows, l[m] / 1000
    printf "ratio assign / LOAD DATA: %.2f, median of %d rounds (%.2f to %.2f) (target <= 2.00)\n", q[m], NR, q[1], q[NR]
    printf "for comparison, LOAD DATA of the split rows and the events (everything assign writes): ratio %.2f (%.2f to %.2f; events %.2f s)\n", wm, wlo, whi, em / 1000
}' "$TMP/rounds"
