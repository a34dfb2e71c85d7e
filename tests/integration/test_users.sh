#!/bin/sh
# test_users.sh -- the users of the web console and API (SPEC 15) as the
# `user` commands manage them: argon2id hashes only, tokens shown once and
# stored as hashes, distributor only, passwords never on the command line
# nor in any output, log or error.  Prints "ok N - ..." lines; exits 1 on
# failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db users
# pw PASSWORD ARGS... -- run ARGS with PASSWORD on standard input
pw() {
    p=$1
    shift
    printf '%s\n' "$p" | "$HOST" --config "$TMP/awscredit.ini" "$@" >"$OUT" 2>"$ERR"
    rc=$?
}
SECRET='correct horse battery staple'

db_ini "$DB" > "$TMP/awscredit.ini"
run migrate
check "$rc = 0" "migrate"

pw "$SECRET" user add alice --role reseller:R-NORTH --password-stdin
check "$rc = 0" "a distributor adds a reseller admin"
pw "$SECRET" user add fin.ance@example.com --role viewer --password-stdin
check "$rc = 0" "and a viewer named by e-mail"
pw "$SECRET" user add boss --role distributor --password-stdin
check "$rc = 0" "and a distributor"
check "$(sql "SELECT CONCAT(role, ':', COALESCE(reseller_id, '-')) FROM users WHERE name = 'alice'") = reseller:R-NORTH" \
    "the role and reseller are stored"
HASH=$(sql "SELECT password_hash FROM users WHERE name = 'alice'")
case $HASH in '$argon2id$'*) r=0 ;; *) r=1 ;; esac
check "$r = 0" "the password is stored as an argon2id hash"
check "$(sql "SELECT COUNT(*) FROM users WHERE password_hash LIKE '%horse%'") = 0" \
    "and never as itself"
check "$(sql "SELECT COUNT(DISTINCT password_hash) FROM users") = 3" "each hash has its own salt"

pw "$SECRET" user add alice --role viewer --password-stdin
check "$rc = 65" "a second alice is refused"
pw "$SECRET" user add bob --role reseller: --password-stdin
check "$rc = 64" "a reseller role without its reseller is a usage error"
pw "$SECRET" user add bob --role admin --password-stdin
check "$rc = 64" "an unknown role is a usage error"
pw "$SECRET" user add 'bob smith' --role viewer --password-stdin
check "$rc = 64" "a name with a blank is refused"
pw "$SECRET" user add Alice --role viewer --password-stdin
check "$rc = 64" "a name in upper case is refused: Alice and alice are one person"
pw "short" user add bob --role viewer --password-stdin
check "$rc = 65" "a password under 10 bytes is refused"
grep -q short "$ERR"
check "$? -ne 0" "and not shown"
run user add bob --role viewer
check "$rc = 64" "a password is never taken from the command line: --password-stdin is required"
run user add bob --role viewer --password-stdin
check "$rc = 64" "an empty standard input is refused"

pw "$SECRET" --as reseller:R-NORTH:alice user add eve --role distributor --password-stdin
check "$rc = 77" "a reseller admin may not add users"
run --as viewer:fin user list
check "$rc = 77" "a viewer may not list users"

run user list
check "$rc = 0" "user list"
check "$(grep -c '^alice .*reseller:R-NORTH .*active' "$OUT") = 1" "lists alice with her role"
grep -q 'argon2\|horse' "$OUT"
check "$? -ne 0" "never a hash or a password"

pw 'another long password' user passwd alice --password-stdin
check "$rc = 0" "user passwd"
check "$(sql "SELECT password_hash <> '$HASH' FROM users WHERE name = 'alice'") = 1" \
    "a new hash is stored"
pw 'another long password' user passwd nobody --password-stdin
check "$rc = 66" "passwd of an unknown user is not found"

run user token alice --label 'nightly CSV'
check "$rc = 0" "user token"
TOKEN=$(head -n 1 "$OUT")
case $TOKEN in awc_????????????????_*) r=0 ;; *) r=1 ;; esac
check "$r = 0" "the token is awc_<16 hex>_<secret>"
TID=$(echo "$TOKEN" | cut -d_ -f2)
SEC=$(echo "$TOKEN" | cut -d_ -f3-)
check "$(printf '%s' "$SEC" | tr -d 0-9a-f | wc -c)$(printf '%s' "$SEC" | wc -c) = 064" \
    "its secret is 256 bits as 64 hex digits (so the token has no other '_')"
check "$(sql "SELECT HEX(secret_hash) FROM api_tokens WHERE id = '$TID'") = $(printf '%s' "$SEC" | sha256sum | cut -c1-64 | tr a-f A-F)" \
    "only the SHA-256 of the secret is stored"
check "$(sql "SELECT COUNT(*) FROM api_tokens WHERE HEX(secret_hash) LIKE '%$SEC%' OR label LIKE '%$SEC%'") = 0" \
    "never the secret"
run user list
check "$(grep '^alice ' "$OUT" | awk '{print $NF}') = 1" "user list counts alice's live token"
run user token nobody
check "$rc = 66" "a token for an unknown user is not found"
run user revoke-token "$TID"
check "$rc = 0" "user revoke-token"
run user revoke-token "$TID"
check "$rc = 66" "revoking it again: no live token"
run user revoke-token "awc_${TID}_x"
check "$rc = 64" "a malformed token id is a usage error"

sql "INSERT INTO sessions (id_hash, user_name, csrf_token) VALUES (UNHEX(SHA2('s', 256)), 'alice', REPEAT('a', 43))"
run user disable alice
check "$rc = 0" "user disable"
check "$(sql "SELECT disabled FROM users WHERE name = 'alice'") = 1" "alice is disabled"
check "$(sql "SELECT COUNT(*) FROM sessions WHERE user_name = 'alice'") = 0" "and her sessions ended"
run user disable alice
check "$rc = 0" "disabling again changes nothing and succeeds"
run user disable nobody
check "$rc = 66" "disable of an unknown user is not found"

run user token alice
check "$rc = 66" "a disabled user gets no API token"

run --json user list
grep -q '"disabled": true' "$OUT" && grep -q '"name": "alice"' "$OUT"
check "$? = 0" "user list --json"

tap_done
