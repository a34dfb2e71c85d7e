#!/bin/sh
# bench-pull.sh -- `awscredit pull` on a 200 MB and a 2 GB CUR file, plain
# and gzipped, beside DuckDB, wc -l and gzip -dc in the same run.
#
#   sh bench/bench-pull.sh          (also run by `make bench` through bench/run)
#
# Environment:
#   BUILD=build        where build/awscredit and build/bench/gen-cur are
#   BENCH_RUNS=3       timed runs per figure; the best one counts
#
# What it does:
#   1. generates (deterministic) legacy CUR CSV files into bench/data/:
#      pull-200mb.csv (260 000 rows) and pull-2gb.csv (2 600 000 rows), each
#      with the exact per-currency credit sums of gen-cur (--sums), and
#      gzips the 2 GB one; files whose recorded generator arguments, source
#      checksum and size still match are reused;
#   2. installs DuckDB (@duckdb/node-api, the version pinned in
#      bench/package.json and bench/package-lock.json) into
#      bench/node_modules when it is missing or another version;
#   3. starts the throwaway MariaDB (scripts/devdb) unless it runs already,
#      and stops it at the end only if it started it;
#   4. per input, with the file in the page cache (read once first), takes
#      the best of BENCH_RUNS wall times of: wc -l; awscredit pull into a
#      fresh, migrated database; DuckDB's query (bench/duckdb-credits.mjs);
#      for the .gz: gzip -dc > /dev/null, awscredit pull, DuckDB;
#   5. measures the peak RSS of awscredit pull (200 MB, 2 GB, 2 GB .gz, and
#      pull-200mb-c100.csv: 200 MB with as many credits as the 2 GB file,
#      because memory grows with the number of credits, not the file size);
#   6. checks every run: awscredit's credit rows, credits and per-currency
#      totals (--json) equal DuckDB's and gen-cur's sums; prints MISMATCH
#      and exits 1 when they do not.
#
# Targets (reported, not enforced; the exit status only says whether the
# benchmark ran and the results were correct):
#   awscredit <= 0.25 x DuckDB on the 2 GB CSV, >= 1 GB/s from the page cache;
#   awscredit on the .gz <= 1.0 x gzip -dc;
#   peak RSS <= 64 MiB, the same for 200 MB and 2 GB.
#
# The awscredit time is the whole process: start, module load, database
# connection, reading and aggregating, and writing the credits (all new, in
# an empty database).  The DuckDB time is its query alone, inside an already
# started node process (the process time, node start included, is printed
# too): the ratio is the one least favourable to awscredit.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
AWC=$BUILD/awscredit
GEN=$BUILD/bench/gen-cur
DATA=bench/data
PERIOD=2026-10
GEN_ARGS_COMMON="--period $PERIOD --dialect legacy --payers 8"

TMP=""
STARTED_DB=0
DBS=""
MYSQL=""

say() { printf '%s\n' "$*"; }
die() { printf 'bench-pull: %s\n' "$*" >&2; exit 1; }

cleanup() {
    set +e
    if [ -n "$DBS" ] && [ -n "$MYSQL" ]; then
        for db in $DBS; do
            $MYSQL -e "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1
        done
    fi
    if [ "$STARTED_DB" = 1 ]; then
        scripts/devdb stop >/dev/null 2>&1
    fi
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- small helpers ------------------------------------------------------------

now_ns() { date +%s%N; }

# fmt_s NS -- seconds with 3 decimals
fmt_s() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }
# ratio A B -- A/B with 2 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# verdict VALUE le|ge TARGET -- "met" or "MISSED"
verdict() {
    awk -v v="$1" -v op="$2" -v t="$3" \
        'BEGIN { ok = (op == "le") ? (v <= t) : (v >= t); print ok ? "met" : "MISSED" }'
}
# gbps BYTES NS -- GB/s (10^9 bytes) with 2 decimals
gbps() { awk -v b="$1" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? b / n : 0) }'; }
# size_h BYTES -- "2.02 GB" / "202 MB"
size_h() {
    awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%.2f GB", b / 1e9; else printf "%.0f MB", b / 1e6 }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
fsize() { wc -c <"$1" | tr -d ' '; }

# run OUT ERR CMD... -- run CMD, its output to OUT and ERR; on failure show
# ERR and stop the benchmark.
run() {
    _out=$1 _err=$2
    shift 2
    if "$@" >"$_out" 2>"$_err"; then
        return 0
    else
        _rc=$?
    fi
    say "bench-pull: failed (exit $_rc): $*" >&2
    tail -n 20 "$_err" >&2
    exit 1
}

# timed OUT ERR CMD... -- run, and set T_NS to its wall time
timed() {
    _t0=$(now_ns)
    run "$@"
    _t1=$(now_ns)
    T_NS=$((_t1 - _t0))
}

# best_of OUT CMD... -- best of RUNS wall times in BEST_NS; stdout to OUT
best_of() {
    _bout=$1
    shift
    BEST_NS=0
    _i=0
    while [ "$_i" -lt "$RUNS" ]; do
        timed "$_bout" "$TMP/best.err" "$@"
        if [ "$BEST_NS" -eq 0 ] || [ "$T_NS" -lt "$BEST_NS" ]; then
            BEST_NS=$T_NS
        fi
        _i=$((_i + 1))
    done
}

# --- prerequisites ----------------------------------------------------------------

[ "$(date +%N)" != "%N" ] || die "date +%N is not supported (GNU coreutils needed)"
command -v node >/dev/null 2>&1 || die "node not found (Node.js 18 or later runs the DuckDB peer)"
command -v npm >/dev/null 2>&1 || die "npm not found (installs the DuckDB peer)"
command -v gzip >/dev/null 2>&1 || die "gzip not found"
if [ ! -x "$AWC" ] || [ ! -f "$BUILD/awscredit.so" ] || [ ! -x "$GEN" ]; then
    say "building $AWC and $GEN"
    make -s BUILD="$BUILD" release "$GEN" || die "build failed"
fi
MYSQL_BIN=$(command -v mariadb || command -v mysql || true)
[ -n "$MYSQL_BIN" ] || die "mariadb client not found (run scripts/deps)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/awscredit-bench-pull.XXXXXX")
mkdir -p "$DATA"

# --- DuckDB ---------------------------------------------------------------------------

want_duckdb=$(sed -n 's/.*"@duckdb\/node-api": *"\([^"]*\)".*/\1/p' bench/package.json)
have_duckdb=""
if [ -f bench/node_modules/@duckdb/node-api/package.json ]; then
    have_duckdb=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
        bench/node_modules/@duckdb/node-api/package.json | head -n 1)
fi
if [ "$have_duckdb" != "$want_duckdb" ]; then
    say "installing @duckdb/node-api $want_duckdb into bench/node_modules"
    # npm install, not npm ci: npm 11 writes a lock without the other
    # platforms' optional packages and then refuses it in npm ci.  The
    # versions are exact in package.json and locked with their hashes in
    # package-lock.json; --no-save leaves both files as they are.
    npm install --prefix bench --no-save --no-audit --no-fund --loglevel=error \
        >"$TMP/npm.log" 2>&1 ||
        { cat "$TMP/npm.log" >&2; die "npm install --prefix bench failed"; }
fi

# --- data -------------------------------------------------------------------------------

GEN_SUM=$(cksum <bench/gen-cur.c | cut -d' ' -f1)

# gen_csv NAME ROWS SEED PERMILLE -- bench/data/NAME.csv and NAME.sums, with
# PERMILLE credit rows per 1000; reused when
# NAME.stamp records the same arguments, generator source and size.
gen_csv() {
    _csv=$DATA/$1.csv _sums=$DATA/$1.sums _stamp=$DATA/$1.stamp
    _key="gen-cur --rows $2 --seed $3 --credit-permille $4 $GEN_ARGS_COMMON src=$GEN_SUM"
    if [ -f "$_csv" ] && [ -f "$_sums" ] && [ -f "$_stamp" ] &&
        [ "$(sed -n 1p "$_stamp")" = "$_key" ] &&
        [ "$(sed -n 2p "$_stamp")" = "$(fsize "$_csv")" ]; then
        return 0
    fi
    say "generating $_csv ($2 rows)"
    rm -f "$_stamp" "$_csv.gz.stamp"
    # shellcheck disable=SC2086
    run "$TMP/gen.out" "$TMP/gen.err" "$GEN" --rows "$2" --seed "$3" --credit-permille "$4" $GEN_ARGS_COMMON \
        -o "$_csv.tmp" --sums "$_sums.tmp"
    mv "$_csv.tmp" "$_csv"
    mv "$_sums.tmp" "$_sums"
    printf '%s\n%s\n' "$_key" "$(fsize "$_csv")" >"$_stamp"
}

# gz_csv NAME -- bench/data/NAME.csv.gz, reused when its stamp matches.
gz_csv() {
    _csv=$DATA/$1.csv _gz=$DATA/$1.csv.gz _stamp=$DATA/$1.csv.gz.stamp
    _key="gzip -6 of $(sed -n 1p "$DATA/$1.stamp") size=$(fsize "$_csv")"
    if [ -f "$_gz" ] && [ -f "$_stamp" ] && [ "$(sed -n 1p "$_stamp")" = "$_key" ] &&
        [ "$(sed -n 2p "$_stamp")" = "$(fsize "$_gz")" ]; then
        return 0
    fi
    say "compressing $_csv (about a minute, once)"
    rm -f "$_stamp"
    run "$_gz.tmp" "$TMP/gzip.err" gzip -6 -c "$_csv"
    mv "$_gz.tmp" "$_gz"
    printf '%s\n%s\n' "$_key" "$(fsize "$_gz")" >"$_stamp"
}

gen_csv pull-200mb 260000 11 10
gen_csv pull-2gb 2600000 12 10
# For the memory comparison only: 200 MB holding as many credits as the
# 2 GB file (10 % credit rows), since what the pull keeps in memory grows
# with the number of credits, not with the size of the file.
gen_csv pull-200mb-c100 260000 11 100
gz_csv pull-2gb

# --- database ---------------------------------------------------------------------------

if ! scripts/devdb status >/dev/null 2>&1; then
    run "$TMP/devdb.out" "$TMP/devdb.err" scripts/devdb start
    STARTED_DB=1
fi
eval "$(scripts/devdb env)"
MYSQL="$MYSQL_BIN --no-defaults --socket=$AWSCREDIT_DEVDB_SOCKET -uroot"
run "$TMP/migrate.out" "$TMP/migrate.err" "$AWC" migrate

DB_N=0
# fresh_db -- a new, migrated database; CFG is a config file pointing to it.
fresh_db() {
    DB_N=$((DB_N + 1))
    _db=awc_bench_pull_$$_$DB_N
    DBS="$DBS $_db"
    $MYSQL -e "CREATE DATABASE \`$_db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" ||
        die "cannot create database $_db"
    CFG=$TMP/$_db.ini
    sed "s/^database *=.*/database = $_db/" "$AWSCREDIT_CONFIG" >"$CFG"
    grep -q "^database = $_db\$" "$CFG" || die "no database line in $AWSCREDIT_CONFIG"
    run "$TMP/migrate.out" "$TMP/migrate.err" "$AWC" --config "$CFG" migrate
    CUR_DB=$_db
}
drop_db() {
    $MYSQL -e "DROP DATABASE IF EXISTS \`$CUR_DB\`" >/dev/null 2>&1 || true
}

# --- checks ------------------------------------------------------------------------------

# check LABEL AWSCREDIT_JSON DUCKDB_JSON SUMS -- the same credit rows, credits
# and per-currency totals everywhere, or MISMATCH and exit 1.  DUCKDB_JSON
# "-": compare awscredit with gen-cur's sums only.
check() {
    if node -e '
const fs = require("fs");
const [label, awcF, duckF, sumsF] = process.argv.slice(1);
const awc = JSON.parse(fs.readFileSync(awcF, "utf8"));
const duck = duckF === "-" ? null : JSON.parse(fs.readFileSync(duckF, "utf8"));
const norm = (s) => String(s).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
const gen = { rows: 0, totals: {} };
for (const line of fs.readFileSync(sumsF, "utf8").split("\n")) {
  const f = line.trim().split(/\s+/);
  if (f.length !== 3) continue;
  gen.totals[f[0]] = f[1];
  gen.rows += Number(f[2]);
}
const bad = [];
if (awc.credit_rows !== gen.rows) bad.push(`credit rows: awscredit ${awc.credit_rows}, gen-cur ${gen.rows}`);
if (duck && duck.rows !== gen.rows) bad.push(`credit rows: duckdb ${duck.rows}, gen-cur ${gen.rows}`);
if (duck && awc.credits !== duck.credits) bad.push(`credits: awscredit ${awc.credits}, duckdb ${duck.credits}`);
if (awc.bad_rows) bad.push(`awscredit reports ${awc.bad_rows} bad rows`);
const curs = new Set([...Object.keys(gen.totals), ...Object.keys(awc.totals || {}),
                      ...Object.keys(duck ? duck.totals : {})]);
for (const c of [...curs].sort()) {
  const g = norm(gen.totals[c]), a = norm((awc.totals || {})[c]), d = duck ? norm(duck.totals[c]) : g;
  if (a !== g || d !== g) bad.push(`total ${c}: awscredit ${a}, duckdb ${d}, gen-cur ${g}`);
}
if (bad.length) {
  for (const b of bad) console.log(`MISMATCH ${label}: ${b}`);
  process.exit(1);
}
' "$1" "$2" "$3" "$4"; then
        return 0
    fi
    exit 1
}

# --- peak RSS ---------------------------------------------------------------------------

# peak_rss OUT ERR CMD... -- run CMD; RSS_KIB = its peak resident set (KiB)
peak_rss() {
    _out=$1 _err=$2
    shift 2
    if [ -x /usr/bin/time ]; then
        run "$_out" "$_err" /usr/bin/time -f %M -o "$TMP/rss" "$@"
        RSS_KIB=$(tail -n 1 "$TMP/rss")
        RSS_HOW="GNU time"
        return 0
    fi
    # No GNU time: sample VmHWM (the kernel's own high-water mark) until
    # the process exits.
    "$@" >"$_out" 2>"$_err" &
    _pid=$!
    RSS_KIB=0
    while :; do
        _v=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$_pid/status" 2>/dev/null || true)
        [ -n "$_v" ] || break       # gone, or a zombie (no memory left)
        [ "$_v" -gt "$RSS_KIB" ] && RSS_KIB=$_v
        sleep 0.005
    done
    if wait "$_pid"; then :; else
        say "bench-pull: failed (exit $?): $*" >&2
        tail -n 20 "$_err" >&2
        exit 1
    fi
    RSS_HOW="VmHWM sampled"
}

# --- measurements ------------------------------------------------------------------------

# awc_pull NAME FILE -- best of RUNS pulls, each into a fresh database;
# every run checked against DuckDB's answer in $TMP/NAME-duck.json.
awc_pull_best() {
    _name=$1 _file=$2 _sums=$3
    AWC_NS=0
    _i=0
    while [ "$_i" -lt "$RUNS" ]; do
        fresh_db
        timed "$TMP/$_name-awc.json" "$TMP/$_name-awc.err" \
            "$AWC" --config "$CFG" --json pull --period "$PERIOD" --path "$_file"
        drop_db
        check "$_name" "$TMP/$_name-awc.json" "$TMP/$_name-duck.json" "$_sums"
        if [ "$AWC_NS" -eq 0 ] || [ "$T_NS" -lt "$AWC_NS" ]; then
            AWC_NS=$T_NS
        fi
        _i=$((_i + 1))
    done
}

# duck_best NAME FILE -- best of RUNS DuckDB queries (DUCK_NS, in-process
# query time) and process wall times (DUCKP_NS).
duck_best() {
    _name=$1 _file=$2
    DUCK_NS=0 DUCKP_NS=0
    _i=0
    while [ "$_i" -lt "$RUNS" ]; do
        timed "$TMP/$_name-duck.json" "$TMP/$_name-duck.err" \
            node bench/duckdb-credits.mjs "$_file" "$PERIOD" legacy
        _q=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
                      console.log(Math.round(j.query_s * 1e9))' "$TMP/$_name-duck.json")
        if [ "$DUCK_NS" -eq 0 ] || [ "$_q" -lt "$DUCK_NS" ]; then DUCK_NS=$_q; fi
        if [ "$DUCKP_NS" -eq 0 ] || [ "$T_NS" -lt "$DUCKP_NS" ]; then DUCKP_NS=$T_NS; fi
        _i=$((_i + 1))
    done
}

json_field() {
    node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
             console.log(j[process.argv[2]])' "$1" "$2"
}

say "machine: $(nproc) cores, $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "kernel $(uname -r), $(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)"
say "peers: DuckDB $( (cd bench && node -e 'import("@duckdb/node-api").then(d => console.log(d.default.version()))') 2>/dev/null ||
    echo '?') (@duckdb/node-api $want_duckdb, node $(node --version)), $(gzip --version | head -n 1)," \
    "$(wc --version | head -n 1)"
say "best of $RUNS runs each, files in the page cache; awscredit = whole process into a fresh database"
say ""

RATIO_2G=""
TPUT_2G=""
RATIO_GZ=""

for input in pull-200mb pull-2gb; do
    file=$DATA/$input.csv
    sums=$DATA/$input.sums
    bytes=$(fsize "$file")
    cat "$file" >/dev/null            # into the page cache

    best_of "$TMP/$input-wc.out" wc -l "$file"
    WC_NS=$BEST_NS
    rows=$(($(cut -d' ' -f1 <"$TMP/$input-wc.out") - 1))
    duck_best "$input" "$file"
    awc_pull_best "$input" "$file" "$sums"

    r=$(ratio "$AWC_NS" "$DUCK_NS")
    rp=$(ratio "$AWC_NS" "$DUCKP_NS")
    tp=$(gbps "$bytes" "$AWC_NS")
    say "pull $(size_h "$bytes") CSV ($rows rows, $(json_field "$TMP/$input-awc.json" credit_rows) credit rows," \
        "$(json_field "$TMP/$input-awc.json" credits) credits; correct: awscredit = DuckDB = gen-cur sums):"
    say "  awscredit $(fmt_s "$AWC_NS") s, duckdb $(fmt_s "$DUCK_NS") s (query; $(fmt_s "$DUCKP_NS") s with node start)," \
        "wc -l $(fmt_s "$WC_NS") s"
    say "  ratio awscredit/duckdb $r (target <= 0.25: $(verdict "$r" le 0.25)), vs duckdb process $rp;" \
        "awscredit/wc -l $(ratio "$AWC_NS" "$WC_NS");" \
        "throughput $tp GB/s (target >= 1: $(verdict "$tp" ge 1)), wc -l $(gbps "$bytes" "$WC_NS") GB/s"
    if [ "$input" = pull-2gb ]; then
        RATIO_2G=$r TPUT_2G=$tp
    fi
done

# --- gzip ---------------------------------------------------------------------------------

input=pull-2gb
gz=$DATA/$input.csv.gz
sums=$DATA/$input.sums
gzbytes=$(fsize "$gz")
bytes=$(fsize "$DATA/$input.csv")
cat "$gz" >/dev/null
best_of /dev/null gzip -dc "$gz"
GUNZIP_NS=$BEST_NS
duck_best "$input-gz" "$gz"
awc_pull_best "$input-gz" "$gz" "$sums"
RATIO_GZ=$(ratio "$AWC_NS" "$GUNZIP_NS")
say ""
say "pull $(size_h "$bytes") CSV as gzip ($(size_h "$gzbytes")):"
say "  awscredit $(fmt_s "$AWC_NS") s, gzip -dc > /dev/null $(fmt_s "$GUNZIP_NS") s," \
    "duckdb $(fmt_s "$DUCK_NS") s (query; $(fmt_s "$DUCKP_NS") s with node start)"
say "  ratio awscredit/gzip -dc $RATIO_GZ (target <= 1.0: $(verdict "$RATIO_GZ" le 1.0))," \
    "awscredit/duckdb $(ratio "$AWC_NS" "$DUCK_NS"); awscredit $(gbps "$bytes" "$AWC_NS") GB/s of CSV"

# --- peak RSS -------------------------------------------------------------------------------

say ""
for input in pull-200mb pull-2gb pull-2gb-gz pull-200mb-c100; do
    case $input in
        pull-2gb-gz) file=$DATA/pull-2gb.csv.gz sums=$DATA/pull-2gb.sums ;;
        *) file=$DATA/$input.csv sums=$DATA/$input.sums ;;
    esac
    duck=$TMP/$input-duck.json
    [ -f "$duck" ] || duck=-
    fresh_db
    peak_rss "$TMP/$input-rss.json" "$TMP/rss.err" \
        "$AWC" --config "$CFG" --json pull --period "$PERIOD" --path "$file"
    drop_db
    check "$input (RSS run)" "$TMP/$input-rss.json" "$duck" "$sums"
    eval "RSS_$(echo "$input" | tr '-' '_')=$RSS_KIB"
done
# shellcheck disable=SC2154
r200=$RSS_pull_200mb r2g=$RSS_pull_2gb rgz=$RSS_pull_2gb_gz r200c=$RSS_pull_200mb_c100
max=$r200
for v in $r2g $rgz $r200c; do
    [ "$v" -gt "$max" ] && max=$v
done
grow=$(ratio "$r2g" "$r200c")
say "peak RSS of awscredit pull ($RSS_HOW): 200 MB $(mib "$r200") MiB" \
    "($(json_field "$TMP/pull-200mb-rss.json" credits) credits), 2 GB $(mib "$r2g") MiB" \
    "($(json_field "$TMP/pull-2gb-rss.json" credits) credits), 2 GB .gz $(mib "$rgz") MiB;" \
    "200 MB with 10 % credit rows $(mib "$r200c") MiB ($(json_field "$TMP/pull-200mb-c100-rss.json" credits) credits)"
say "  largest $(mib "$max") MiB (target <= 64: $(verdict "$(mib "$max")" le 64));" \
    "2 GB / 200 MB at an equal number of credits $grow" \
    "(target: the same, within 10 %: $(verdict "$grow" le 1.10));" \
    "2 GB / 200 MB at 1 % credit rows $(ratio "$r2g" "$r200") (memory follows the number of credits)"
say ""
say "summary: awscredit/duckdb $RATIO_2G (<= 0.25), $TPUT_2G GB/s (>= 1)," \
    "awscredit/gzip -dc $RATIO_GZ (<= 1.0), peak RSS $(mib "$max") MiB (<= 64)," \
    "RSS 2 GB/200 MB at equal credits $grow (~1)"
