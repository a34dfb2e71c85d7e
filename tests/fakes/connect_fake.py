#!/usr/bin/python3
"""connect_fake.py -- a local stand-in for CloudBlue Connect's usage-file REST
API (docs/INVOICING-CONNECT.md; the facts it follows are in DOMAIN.md,
"CloudBlue Connect usage-file API"), for tests.

    /usr/bin/python3 tests/fakes/connect_fake.py --port 0 --api-key SU-1:secret \
        --product PRD-1 --contract CRD-1 [--max-seconds 600] [--verbose]

Listens on 127.0.0.1 only; prints "PORT <n>" once it accepts connections.
The API lives below /public/v1 as on Connect.  All state is in memory.

What it checks, as Connect does:
  - every request carries "Authorization: ApiKey <the key>" (401 AUTH_001);
  - POST /usage/files: JSON with name (<= 100), description (<= 200),
    period{from,to} (dates, from <= to), currency (3 letters), product{id}
    and contract{id} (this product and contract), external_id; 201 + draft;
  - the state machine: upload from draft, invalid, ready or rejected
    (-> uploading -> processing -> ready | invalid as the file is polled);
    submit ready -> pending; accept / reject pending; close accepted;
    delete draft, invalid or ready; anything else 400 with an error_code;
  - the upload: multipart/form-data, the file in the field usage_file, an
    XLSX with the sheets records (the template's columns, in order) and
    categories; every record: unique record_id, item criteria item.mpn or
    item.global_id with a known item, asset criteria asset.id or
    parameter.<id> with a known asset, times YYYY-MM-DD hh:mm:ss within the
    file's period and start < end, quantity a number, amount a number or an
    exact decimal text with |amount| < 1e16, category_id one of the
    categories sheet; a bad record makes the file invalid with error_detail;
  - lists: GET /usage/files with RQL (and, eq, ne over dotted fields) and
    limit / offset; GET /usage/records?usagefile.id=...; both answer
    Content-Range: items A-B/TOTAL ("items 0-0/0" when empty), at most
    page_max items a page whatever the limit asked;
  - errors as {"error_code": ..., "errors": [...]}.

Controls for tests (not Connect's; no key needed), POST /_control with JSON:
  {"action": "accept"|"reject"|"close", "id": UF, "note": TEXT}
                                   the distributor's decisions (same rules)
  {"action": "fault", "route": R, "kind": K, "count": N, "seconds": S}
      R one of create, upload, submit, get, list, records; K one of
      500 (not run, answered 500), drop (run, then the connection is
      closed without an answer), slow (run, answered after S seconds)
  {"action": "assets", "ids": [...]}   the known assets (null: any)
  {"action": "items", "mpns": [...]}   the known items (null: any)
  {"action": "page_max", "n": N}       items per page at most
  {"action": "processing_polls", "n": N}  GETs a file stays processing
  {"action": "seed", "file": {...}}    add a file as it is (e.g. deleted)
GET /_control answers the whole state: files (with their records and the
uploaded workbooks' sizes), calls per route, refused requests, and
"key_seen_in_upload" (the key's text found inside an uploaded workbook).

Python standard library plus Debian's python3-openpyxl (to read the
workbook).  Exits by itself after --max-seconds.
"""
import argparse
import datetime
import email.parser
import email.policy
import io
import json
import re
import sys
import threading
import time
import urllib.parse
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl

PREFIX = "/public/v1"
BODY_MAX = 64 * 1024 * 1024
RECORD_COLS = ["record_id", "record_note", "item_search_criteria", "item_search_value",
               "asset_search_criteria", "asset_search_value", "start_time_utc", "end_time_utc",
               "category_id", "quantity", "amount", "tier"]
CATEGORY_COLS = ["category_id", "category_name", "category_description"]
RE_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
RE_TIME = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\Z")
RE_AMOUNT = re.compile(r"\A-?(0|[1-9][0-9]*)(\.[0-9]+)?\Z")
UPLOAD_FROM = ("draft", "invalid", "ready", "rejected")
DELETE_FROM = ("draft", "invalid", "ready")

LOCK = threading.Lock()
VERBOSE = False


class ApiError(Exception):
    def __init__(self, http, code, *errors):
        super().__init__(code)
        self.http, self.code, self.errors = http, code, list(errors)


class State:
    def __init__(self, key, product, contract):
        self.key, self.product, self.contract = key, product, contract
        self.files = []
        self.seq = 0
        self.calls = {}
        self.refused = 0
        self.faults = []
        self.assets = None
        self.items = None
        self.page_max = 100
        self.processing_polls = 1
        self.key_seen_in_upload = False

    def file(self, fid):
        for f in self.files:
            if f["id"] == fid:
                return f
        raise ApiError(404, "USG_001", "Usage file %s not found." % fid)

    def fault_for(self, route):
        for f in self.faults:
            if f["route"] == route and f["count"] > 0:
                f["count"] -= 1
                return f
        return None


S = None


def log(msg):
    if VERBOSE:
        sys.stderr.write("connect_fake: %s\n" % msg)


# --- RQL ---------------------------------------------------------------------------------

def rql_parse(text):
    """and(eq(a,b),ne(c,d)) -> ("and", [("eq", ["a", "b"]), ...]); values decoded."""
    pos = 0

    def node():
        nonlocal pos
        m = re.compile(r"[a-z]+").match(text, pos)
        if not m or m.end() >= len(text) or text[m.end()] != "(":
            raise ApiError(400, "REQ_003", "Invalid RQL: %s" % text[:80])
        name, pos = m.group(0), m.end() + 1
        args = []
        while True:
            if re.compile(r"[a-z]+\(").match(text, pos):
                args.append(node())
            else:
                end = pos
                while end < len(text) and text[end] not in ",()":
                    end += 1
                args.append(urllib.parse.unquote(text[pos:end]))
                pos = end
            if pos >= len(text):
                raise ApiError(400, "REQ_003", "Invalid RQL: unbalanced")
            c = text[pos]
            pos += 1
            if c == ")":
                return (name, args)
            if c != ",":
                raise ApiError(400, "REQ_003", "Invalid RQL near %d" % pos)

    tree = node()
    if pos != len(text):
        raise ApiError(400, "REQ_003", "Invalid RQL: trailing text")
    return tree


def field_of(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def rql_match(tree, obj):
    name, args = tree
    if name == "and":
        return all(rql_match(a, obj) for a in args)
    if name == "or":
        return any(rql_match(a, obj) for a in args)
    if name in ("eq", "ne") and len(args) == 2 and all(isinstance(a, str) for a in args):
        v = field_of(obj, args[0])
        same = v is not None and str(v) == args[1]
        return same if name == "eq" else not same
    raise ApiError(400, "REQ_003", "Unsupported RQL operator %s" % name)


# --- the workbook ---------------------------------------------------------------------------

def check_workbook(f, data):
    """The records of the workbook, and the reason it is invalid (or None)."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 -- any unreadable file is invalid
        return [], "The file is not a valid XLSX workbook: %s" % type(e).__name__
    if "records" not in wb.sheetnames or "categories" not in wb.sheetnames:
        return [], "The workbook must have the sheets records and categories."
    rows = list(wb["records"].iter_rows(values_only=True))
    cats = list(wb["categories"].iter_rows(values_only=True))
    if not rows or [c for c in rows[0] if c is not None] != RECORD_COLS:
        return [], "Sheet records: the header row is not the template's."
    if not cats or [c for c in cats[0] if c is not None] != CATEGORY_COLS:
        return [], "Sheet categories: the header row is not the template's."
    categories = {str(r[0]) for r in cats[1:] if r and r[0] is not None}
    start = datetime.datetime.strptime(f["period"]["from"], "%Y-%m-%d")
    end = datetime.datetime.strptime(f["period"]["to"], "%Y-%m-%d") + datetime.timedelta(days=1)
    records, seen = [], set()
    for n, row in enumerate(rows[1:], start=2):
        row = list(row) + [None] * (len(RECORD_COLS) - len(row))
        if all(v is None for v in row):
            continue
        r = dict(zip(RECORD_COLS, row))

        def bad(why):
            return "Sheet records, row %d: %s" % (n, why)

        rid = r["record_id"]
        if rid is None or str(rid) == "":
            return records, bad("record_id is required.")
        if str(rid) in seen:
            return records, bad("record_id %s is not unique in the file." % rid)
        seen.add(str(rid))
        if r["item_search_criteria"] not in ("item.mpn", "item.global_id"):
            return records, bad("item_search_criteria must be item.mpn or item.global_id.")
        if S.items is not None and r["item_search_value"] not in S.items:
            return records, bad("item %s not found in product %s." %
                                (r["item_search_value"], f["product"]["id"]))
        crit = r["asset_search_criteria"] or ""
        if crit != "asset.id" and not crit.startswith("parameter."):
            return records, bad("asset_search_criteria must be asset.id or parameter.<id>.")
        if S.assets is not None and r["asset_search_value"] not in S.assets:
            return records, bad("asset %s not found." % r["asset_search_value"])
        times = []
        for col in ("start_time_utc", "end_time_utc"):
            v = r[col]
            if not isinstance(v, str) or not RE_TIME.match(v):
                return records, bad("%s must be YYYY-MM-DD hh:mm:ss." % col)
            times.append(datetime.datetime.strptime(v, "%Y-%m-%d %H:%M:%S"))
        if not times[0] < times[1] or times[0] < start or times[1] > end:
            return records, bad("the record's times are not within the file's period.")
        if r["category_id"] is not None and str(r["category_id"]) not in categories:
            return records, bad("category %s is not in the categories sheet." % r["category_id"])
        if not isinstance(r["quantity"], (int, float)) or isinstance(r["quantity"], bool):
            return records, bad("quantity must be a number.")
        a = r["amount"]
        if isinstance(a, str) and RE_AMOUNT.match(a):
            amount = Decimal(a)
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            amount = Decimal(str(a))
        else:
            return records, bad("amount must be a number.")
        if abs(amount) >= Decimal("1e16"):
            return records, bad("amount out of range.")
        records.append({k: (v if not isinstance(v, float) else str(v)) for k, v in r.items()})
    if not records:
        return records, "The file has no records."
    return records, None


def multipart_file(headers, body, field):
    ctype = headers.get("Content-Type", "")
    if not ctype.startswith("multipart/form-data"):
        raise ApiError(400, "USG_010", "The upload must be multipart/form-data.")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            return part.get_payload(decode=True) or b""
    raise ApiError(400, "USG_011", "The field %s with the file is required." % field)


# --- the API ----------------------------------------------------------------------------------

def new_id(period_from):
    S.seq += 1
    n = 10000000 + S.seq * 7919 % 90000000
    return "UF-%s-%04d-%04d" % (period_from[:7], n // 10000, n % 10000)


def public(f):
    out = {k: v for k, v in f.items() if not k.startswith("_")}
    return out


def create_file(body):
    errors = []
    name, desc = body.get("name"), body.get("description", "")
    if not isinstance(name, str) or not name or len(name) > 100:
        errors.append("name is required, at most 100 characters.")
    if not isinstance(desc, str) or len(desc) > 200:
        errors.append("description is at most 200 characters.")
    if field_of(body, "product.id") != S.product:
        errors.append("product.id must be an existing product (%s)." % S.product)
    if field_of(body, "contract.id") != S.contract:
        errors.append("contract.id must be an existing contract.")
    cur = body.get("currency")
    if not isinstance(cur, str) or not re.match(r"\A[A-Z]{3}\Z", cur):
        errors.append("currency must be an ISO 4217 code.")
    pf, pt = field_of(body, "period.from"), field_of(body, "period.to")
    if not (isinstance(pf, str) and RE_DATE.match(pf) and isinstance(pt, str) and
            RE_DATE.match(pt) and pf <= pt):
        errors.append("period.from and period.to must be dates, from <= to.")
    ext = body.get("external_id")
    if ext is not None and (not isinstance(ext, str) or len(ext) > 255):
        errors.append("external_id must be a string.")
    if errors:
        raise ApiError(400, "VAL_001", *errors)
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S+00:00")
    f = {"id": new_id(pf), "name": name, "description": desc, "note": body.get("note", ""),
         "status": "draft", "period": {"from": pf, "to": pt}, "currency": cur,
         "product": {"id": S.product}, "contract": {"id": S.contract}, "external_id": ext,
         "events": {"created": {"at": now}}, "records": [], "_verdict": None, "_polls": 0,
         "_uploads": []}
    S.files.append(f)
    return f


def transition(f, action, body):
    st = f["status"]
    now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S+00:00")
    allowed = {"submit": ("ready",), "accept": ("pending",), "reject": ("pending",),
               "close": ("accepted",), "delete": DELETE_FROM}[action]
    if st not in allowed:
        raise ApiError(400, "USG_002", "Usage file %s is %s: %s is not allowed." %
                       (f["id"], st, action))
    to = {"submit": "pending", "accept": "accepted", "reject": "rejected", "close": "closed",
          "delete": "deleted"}[action]
    if action == "accept":
        f["acceptance_note"] = (body or {}).get("acceptance_note", "")
    if action == "reject":
        note = (body or {}).get("rejection_note")
        if not isinstance(note, str) or not note:
            raise ApiError(400, "VAL_001", "rejection_note is required.")
        f["rejection_note"] = note
    f["status"] = to
    f["events"][{"submit": "submitted", "accept": "accepted", "reject": "rejected",
                 "close": "closed", "delete": "deleted"}[action]] = {"at": now}
    return f


def poll(f):
    """Connect processes an upload by itself: uploading -> processing -> result."""
    if f["status"] == "uploading":
        f["status"] = "processing"
        f["_polls"] = 0
    elif f["status"] == "processing":
        f["_polls"] += 1
        if f["_polls"] >= S.processing_polls:
            records, why = f["_verdict"]
            f["records"] = records if why is None else []
            if why is None:
                f["status"] = "ready"
                f.pop("error_detail", None)
            else:
                f["status"] = "invalid"
                f["error_detail"] = why


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        log(fmt % args)

    def answer(self, code, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > BODY_MAX:
            raise ApiError(413, "REQ_001", "Request too large.")
        return self.rfile.read(n) if n else b""

    def json_body(self, raw):
        if not raw:
            return {}
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise ApiError(400, "REQ_002", "Content-Type must be application/json.")
        try:
            v = json.loads(raw)
        except ValueError:
            raise ApiError(400, "REQ_002", "The body is not JSON.")
        if not isinstance(v, dict):
            raise ApiError(400, "REQ_002", "The body must be a JSON object.")
        return v

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        try:
            raw = self.body()
        except ApiError as e:
            return self.answer(e.http, {"error_code": e.code, "errors": e.errors})
        path, _, query = self.path.partition("?")
        if path == "/_control":
            return self.control(method, raw)
        with LOCK:
            try:
                route, fault, result = self.route(method, path, query, raw)
            except ApiError as e:
                return self.answer(e.http, {"error_code": e.code, "errors": e.errors})
        if fault and fault["kind"] == "drop":
            log("dropping the connection after %s" % route)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return None
        if fault and fault["kind"] == "slow":
            time.sleep(float(fault.get("seconds", 2)))
        code, obj, extra = result
        return self.answer(code, obj, extra)

    def route(self, method, path, query, raw):
        if not path.startswith(PREFIX + "/"):
            raise ApiError(404, "REQ_404", "No such resource.")
        path = path[len(PREFIX):]
        parts = [p for p in path.split("/") if p]
        route = None
        if parts == ["usage", "files"]:
            route = "list" if method == "GET" else "create"
        elif parts == ["usage", "records"] and method == "GET":
            route = "records"
        elif len(parts) == 3 and parts[:2] == ["usage", "files"] and method == "GET":
            route = "get"
        elif len(parts) == 4 and parts[:2] == ["usage", "files"] and method == "POST":
            route = parts[3]
        if route is None:
            raise ApiError(404, "REQ_404", "No such resource.")
        S.calls[route] = S.calls.get(route, 0) + 1
        if self.headers.get("Authorization") != "ApiKey " + S.key:
            S.refused += 1
            raise ApiError(401, "AUTH_001", "API Key is not valid.")
        fault = S.fault_for(route)
        if fault and fault["kind"] == "500":
            raise ApiError(500, "SYS_001", "Internal server error.")
        if route == "list":
            return route, fault, self.listing(query, S.files, rql=True)
        if route == "records":
            q = urllib.parse.parse_qs(query)
            fid = (q.get("usagefile.id") or [""])[0]
            f = S.file(fid)
            return route, fault, self.listing(query, f["records"], rql=False)
        if route == "create":
            return route, fault, (201, public(create_file(self.json_body(raw))), None)
        f = S.file(parts[2])
        if route == "get":
            poll(f)
            return route, fault, (200, public(f), None)
        if route == "upload":
            if f["status"] not in UPLOAD_FROM:
                raise ApiError(400, "USG_002", "Usage file %s is %s: upload is not allowed." %
                               (f["id"], f["status"]))
            data = multipart_file(self.headers, raw, "usage_file")
            if S.key.encode() in data or S.key.split(":")[-1].encode() in data:
                S.key_seen_in_upload = True
            f["_uploads"].append(len(data))
            f["_verdict"] = check_workbook(f, data)
            f["_workbook"] = data
            f["status"] = "uploading"
            f["events"]["uploaded"] = {"at": datetime.datetime.utcnow().isoformat()}
            return route, fault, (201, public(f), None)
        if route in ("submit", "accept", "reject", "close", "delete"):
            return route, fault, (200, public(transition(f, route, self.json_body(raw))), None)
        raise ApiError(404, "REQ_404", "No such resource.")

    def listing(self, query, items, rql):
        limit, offset, tree = 100, 0, None
        for part in query.split("&") if query else []:
            if "(" in part:
                tree = rql_parse(part)
                continue
            k, _, v = part.partition("=")
            if k == "limit":
                limit = int(v)
            elif k == "offset":
                offset = int(v)
        if limit < 0 or offset < 0:
            raise ApiError(400, "REQ_003", "limit and offset must not be negative.")
        sel = [i for i in items if tree is None or rql_match(tree, i)]
        page = sel[offset:offset + min(limit, S.page_max)]
        if page:
            rng = "items %d-%d/%d" % (offset, offset + len(page) - 1, len(sel))
        else:
            rng = "items 0-0/%d" % len(sel)
        out = [public(i) if rql else i for i in page]
        return 200, out, {"Content-Range": rng}

    def control(self, method, raw):
        with LOCK:
            if method == "GET":
                state = {"files": [dict(public(f), uploads=f["_uploads"]) for f in S.files],
                         "calls": S.calls, "refused": S.refused,
                         "key_seen_in_upload": S.key_seen_in_upload}
                return self.answer(200, state)
            try:
                c = json.loads(raw)
                a = c["action"]
                if a in ("accept", "reject", "close"):
                    body = {"accept": {"acceptance_note": c.get("note", "")},
                            "reject": {"rejection_note": c.get("note", "")},
                            "close": {}}[a]
                    return self.answer(200, public(transition(S.file(c["id"]), a, body)))
                if a == "fault":
                    S.faults.append({"route": c["route"], "kind": str(c["kind"]),
                                     "count": int(c.get("count", 1)),
                                     "seconds": c.get("seconds", 2)})
                elif a == "assets":
                    S.assets = None if c["ids"] is None else set(c["ids"])
                elif a == "items":
                    S.items = None if c["mpns"] is None else set(c["mpns"])
                elif a == "page_max":
                    S.page_max = int(c["n"])
                elif a == "processing_polls":
                    S.processing_polls = int(c["n"])
                elif a == "seed":
                    f = dict(c["file"])
                    f.setdefault("id", new_id(f["period"]["from"]))
                    f.setdefault("records", [])
                    f.update({"_verdict": None, "_polls": 0, "_uploads": []})
                    S.files.append(f)
                else:
                    raise ApiError(400, "CTL", "unknown action %s" % a)
                return self.answer(200, {"ok": True})
            except ApiError as e:
                return self.answer(e.http, {"error_code": e.code, "errors": e.errors})
            except (KeyError, ValueError, TypeError) as e:
                return self.answer(400, {"error_code": "CTL", "errors": [repr(e)]})


def main():
    global S, VERBOSE
    ap = argparse.ArgumentParser(description="a local stand-in for Connect's usage-file API")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", required=True, help="the key, without 'ApiKey '")
    ap.add_argument("--product", required=True)
    ap.add_argument("--contract", required=True)
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose
    S = State(args.api_key, args.product, args.contract)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
