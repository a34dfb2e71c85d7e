#!/bin/sh
# bench-web.sh -- `awscredit serve` on 1 000 000 credits: a filtered list
# page of 50 at 32 concurrent connections (wrk), the CSV download against
# `awscredit export` of the same credits in the same run, the server's
# memory during the download, and what a sign-in costs.
#
#   sh bench/bench-web.sh          (also run by `make bench` through bench/run)
#
# Environment:
#   BUILD=build               where build/awscredit and build/awscredit.so are
#   BENCH_WEB_ROWS=1000000    credits in the database
#   BENCH_WEB_SECONDS=10      seconds of each wrk run
#   AWC_BENCH_SOCKET          use this MariaDB server (root, no password)
#                             instead of the throwaway one of scripts/devdb
#
# Targets (reported, not enforced): the list page >= 1 000 requests/s with
# p99 <= 100 ms on the machine's 2 cores (wrk, MariaDB and the server share
# them); the download >= 0.9x the throughput of `awscredit export -o`;
# the server's peak RSS during the download within 16 MiB of before.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
ROWS=${BENCH_WEB_ROWS:-1000000}
SECS=${BENCH_WEB_SECONDS:-10}
CHUNK=100000
AWC=$BUILD/awscredit
TMP=""
STARTED_DB=0
DB=""
MYSQL=""
SERVER=""

say() { printf '%s\n' "$*"; }
die() { printf 'bench-web: %s\n' "$*" >&2; exit 1; }
cleanup() {
    set +e
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    [ -n "$DB" ] && [ -n "$MYSQL" ] && $MYSQL -e "DROP DATABASE IF EXISTS \`$DB\`" >/dev/null 2>&1
    [ "$STARTED_DB" = 1 ] && scripts/devdb stop >/dev/null 2>&1
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }
# secs NS -- "12.345"
secs() { printf '%d.%03d' $(($1 / 1000000000)) $((($1 / 1000000) % 1000)); }
hundredths() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }
hwm() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

command -v wrk >/dev/null || die "wrk not found (run scripts/deps)"
if [ ! -x "$AWC" ] || [ ! -f "$BUILD/awscredit.so" ]; then
    make -s BUILD="$BUILD" release || die "build failed"
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/awscredit-bench-web.XXXXXX")
if [ -n "${AWC_BENCH_SOCKET:-}" ]; then
    SOCK=$AWC_BENCH_SOCKET
else
    if ! scripts/devdb status >/dev/null 2>&1; then
        scripts/devdb start >/dev/null || die "cannot start the throwaway MariaDB"
        STARTED_DB=1
    fi
    eval "$(scripts/devdb env)"
    SOCK=$AWSCREDIT_DEVDB_SOCKET
fi
MYSQL="mariadb --no-defaults --socket=$SOCK -uroot"
DB=awc_bench_web_$$
CFG=$TMP/bench.ini
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[db]\nsocket = %s\nuser = root\ndatabase = %s\n[web]\nthreads = 4\n' "$SOCK" "$DB" >"$CFG"
$MYSQL -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4" || die "cannot create database $DB"
"$AWC" --config "$CFG" migrate >/dev/null || die "migrate failed"

. "$ROOT/bench/fill-credits.sh"
t0=$(now_ns)
fill 0 "$ROWS"
# the accounts map gives the names the list shows
$MYSQL "$DB" -e "INSERT INTO accounts (account_id, valid_from, customer_id, asset_id, reseller_id,
    customer_name, reseller_name) SELECT CONCAT('20000000', LPAD(seq, 4, '0')), '2024-01-01',
    CONCAT('C-', seq % 2000), CONCAT('A-', seq % 2000), CONCAT('R-', seq % 20),
    CONCAT('Customer ', seq % 2000), CONCAT('Reseller ', seq % 20) FROM seq_0_to_4999" ||
    die "accounts failed"
say "database: $ROWS credits in $(secs $(($(now_ns) - t0))) s"

printf 'bench-password-1\n' | "$AWC" --config "$CFG" user add bench --role distributor \
    --password-stdin >/dev/null || die "user add failed"
TOKEN=$("$AWC" --config "$CFG" user token bench | sed -n 1p)
"$AWC" --config "$CFG" serve --listen "127.0.0.1:$PORT" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/session" || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
BASE="http://127.0.0.1:$PORT"

# wrk_run NAME PATH -- 32 connections for SECS seconds; prints req/s and p99
wrk_run() {
    n=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE$2" |
        /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["count"], "of", d["total"] or "(not counted)")') ||
        die "$1: the page did not answer"
    wrk -t2 -c32 -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" "$BASE$2" >"$TMP/wrk" 2>&1 ||
        die "wrk failed: $(cat "$TMP/wrk")"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' "$TMP/wrk")
    p99=$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$TMP/wrk")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$TMP/wrk")
    say "$1: $rps requests/s, p99 $p99 (target >= 1000/s, <= 100ms); page of $n matching;" \
        "non-2xx ${non2xx:-0}"
}
say ""
say "list page of 50, 32 connections, ${SECS} s each:"
wrk_run "  by usage account (indexed)" "/api/v1/credits?account=200000000042&limit=50"
wrk_run "  by period, status and reseller, with totals" \
    "/api/v1/credits?period=2025-02&status=ASSIGNED&reseller=R-5&limit=50"
wrk_run "  the same, page 2 (totals=false)" \
    "/api/v1/credits?period=2025-02&status=ASSIGNED&reseller=R-5&limit=50&offset=50&totals=false"

# the download against export, alternating, best of 2
best_e=0 best_d=0
for r in 1 2; do
    t=$(now_ns); "$AWC" --config "$CFG" export -o "$TMP/export.csv"; t=$(($(now_ns) - t))
    [ $best_e = 0 ] || [ $t -lt $best_e ] && best_e=$t
    before=$(hwm "$SERVER")
    t=$(now_ns)
    curl -sf -H "Authorization: Bearer $TOKEN" -o "$TMP/download.csv" "$BASE/api/v1/credits.csv" ||
        die "download failed"
    t=$(($(now_ns) - t))
    [ $best_d = 0 ] || [ $t -lt $best_d ] && best_d=$t
    after=$(hwm "$SERVER")
done
cmp -s "$TMP/export.csv" "$TMP/download.csv" || die "MISMATCH: the download differs from export"
say ""
say "CSV of $ROWS credits: export -o $(secs $best_e) s, download $(secs $best_d) s;" \
    "throughput download / export $(hundredths $((best_e * 100 / best_d))) (target >= 0.90);" \
    "identical bytes"
say "server peak RSS: $((before / 1024)) MiB before the last download, $((after / 1024)) MiB after" \
    "(target: within 16 MiB)"

# sign-in: argon2id at libsodium's interactive limits (2 passes, 64 MiB)
t=$(now_ns)
for i in 1 2 3 4 5; do
    curl -sf -o /dev/null -X POST -d '{"user":"bench","password":"bench-password-1"}' \
        "$BASE/api/v1/session" || die "sign-in failed"
done
say ""
say "sign-in: $(secs $((($(now_ns) - t) / 5))) s each (argon2id, opslimit 2, memlimit 64 MiB)"
