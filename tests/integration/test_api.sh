#!/bin/sh
# test_api.sh -- the HTTP API of `awscredit serve` (SPEC 15) against a real
# MariaDB: every endpoint by role and its error statuses, sign-in, sessions
# and their expiry, cookie flags, CSRF, throttling, bearer tokens, filters
# with SQL metacharacters, path traversal, oversize bodies, slow clients,
# and the routes against docs/openapi.json.  The checks are in
# tests/api/api_test.py; this script builds the data and starts the server
# on a loopback port.  Prints "ok N - ..." lines; exits 1 on failure.
#
# Environment (tests/run sets it): AWC_TEST_ROOT, AWC_TEST_BUILD,
# AWC_TEST_SOCKET.
set -u

AWC_TEST_ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$AWC_TEST_ROOT/tests/support/tap.sh"
tap_db api
. "$ROOT/tests/api/fixture.sh"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/web"
printf '<!doctype html><title>t</title>\n' > "$TMP/web/index.html"
printf 'body{}\n' > "$TMP/web/app.css"
echo secret > "$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$TMP/web/link.txt"
printf '[web]\nroot = %s\nclient_timeout = 2\nthreads = 2\ntrusted_proxy = 127.0.0.1\n' "$TMP/web" >> "$TMP/awscredit.ini"

"$HOST" --config "$TMP/awscredit.ini" -v serve --listen "127.0.0.1:$PORT" \
    >"$TMP/serve.out" 2>"$TMP/serve.err" </dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; mariadb --no-defaults -S "$SOCKET" -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/" || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "$i -lt 100" "the server answers on a loopback port"

AWC_API_BASE="http://127.0.0.1:$PORT" AWC_API_DB=$DB AWC_API_SOCKET=$SOCKET \
AWC_API_HOST=$HOST AWC_API_CONFIG=$TMP/awscredit.ini AWC_API_TMP=$TMP AWC_API_ROOT=$ROOT \
AWC_API_FIRST=$((n + 1)) AWC_API_TOKEN=$TOKEN AWC_API_VTOKEN=$VTOKEN \
    /usr/bin/python3 "$ROOT/tests/api/api_test.py" > "$TMP/api.out" 2>&1
prc=$?
cat "$TMP/api.out"
n=$((n + $(grep -c '^\(not \)\{0,1\}ok ' "$TMP/api.out")))
failed=$((failed + $(grep -c '^not ok ' "$TMP/api.out")))
check "$prc = 0" "the API checks ran to the end"

# HTTPS: web.tls_cert and web.tls_key (a certificate made here for 127.0.0.1)
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
    TPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    { cat "$TMP/awscredit.ini"; printf 'tls_cert = %s\ntls_key = %s\n' "$TMP/cert.pem" "$TMP/key.pem"; } \
        > "$TMP/tls.ini"
    "$HOST" --config "$TMP/tls.ini" serve --listen "127.0.0.1:$TPORT" >/dev/null 2>"$TMP/tls.err" </dev/null &
    TLS=$!
    i=0
    until curl -s -o /dev/null --cacert "$TMP/cert.pem" "https://127.0.0.1:$TPORT/" || [ $i -ge 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    curl -s -i --cacert "$TMP/cert.pem" -X POST -d '{"user":"nora","password":"nora-password-1"}' \
        "https://127.0.0.1:$TPORT/api/v1/session" > "$OUT" 2>"$ERR"
    grep -q '^HTTP/1.1 200' "$OUT" && grep -q '^Set-Cookie: awc_session=.*; Secure' "$OUT"
    check "$? = 0" "HTTPS with web.tls_cert and web.tls_key, certificate verified; the cookie is Secure"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TPORT/" 2>/dev/null)
    check "$code = 000" "plain HTTP to the HTTPS port gets no answer"
    kill -TERM $TLS
    wait $TLS
else
    fail "openssl makes a certificate for the HTTPS check"
fi

kill -TERM $SERVER
wait $SERVER
rc=$?
check "$rc = 0" "SIGTERM stops the server cleanly"
if grep -q "awc_\|password" "$TMP/serve.err"; then
    fail "the server's log holds no token or password"
    grep "awc_\|password" "$TMP/serve.err" | head -3 | sed 's/^/#   /'
else
    pass "the server's log holds no token or password"
fi
tap_done
