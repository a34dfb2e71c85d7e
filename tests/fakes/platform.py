#!/usr/bin/env python3
"""platform.py -- a fake channel billing platform: the usage API of
docs/INVOICING-XMLRPC.md over XML-RPC, for tests.

    python3 tests/fakes/platform.py --port 0 [--max-seconds 600] [--verbose]

Listens on 127.0.0.1 only.  With --port 0 it picks a free port; either way it
prints "PORT <n>" on stdout (then flushes) once it accepts connections.  All
state is in memory.  It checks what the real platform checks: required fields
and their types, amounts as decimal strings with at most the currency's
decimals, non-empty ids, one file per external id, batches of at most 500
records, the file's status for each operation.

Control methods for tests (not part of the contract, never authenticated):
    test.setStatus(usage_file_id, status, note)
    test.failNext(method, faultCode, faultString)   next call of method: a fault
    test.delayNext(method, seconds)     next call of method waits, then runs
    test.dropAfterNext(method)          next call runs, then the connection is
                                        closed without an answer
    test.rawNext(method, httpStatus, body)  next call of method is not run and
                                        is answered with this raw body
    test.requireAuth(user, password)    HTTP basic credentials ("" = none)
    test.dump()                         all state
    test.reset()                        forget everything

Standard library only.  Exits by itself after --max-seconds.  Logs to stderr
only with --verbose.
"""
import os
import sys

# This file's name is also the name of a standard module that xmlrpc.server
# imports (through pydoc): keep this directory off the module path so that
# the standard one is found.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402 (after the path fix above)
import base64  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from socketserver import ThreadingMixIn  # noqa: E402
from xmlrpc.client import Fault, loads  # noqa: E402
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer  # noqa: E402

BATCH_MAX = 500
BODY_MAX = 64 * 1024 * 1024
DELAY_MAX = 120
EXTERNAL_ID_MAX = 255
FIELD_MAX = 4096

# ISO 4217 minor-unit exponents of the currencies the platform accepts.
EXPONENTS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "INR": 2, "CNY": 2, "HKD": 2,
    "SGD": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "TRY": 2, "ILS": 2, "AED": 2, "SAR": 2,
    "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0,
    "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3,
    "CLF": 4, "UYW": 4,
}
STATUSES = ("draft", "processing", "ready", "accepted", "closed", "rejected", "invalid")

# Fault codes (docs/INVOICING-XMLRPC.md).
BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, DUPLICATE, WRONG_STATUS = 400, 401, 404, 409, 422

RE_PERIOD = re.compile(r"\A[0-9]{4}-(0[1-9]|1[0-2])\Z")
RE_TIME = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
RE_AMOUNT = re.compile(r"\A-?(0|[1-9][0-9]*)(\.([0-9]+))?\Z")

FILE_FIELDS = ("external_id", "period", "reseller_id", "currency")
RECORD_FIELDS = ("note", "item_mpn", "amount", "quantity", "start_time_utc", "end_time_utc",
                 "asset_id", "customer_id")
RECORD_OPTIONAL = ("reseller_id",)

VERBOSE = False


def log(msg):
    if VERBOSE:
        sys.stderr.write("platform: %s\n" % msg)
        sys.stderr.flush()


def bad(msg):
    return Fault(BAD_REQUEST, msg)


def need_struct(v, what, required, optional=()):
    if not isinstance(v, dict):
        raise bad("%s: expected a struct" % what)
    for k in v:
        if k not in required and k not in optional:
            raise bad("%s: unknown member '%s'" % (what, k))
    for k in required:
        if k not in v:
            raise bad("%s: missing member '%s'" % (what, k))


def need_str(v, what, empty=False, limit=FIELD_MAX):
    if not isinstance(v, str):
        raise bad("%s: expected a string" % what)
    if not empty and v == "":
        raise bad("%s: must not be empty" % what)
    if len(v.encode("utf-8")) > limit:
        raise bad("%s: longer than %d bytes" % (what, limit))
    return v


def need_int(v, what, lo, hi):
    if type(v) is not int:
        raise bad("%s: expected an int" % what)
    if v < lo or v > hi:
        raise bad("%s: %d is outside %d..%d" % (what, v, lo, hi))
    return v


def need_amount(v, what, currency):
    need_str(v, what)
    m = RE_AMOUNT.match(v)
    if not m:
        raise bad("%s: '%s' is not a decimal string" % (what, v))
    places = len(m.group(3) or "")
    if m.group(2) is not None and places == 0:
        raise bad("%s: '%s' is not a decimal string" % (what, v))
    if places > EXPONENTS[currency]:
        raise bad("%s: '%s' has more than %d decimals for %s"
                  % (what, v, EXPONENTS[currency], currency))
    return v


class Platform:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.files = {}          # usage_file_id -> file dict
        self.by_ext = {}         # external_id -> usage_file_id
        self.seq = 0
        self.calls = {}
        self.fail = {}           # method -> (code, string)
        self.delay = {}          # method -> seconds
        self.drop = set()        # methods
        self.raw = {}            # method -> (http status, body)
        self.auth = None         # (user, password) or None

    # --- helpers (called with the lock held) ---------------------------------
    def file(self, usage_file_id):
        need_str(usage_file_id, "usage_file_id", limit=64)
        f = self.files.get(usage_file_id)
        if f is None:
            raise Fault(NOT_FOUND, "no usage file %s" % usage_file_id)
        return f

    @staticmethod
    def state(f):
        return {"usage_file_id": f["usage_file_id"], "external_id": f["external_id"],
                "period": f["period"], "reseller_id": f["reseller_id"],
                "currency": f["currency"], "status": f["status"], "note": f["note"],
                "record_count": len(f["records"])}

    # --- the contract ----------------------------------------------------------
    def create_file(self, spec):
        need_struct(spec, "createFile", FILE_FIELDS)
        ext = need_str(spec["external_id"], "external_id", limit=EXTERNAL_ID_MAX)
        period = need_str(spec["period"], "period")
        if not RE_PERIOD.match(period):
            raise bad("period: '%s' is not YYYY-MM" % period)
        reseller = need_str(spec["reseller_id"], "reseller_id", empty=True)
        currency = need_str(spec["currency"], "currency")
        if currency not in EXPONENTS:
            raise bad("currency: '%s' is not accepted" % currency)
        if ext in self.by_ext:
            raise Fault(DUPLICATE, "a usage file with external_id '%s' exists: %s"
                        % (ext, self.by_ext[ext]))
        self.seq += 1
        fid = "UF-%s-%04d-%04d" % (period, self.seq // 10000 % 10000, self.seq % 10000)
        self.files[fid] = {"usage_file_id": fid, "external_id": ext, "period": period,
                           "reseller_id": reseller, "currency": currency,
                           "status": "draft", "note": "", "records": []}
        self.by_ext[ext] = fid
        return {"usage_file_id": fid, "status": "draft"}

    def add_records(self, usage_file_id, records):
        f = self.file(usage_file_id)
        if f["status"] != "draft":
            raise Fault(WRONG_STATUS, "usage file %s is %s, not draft"
                        % (usage_file_id, f["status"]))
        if not isinstance(records, list):
            raise bad("records: expected an array")
        if not 1 <= len(records) <= BATCH_MAX:
            raise bad("records: %d records; 1 to %d per call" % (len(records), BATCH_MAX))
        for i, r in enumerate(records):
            what = "record %d" % (i + 1)
            need_struct(r, what, RECORD_FIELDS, RECORD_OPTIONAL)
            need_str(r["note"], what + ": note", empty=True)
            for k in ("item_mpn", "asset_id", "customer_id"):
                need_str(r[k], "%s: %s" % (what, k))
            if "reseller_id" in r:
                need_str(r["reseller_id"], what + ": reseller_id")
            need_amount(r["amount"], what + ": amount", f["currency"])
            need_int(r["quantity"], what + ": quantity", 1, 1000000)
            for k in ("start_time_utc", "end_time_utc"):
                need_str(r[k], "%s: %s" % (what, k))
                if not RE_TIME.match(r[k]):
                    raise bad("%s: %s: '%s' is not YYYY-MM-DDTHH:MM:SSZ" % (what, k, r[k]))
            if r["end_time_utc"] <= r["start_time_utc"]:
                raise bad("%s: end_time_utc is not after start_time_utc" % what)
        digits = usage_file_id[11:]
        ids = []
        for r in records:
            n = len(f["records"]) + 1
            rid = "UR-%s-%s-%04d-%04d" % (f["period"], digits, n // 10000 % 10000, n % 10000)
            rec = dict(r)
            rec["record_id"] = rid
            rec.setdefault("reseller_id", f["reseller_id"])
            f["records"].append(rec)
            ids.append(rid)
        return ids

    def submit(self, usage_file_id):
        f = self.file(usage_file_id)
        if f["status"] != "draft":
            raise Fault(WRONG_STATUS, "usage file %s is %s, not draft"
                        % (usage_file_id, f["status"]))
        if not f["records"]:
            raise Fault(WRONG_STATUS, "usage file %s has no records" % usage_file_id)
        f["status"] = "ready"
        return True

    def get_status(self, usage_file_id):
        return self.state(self.file(usage_file_id))

    def find_by_external_id(self, external_id):
        need_str(external_id, "external_id", limit=EXTERNAL_ID_MAX)
        fid = self.by_ext.get(external_id)
        if fid is None:
            raise Fault(NOT_FOUND, "no usage file with external_id '%s'" % external_id)
        return self.state(self.files[fid])

    def list_records(self, usage_file_id, offset, limit):
        f = self.file(usage_file_id)
        need_int(offset, "offset", 0, 2 ** 31 - 1)
        need_int(limit, "limit", 1, BATCH_MAX)
        return [dict(r) for r in f["records"][offset:offset + limit]]

    # --- control -------------------------------------------------------------------
    def set_status(self, usage_file_id, status, note):
        f = self.file(usage_file_id)
        if status not in STATUSES:
            raise bad("status: '%s' is not one of %s" % (status, ", ".join(STATUSES)))
        f["status"] = status
        f["note"] = need_str(note, "note", empty=True)
        return True

    def fail_next(self, method, code, string):
        self.fail[need_str(method, "method")] = (need_int(code, "faultCode", -2 ** 31, 2 ** 31 - 1),
                                                 need_str(string, "faultString", empty=True))
        return True

    def delay_next(self, method, seconds):
        if type(seconds) not in (int, float) or not 0 <= seconds <= DELAY_MAX:
            raise bad("seconds: 0 to %d" % DELAY_MAX)
        self.delay[need_str(method, "method")] = seconds
        return True

    def drop_after_next(self, method):
        self.drop.add(need_str(method, "method"))
        return True

    def raw_next(self, method, status, body):
        self.raw[need_str(method, "method")] = (need_int(status, "httpStatus", 100, 599),
                                                need_str(body, "body", empty=True,
                                                         limit=BODY_MAX))
        return True

    def require_auth(self, user, password):
        need_str(user, "user", empty=True)
        need_str(password, "password", empty=True)
        self.auth = (user, password) if user else None
        return True

    def dump(self):
        return {"files": [dict(f, records=[dict(r) for r in f["records"]])
                          for f in sorted(self.files.values(),
                                          key=lambda x: x["usage_file_id"])],
                "calls": dict(self.calls)}

    def do_reset(self):
        self.reset()
        return True


class API:
    """The dispatcher: method names to Platform methods, under one lock."""

    def __init__(self, platform):
        self.p = platform
        self.methods = {
            "usage.createFile": platform.create_file,
            "usage.addRecords": platform.add_records,
            "usage.submit": platform.submit,
            "usage.getStatus": platform.get_status,
            "usage.findByExternalId": platform.find_by_external_id,
            "usage.listRecords": platform.list_records,
            "test.setStatus": platform.set_status,
            "test.failNext": platform.fail_next,
            "test.delayNext": platform.delay_next,
            "test.dropAfterNext": platform.drop_after_next,
            "test.rawNext": platform.raw_next,
            "test.requireAuth": platform.require_auth,
            "test.dump": platform.dump,
            "test.reset": platform.do_reset,
        }

    def _dispatch(self, method, params):
        fn = self.methods.get(method)
        if fn is None:
            raise Fault(-32601, 'method "%s" is not supported' % method)
        with self.p.lock:
            self.p.calls[method] = self.p.calls.get(method, 0) + 1
            fail = self.p.fail.pop(method, None)
            if fail is not None:
                log("%s: injected fault %d" % (method, fail[0]))
                raise Fault(*fail)
            try:
                return fn(*params)
            except TypeError as e:
                raise bad("%s: wrong arguments (%s)" % (method, e)) from None


class Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2", "/")

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        log("%s %s" % (self.address_string(), format % args))

    def authorized(self, method):
        auth = self.server.platform.auth
        if auth is None or (method or "").startswith("test."):
            return True
        want = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
        return self.headers.get("Authorization", "") == want

    def reply(self, code, body, ctype="text/xml", extra=()):
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            log("client went away before the answer")

    def do_POST(self):
        if not self.is_rpc_path_valid():
            self.reply(404, b"no such path\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", "-1"))
        except ValueError:
            length = -1
        if length < 0 or length > BODY_MAX:
            self.reply(411 if length < 0 else 413, b"bad length\n", "text/plain")
            return
        data = self.rfile.read(length)
        try:
            _, method = loads(data)
        except Exception:  # the dispatcher answers a malformed request with a fault
            method = None
        p = self.server.platform
        if not self.authorized(method):
            self.reply(401, b"credentials required\n", "text/plain",
                       [("WWW-Authenticate", 'Basic realm="usage"')])
            return
        with p.lock:
            raw = p.raw.pop(method, None)
            delay = p.delay.pop(method, 0)
            drop = method in p.drop
            p.drop.discard(method)
        if raw is not None:
            log("%s: raw answer, HTTP %d" % (method, raw[0]))
            self.reply(raw[0], raw[1].encode("utf-8"))
            return
        if delay:
            log("%s: waiting %s s" % (method, delay))
            time.sleep(delay)
        body = self.server._marshaled_dispatch(data, getattr(self, "_dispatch", None), self.path)
        if drop:
            log("%s: done, dropping the connection" % method)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.reply(200, body)


class Server(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="fake billing platform (usage API over XML-RPC)")
    ap.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1; 0 = any")
    ap.add_argument("--max-seconds", type=float, default=600, help="exit after this long")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose

    server = Server(("127.0.0.1", args.port), requestHandler=Handler, logRequests=VERBOSE,
                    allow_none=False, encoding="utf-8")
    server.platform = Platform()
    server.register_instance(API(server.platform))
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    log("exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
