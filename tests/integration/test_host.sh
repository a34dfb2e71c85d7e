#!/bin/sh
# test_host.sh -- the reference host (`awscredit`): module refusals, option
# parsing, configuration errors, exit statuses, and a few runs of the real
# module.  Prints "ok N - ..." / "not ok N - ..." per check; exits 1 if any
# check failed.
#
# Environment (tests/run sets it):
#   AWC_TEST_ROOT    repository root (default: two levels above this script)
#   AWC_TEST_BUILD   the sanitizer build, e.g. build/san: awscredit,
#                    awscredit.so, plugin.manifest, modules/<case>/
#   AWC_TEST_SOCKET  socket of a running MariaDB (optional; used as db.socket
#                    for the real module)
#
# The test modules are tests/modules/testmod.c built per case by
# tests/modules/modules.mk; see that file for what each one gets wrong.
set -u

ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AWC_TEST_BUILD:-$ROOT/build/san}
HOST=$BUILD/awscredit
MODS=$BUILD/modules
SOCKET=${AWC_TEST_SOCKET:-}

unset AWSCREDIT_CONFIG AWSCREDIT_MODULE_DIR
export USER=tester

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_host.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/out
ERR=$TMP/err

# The host's ABI, from the header, so the expected messages follow it.
MAJOR=$(sed -n 's/^#define AWC_ABI_MAJOR \([0-9]*\).*/\1/p' "$ROOT/module/awscredit.h")
MINOR=$(sed -n 's/^#define AWC_ABI_MINOR \([0-9]*\).*/\1/p' "$ROOT/module/awscredit.h")

n=0
failed=0

pass() {
    n=$((n + 1))
    echo "ok $n - $1"
}

fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    echo "# exit status $rc; stdout:"
    head -c 600 "$OUT" | sed 's/^/#   /'
    echo "# stderr:"
    head -c 1200 "$ERR" | sed 's/^/#   /'
}

# run ARGS... -- run the host; sets rc, fills $OUT and $ERR.
run() {
    "$HOST" "$@" >"$OUT" 2>"$ERR" </dev/null
    rc=$?
}

# run_env NAME VALUE ARGS... -- run the host with NAME=VALUE in its
# environment, or without NAME when VALUE is "-".
run_env() {
    name=$1 value=$2
    shift 2
    if [ "$value" = "-" ]; then
        env -u "$name" "$HOST" "$@" >"$OUT" 2>"$ERR" </dev/null
    else
        env "$name=$value" "$HOST" "$@" >"$OUT" 2>"$ERR" </dev/null
    fi
    rc=$?
}

# refused DESC STATUS PHRASE -- the last run exited STATUS with exactly one
# line on stderr that starts "awscredit: " and contains PHRASE, and printed
# nothing on stdout.
refused() {
    if [ "$rc" -eq "$2" ] && [ "$(wc -l <"$ERR")" -eq 1 ] &&
        grep -q '^awscredit: ' "$ERR" && grep -qF -- "$3" "$ERR" && [ ! -s "$OUT" ]; then
        pass "$1"
    else
        fail "$1 (want exit $2 and one line with: $3)"
    fi
}

# printed DESC TEXT -- the last run exited 0, stderr empty, stdout holds TEXT.
printed() {
    if [ "$rc" -eq 0 ] && [ ! -s "$ERR" ] && grep -qF -- "$2" "$OUT"; then
        pass "$1"
    else
        fail "$1 (want exit 0 and stdout with: $2)"
    fi
}

# config TEXT -- write TEXT (printf format) to $TMP/test.ini.
config() {
    # shellcheck disable=SC2059  # the format is the point
    printf "$1" >"$TMP/test.ini"
}

if [ ! -x "$HOST" ]; then
    rc=127
    : >"$OUT"
    echo "no host at $HOST (build it with make san)" >"$ERR"
    fail "the host is built"
    exit 1
fi

# --- 1. the harness works: the good test module -----------------------------
good=$MODS/good

run --module-dir "$good" version
printed "good test module: version runs the host and module parts" "testmod libraries: none"
if grep -q "^host       awscredit .* (ABI $MAJOR.$MINOR)" "$OUT" &&
    grep -qF "manifest   $good/plugin.manifest" "$OUT"; then
    pass "version names the host's ABI and the manifest path"
else
    fail "version names the host's ABI and the manifest path"
fi

run --module-dir "$good" --json version
if [ "$rc" -eq 0 ] && [ "$(cat "$OUT")" = '{"name":"testmod","db_host":""}' ]; then
    pass "--json version prints only the module's JSON document"
else
    fail "--json version prints only the module's JSON document"
fi

run_env AWSCREDIT_MODULE_DIR "$good" --version
printed "--version is the version command; \$AWSCREDIT_MODULE_DIR is used" "testmod libraries"

run_env AWSCREDIT_MODULE_DIR "$MODS/major" --module-dir "$good" version
printed "--module-dir wins over \$AWSCREDIT_MODULE_DIR" "testmod libraries"

# --- 2. wrong modules are refused with their own message, exit 78 ------------
refuse_case() {
    run --module-dir "$MODS/$1" version
    refused "module '$1' refused: $3" "$2" "$3"
}
refuse_case major 78 "plugin.manifest: module ABI $((MAJOR + 1)).$MINOR is incompatible with host ABI $MAJOR.$MINOR (major differs)"
refuse_case major-lib 78 "awscredit.so: module ABI $((MAJOR + 1)).$MINOR is incompatible with host ABI $MAJOR.$MINOR (major differs)"
refuse_case minor 78 "plugin.manifest: module ABI $MAJOR.$((MINOR + 1)) is newer than host ABI $MAJOR.$MINOR; upgrade the host"
refuse_case minor-lib 78 "awscredit.so: module ABI $MAJOR.$((MINOR + 1)) is newer than host ABI $MAJOR.$MINOR; upgrade the host"
refuse_case small 78 "bytes, expected at least"
refuse_case ops-null 78 "library lists operation 'invoice' but its entry is NULL"
refuse_case missing-hook 78 "library has no 'open' hook"
refuse_case null-desc 78 "awscredit_module() returned no module descriptor"
refuse_case no-entry 78 "no entry symbol 'awscredit_module' in the library"
refuse_case manifest-version 78 "manifest says version 1.0.1, library says 1.0.0"
refuse_case manifest-ops 78 "manifest lists operation 'invoice' that the library does not provide"
refuse_case manifest-keys 78 "library knows config key 'cur.max_bad_rows' that the manifest does not list"
refuse_case manifest-hooks 78 "hooks must be 'open close', got 'open'"
refuse_case entry-name 78 "entry is 'awscredit_module_v2', but this host calls only 'awscredit_module'"
refuse_case bad-manifest 78 "bad-manifest/plugin.manifest:8: unknown key 'author'"
refuse_case no-library 78 "cannot load module: $MODS/no-library/missing.so"

run --module-dir "$TMP/nowhere" version
refused "a directory without a manifest is refused" 78 "cannot read module manifest $TMP/nowhere/plugin.manifest"

# --- 3. options reach the module's argument structs ------------------------------
export AWSCREDIT_MODULE_DIR="$good"

run list --status ASSIGNED,PROCESSED --period 2026-01..2026-03 --customer C-1 --reseller R-1 \
    --asset A-1 --account 111122223333 --credit-id AWSC-1 --description "MAP credit" --type MAP \
    --min-amount -100 --max-amount=-0.01 --rule R-MAP --unmapped --sort -amount --limit 5 --offset 10
printed "list: every filter reaches awc_filter" \
    "filter status=ASSIGNED,PROCESSED period=2026-01..2026-03 customer=C-1 reseller=R-1 asset=A-1 account=111122223333 credit_id=AWSC-1 description=MAP credit type=MAP min=-100 max=-0.01 rule=R-MAP unmapped=1 sort=-amount limit=5 offset=10"

run list --period 2026-02
printed "list: one period is a range of one" "period=2026-02..2026-02 "
run list --period 2026-02..
printed "list: a range may be open at its end" "period=2026-02..- "
run list --period ..2026-02
printed "list: a range may be open at its start" "period=-..2026-02 "

run pull --period 2026-01 --path '/data/cur/*.csv.gz'
printed "pull: --period and --path" "pull period=2026-01 path=/data/cur/*.csv.gz"
run edit AWSC-000000-0000-0017 --split customer:60,reseller:30 --note "per contract" --expect-version 3
printed "edit: ID, --split, --note, --expect-version" \
    "edit AWSC-000000-0000-0017 split=customer:60,reseller:30 amounts=- account=- note=per contract expect=3"
run edit AWSC-1 --amounts customer:-10.00 --account 444455556666
printed "edit: --amounts and --account" "edit AWSC-1 split=- amounts=customer:-10.00 account=444455556666"
run unassign AWSC-1 --note why
printed "unassign: ID and --note" "unassign AWSC-1 note=why expect=0"
run expiring
printed "expiring: --within defaults to 30 days" "expiring within=30"
run expiring --within 90
printed "expiring: --within DAYS" "expiring within=90"
run rules import rules.csv --format csv
printed "rules import: FILE and --format" "rules import path=rules.csv format=csv"
run rules export
printed "rules export: no FILE means standard output" "rules export path=- format=-"
run show X --json
printed "global options are accepted after the command" "format=1"

# --- 4. actors -------------------------------------------------------------------------
run show X
printed "the default actor is distributor:\$USER" "show X as distributor:-:tester"
run_env USER - show X
printed "without \$USER the default actor is distributor:operator" "show X as distributor:-:operator"
run --as reseller:R-100:bob show X
printed "--as reseller:RID:ID" "show X as reseller:R-100:bob"
run show X --as viewer:v1
printed "--as viewer:ID" "show X as viewer:-:v1"
for bad in boss:x reseller:R-1 distributor: viewer 'viewer:a b' distributor:a:b :x; do
    run --as "$bad" show X
    refused "bad --as '$bad' is a usage error" 64 "expected distributor:ID, reseller:RESELLER_ID:ID or viewer:ID"
done

# --- 5. usage errors and help ----------------------------------------------------------------
run frobnicate
refused "an unknown command exits 64" 64 "unknown command 'frobnicate'; see 'awscredit --help'"
run
refused "no command exits 64" 64 "no command given"
run --frobnicate version
refused "an unknown global option exits 64" 64 "unknown option '--frobnicate'"
run list --frobnicate
refused "an unknown command option exits 64 and points at the command's help" 64 "see 'awscredit list --help'"
run list --status
refused "an option without its value exits 64" 64 "option '--status' needs a value"
run list --limit -1
refused "a bad number exits 64" 64 "bad value '-1' for --limit"
run pull
refused "a missing --period exits 64" 64 "--period YYYY-MM is required"
run show
refused "show without an ID exits 64" 64 "expected one credit ID"
run edit AWSC-1
refused "edit with nothing to change exits 64" 64 "nothing to change"
run edit AWSC-1 --split customer:50 --amounts customer:-1
refused "edit with --split and --amounts exits 64" 64 "not both"
run rules
refused "rules without a subcommand exits 64" 64 "'rules' needs a subcommand"
run list extra
refused "an unexpected argument exits 64" 64 "unexpected argument 'extra'"

run --help
printed "--help exits 0" "Usage: awscredit [GLOBAL OPTIONS] COMMAND [ARGS]"
for cmd in migrate pull assign list export show explain edit unassign invoice reconcile close run \
    "rules import" "rules export" "rules validate" "accounts import" balance expiring version; do
    # shellcheck disable=SC2086  # "rules import" is two words
    run $cmd --help
    if [ "$rc" -eq 0 ] && [ ! -s "$ERR" ] && grep -qF "Usage: awscredit $cmd" "$OUT" &&
        grep -q '^Example:' "$OUT" && grep -q "^  awscredit $cmd" "$OUT"; then
        pass "'$cmd --help' teaches: usage, what it does, an example"
    else
        fail "'$cmd --help' teaches: usage, what it does, an example"
    fi
done
run help rules
printed "help rules lists the subcommands" "validate"

# --- 6. missing operations, module failures and exit statuses -------------------------------------
run invoice --period 2026-01
refused "an operation the module lacks exits 69" 69 "this module does not provide 'invoice'"
run accounts import a.csv
refused "a missing subcommand operation is named as typed" 69 "this module does not provide 'accounts import'"
run show notfound
refused "the module's error text is printed on one line" 66 "awscredit: no credit notfound"

# awc_err -> status (docs/ABI.md)
for pair in 1:70 2:71 3:65 4:66 5:65 6:65 7:65 8:69 9:78 10:65 11:74 12:77 13:69 14:75 15:69 \
    16:75 17:78 18:64 19:77 20:75 99:70; do
    code=${pair%%:*}
    want=${pair##*:}
    run show "fail:$code"
    refused "module error -$code exits $want" "$want" "failing as asked"
done

run show warn
if [ "$rc" -eq 0 ] && [ "$(cat "$ERR")" = "awscredit: warning: a warning with a newline" ]; then
    pass "a module warning is one line on stderr"
else
    fail "a module warning is one line on stderr"
fi
run show progress
printed "no progress bar when stderr is not a terminal" "show progress"

# --- 7. export -o: all or nothing ---------------------------------------------------------------------
run export --status ASSIGNED -o "$TMP/credits.csv"
if [ "$rc" -eq 0 ] && [ ! -s "$OUT" ] && [ "$(cat "$TMP/credits.csv")" = "credit_id,status
AWSC-000000-0000-0017,ASSIGNED" ]; then
    pass "export -o writes the file"
else
    fail "export -o writes the file"
fi
echo old >"$TMP/keep.csv"
run export --status FAIL -o "$TMP/keep.csv"
if [ "$rc" -eq 69 ] && [ "$(cat "$TMP/keep.csv")" = old ] &&
    [ -z "$(find "$TMP" -name 'keep.csv.tmp.*')" ]; then
    pass "a failed export leaves the old file and no temporary file"
else
    fail "a failed export leaves the old file and no temporary file"
fi
run export -o "$TMP/no/such/dir.csv"
refused "export -o into a missing directory exits 74" 74 "cannot write $TMP/no/such/dir.csv.tmp."

# --- 8. configuration (good test module: keys db.host db.port cur.max_bad_rows) ---------------------
config '# comment\n; comment\n[db]\n  host = h1   # trailing comment\nport = 3306 ; another\n'
run --config "$TMP/test.ini" version
printed "comments, indentation and values are read" "(db.host h1)"
run_env AWSCREDIT_CONFIG "$TMP/test.ini" version
printed "\$AWSCREDIT_CONFIG is read" "(db.host h1)"

config '[db]\nhost = a\nfoo = 1\n'
run --config "$TMP/test.ini" version
refused "an unknown key names file and line" 78 "$TMP/test.ini:3: unknown key 'foo' in section [db]"
config '[db]\nhost = a\n\n[x]\n'
run --config "$TMP/test.ini" version
refused "an unknown section names file and line" 78 "$TMP/test.ini:4: unknown section [x]"
config '[db]\nhost = a\n[cur]\nmax_bad_rows = 1\n[db]\nhost = b\n'
run --config "$TMP/test.ini" version
refused "a duplicate key names both lines" 78 "$TMP/test.ini:6: duplicate key 'host' in section [db] (first set on line 2)"
config '[db]\nhost\n'
run --config "$TMP/test.ini" version
refused "a line inih cannot parse is named" 78 "$TMP/test.ini:2: malformed line"
config 'host = a\n'
run --config "$TMP/test.ini" version
refused "a key before any section is named" 78 "$TMP/test.ini:1: key 'host' is outside any [section]"
config '[db]\nhost = a\nport = 33x6\n'
run --config "$TMP/test.ini" version
refused "the module's value errors carry the host's FILE:LINE origin" 78 "$TMP/test.ini:3: db.port: expected a whole number, got '33x6'"
run --config "$TMP/missing.ini" version
refused "a missing config file exits 78" 78 "cannot read configuration $TMP/missing.ini"

unset AWSCREDIT_MODULE_DIR

# --- 9. the real module (build/san/awscredit.so with its plugin.manifest) ----------------------------
if [ ! -f "$BUILD/awscredit.so" ] || [ ! -f "$BUILD/plugin.manifest" ]; then
    echo "# the real module is not built: $BUILD/awscredit.so"
fi
real_cfg() {
    # $1: extra lines (printf format)
    if [ -n "$SOCKET" ]; then
        config "[db]\nsocket = $SOCKET\nuser = root\ndatabase = awscredit\n$1"
    else
        config "$1"
    fi
}

run version
printed "the real module is found next to the program and loads" "manifest   $BUILD/plugin.manifest"
run --json version
if [ "$rc" -eq 0 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" 2>/dev/null; then
    pass "real module: --json version is one JSON document"
else
    fail "real module: --json version is one JSON document"
fi

real_cfg '[cur]\nmax_bad_rows = -3\n'
line=$(grep -n max_bad_rows "$TMP/test.ini" | cut -d: -f1)
run --config "$TMP/test.ini" --module-dir "$BUILD" version
refused "real module: cur.max_bad_rows = -3 names file and line" 78 "$TMP/test.ini:$line: cur.max_bad_rows: expected a whole number >= 0, got '-3'"

config '[db]\nfoo = 1\n'
run --config "$TMP/test.ini" --module-dir "$BUILD" version
refused "real module: an unknown key is refused" 78 "$TMP/test.ini:2: unknown key 'foo' in section [db]"
config '[cur]\nsource = s3\n'
run --config "$TMP/test.ini" --module-dir "$BUILD" version
refused "real module: a bad enumeration names file and line" 78 "$TMP/test.ini:2: cur.source: expected file or athena, got 's3'"
config '[db]\npassword_env = hunter2 secret\n'
run --config "$TMP/test.ini" --module-dir "$BUILD" version
if [ "$rc" -eq 78 ] && ! grep -q hunter2 "$ERR" && grep -qF "$TMP/test.ini:2: db.password_env" "$ERR"; then
    pass "real module: a password put in db.password_env is not echoed"
else
    fail "real module: a password put in db.password_env is not echoed"
fi

for key in 'aws]\ns3_endpoint' 'aws]\nbilling_endpoint' 'athena]\nendpoint' 'invoicing]\nurl'; do
    config "[${key} = http://user:hunter2pw@host/\n"
    run --config "$TMP/test.ini" --module-dir "$BUILD" version
    name=$(printf '%s' "$key" | sed 's/]\\n/./')
    if [ "$rc" -eq 78 ] && ! grep -q hunter2 "$ERR" &&
        grep -qF "$TMP/test.ini:2: $name: a URL must not carry a user name or password" "$ERR"; then
        pass "real module: $name with user:password@ is refused and not echoed"
    else
        fail "real module: $name with user:password@ is refused and not echoed"
    fi
done

# db.password_file: never cut, never shown
head -c 1024 /dev/zero | tr '\0' k >"$TMP/dbpass"
chmod 600 "$TMP/dbpass"
config "[db]\nsocket = ${SOCKET:-$TMP/no.sock}\nuser = root\npassword_file = $TMP/dbpass\n"
run --config "$TMP/test.ini" --module-dir "$BUILD" list
if [ "$rc" -eq 78 ] && ! grep -q kkkk "$ERR" &&
    grep -qF "db.password_file: '$TMP/dbpass' holds more than 1023 bytes" "$ERR"; then
    pass "real module: a 1024-byte db.password_file is refused, not cut, not shown"
else
    fail "real module: a 1024-byte db.password_file is refused, not cut, not shown"
fi
head -c 1023 /dev/zero | tr '\0' k >"$TMP/dbpass"
echo >>"$TMP/dbpass"
run --config "$TMP/test.ini" --module-dir "$BUILD" list
if ! grep -q "holds more than" "$ERR" && ! grep -q kkkk "$ERR"; then
    pass "real module: a 1023-byte db.password_file and its newline are read"
else
    fail "real module: a 1023-byte db.password_file and its newline are read"
fi
printf 'kkkk\000kkkk\n' >"$TMP/dbpass"
run --config "$TMP/test.ini" --module-dir "$BUILD" list
if [ "$rc" -eq 78 ] && ! grep -q kkkk "$ERR" && grep -qF "holds a NUL byte" "$ERR"; then
    pass "real module: a db.password_file with a NUL byte is refused, not cut"
else
    fail "real module: a db.password_file with a NUL byte is refused, not cut"
fi

real_cfg ''
run --config "$TMP/test.ini" --module-dir "$BUILD" show AWSC-000000-0000-0008
refused "real module: a wrong check digit exits 65" 65 "check digit"

echo "1..$n"
[ "$failed" -eq 0 ]
