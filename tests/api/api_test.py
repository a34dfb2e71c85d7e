"""api_test.py -- checks of the HTTP API of `awscredit serve` (SPEC 15),
run by tests/integration/test_api.sh, which builds the data
(tests/api/fixture.sh) and starts the server.  Prints TAP lines
"ok N - ..." / "not ok N - ..."; exits 1 when a check failed."""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse

E = os.environ
BASE = urllib.parse.urlsplit(E["AWC_API_BASE"])
DB, SOCK, HOST, CONFIG = E["AWC_API_DB"], E["AWC_API_SOCKET"], E["AWC_API_HOST"], E["AWC_API_CONFIG"]
ROOT, TMP = E["AWC_API_ROOT"], E["AWC_API_TMP"]
TOKEN, VTOKEN = E["AWC_API_TOKEN"], E["AWC_API_VTOKEN"]
n = int(E.get("AWC_API_FIRST", "1")) - 1
failed = 0


def check(cond, what, info=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        if info:
            for line in str(info)[:1200].splitlines():
                print("#   " + line)
    sys.stdout.flush()
    return cond


def sql(text):
    out = subprocess.run(["mariadb", "--no-defaults", "-S", SOCK, "-uroot", "-N", "-B", DB,
                          "-e", text], capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Resp:
    def __init__(self, r, body):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        self.cookies = r.msg.get_all("Set-Cookie") or []
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return f"{self.status} {self.headers} {self.body[:600]!r}"


class Client:
    def __init__(self, token=None):
        self.cookie = None
        self.csrf = None
        self.token = token

    def req(self, method, path, body=None, headers=None, raw=None):
        c = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=20)
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.cookie:
            h["Cookie"] = "awc_session=" + self.cookie
        if self.csrf and method not in ("GET", "HEAD") and "X-CSRF-Token" not in h:
            h["X-CSRF-Token"] = self.csrf
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        out = Resp(r, r.read())
        c.close()
        return out

    def signin(self, user, password):
        r = self.req("POST", "/api/v1/session", {"user": user, "password": password})
        for sc in r.cookies:
            m = re.match(r"awc_session=([^;]*)", sc)
            if m:
                self.cookie = m.group(1)
        if r.status == 200:
            self.csrf = r.json()["csrf_token"]
        return r


def raw_status(head, body=b""):
    """Send head (and as much of body as the server takes), then read the
    status line: the server may answer and close before the body is in."""
    s = socket.create_connection((BASE.hostname, BASE.port), timeout=20)
    try:
        s.sendall(head)
        s.sendall(body)
    except OSError:
        pass
    data = b""
    try:
        while b"\r\n" not in data:
            got = s.recv(4096)
            if not got:
                break
            data += got
    except OSError:
        pass
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return int(m.group(1)) if m else 0


def problem(r, status):
    j = r.json() or {}
    return (r.status == status and r.headers.get("content-type") == "application/problem+json"
            and set(j) >= {"type", "title", "status", "detail"} and j["status"] == status)


def cli(*args):
    return subprocess.run([HOST, "--config", CONFIG] + list(args), capture_output=True)


def cid(text):
    out = json.loads(cli("--json", "list", "--description", text).stdout)
    return out["credits"][0]["credit_id"]


MAP, PROMO, SOUTH, YEN, SEPT = (cid(k) for k in ("80000000001", "80000000002", "80000000003",
                                                  "80000000004", "80000000009"))

# ---- not signed in ------------------------------------------------------------------------
anon = Client()
r = anon.req("GET", "/api/v1/credits")
check(problem(r, 401) and "Bearer" in r.headers.get("www-authenticate", ""),
      "no session, no token: 401 problem+json with WWW-Authenticate", r)
for h in ("content-security-policy", "x-content-type-options", "referrer-policy"):
    check(h in r.headers, f"an API answer has {h}", r.headers)
check(r.headers.get("cache-control") == "no-store", "an API answer is not stored", r.headers)
check(r.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'",
      "the CSP allows no inline script and no framing", r.headers)

# ---- sign-in ----------------------------------------------------------------------------------
bad = Client().signin("nora", "wrong-password")
unknown = Client().signin("nobody-here", "wrong-password")
check(problem(bad, 401) and problem(unknown, 401) and bad.json() == unknown.json(),
      "a wrong password and an unknown user get the same 401", (bad, unknown))
check(not bad.cookies, "a refused sign-in sets no cookie", bad.cookies)
check(problem(Client().req("POST", "/api/v1/session", raw=b"{not json"), 422),
      "a sign-in body that is not JSON is 422")
nora = Client()
r = nora.signin("nora", "nora-password-1")
j = r.json() or {}
check(r.status == 200 and j.get("user") == "nora" and j.get("role") == "reseller:R-1"
      and len(j.get("csrf_token", "")) == 43, "nora signs in: user, role and a CSRF token", r)
sc = r.cookies[0] if r.cookies else ""
check("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc and "Secure" not in sc,
      "the cookie is HttpOnly, SameSite=Strict, Path=/ (not Secure over plain http)", sc)
check(len(nora.cookie or "") == 43, "the session id is 256 random bits (43 characters)", nora.cookie)
check(sql("SELECT COUNT(*) FROM sessions WHERE user_name = 'nora'") == "1" and
      sql(f"SELECT COUNT(*) FROM sessions WHERE id_hash = '{nora.cookie}'") == "0",
      "the store keeps the session's hash, not its id")
me = nora.req("GET", "/api/v1/session").json() or {}
check(me.get("user") == "nora" and me.get("csrf_token") == nora.csrf,
      "GET /api/v1/session says who is signed in", me)

# session fixation: signing in with a cookie gives a new id and ends the old one
fix = Client()
fix.signin("nora", "nora-password-1")
old = fix.cookie
fix.signin("nora", "nora-password-1")
stale = Client()
stale.cookie = old
check(fix.cookie != old and stale.req("GET", "/api/v1/credits").status == 401
      and fix.req("GET", "/api/v1/credits").status == 200,
      "sign-in gives a new session id; the one sent with it ends")

# ---- the list and its filters ------------------------------------------------------------------
r = nora.req("GET", "/api/v1/credits")
j = r.json() or {}
ids = sorted(c["credit_id"] for c in j.get("credits", []))
check(r.status == 200 and ids == sorted([MAP, PROMO, YEN, SEPT]) and j.get("total") == 4,
      "a reseller lists its own credits only", r)
row = next((c for c in j.get("credits", []) if c["credit_id"] == MAP), {})
check(row.get("customer_name") == "Acme Corp" and row.get("reseller_name") == "North Partners"
      and row.get("version", 0) >= 2 and row.get("amount") == "-100.0000000000",
      "a row has names, the version and the amount with 10 places", row)
tot = {t["currency"]: t["amount"] for t in j.get("totals", [])}
check(tot == {"USD": "-170.5000000000", "JPY": "-1001.0000000000"},
      "totals per currency, exact", j.get("totals"))
r = nora.req("GET", "/api/v1/credits?limit=1&sort=-amount")
j = r.json() or {}
check(r.status == 200 and j.get("count") == 1 and j.get("total") == 4 and len(j["totals"]) == 2,
      "limit pages the rows; total and totals stay those of every match", r)
r = nora.req("GET", "/api/v1/credits?limit=1&offset=1&totals=false")
j = r.json() or {}
check(r.status == 200 and j.get("count") == 1 and j.get("total") is None and j.get("totals") is None,
      "totals=false: a page without the totals of every match", r)
for q, name in (("totals=maybe", "totals"), ("bogus=1", "bogus"), ("status=DONE", "status"), ("period=2026-13", "period"),
                ("limit=0", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset"),
                ("min_amount=abc", "min_amount"), ("currency=usd", "currency"),
                ("sort=password", "sort"), ("unmapped=maybe", "unmapped")):
    r = nora.req("GET", "/api/v1/credits?" + q)
    check(problem(r, 400) and name in (r.json() or {}).get("detail", ""),
          f"filter {q}: 400 naming {name}", r)
for q in ("description=' OR 1=1 --", "customer=' OR ''='", "reseller=R-2' OR '1'='1",
          "rule=%", "asset=_", "description=\\", "account=%27", "type=MAP;DROP TABLE credits"):
    r = nora.req("GET", "/api/v1/credits?" + urllib.parse.quote(q, safe="="))
    j = r.json() or {}
    check(r.status in (200, 400) and not j.get("credits"),
          f"SQL metacharacters in {q.split('=')[0]} match nothing", r)
r = nora.req("GET", "/api/v1/credits?description=" + urllib.parse.quote("50%"))
j = r.json() or {}
check(r.status == 200 and [c["credit_id"] for c in j["credits"]] == [PROMO],
      "'%' in description is a plain character", r)
r = nora.req("GET", "/api/v1/credits?description=" + urllib.parse.quote("5_%"))
check(r.status == 200 and (r.json() or {}).get("total") == 0, "'_' is a plain character too", r)
r = nora.req("GET", "/api/v1/credits?currency=JPY&period=2026-10")
check([c["credit_id"] for c in (r.json() or {}).get("credits", [])] == [YEN],
      "currency and period filter", r)
check(sql("SELECT COUNT(*) FROM credits") == "6", "the credits table is whole after all that")

# ---- the CSV download --------------------------------------------------------------------------
for q, args in (("", []), ("?status=ASSIGNED&sort=-amount", ["--status", "ASSIGNED", "--sort", "-amount"]),
                ("?period=2026-09..2026-10&currency=USD", ["--period", "2026-09..2026-10", "--currency", "USD"])):
    r = nora.req("GET", "/api/v1/credits.csv" + q)
    want = cli("--as", "reseller:R-1:nora", "export", *args).stdout
    check(r.status == 200 and r.body == want and len(want) > 200,
          f"credits.csv{q} is byte for byte `export` for the same actor and filters",
          (r.status, r.body[:300], want[:300]))
check(r.headers.get("content-type", "").startswith("text/csv") and
      "attachment" in r.headers.get("content-disposition", ""), "CSV is an attachment", r.headers)
check(problem(nora.req("GET", "/api/v1/credits.csv?status=NOPE"), 400),
      "a bad filter on the download is 400 before any byte")
r = Client(TOKEN).req("GET", "/api/v1/credits.csv")
check(r.status == 200 and r.body == cli("export").stdout, "a distributor's token downloads it all")

# ---- one credit -----------------------------------------------------------------------------------
r = nora.req("GET", f"/api/v1/credits/{MAP}")
j = r.json() or {}
check(r.status == 200 and r.headers.get("etag") == f'"{j.get("version")}"' and j.get("splits")
      and j.get("events"), "a credit has its ETag, splits and history", r)
check(problem(nora.req("GET", f"/api/v1/credits/{SOUTH}"), 404),
      "another reseller's credit is 404")
check(problem(nora.req("GET", "/api/v1/credits/AWSC-999999-9999-9999"), 404), "no such credit: 404")
check(problem(nora.req("GET", "/api/v1/credits/junk"), 404), "a malformed id: 404")
r = nora.req("GET", f"/api/v1/credits/{MAP}/explain")
check(r.status == 200 and (r.json() or {}).get("rule_id") == "R-MAP", "explain names the rule", r)
check(problem(nora.req("GET", f"/api/v1/credits/{SOUTH}/explain"), 404),
      "explain of another reseller's credit is 404")

# ---- edits ----------------------------------------------------------------------------------------------
v = int(nora.req("GET", f"/api/v1/credits/{MAP}").headers["etag"].strip('"'))
path = f"/api/v1/credits/{MAP}"
check(problem(nora.req("PATCH", path, {"split": "customer:60,reseller:35"}), 428),
      "PATCH without If-Match: 428")
check(problem(nora.req("PATCH", path, {"split": "customer:60,reseller:35"},
                       {"If-Match": '"1"'}), 412), "a stale If-Match: 412")
check(problem(nora.req("PATCH", path, {"split": "customer:60,reseller:35"},
                       {"If-Match": f'"{v}"', "X-CSRF-Token": "x" * 43}), 403),
      "a wrong CSRF token: 403")
nocsrf = Client()
nocsrf.cookie = nora.cookie
check(problem(nocsrf.req("PATCH", path, {"split": "customer:60,reseller:35"},
                         {"If-Match": f'"{v}"'}), 403), "no CSRF token with a cookie: 403")
check(problem(nora.req("PATCH", path, {"split": "reseller:100"}, {"If-Match": f'"{v}"'}), 403),
      "the money rule: reseller:100 on an 80/15 MAP credit is 403")
check(sql(f"SELECT version FROM credits WHERE credit_key = '80000000001'") == str(v),
      "refused edits changed nothing")
check(problem(nora.req("PATCH", path, {"split": "customer:abc"}, {"If-Match": f'"{v}"'}), 422),
      "a malformed split: 422")
check(problem(nora.req("PATCH", path, {"colour": "red"}, {"If-Match": f'"{v}"'}), 422),
      "an unknown field: 422")
check(problem(nora.req("PATCH", path, raw=b"[1,2", headers={"If-Match": f'"{v}"'}), 422),
      "a body that is not JSON: 422")
check(problem(nora.req("PATCH", path, {"split": 5}, {"If-Match": f'"{v}"'}), 422),
      "a field that is not a string: 422")
r = nora.req("PATCH", path, {"split": "customer:60,reseller:35", "note": "per contract"},
             {"If-Match": f'"{v}"'})
j = r.json() or {}
check(r.status == 200 and j.get("version") == v + 1 and r.headers.get("etag") == f'"{v + 1}"',
      "nora redistributes her 95 %: 200 with the new version", r)
lines = sql("SELECT GROUP_CONCAT(CONCAT(target, ':', amount_minor) ORDER BY line_no) FROM "
            "credit_splits s JOIN credits c ON c.seq = s.seq WHERE c.credit_key = '80000000001'")
check(lines == "customer:-6000,reseller:-3500,retained:-500", "the retained 5 % stays exact", lines)
check(sql("SELECT actor_id FROM credit_events e JOIN credits c ON c.seq = e.seq WHERE "
          "c.credit_key = '80000000001' ORDER BY e.id DESC LIMIT 1") == "nora",
      "the event records the signed-in user")
r = nora.req("PATCH", path, {"amounts": "customer:-94.99,reseller:-0.01"},
             {"If-Match": f'W/"{v + 1}"'})
check(r.status == 200, "amounts that add up to the same, with a weak ETag", r)
row = ((nora.req("GET", f"/api/v1/credits?credit_id={MAP}").json() or {}).get("credits") or [{}])[0]
shown = nora.req("GET", f"/api/v1/credits/{MAP}").json() or {}
csv_last = nora.req("GET", f"/api/v1/credits.csv?credit_id={MAP}").body.split(b"\r\n")[1].split(b",")[-1]
check(row.get("note") == "per contract" and shown.get("note") == "per contract"
      and csv_last == b"per contract",
      "the reference note shows in the list, the credit and the CSV's last column",
      (row.get("note"), shown.get("note"), csv_last))
check(problem(nora.req("PATCH", f"/api/v1/credits/{SEPT}", {"split": "customer:95"},
                       {"If-Match": '"3"'}), 409) or
      problem(nora.req("PATCH", f"/api/v1/credits/{SEPT}", {"split": "customer:95"},
                       {"If-Match": '"4"'}), 409), "a credit in PROCESSING is not editable: 409")
check(problem(nora.req("PATCH", f"/api/v1/credits/{SOUTH}", {"split": "customer:95"},
                       {"If-Match": '"2"'}), 404), "editing another reseller's credit: 404")
vic = Client(VTOKEN)
vv = vic.req("GET", f"/api/v1/credits/{PROMO}").headers.get("etag", '"0"')
check(problem(vic.req("PATCH", f"/api/v1/credits/{PROMO}", {"split": "customer:100"},
                      {"If-Match": vv}), 403), "a viewer may not edit: 403")
dana = Client(TOKEN)
pv = dana.req("GET", f"/api/v1/credits/{PROMO}").headers["etag"]
check(problem(dana.req("DELETE", f"/api/v1/credits/{PROMO}/assignment"), 428),
      "unassign without If-Match: 428")
r = dana.req("DELETE", f"/api/v1/credits/{PROMO}/assignment", {"note": "recheck"},
             {"If-Match": pv})
check(r.status == 200 and (r.json() or {}).get("status") == "PENDING_ASSIGN",
      "a distributor's token unassigns without a CSRF token", r)
check(sql("SELECT actor_id FROM credit_events e JOIN credits c ON c.seq = e.seq WHERE "
          "c.credit_key = '80000000002' ORDER BY e.id DESC LIMIT 1") == "dana",
      "the event records the token's user")
big = b'{"note":"' + b"x" * (1024 * 1024 + 10) + b'"}'
st = raw_status(b"PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nIf-Match: \"1\"\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (path.encode(), TOKEN.encode(), len(big)), big)
check(st == 413, "a body over 1 MiB: 413", st)

# ---- periods and jobs -----------------------------------------------------------------------------------
check(problem(nora.req("GET", "/api/v1/periods"), 403), "a reseller may not see the periods: 403")
check(problem(vic.req("GET", "/api/v1/periods"), 403), "nor a viewer")
r = dana.req("GET", "/api/v1/periods")
per = {p["period"]: p for p in (r.json() or {}).get("periods", [])}
check(r.status == 200 and per.get("2026-09", {}).get("counts", {}).get("PROCESSING") == 1
      and per.get("2026-10", {}).get("counts", {}).get("PENDING_ASSIGN") == 2
      and per["2026-10"]["closed"] is False, "a distributor sees each period's counts", r)
check(problem(nora.req("POST", "/api/v1/periods/2026-10/assign"), 403),
      "a reseller may not start assign: 403")
check(problem(dana.req("POST", "/api/v1/periods/2026-13/assign"), 422), "a bad period: 422")
r = dana.req("POST", "/api/v1/periods/2026-10/assign")
loc = r.headers.get("location", "")
check(r.status == 202 and loc.startswith("/api/v1/jobs/"), "assign starts a job: 202 + Location", r)
job = {}
for _ in range(200):
    job = dana.req("GET", loc).json() or {}
    if job.get("state") != "running":
        break
    time.sleep(0.1)
check(job.get("state") == "succeeded" and "assign" in (job.get("output") or ""),
      "the job runs to the end and keeps its output", job)
check(problem(nora.req("GET", loc), 404), "a reseller cannot see a job: 404")
check(problem(dana.req("GET", "/api/v1/jobs/0123"), 404), "no such job: 404")
check(problem(dana.req("GET", "/api/v1/periods/2026-10/assign"), 405), "GET on a POST route: 405")

# ---- balances (SPEC 16) -----------------------------------------------------------------------------------
with open(os.path.join(TMP, "hierarchy.csv"), "w") as f:
    f.write("node_id,parent_id,name,level\nDIST,,Distributor,distributor\n"
            "R-1,DIST,North Partners,reseller\nR-2,DIST,South Services,reseller\n"
            "C-1,R-1,Acme Corp,customer\nC-3,R-1,Gamma Ltd,customer\nC-2,R-2,Beta GmbH,customer\n")
with open(os.path.join(TMP, "grants.csv"), "w") as f:
    f.write("grant_id,account_id,credit_key,currency,amount,issue_date,end_date,reference,node,products\n"
            "MAP-1,222222222222,80000000001,USD,150,2026-09-01,2027-03-31,MAP MPE123,C-1,\n"
            "PROMO-1,222222222222,,USD,100,2026-09-01,2026-12-31,promotion,C-1,AmazonS3 AmazonEC2\n"
            "YEN-1,444444444444,,JPY,1001,2026-01-01,,SLA,C-3,\n"
            "EDP-1,333333333333,,EUR,1000,2026-01-01,2026-12-01,EDP 2026,C-2,\n")
ok = (cli("hierarchy", "import", os.path.join(TMP, "hierarchy.csv")).returncode == 0 and
      cli("grants", "import", os.path.join(TMP, "grants.csv")).returncode == 0)
check(ok, "set up: a hierarchy and four grants")
r = dana.req("GET", "/api/v1/balance?as_of=2026-11-15")
j = r.json() or {}
g = {x["grant_id"]: x for x in j.get("grants", [])}
check(r.status == 200 and sorted(g) == ["EDP-1", "MAP-1", "PROMO-1", "YEN-1"],
      "a distributor sees every grant", r)
check(g.get("MAP-1", {}).get("used") == "100.0000000000"
      and g["MAP-1"]["remaining"] == "50.0000000000" and g["MAP-1"]["status"] == "ACTIVE"
      and g["YEN-1"]["status"] == "EXHAUSTED" and g["EDP-1"]["status"] == "EXPIRING"
      and g["MAP-1"]["node"] == "C-1" and g["MAP-1"]["reference"] == "MAP MPE123",
      "each grant has used, remaining, status, node and reference", g)
mon = g.get("PROMO-1", {}).get("months", [])
check([m["month"] for m in mon] == ["2026-09", "2026-10"]
      and sum(float(m["used"]) for m in mon) == float(g["PROMO-1"]["used"]) == 70.5,
      "a grant's use per issue month sums to its used", mon)
roll = {(x["node_id"], x["currency"]): x for x in j.get("nodes", [])}
check(roll.get(("R-1", "USD"), {}).get("used") == "170.5000000000"
      and roll.get(("DIST", "EUR"), {}).get("used") == "300.0000000000",
      "roll-ups per node and currency", j.get("nodes"))
r = nora.req("GET", "/api/v1/balance?as_of=2026-11-15")
j = r.json() or {}
check(r.status == 200 and sorted(x["grant_id"] for x in j.get("grants", []))
      == ["MAP-1", "PROMO-1", "YEN-1"]
      and not any(x["currency"] == "EUR" for x in j.get("nodes", [])),
      "a reseller sees its own customers' grants and roll-ups only", r)
south = Client()
south.signin("sam", "sam-password-12")
r = south.req("GET", "/api/v1/balance?as_of=2026-11-15")
check(r.status == 200 and [x["grant_id"] for x in (r.json() or {}).get("grants", [])] == ["EDP-1"],
      "the other reseller sees only its customer's grant", r)
r = vic.req("GET", "/api/v1/balance?period=2026-10&as_of=2026-11-15")
j = r.json() or {}
g = {x["grant_id"]: x for x in j.get("grants", [])}
check(r.status == 200 and len(g) == 4 and g.get("PROMO-1", {}).get("used") == "20.5000000000"
      and j.get("period_from") == "2026-10", "a viewer reads balances; period narrows used", r)
r = dana.req("GET", "/api/v1/balance?node=R-2&as_of=2026-11-15")
j = r.json() or {}
check(r.status == 200 and [x["grant_id"] for x in j.get("grants", [])] == ["EDP-1"],
      "node: the grants of a subtree", r)
check(problem(dana.req("GET", "/api/v1/balance?node=NOPE"), 404), "node of no node: 404")
r = dana.req("GET", "/api/v1/balance?color=red")
check(problem(r, 400) and "color" in r.json().get("detail", ""), "an unknown parameter: 400, named", r)
r = dana.req("GET", "/api/v1/balance?as_of=2026-13-01")
check(problem(r, 400) and "as_of" in r.json().get("detail", ""), "a bad as_of: 400, named", r)
r = dana.req("GET", "/api/v1/balance?period=2026-10..2026-09")
check(problem(r, 400), "a period ending before it starts: 400", r)
r = dana.req("GET", "/api/v1/grants/expiring?within=30&as_of=2026-11-15")
j = r.json() or {}
check(r.status == 200 and [x["grant_id"] for x in j.get("grants", [])] == ["EDP-1"]
      and j.get("within_days") == 30 and "forecast_unused" in j["grants"][0],
      "expiring: the grants ending within the days, with forecast_unused", r)
r = nora.req("GET", "/api/v1/grants/expiring?within=60&as_of=2026-11-15")
j = r.json() or {}
check(r.status == 200 and [x["grant_id"] for x in j.get("grants", [])] == ["PROMO-1"],
      "expiring is scoped: a reseller sees its own", r)
check(problem(dana.req("GET", "/api/v1/grants/expiring?within=soon"), 400)
      and problem(dana.req("GET", "/api/v1/grants/expiring?level=x"), 400),
      "expiring: a bad within or a balance-only parameter: 400")
check(problem(dana.req("POST", "/api/v1/balance", {}), 405), "POST on balance: 405")
check(problem(anon.req("GET", "/api/v1/balance"), 401), "balances need a signed-in user: 401")

# ---- routes against docs/openapi.json ------------------------------------------------------------------------
spec = json.load(open(os.path.join(ROOT, "docs/openapi.json")))
described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
src = open(os.path.join(ROOT, "host/serve_api.c")).read()
table = src[src.index("serve_routes[] = {"):src.index("NULL", src.index("serve_routes[] = {"))]
served = {tuple(r.split(" ", 1)) for r in re.findall(r'"([A-Z]+ /[^"]+)"', table)}
check(served == described, "every route the server answers is described, and only those",
      (served ^ described))
answered = []
for m, p in sorted(described):
    url = p.replace("{id}", MAP).replace("{period}", "2026-08")
    r = dana.req(m, url, {} if m in ("PATCH", "POST") else None)
    j = r.json() or {}
    if r.status == 405 or j.get("type") == "urn:awscredit:no-route":
        answered.append((m, p, r.status))
check(not answered, "every described route is answered", answered)
r = dana.req("GET", "/api/v1/nothing")
check(problem(r, 404) and r.json()["type"] == "urn:awscredit:no-route", "an unknown route: 404")

# ---- static files and traversal ----------------------------------------------------------------------------------
r = anon.req("GET", "/")
check(r.status == 200 and r.headers.get("content-type", "").startswith("text/html")
      and "content-security-policy" in r.headers, "the page is served with its headers", r)
for p in ("/../outside.txt", "/%2e%2e/outside.txt", "/..%2foutside.txt", "/%252e%252e/outside.txt",
          "/link.txt", "/.hidden", "/app.css/..", "//etc/passwd", "/web/../../outside.txt"):
    c = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=10)
    c.putrequest("GET", p, skip_accept_encoding=True)
    c.endheaders()
    rr = c.getresponse()
    body = rr.read()
    c.close()
    check(rr.status in (400, 404) and b"secret" not in body, f"{p} does not escape the web root",
          (rr.status, body[:200]))

# ---- slow clients and big headers -------------------------------------------------------------------------------
slow = socket.create_connection((BASE.hostname, BASE.port))
slow.sendall(b"GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n")
t0 = time.time()
r = anon.req("GET", "/")
check(r.status == 200 and time.time() - t0 < 2, "a slow client does not hold up others")
slow.settimeout(10)
try:
    got = slow.recv(100)
except OSError:
    got = b"error"
check(time.time() - t0 < 8 and (got == b"" or got.startswith(b"HTTP/1.1 408")),
      "a slow client is cut off after web.client_timeout", (got, time.time() - t0))
slow.close()
r = anon.req("GET", "/", headers={"X-Big": "a" * 40000})
check(r.status in (413, 431), "request headers over the limit are refused", r.status)
chunk = b"x" * 65536
st = raw_status(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/json\r\n\r\n",
                b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(20)) + b"0\r\n\r\n")
check(st == 413, "a chunked body over 1 MiB: 413", st)

# ---- expiry, sign-out, disabled users, tokens ------------------------------------------------------------------------
idle = Client()
idle.signin("sam", "sam-password-12")
sql("UPDATE sessions SET last_seen_at = NOW(6) - INTERVAL 31 MINUTE WHERE user_name = 'sam'")
check(problem(idle.req("GET", "/api/v1/credits"), 401), "a session idle for 31 minutes has ended")
aged = Client()
aged.signin("sam", "sam-password-12")
sql("UPDATE sessions SET created_at = NOW(6) - INTERVAL 13 HOUR WHERE user_name = 'sam'")
check(problem(aged.req("GET", "/api/v1/credits"), 401), "a session 13 hours old has ended")
out = Client()
out.signin("sam", "sam-password-12")
r = out.req("DELETE", "/api/v1/session", headers={"X-CSRF-Token": "wrong"})
check(problem(r, 403), "sign-out needs the CSRF token")
r = out.req("DELETE", "/api/v1/session")
check(r.status == 204 and any("Max-Age=0" in c for c in r.cookies), "sign-out clears the cookie", r)
check(problem(out.req("GET", "/api/v1/credits"), 401), "and the session is gone")
check(problem(Client("awc_" + "0" * 16 + "_" + "0" * 64).req("GET", "/api/v1/credits"), 401),
      "an unknown token: 401")
check(problem(Client("not-a-token").req("GET", "/api/v1/credits"), 401), "a malformed token: 401")
check(problem(Client(TOKEN[:-1] + ("0" if TOKEN[-1] != "0" else "1")).req("GET", "/api/v1/credits"),
              401), "a token with a wrong secret: 401")
cli("user", "disable", "vic")
check(problem(vic.req("GET", "/api/v1/credits"), 401), "a disabled user's token stops working")
check(problem(Client().signin("vic", "vic-password-12"), 401), "and the user cannot sign in")

# ---- throttling ---------------------------------------------------------------------------------------------------------
sql("DELETE FROM signin_failures")
for _ in range(5):
    Client().signin("sam", "not-the-password")
r = Client().signin("sam", "sam-password-12")
check(problem(r, 429) and int(r.headers.get("retry-after", "0")) > 0,
      "after 5 failures the right password gets 429 with Retry-After", r)
sql("DELETE FROM signin_failures")
for i in range(5):
    Client().signin(f"nobody{i}", "not-the-password")
check(problem(Client().signin("sam", "sam-password-12"), 429),
      "5 failures from one client address throttle it for every name")
sql("DELETE FROM signin_failures")

# behind a proxy (web.trusted_proxy = 127.0.0.1 here): the last address of
# X-Forwarded-For is the client; what a client put before it counts for nothing
def signin_from(addr, user, password):
    c = Client()
    return c.req("POST", "/api/v1/session", {"user": user, "password": password},
                 {"X-Forwarded-For": addr})
for i in range(5):
    signin_from("10.0.0.1", f"nobody{i}", "not-the-password")
check(problem(signin_from("10.0.0.1", "sam", "sam-password-12"), 429),
      "behind the proxy, 5 failures from one forwarded address throttle it")
check(signin_from("10.0.0.2", "sam", "sam-password-12").status == 200,
      "and not another address behind the same proxy")
check(problem(signin_from("10.0.0.2, 10.0.0.1", "sam", "sam-password-12"), 429),
      "an address a client puts before the proxy's does not get round it")
sql("DELETE FROM signin_failures")
check(Client().signin("sam", "sam-password-12").status == 200, "once they age out, sign-in works")

print(f"# {n} checks, {failed} failed")
sys.exit(1 if failed else 0)
