#!/bin/sh
# bench-export.sh -- `awscredit export` of 100 000 and 1 000 000 credits
# beside `mariadb --batch --quick` running the same SELECT on the same
# tables, in the same run.
#
#   sh bench/bench-export.sh        (also run by `make bench` through bench/run)
#
# Environment:
#   BUILD=build                where build/awscredit and build/awscredit.so are
#                              (built with `make release` when missing)
#   BENCH_RUNS=3               timed runs per figure; the best one counts
#   BENCH_EXPORT_ROWS=1000000  the large size; the small one is a tenth of it
#   AWC_BENCH_SOCKET           use this MariaDB server (root, no password)
#                              instead of the throwaway one of scripts/devdb
#
# What it does:
#   1. starts the throwaway MariaDB (scripts/devdb) unless it runs already
#      (or AWC_BENCH_SOCKET names another server), and stops it at the end
#      only if it started it;
#   2. creates a database of its own, migrates it with `awscredit migrate`
#      and fills it with INSERT ... SELECT FROM seq_1_to_N: credits in all
#      four states over 12 periods, 2 000 customers, 20 resellers, two
#      currencies, descriptions with a comma (so every row has a quoted
#      cell), and two split lines (customer 80 %, retained) for every
#      assigned or later credit, with usage record ids on the processed ones;
#   3. at 100 000 and at 1 000 000 credits takes, alternating, the best of
#      BENCH_RUNS wall times of
#        awscredit --config CFG export -o FILE    (the whole process: start,
#                                                  module load, connection,
#                                                  query, CSV, fsync, rename)
#        mariadb --batch --quick -e "SELECT ..."  (the SELECT the module's
#                                                  store runs when no filter
#                                                  is given) > FILE
#      and, for information, mariadb selecting the credits columns alone;
#   4. measures the peak RSS of awscredit export at both sizes;
#   5. checks every export: the header and one CSV line per credit, the same
#      number of rows as mariadb's; prints MISMATCH and exits 1 otherwise.
#
# Targets (reported, not enforced; the exit status only says whether the
# benchmark ran and its results were right):
#   throughput awscredit / mariadb --batch --quick >= 0.8 at 1 000 000 rows
#   (= mariadb's time / awscredit's time);
#   peak RSS flat: at 1 000 000 rows at most 10 % above 100 000 rows.
# Arithmetic is integer (ratios in hundredths).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
LARGE=${BENCH_EXPORT_ROWS:-1000000}
SMALL=$((LARGE / 10))
CHUNK=100000
AWC=$BUILD/awscredit

TMP=""
STARTED_DB=0
DB=""
MYSQL=""

say() { printf '%s\n' "$*"; }
die() { printf 'bench-export: %s\n' "$*" >&2; exit 1; }

cleanup() {
    set +e
    if [ -n "$DB" ] && [ -n "$MYSQL" ]; then
        $MYSQL -e "DROP DATABASE IF EXISTS \`$DB\`" >/dev/null 2>&1
    fi
    if [ "$STARTED_DB" = 1 ]; then
        scripts/devdb stop >/dev/null 2>&1
    fi
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- integer helpers ----------------------------------------------------------------

now_ns() { date +%s%N; }
# secs NS -- "12.345"
secs() { _ms=$(($1 / 1000000)); printf '%d.%03d' $((_ms / 1000)) $((_ms % 1000)); }
# hundredths H -- "0.87" for 87
hundredths() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }
# mib KIB -- "12.6"
mib() { printf '%d.%d' $(($1 / 1024)) $((($1 % 1024) * 10 / 1024)); }
# rate ROWS NS -- rows per second
rate() { echo $(($1 * 1000000 / ($2 / 1000))); }
fsize() { wc -c <"$1" | tr -d ' '; }
lines() { wc -l <"$1" | tr -d ' '; }

# run OUT ERR CMD... -- run CMD, output to OUT and ERR; on failure show ERR
# and stop.
run() {
    _out=$1 _err=$2
    shift 2
    if "$@" >"$_out" 2>"$_err"; then
        return 0
    else
        _rc=$?
    fi
    say "bench-export: failed (exit $_rc): $*" >&2
    tail -n 20 "$_err" >&2
    exit 1
}

# timed OUT CMD... -- run, T_NS = its wall time
timed() {
    _tout=$1
    shift
    _t0=$(now_ns)
    run "$_tout" "$TMP/timed.err" "$@"
    _t1=$(now_ns)
    T_NS=$((_t1 - _t0))
}

# peak_rss OUT CMD... -- run CMD; RSS_KIB = its peak resident set (KiB)
peak_rss() {
    _out=$1
    shift
    if [ -x /usr/bin/time ]; then
        run "$_out" "$TMP/rss.err" /usr/bin/time -f %M -o "$TMP/rss" "$@"
        RSS_KIB=$(tail -n 1 "$TMP/rss")
        RSS_HOW="GNU time"
        return 0
    fi
    # No GNU time: sample VmHWM (the kernel's high-water mark) until exit.
    "$@" >"$_out" 2>"$TMP/rss.err" &
    _pid=$!
    RSS_KIB=0
    while :; do
        _v=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$_pid/status" 2>/dev/null || true)
        [ -n "$_v" ] || break
        [ "$_v" -gt "$RSS_KIB" ] && RSS_KIB=$_v
        sleep 0.005
    done
    wait "$_pid" || { tail -n 20 "$TMP/rss.err" >&2; die "failed: $*"; }
    RSS_HOW="VmHWM sampled"
}

# --- prerequisites --------------------------------------------------------------------

[ "$(date +%N)" != "%N" ] || die "date +%N is not supported (GNU coreutils needed)"
if [ ! -x "$AWC" ] || [ ! -f "$BUILD/awscredit.so" ]; then
    say "building $AWC"
    make -s BUILD="$BUILD" release || die "build failed"
fi
MYSQL_BIN=$(command -v mariadb || command -v mysql || true)
[ -n "$MYSQL_BIN" ] || die "mariadb client not found (run scripts/deps)"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/awscredit-bench-export.XXXXXX")

if [ -n "${AWC_BENCH_SOCKET:-}" ]; then
    SOCK=$AWC_BENCH_SOCKET
else
    if ! scripts/devdb status >/dev/null 2>&1; then
        run "$TMP/devdb.out" "$TMP/devdb.err" scripts/devdb start
        STARTED_DB=1
    fi
    eval "$(scripts/devdb env)"
    SOCK=$AWSCREDIT_DEVDB_SOCKET
fi
MYSQL="$MYSQL_BIN --no-defaults --socket=$SOCK -uroot"
DB=awc_bench_export_$$
CFG=$TMP/bench.ini
printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n' "$SOCK" "$DB" >"$CFG"
$MYSQL -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4" || die "cannot create database $DB"
run "$TMP/migrate.out" "$TMP/migrate.err" "$AWC" --config "$CFG" migrate

# --- data -------------------------------------------------------------------------------

. "$ROOT/bench/fill-credits.sh"

# The statement adapters/store_mariadb_query.c prepares, with every filter
# unset (each "(? IS NULL OR ...)" is true) and no limit.
COLS="c.seq, c.period, c.payer_account_id, c.usage_account_id, c.credit_key, \
c.product_code, c.currency, c.revision, c.adjusts, c.description, c.credit_type, \
c.billing_entity, c.legal_entity, c.invoice_id, c.first_usage, c.last_usage, c.issue_date, \
c.line_count, c.amount, c.status, c.version, a.unmapped, a.customer_id, a.asset_id, \
a.reseller_id, a.rule_id, c.usage_file_id, c.processing_date, c.created_at, c.updated_at, \
a.owner_account_id"
SPLITS="(SELECT CONCAT(COUNT(*), ',', \
COALESCE(SUM(IF(s.target <> 'retained', s.amount_minor, 0)), 0), ',', \
COALESCE(SUM(IF(s.target = 'retained', s.amount_minor, 0)), 0), ',', \
COALESCE(GROUP_CONCAT(s.record_id ORDER BY s.line_no SEPARATOR ';'), '')) \
FROM credit_splits s WHERE s.seq = c.seq)"
FROM_SQL="FROM credits c STRAIGHT_JOIN assignments a ON a.id = c.assignment_id"
PEER_SQL="SELECT $COLS, $SPLITS $FROM_SQL ORDER BY c.seq"
PLAIN_SQL="SELECT $COLS $FROM_SQL ORDER BY c.seq"

# check_export ROWS FILE -- the SPEC's header and ROWS data lines.
check_export() {
    _h=$(head -n 1 "$2" | tr -d '\r')
    [ "$_h" = "credit_id,period,status,payer_account_id,usage_account_id,customer_id,asset_id,reseller_id,product_code,credit_type,description,amount,currency,assigned_amount,retained_amount,rule_id,usage_file_id,record_id,processing_date,issue_date,updated_at" ] ||
        { say "MISMATCH: export header is '$_h'"; exit 1; }
    _l=$(($(lines "$2") - 1))
    [ "$_l" -eq "$1" ] || { say "MISMATCH: export has $_l rows, the table $1"; exit 1; }
}

# measure ROWS -- best-of-RUNS times (OURS_NS, PEER_NS, PLAIN_NS) and our
# peak RSS (RSS_KIB) at ROWS credits.
measure() {
    OURS_NS=0 PEER_NS=0 PLAIN_NS=0
    _i=0
    while [ "$_i" -lt "$RUNS" ]; do
        rm -f "$TMP/ours.csv"
        timed "$TMP/ours.out" "$AWC" --config "$CFG" export -o "$TMP/ours.csv"
        check_export "$1" "$TMP/ours.csv"
        if [ "$OURS_NS" -eq 0 ] || [ "$T_NS" -lt "$OURS_NS" ]; then OURS_NS=$T_NS; fi
        timed "$TMP/peer.tsv" $MYSQL --batch --quick "$DB" -e "$PEER_SQL"
        _pl=$(($(lines "$TMP/peer.tsv") - 1))
        [ "$_pl" -eq "$1" ] || { say "MISMATCH: mariadb returned $_pl rows, expected $1"; exit 1; }
        if [ "$PEER_NS" -eq 0 ] || [ "$T_NS" -lt "$PEER_NS" ]; then PEER_NS=$T_NS; fi
        timed "$TMP/plain.tsv" $MYSQL --batch --quick "$DB" -e "$PLAIN_SQL"
        if [ "$PLAIN_NS" -eq 0 ] || [ "$T_NS" -lt "$PLAIN_NS" ]; then PLAIN_NS=$T_NS; fi
        _i=$((_i + 1))
    done
    OURS_BYTES=$(fsize "$TMP/ours.csv")
    PEER_BYTES=$(fsize "$TMP/peer.tsv")
    rm -f "$TMP/ours.csv"
    peak_rss "$TMP/rss.out" "$AWC" --config "$CFG" export -o "$TMP/ours.csv"
    check_export "$1" "$TMP/ours.csv"
    rm -f "$TMP/ours.csv" "$TMP/peer.tsv" "$TMP/plain.tsv"
}

# report ROWS -- print one size's figures; RATIO = throughput ours/peer in
# hundredths.
report() {
    RATIO=$((PEER_NS * 100 / OURS_NS))
    say "export of $1 credits ($((OURS_BYTES / 1000000)) MB CSV; mariadb's TSV $((PEER_BYTES / 1000000)) MB):"
    say "  awscredit export -o FILE        $(secs "$OURS_NS") s  ($(rate "$1" "$OURS_NS") rows/s)"
    say "  mariadb --batch --quick, same SELECT  $(secs "$PEER_NS") s  ($(rate "$1" "$PEER_NS") rows/s)"
    say "  throughput awscredit / mariadb  $(hundredths "$RATIO")"
    say "  (mariadb, credits columns only, no split sums: $(secs "$PLAIN_NS") s;" \
        "awscredit / that $(hundredths $((PLAIN_NS * 100 / OURS_NS))))"
    say "  peak RSS of awscredit export    $(mib "$RSS_KIB") MiB ($RSS_HOW)"
}

say "machine: $(nproc) cores, $(awk '/^MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)," \
    "kernel $(uname -r); $($MYSQL -N -e 'SELECT VERSION()'); best of $RUNS runs each"
say ""

t0=$(now_ns)
fill 0 "$SMALL"
say "filled $SMALL credits in $(secs $(($(now_ns) - t0))) s"
measure "$SMALL"
report "$SMALL"
RSS_SMALL=$RSS_KIB

t0=$(now_ns)
fill "$SMALL" "$LARGE"
say ""
say "filled $((LARGE - SMALL)) more credits in $(secs $(($(now_ns) - t0))) s"
measure "$LARGE"
report "$LARGE"
RSS_LARGE=$RSS_KIB

GROWTH=$((RSS_LARGE * 100 / RSS_SMALL))
if [ "$RATIO" -ge 80 ]; then T1=met; else T1=MISSED; fi
if [ "$GROWTH" -le 110 ]; then T2=met; else T2=MISSED; fi
say ""
say "summary: throughput awscredit/mariadb at $LARGE rows $(hundredths "$RATIO") (target >= 0.80: $T1);" \
    "peak RSS $(mib "$RSS_SMALL") MiB at $SMALL rows, $(mib "$RSS_LARGE") MiB at $LARGE rows," \
    "ratio $(hundredths "$GROWTH") (target <= 1.10, flat: $T2)"
