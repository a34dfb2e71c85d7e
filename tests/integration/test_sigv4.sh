#!/bin/sh
# test_sigv4.sh -- prove the fakes' SigV4 verifier (tests/fakes/sigv4.py) on
# AWS's published example requests before the AWS tests trust it.  Passes
# the TAP lines of tests/fakes/test_sigv4.py through ("ok N - ..."); exits
# non-zero when a check fails or the script cannot run.
set -u
ROOT=${AWC_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v python3 >/dev/null 2>&1; then
    echo "not ok 1 - python3 not found"
    exit 1
fi
exec python3 "$ROOT/tests/fakes/test_sigv4.py"
