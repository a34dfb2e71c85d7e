"""sigv4.py -- AWS Signature Version 4, written from AWS's documentation, to
check the signatures libcurl computes for awscredit.

This is deliberately an independent implementation: it shares no code with
libcurl (which signs our requests) and follows the algorithm as AWS
documents it, so a disagreement between the two is a real bug on one side.
Sources (see tests/fakes/README.md for the page list):
  - IAM User Guide, "Create a signed AWS API request" / the older "Signature
    Version 4 signing process" (Tasks 1-4): canonical request, string to
    sign, signing key, signature;
  - Amazon S3 API Reference, "Signature Calculations for the Authorization
    Header: Transferring Payload in a Single Chunk": S3 encodes the path
    once (other services twice), the payload hash is the value of
    x-amz-content-sha256, which S3 requires on every request.

Server side, verify() canonicalises the request as received, the way AWS
does: it decodes the query and re-encodes and sorts it itself, so a client
that signs its raw, unsorted or differently encoded query string (libcurl
before 8.3) is refused, as AWS would refuse it.

Python 3 standard library only.
"""

import datetime
import hashlib
import hmac
import posixpath
import re
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW = datetime.timedelta(minutes=15)

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(text, keep_slash=False):
    """UriEncode() of the S3 signing page: every byte except the RFC 3986
    unreserved characters becomes %XY with upper-case hex; '/' is kept only
    when encoding an object key name (path)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    out = []
    for b in text:
        if b in _UNRESERVED or (keep_slash and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
    service), "aws4_request")."""
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


def canonical_uri(raw_path, s3):
    """The path as received (percent-encoded once by the client).  S3: the
    decoded path encoded once, '/' kept, no normalisation.  Other services:
    normalised, then every segment encoded twice."""
    if not raw_path:
        return "/"
    if s3:
        return uri_encode(urllib.parse.unquote_to_bytes(raw_path), keep_slash=True)
    path = posixpath.normpath(raw_path)
    if raw_path.endswith("/") and not path.endswith("/"):
        path += "/"
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return "/".join(uri_encode(seg) for seg in path.split("/"))


def canonical_query(raw_query):
    """Decode each name and value of the query as received, encode them
    again per RFC 3986 and sort by name, then value ("name=" for a name
    without a value)."""
    pairs = []
    if raw_query:
        for part in raw_query.split("&"):
            if part == "":
                continue
            name, _, value = part.partition("=")
            pairs.append((uri_encode(urllib.parse.unquote_to_bytes(name)),
                          uri_encode(urllib.parse.unquote_to_bytes(value))))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def _trim(value):
    return re.sub(r"\s+", " ", value.strip())


def canonical_headers(headers, signed):
    """headers: list of (name, value) as sent.  signed: lower-case names.
    Values of a repeated header are joined with ',' in the order sent."""
    values = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(_trim(value))
    lines = []
    for name in signed:
        if name not in values:
            raise KeyError(name)
        lines.append("%s:%s\n" % (name, ",".join(values[name])))
    return "".join(lines)


def canonical_request(method, raw_path, raw_query, headers, signed, payload_hash, s3=False):
    return "\n".join([
        method,
        canonical_uri(raw_path, s3),
        canonical_query(raw_query),
        canonical_headers(headers, signed),
        ";".join(signed),
        payload_hash,
    ])


def string_to_sign(amz_date, scope, creq):
    return "\n".join([ALGORITHM, amz_date, scope, sha256_hex(creq)])


def signature(secret, amz_date, region, service, creq):
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    key = signing_key(secret, amz_date[:8], region, service)
    return hmac.new(key, string_to_sign(amz_date, scope, creq).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def sign(method, raw_path, raw_query, headers, body, access_key, secret, region, service,
         amz_date, s3=False):
    """Client side, for tests: returns the Authorization header value for a
    request whose headers (including host and x-amz-date) are given; every
    header given is signed."""
    signed = sorted({name.lower() for name, _ in headers})
    if s3:
        payload = dict((n.lower(), v) for n, v in headers).get("x-amz-content-sha256",
                                                                 sha256_hex(body))
    else:
        payload = sha256_hex(body)
    creq = canonical_request(method, raw_path, raw_query, headers, signed, payload, s3)
    sig = signature(secret, amz_date, region, service, creq)
    return "%s Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, access_key, amz_date[:8], region, service, ";".join(signed), sig)


class Refused(Exception):
    """A request AWS would refuse: HTTP status, AWS error code, message."""

    def __init__(self, status, code, message):
        Exception.__init__(self, "%d %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message


_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,"
    r"\s*Signature=([0-9a-f]{64})\s*$")


def parse_authorization(value):
    m = _AUTH_RE.match(value or "")
    if not m:
        return None
    cred = m.group(1).split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        return None
    return {"access_key": cred[0], "date": cred[1], "region": cred[2], "service": cred[3],
            "signed": m.group(2).split(";"), "signature": m.group(3)}


def verify(method, raw_path, raw_query, headers, body, secrets, region, service,
           s3=False, session_token=None, now=None):
    """Check one received request as AWS would.  headers: list of (name,
    value) as received; secrets: {access key id: secret}; session_token:
    the token the credentials require (None: the request must carry none).
    Returns the access key id; raises Refused otherwise.

    Error codes and statuses follow what the services answer: S3 uses its
    XML codes (SignatureDoesNotMatch, InvalidAccessKeyId, InvalidToken,
    AuthorizationHeaderMalformed, XAmzContentSHA256Mismatch,
    RequestTimeTooSkewed); JSON services use IncompleteSignatureException,
    InvalidSignatureException, UnrecognizedClientException."""
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), []).append(value)

    def one(name):
        v = lower.get(name)
        return v[0] if v else None

    auth = parse_authorization(one("authorization"))
    if auth is None:
        if s3:
            raise Refused(403, "AccessDenied", "Access Denied")
        raise Refused(403, "MissingAuthenticationTokenException" if one("authorization") is None
                      else "IncompleteSignatureException",
                      "Authorization header requires 'Credential', 'Signature' and "
                      "'SignedHeaders' parameters.")
    if auth["access_key"] not in secrets:
        if s3:
            raise Refused(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.")
        raise Refused(403, "UnrecognizedClientException",
                      "The security token included in the request is invalid.")
    if auth["service"] != service or auth["region"] != region:
        if s3:
            raise Refused(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the region '%s' is wrong; "
                          "expecting '%s'" % (auth["region"], region))
        raise Refused(403, "InvalidSignatureException",
                      "Credential should be scoped to a valid region and to the correct "
                      "service: '%s'." % service)
    signed = auth["signed"]
    if signed != sorted(signed) or len(set(signed)) != len(signed):
        raise Refused(403, "SignatureDoesNotMatch" if s3 else "InvalidSignatureException",
                      "SignedHeaders must be sorted and unique.")
    if "host" not in signed:
        raise Refused(403, "SignatureDoesNotMatch" if s3 else "InvalidSignatureException",
                      "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    amz_date = one("x-amz-date")
    if amz_date is None or "x-amz-date" not in signed:
        raise Refused(403, "AccessDenied" if s3 else "IncompleteSignatureException",
                      "AWS authentication requires a valid Date or x-amz-date header")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Refused(403, "AccessDenied" if s3 else "IncompleteSignatureException",
                      "Date must be in ISO-8601 'basic format'.")
    if auth["date"] != amz_date[:8]:
        raise Refused(403, "SignatureDoesNotMatch" if s3 else "InvalidSignatureException",
                      "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                      "version of date from HTTP.")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs(now - when) > MAX_SKEW:
        raise Refused(403, "RequestTimeTooSkewed" if s3 else "InvalidSignatureException",
                      "The difference between the request time and the current time is "
                      "too large." if s3 else "Signature expired.")
    # Every x-amz-* header sent must be signed (the service target and the
    # session token included).
    for name in lower:
        if name.startswith("x-amz-") and name not in signed:
            raise Refused(403, "AccessDenied" if s3 else "InvalidSignatureException",
                          "There were headers present in the request which were not signed: "
                          "%s" % name)
    token = one("x-amz-security-token")
    if session_token is not None and token != session_token:
        if s3:
            raise Refused(400 if token else 403, "InvalidToken" if token else "InvalidAccessKeyId",
                          "The provided token is malformed or otherwise invalid." if token else
                          "The AWS Access Key Id you provided does not exist in our records.")
        raise Refused(403, "UnrecognizedClientException",
                      "The security token included in the request is invalid.")
    if session_token is None and token is not None:
        if s3:
            raise Refused(400, "InvalidToken",
                          "The provided token is malformed or otherwise invalid.")
        raise Refused(403, "UnrecognizedClientException",
                      "The security token included in the request is invalid.")
    if s3:
        payload = one("x-amz-content-sha256")
        if payload is None:
            raise Refused(400, "InvalidRequest",
                          "Missing required header for this request: x-amz-content-sha256")
        if payload != UNSIGNED_PAYLOAD and payload != sha256_hex(body):
            raise Refused(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what "
                          "was computed.")
    else:
        payload = sha256_hex(body)
    try:
        creq = canonical_request(method, raw_path, raw_query, headers, signed, payload, s3)
    except KeyError as e:
        raise Refused(403, "SignatureDoesNotMatch" if s3 else "InvalidSignatureException",
                      "Signed header %s is not in the request." % e.args[0])
    want = signature(secrets[auth["access_key"]], amz_date, region, service, creq)
    if not hmac.compare_digest(want, auth["signature"]):
        if s3:
            raise Refused(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature "
                          "you provided. Check your key and signing method.")
        raise Refused(403, "InvalidSignatureException",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                      "the service documentation for details.")
    return auth["access_key"]
