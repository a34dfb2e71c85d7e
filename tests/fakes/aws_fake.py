#!/usr/bin/env python3
"""aws_fake.py -- a local stand-in for the AWS endpoints awscredit calls:
Athena (AWS JSON 1.1), the AWS Billing API GetCredits (AWS JSON 1.0) and S3
(ListObjectsV2, GetObject, path-style).  One process, one port, 127.0.0.1.

Every request's SigV4 signature is recomputed with tests/fakes/sigv4.py (an
implementation written from AWS's documentation, not libcurl's) and a wrong
one is refused the way AWS refuses it: 403 and an AWS-shaped error body
(JSON for Athena and Billing, XML for S3).  S3 requests must also carry a
correct x-amz-content-sha256; session credentials must send (and sign) the
expected x-amz-security-token.  Which AWS page each behaviour comes from:
tests/fakes/README.md.

Usage:
  aws_fake.py [--port 0] [--max-seconds 120] [--region us-east-1]
              [--billing-region us-east-1] [--access-key ID] [--secret-key KEY]
              [--session-token TOKEN] [--athena-fixture FILE.json]
              [--s3-root DIR] [--billing-fixture FILE.json] [--verbose]
Prints "PORT n" on stdout once listening; exits after --max-seconds, or
within a second of its parent process going away.

Routes:
  POST /   X-Amz-Target: AmazonAthena.{StartQueryExecution,GetQueryExecution,
           GetQueryResults,StopQueryExecution}      (signing name "athena")
  POST /   X-Amz-Target: AWSBilling.GetCredits      (signing name "billing")
  GET  /BUCKET?list-type=2&...                      (S3 ListObjectsV2, "s3")
  GET  /BUCKET/KEY                                  (S3 GetObject, "s3")
  POST /_control   JSON commands for tests (not signed), answers the state:
       {"reset": true}                 forget queries, tokens, counters, settings
       {"throttle": N, "throttle_type": "ThrottlingException"}
                                       the next N Athena calls are throttled
       {"next_query": {"state": "FAILED"|"CANCELLED"|"RUNNING", "reason": "..."}}
                                       fate of the next new query (RUNNING: never
                                       finishes until StopQueryExecution)
       {"polls_to_finish": N}          GetQueryExecution calls before SUCCEEDED
       {"page_size": N}                Athena result rows per page (with MaxResults)
       {"s3_page_size": N}             S3 keys per ListObjectsV2 page
       {"s3_listing_dtd": true}        the next ListObjectsV2 answer declares a DTD with
                                       an entity (a hostile or broken endpoint)
       {"billing_page_size": N}        GetCredits credits per page (nextToken)
       {"session_token": "T" | null}   the token requests must carry
       {"delay_next": SECONDS}         the next AWS request waits before answering
       {"athena_rows": [[...], ...] | null}  result rows instead of the fixture's
  GET  /_control   the state: calls, refused requests, Athena queries with their
                   ClientRequestTokens and query text, stopped queries.
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
import argparse  # noqa: E402
import base64  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import uuid  # noqa: E402
from email.utils import formatdate  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from xml.sax.saxutils import escape  # noqa: E402

_spec = importlib.util.spec_from_file_location("sigv4", os.path.join(_HERE, "sigv4.py"))
sigv4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sigv4)

MAX_BODY = 1 << 20
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.reset()

    def reset(self):
        self.session_token = self.args.session_token
        self.throttle = 0
        self.throttle_type = "ThrottlingException"
        self.next_query = None
        self.polls_to_finish = 2
        self.page_size = 1000
        self.s3_page_size = 1000
        self.s3_listing_dtd = False
        self.billing_page_size = 0
        self.delay_next = 0.0
        self.athena_rows = None    # replaces the fixture's rows when set
        self.queries = {}          # id -> dict
        self.tokens = {}           # ClientRequestToken -> id
        self.order = []            # query ids in start order
        self.stops = []
        self.calls = {}
        self.refused = []
        self.throttled = 0

    def snapshot(self):
        return {
            "calls": dict(self.calls),
            "refused": list(self.refused),
            "throttled": self.throttled,
            "stops": list(self.stops),
            "queries": [dict(id=q, token=self.queries[q]["token"],
                             query=self.queries[q]["query"], state=self.queries[q]["state"],
                             workgroup=self.queries[q]["workgroup"],
                             database=self.queries[q]["database"])
                        for q in self.order],
        }


class AwsError(Exception):
    def __init__(self, status, code, message, extra=None):
        Exception.__init__(self, message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


def load_json(path):
    if not path:
        return None
    with open(path, "rb") as f:
        return json.load(f)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (a timeout test) closes its end: not an error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError)) and not self.args.verbose:
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-fake"

    def log_message(self, fmt, *a):
        if self.server.args.verbose:
            sys.stderr.write("aws_fake: " + (fmt % a) + "\n")

    # --- plumbing -------------------------------------------------------------

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise AwsError(413, "RequestEntityTooLarge", "request body too large")
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, obj, content_type):
        self._send(status, json.dumps(obj).encode("utf-8"), content_type)

    def _json_error(self, e, content_type):
        body = {"__type": e.code, "message": e.message}
        body.update(e.extra)
        # AWS sends the type in a header too, with a suffix after ':'.
        hdr = "%s:http://internal.amazon.com/coral/com.amazon.coral.service/" % e.code
        self._send(e.status, json.dumps(body).encode("utf-8"), content_type,
                   [("x-amzn-ErrorType", hdr)])

    def _xml_error(self, e, resource=""):
        extra = "".join("<%s>%s</%s>" % (k, escape(str(v)), k) for k, v in e.extra.items())
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
                "<Message>%s</Message>%s<Resource>%s</Resource><RequestId>%s</RequestId>"
                "</Error>" % (escape(e.code), escape(e.message), extra, escape(resource),
                              uuid.uuid4().hex[:16].upper())).encode("utf-8")
        self._send(e.status, body, "application/xml")

    def _count(self, name):
        st = self.server.state
        with st.lock:
            st.calls[name] = st.calls.get(name, 0) + 1

    def _verify(self, body, service, region, s3):
        st = self.server.state
        raw_path, _, raw_query = self.path.partition("?")
        with st.lock:
            token = st.session_token
            delay = st.delay_next
            st.delay_next = 0.0
        if delay:
            time.sleep(delay)
        try:
            sigv4.verify(self.command, raw_path, raw_query, list(self.headers.items()), body,
                         {self.server.args.access_key: self.server.args.secret_key},
                         region, service, s3=s3, session_token=token)
        except sigv4.Refused as r:
            with st.lock:
                st.refused.append({"service": service, "code": r.code, "path": raw_path})
            extra = {}
            if s3 and r.code == "SignatureDoesNotMatch":
                # S3 names the key id it looked up (never the secret).
                extra = {"AWSAccessKeyId": self.server.args.access_key}
            raise AwsError(r.status, r.code, r.message, extra)

    # --- dispatch -----------------------------------------------------------------

    def do_POST(self):
        try:
            body = self._body()
        except AwsError as e:
            return self._json_error(e, "application/x-amz-json-1.1")
        path = self.path.partition("?")[0]
        if path == "/_control":
            return self._control(body)
        target = self.headers.get("X-Amz-Target") or ""
        if target.startswith("AmazonAthena."):
            ctype = "application/x-amz-json-1.1"
            try:
                self._verify(body, "athena", self.server.args.region, False)
                return self._json(200, self._athena(target[len("AmazonAthena."):], body), ctype)
            except AwsError as e:
                return self._json_error(e, ctype)
        if target.startswith("AWSBilling."):
            ctype = "application/x-amz-json-1.0"
            try:
                self._verify(body, "billing", self.server.args.billing_region, False)
                return self._json(200, self._billing(target[len("AWSBilling."):], body), ctype)
            except AwsError as e:
                return self._json_error(e, ctype)
        return self._json_error(AwsError(400, "UnknownOperationException",
                                         "unknown target %r" % target),
                                "application/x-amz-json-1.1")

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/_control":
            st = self.server.state
            with st.lock:
                return self._json(200, st.snapshot(), "application/json")
        try:
            self._verify(b"", "s3", self.server.args.region, True)
            return self._s3_get(path, query)
        except AwsError as e:
            return self._xml_error(e, path)

    def do_PUT(self):
        self._xml_error(AwsError(405, "MethodNotAllowed",
                                 "The specified method is not allowed against this resource."))

    do_DELETE = do_PUT

    # --- control ---------------------------------------------------------------------

    def _control(self, body):
        st = self.server.state
        try:
            cmd = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"error": "control body is not JSON"}, "application/json")
        with st.lock:
            if cmd.get("reset"):
                st.reset()
            if "throttle" in cmd:
                st.throttle = int(cmd["throttle"])
                st.throttle_type = cmd.get("throttle_type", "ThrottlingException")
            if "next_query" in cmd:
                st.next_query = cmd["next_query"]
            for key in ("polls_to_finish", "page_size", "s3_page_size", "billing_page_size"):
                if key in cmd:
                    setattr(st, key, int(cmd[key]))
            if "s3_listing_dtd" in cmd:
                st.s3_listing_dtd = bool(cmd["s3_listing_dtd"])
            if "session_token" in cmd:
                st.session_token = cmd["session_token"]
            if "delay_next" in cmd:
                st.delay_next = float(cmd["delay_next"])
            if "athena_rows" in cmd:
                st.athena_rows = cmd["athena_rows"]
            snap = st.snapshot()
        return self._json(200, snap, "application/json")

    # --- Athena --------------------------------------------------------------------------

    def _athena(self, op, body):
        st = self.server.state
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-amz-json-1.1":
            raise AwsError(400, "SerializationException", "Content-Type must be "
                           "application/x-amz-json-1.1")
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise AwsError(400, "SerializationException", "body is not JSON")
        if not isinstance(req, dict):
            raise AwsError(400, "SerializationException", "body is not a JSON object")
        self._count("athena." + op)
        with st.lock:
            if st.throttle > 0:
                st.throttle -= 1
                st.throttled += 1
                if st.throttle_type == "TooManyRequestsException":
                    raise AwsError(400, "TooManyRequestsException", "Rate exceeded",
                                   {"Reason": "CONCURRENT_QUERY_LIMIT_EXCEEDED"})
                raise AwsError(400, st.throttle_type, "Rate exceeded")
            fn = {"StartQueryExecution": self._start, "GetQueryExecution": self._get_execution,
                  "GetQueryResults": self._get_results,
                  "StopQueryExecution": self._stop}.get(op)
            if fn is None:
                raise AwsError(400, "UnknownOperationException", "unknown operation %s" % op)
            return fn(st, req)

    def _start(self, st, req):
        q = req.get("QueryString")
        tok = req.get("ClientRequestToken")
        if not isinstance(q, str) or not 1 <= len(q) <= 262144:
            raise AwsError(400, "InvalidRequestException", "QueryString is required",
                           {"AthenaErrorCode": "INVALID_INPUT"})
        if not isinstance(tok, str) or not 32 <= len(tok) <= 128:
            raise AwsError(400, "InvalidRequestException",
                           "ClientRequestToken must be 32 to 128 characters",
                           {"AthenaErrorCode": "INVALID_INPUT"})
        ctx = req.get("QueryExecutionContext") or {}
        wg = req.get("WorkGroup") or "primary"
        if tok in st.tokens:
            prev = st.queries[st.tokens[tok]]
            if prev["query"] != q or prev["workgroup"] != wg:
                raise AwsError(400, "InvalidRequestException",
                               "Idempotent parameters do not match",
                               {"AthenaErrorCode": "INVALID_INPUT"})
            return {"QueryExecutionId": prev["id"]}
        qid = str(uuid.uuid4())
        fate = st.next_query or {}
        st.next_query = None
        st.queries[qid] = {"id": qid, "token": tok, "query": q, "workgroup": wg,
                           "database": ctx.get("Database"), "state": "QUEUED", "polls": 0,
                           "fate": fate.get("state", "SUCCEEDED"), "reason": fate.get("reason"),
                           "submitted": time.time()}
        st.tokens[tok] = qid
        st.order.append(qid)
        return {"QueryExecutionId": qid}

    def _query(self, st, req):
        qid = req.get("QueryExecutionId")
        if not isinstance(qid, str) or qid not in st.queries:
            raise AwsError(400, "InvalidRequestException",
                           "QueryExecution %s was not found" % qid,
                           {"AthenaErrorCode": "INVALID_INPUT"})
        return st.queries[qid]

    def _get_execution(self, st, req):
        q = self._query(st, req)
        if q["state"] in ("QUEUED", "RUNNING"):
            q["polls"] += 1
            if q["fate"] == "RUNNING":
                q["state"] = "RUNNING"
            elif q["polls"] >= st.polls_to_finish:
                q["state"] = q["fate"]
            else:
                q["state"] = "RUNNING" if q["polls"] > 1 else "QUEUED"
        status = {"State": q["state"], "SubmissionDateTime": q["submitted"]}
        if q["state"] in ("FAILED", "CANCELLED"):
            reason = q["reason"] or ("Query was cancelled" if q["state"] == "CANCELLED" else
                                     "query failed")
            status["StateChangeReason"] = reason
            status["CompletionDateTime"] = time.time()
            if q["state"] == "FAILED":
                status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1001,
                                         "Retryable": False, "ErrorMessage": reason}
        if q["state"] == "SUCCEEDED":
            status["CompletionDateTime"] = time.time()
        return {"QueryExecution": {
            "QueryExecutionId": q["id"], "Query": q["query"], "StatementType": "DML",
            "QueryExecutionContext": {"Database": q["database"]}, "WorkGroup": q["workgroup"],
            "Status": status,
            "Statistics": {"EngineExecutionTimeInMillis": 1234, "DataScannedInBytes": 987654,
                           "TotalExecutionTimeInMillis": 1500}}}

    def _get_results(self, st, req):
        q = self._query(st, req)
        if q["state"] != "SUCCEEDED":
            raise AwsError(400, "InvalidRequestException",
                           "Query has not yet finished. Current state: %s" % q["state"],
                           {"AthenaErrorCode": "INVALID_INPUT"})
        maxr = req.get("MaxResults", 1000)
        if not isinstance(maxr, int) or not 1 <= maxr <= 1000:
            raise AwsError(400, "InvalidRequestException",
                           "MaxResults must be between 1 and 1000")
        fx = self.server.athena
        if fx is None:
            raise AwsError(500, "InternalServerException", "no --athena-fixture")
        rows = [{"Data": [{"VarCharValue": c["Name"]} for c in fx["columns"]]}]
        for r in (st.athena_rows if st.athena_rows is not None else fx["rows"]):
            rows.append({"Data": [{} if v is None else {"VarCharValue": v} for v in r]})
        off = 0
        tok = req.get("NextToken")
        if tok is not None:
            try:
                tq, _, toff = base64.b64decode(tok).decode().partition(":")
                off = int(toff)
                if tq != q["id"]:
                    raise ValueError
            except (ValueError, UnicodeDecodeError):
                raise AwsError(400, "InvalidRequestException", "invalid NextToken")
        n = min(maxr, st.page_size)
        page = rows[off:off + n]
        out = {"UpdateCount": 0, "ResultSet": {"Rows": page, "ResultSetMetadata": {
            "ColumnInfo": [{"CatalogName": "hive", "SchemaName": "", "TableName": "",
                            "Name": c["Name"], "Label": c["Name"], "Type": c["Type"],
                            "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN",
                            "CaseSensitive": c["Type"] == "varchar"}
                           for c in fx["columns"]]}}}
        if off + n < len(rows):
            out["NextToken"] = base64.b64encode(("%s:%d" % (q["id"], off + n)).encode()).decode()
        return out

    def _stop(self, st, req):
        q = self._query(st, req)
        st.stops.append(q["id"])
        if q["state"] in ("QUEUED", "RUNNING"):
            q["state"] = "CANCELLED"
            q["reason"] = "Query was cancelled by user"
        return {}

    # --- Billing ------------------------------------------------------------------------------

    def _billing(self, op, body):
        st = self.server.state
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-amz-json-1.0":
            raise AwsError(400, "SerializationException",
                           "Content-Type must be application/x-amz-json-1.0")
        self._count("billing." + op)
        if op != "GetCredits":
            raise AwsError(400, "UnknownOperationException", "unknown operation %s" % op)
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise AwsError(400, "SerializationException", "body is not JSON")
        acct = req.get("accountId")
        if not isinstance(acct, str) or len(acct) != 12 or not acct.isdigit():
            raise AwsError(400, "ValidationException", "accountId must be a 12-digit string")
        if not isinstance(req.get("startDate"), (int, float)) or isinstance(
                req.get("startDate"), bool):
            raise AwsError(400, "ValidationException", "startDate is required (epoch seconds)")
        fx = self.server.billing or {"credits": []}
        credits = [c for c in fx["credits"]
                   if req.get("payerAccountFlag") or c.get("accountId") == acct]
        with st.lock:
            size = st.billing_page_size
        off = 0
        if req.get("nextToken") is not None:
            try:
                off = int(base64.b64decode(req["nextToken"]).decode())
            except (ValueError, UnicodeDecodeError, TypeError):
                raise AwsError(400, "ValidationException", "invalid nextToken")
        if size <= 0:
            size = len(credits) or 1
        out = {"credits": credits[off:off + size]}
        if off + size < len(credits):
            out["nextToken"] = base64.b64encode(str(off + size).encode()).decode()
        return out

    # --- S3 -----------------------------------------------------------------------------------

    def _s3_path(self, bucket, key=""):
        """The file of bucket/key under --s3-root (a bucket may be a symlink
        to a directory elsewhere); names that leave the bucket are refused."""
        root = os.path.abspath(self.server.args.s3_root or "/nonexistent")
        base = os.path.join(root, bucket)
        if (not bucket or "/" in bucket or bucket in (".", "..") or
                not os.path.isdir(base)):
            raise AwsError(404, "NoSuchBucket", "The specified bucket does not exist.",
                           {"BucketName": bucket})
        if not key:
            return base
        parts = key.split("/")
        full = os.path.join(base, *parts)
        if ".." in parts or "" in parts or not os.path.isfile(full):
            raise AwsError(404, "NoSuchKey", "The specified key does not exist.", {"Key": key})
        return full

    def _s3_get(self, path, query):
        parts = path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        if key:
            self._count("s3.GetObject")
            return self._get_object(bucket, key)
        self._count("s3.ListObjectsV2")
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if params.get("list-type") != "2":
            raise AwsError(400, "NotImplemented", "only ListObjectsV2 (list-type=2) is served")
        return self._list(bucket, params)

    def _list(self, bucket, params):
        st = self.server.state
        base = self._s3_path(bucket)
        keys = []
        for d, _, files in os.walk(base, followlinks=True):
            for f in files:
                keys.append(os.path.relpath(os.path.join(d, f), base).replace(os.sep, "/"))
        keys.sort(key=lambda k: k.encode("utf-8"))
        prefix = params.get("prefix", "")
        keys = [k for k in keys if k.startswith(prefix)]
        after = params.get("start-after", "")
        ctoken = params.get("continuation-token")
        if ctoken is not None:
            try:
                after = base64.b64decode(ctoken, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise AwsError(400, "InvalidArgument",
                               "The continuation token provided is incorrect",
                               {"ArgumentName": "continuation-token"})
        if after:
            keys = [k for k in keys if k.encode("utf-8") > after.encode("utf-8")]
        try:
            maxk = int(params.get("max-keys", "1000"))
        except ValueError:
            raise AwsError(400, "InvalidArgument", "Provided max-keys not an integer or within "
                           "integer range", {"ArgumentName": "max-keys"})
        with st.lock:
            n = max(0, min(maxk, 1000, st.s3_page_size))
            dtd, st.s3_listing_dtd = st.s3_listing_dtd, False
        page, more = keys[:n], len(keys) > n
        url = params.get("encoding-type") == "url"

        def enc(k):
            return urllib.parse.quote(k, safe="/") if url else k

        out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
               '<!DOCTYPE ListBucketResult [<!ENTITY x "boom">]>' if dtd else "",
               '<ListBucketResult xmlns="%s">' % S3_NS,
               "<Name>%s</Name><Prefix>%s</Prefix>" % (escape(bucket), escape(enc(prefix))),
               "<KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>" % (len(page), maxk)]
        if url:
            out.append("<EncodingType>url</EncodingType>")
        out.append("<IsTruncated>%s</IsTruncated>" % ("true" if more else "false"))
        if ctoken is not None:
            out.append("<ContinuationToken>%s</ContinuationToken>" % escape(ctoken))
        if more:
            out.append("<NextContinuationToken>%s</NextContinuationToken>" % escape(
                base64.b64encode(page[-1].encode("utf-8")).decode()))
        for k in page:
            full = os.path.join(base, k)
            with open(full, "rb") as f:
                etag = hashlib.md5(f.read(), usedforsecurity=False).hexdigest()
            out.append("<Contents><Key>%s</Key><LastModified>2026-11-02T03:04:05.000Z"
                       "</LastModified><ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>" % (
                           escape(enc(k)), etag, os.path.getsize(full)))
        out.append("</ListBucketResult>")
        self._send(200, "".join(out).encode("utf-8"), "application/xml")

    def _get_object(self, bucket, key):
        full = self._s3_path(bucket, key)
        size = os.path.getsize(full)
        with open(full, "rb") as f:
            etag = hashlib.md5(f.read(), usedforsecurity=False).hexdigest()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("ETag", '"%s"' % etag)
        self.send_header("Last-Modified", formatdate(usegmt=True))
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        self.end_headers()
        with open(full, "rb") as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                self.wfile.write(chunk)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--billing-region", default="us-east-1")
    ap.add_argument("--access-key", default="AKIDFAKEEXAMPLE")
    ap.add_argument("--secret-key", default="fake/Secret+Key/EXAMPLE")
    ap.add_argument("--session-token", default=None)
    ap.add_argument("--athena-fixture")
    ap.add_argument("--billing-fixture")
    ap.add_argument("--s3-root")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.args = args
    server.state = State(args)
    server.athena = load_json(args.athena_fixture)
    server.billing = load_json(args.billing_fixture)

    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds

    def watchdog():
        while time.monotonic() < deadline and os.getppid() == parent:
            time.sleep(0.2)
        server.shutdown()

    threading.Thread(target=watchdog, daemon=True).start()
    print("PORT %d" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
