"""test_sigv4.py -- prove tests/fakes/sigv4.py on the examples AWS publishes,
before trusting it to judge libcurl's signatures.

Vectors (expected values are AWS's, copied from the pages named):
  1-3  IAM User Guide, "Signature Version 4 signing process" Tasks 1-3
       (sigv4-create-canonical-request, sigv4-calculate-signature): GET
       iam ListUsers, AKIDEXAMPLE, 20150830T123600Z, us-east-1: canonical
       request hash, signing key, signature.
  4    General Reference, "Examples of how to derive a signing key for
       Signature Version 4": kSigning for 20120215/us-east-1/iam.
  5-7  Amazon S3 API Reference, "Signature Calculations for the
       Authorization Header: Transferring Payload in a Single Chunk",
       examples GET Object, PUT Object and GET Bucket (List Objects).
Then verify() on signed requests: accepted as signed, refused (the way AWS
refuses) when the secret, body, query, an unsigned x-amz-* header, the
session token, the service scope or the clock is wrong, and when the
client signed its raw unsorted query (what libcurl < 8.3 did).

Prints TAP ("ok N - ..." / "not ok N - ...") and exits 1 on any failure.
"""

import os
import sys

# tests/fakes/ also holds other fakes, one of them named like a standard
# module (platform.py): take this folder off the import path before
# importing anything else, and load sigv4.py by its file name.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree

import importlib.util  # noqa: E402
import datetime  # noqa: E402

_spec = importlib.util.spec_from_file_location("sigv4", os.path.join(_HERE, "sigv4.py"))
sigv4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sigv4)

RESULTS = []


def check(cond, what):
    RESULTS.append((bool(cond), what))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(RESULTS), what))
    sys.stdout.flush()


def refused(fn, code):
    try:
        fn()
    except sigv4.Refused as e:
        return e.code == code
    return False


# --- AWS's published examples -------------------------------------------------

IAM_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
IAM_HEADERS = [
    ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    ("Host", "iam.amazonaws.com"),
    ("X-Amz-Date", "20150830T123600Z"),
]
iam_creq = sigv4.canonical_request(
    "GET", "/", "Action=ListUsers&Version=2010-05-08", IAM_HEADERS,
    ["content-type", "host", "x-amz-date"], sigv4.EMPTY_SHA256)
check(sigv4.sha256_hex(iam_creq) ==
      "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
      "IAM ListUsers example: canonical request hash f536975d...")
check(sigv4.signing_key(IAM_SECRET, "20150830", "us-east-1", "iam").hex() ==
      "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
      "IAM ListUsers example: signing key c4afb1cc...")
check(sigv4.signature(IAM_SECRET, "20150830T123600Z", "us-east-1", "iam", iam_creq) ==
      "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
      "IAM ListUsers example: signature 5d672d79...")
check(sigv4.signing_key(IAM_SECRET, "20120215", "us-east-1", "iam").hex() ==
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d",
      "signing key derivation example (20120215/us-east-1/iam): f4780e2d...")

S3_AK = "AKIAIOSFODNN7EXAMPLE"
S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3_DATE = "20130524T000000Z"


def s3_sig(method, path, query, headers, body):
    auth = sigv4.sign(method, path, query, headers, body, S3_AK, S3_SECRET, "us-east-1", "s3",
                      S3_DATE, s3=True)
    return auth.rsplit("Signature=", 1)[1]


check(s3_sig("GET", "/test.txt", "", [
    ("Host", "examplebucket.s3.amazonaws.com"),
    ("Range", "bytes=0-9"),
    ("x-amz-content-sha256", sigv4.EMPTY_SHA256),
    ("x-amz-date", S3_DATE)], b"") ==
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    "S3 example GET Object: signature f0e8bdb8...")
put_body = b"Welcome to Amazon S3."
check(s3_sig("PUT", "/test%24file.text", "", [
    ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
    ("Host", "examplebucket.s3.amazonaws.com"),
    ("x-amz-content-sha256", sigv4.sha256_hex(put_body)),
    ("x-amz-date", S3_DATE),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY")], put_body) ==
    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    "S3 example PUT Object (payload hash, encoded key): signature 98ad7217...")
check(s3_sig("GET", "/", "max-keys=2&prefix=J", [
    ("Host", "examplebucket.s3.amazonaws.com"),
    ("x-amz-content-sha256", sigv4.EMPTY_SHA256),
    ("x-amz-date", S3_DATE)], b"") ==
    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    "S3 example GET Bucket (List Objects, query): signature 34b48302...")

# --- verify(): accept what is signed right, refuse the rest as AWS does --------

AK, SECRET, REGION = "AKIDTEST", "test/secret+key", "eu-west-1"
SECRETS = {AK: SECRET}
NOW = datetime.datetime(2026, 11, 2, 8, 30, 0, tzinfo=datetime.timezone.utc)
AMZ = NOW.strftime("%Y%m%dT%H%M%SZ")


def json_request(body=b'{"QueryExecutionId":"q1"}', secret=SECRET, token=None, service="athena",
                 date=AMZ):
    headers = [("Host", "127.0.0.1:8443"), ("X-Amz-Date", date),
               ("Content-Type", "application/x-amz-json-1.1"),
               ("X-Amz-Target", "AmazonAthena.GetQueryExecution")]
    if token:
        headers.append(("X-Amz-Security-Token", token))
    auth = sigv4.sign("POST", "/", "", headers, body, AK, secret, REGION, service, date)
    return headers + [("Authorization", auth)], body


def verify_json(req, token=None, service="athena"):
    headers, body = req
    return sigv4.verify("POST", "/", "", headers, body, SECRETS, REGION, service,
                        session_token=token, now=NOW)


check(verify_json(json_request()) == AK, "a correctly signed JSON request is accepted")
check(refused(lambda: verify_json(json_request(secret="wrong")), "InvalidSignatureException"),
      "wrong secret: refused with InvalidSignatureException")
h, b = json_request()
check(refused(lambda: verify_json((h, b'{"QueryExecutionId":"q2"}')),
              "InvalidSignatureException"), "changed body: refused")
check(refused(lambda: verify_json((h + [("X-Amz-Extra", "1")], b)), "InvalidSignatureException"),
      "an unsigned x-amz-* header: refused")
check(verify_json(json_request(token="SESSION/token=="), token="SESSION/token==") == AK,
      "session token sent and signed: accepted")
check(refused(lambda: verify_json(json_request(), token="SESSION/token=="),
              "UnrecognizedClientException"),
      "session credentials without the token: refused with UnrecognizedClientException")
check(refused(lambda: verify_json(json_request(service="s3")), "InvalidSignatureException"),
      "scope for another service: refused")
old = (NOW - datetime.timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
check(refused(lambda: verify_json(json_request(date=old)), "InvalidSignatureException"),
      "request 20 minutes old: refused (signature expired)")


def s3_list(raw_query, signed_query):
    headers = [("Host", "127.0.0.1:9000"), ("x-amz-content-sha256", sigv4.EMPTY_SHA256),
               ("x-amz-date", AMZ)]
    signed = sorted(n.lower() for n, _ in headers)
    creq = sigv4.canonical_request("GET", "/bucket", signed_query, headers, signed,
                                   sigv4.EMPTY_SHA256, s3=True)
    # Bypass canonical_query() on the client side: sign exactly signed_query.
    creq_lines = creq.split("\n")
    creq_lines[2] = signed_query
    sig = sigv4.signature(SECRET, AMZ, REGION, "s3", "\n".join(creq_lines))
    auth = "%s Credential=%s/%s/%s/s3/aws4_request, SignedHeaders=%s, Signature=%s" % (
        sigv4.ALGORITHM, AK, AMZ[:8], REGION, ";".join(signed), sig)
    return sigv4.verify("GET", "/bucket", raw_query, headers + [("Authorization", auth)], b"",
                        SECRETS, REGION, "s3", s3=True, now=NOW)


good = "continuation-token=a%2Fb%3D%3D&list-type=2&prefix=cur%2F2026-10%2F"
check(s3_list(good, good) == AK, "S3 list with a sorted, encoded query: accepted")
raw = "prefix=cur%2F2026-10%2F&list-type=2&continuation-token=a%2Fb%3D%3D"
check(refused(lambda: s3_list(raw, raw), "SignatureDoesNotMatch"),
      "S3 list signed over its raw unsorted query (libcurl < 8.3): SignatureDoesNotMatch")
lower = "continuation-token=a%2fb%3d%3d&list-type=2&prefix=cur%2f2026-10%2f"
check(refused(lambda: s3_list(lower, lower), "SignatureDoesNotMatch"),
      "S3 list signed with lower-case percent-encoding: SignatureDoesNotMatch")
check(sigv4.uri_encode("a b/c~d*e+", keep_slash=True) == "a%20b/c~d%2Ae%2B" and
      sigv4.uri_encode("a/b") == "a%2Fb",
      "UriEncode: unreserved kept, '/' only in keys, upper-case hex")

failed = sum(1 for ok, _ in RESULTS if not ok)
print("1..%d" % len(RESULTS))
if failed:
    print("# %d of %d checks failed" % (failed, len(RESULTS)))
sys.exit(1 if failed else 0)
