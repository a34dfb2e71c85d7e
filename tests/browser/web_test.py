#!/usr/bin/python3
"""web_test.py -- the web console in a real headless Chromium (Selenium).

Run by tests/integration/test_web.sh, which starts `awscredit serve` on a
test database and passes, in the environment:
  AWC_URL        the server's origin, e.g. http://127.0.0.1:40123
  AWC_HOST       the awscredit binary, AWC_CONFIG its configuration
  AWC_PASSWORD   the password of the users alice and bob (reseller:R-1),
                 boss (distributor) and fin (viewer)
  AWC_XSS        the ID of the credit whose description is an <img> tag
  AWC_SHOTS      where screenshots go; AWC_TMP a scratch directory
  AWC_TAP_START  the number of the last check printed before this script
Prints "ok N - ..." / "not ok N - ..." lines; exits 1 when a check failed.
"""
import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["AWC_URL"]
HOST = os.environ["AWC_HOST"]
CONFIG = os.environ["AWC_CONFIG"]
PASSWORD = os.environ["AWC_PASSWORD"]
XSS = os.environ["AWC_XSS"]
SHOTS = os.environ["AWC_SHOTS"]
TMP = os.environ["AWC_TMP"]
n = int(os.environ.get("AWC_TAP_START", "0"))
failed = 0


T0 = time.monotonic()


def check(cond, what, note=""):
    global n, failed
    n += 1
    print("# %.1f s" % (time.monotonic() - T0), flush=True)
    if cond:
        print("ok %d - %s" % (n, what), flush=True)
    else:
        failed += 1
        print("not ok %d - %s" % (n, what), flush=True)
        if note:
            for line in str(note).splitlines()[:12]:
                print("#   " + line, flush=True)
    return cond


def cli(*args):
    """The host as `awscredit --config CONFIG ARGS`: its stdout as bytes."""
    return subprocess.run([HOST, "--config", CONFIG] + list(args), check=True,
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL).stdout


def shown(cid, actor="reseller:R-1:alice"):
    return json.loads(cli("--as", actor, "--json", "show", cid))


def splits(cid):
    """customer:bp,reseller:bp,... of a credit in basis points; the
    retained line by its amount."""
    return ",".join("%s:%s" % (s["target"], s["percent_bp"] if s["target"] != "retained"
                               else s["amount"]) for s in shown(cid)["splits"])


class Session:
    """A second sign-in, as another user, outside the browser."""

    def __init__(self, user):
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        who = self.call("POST", "/api/v1/session", {"user": user, "password": PASSWORD})[0]
        self.csrf = who["csrf_token"]

    def call(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json", **(headers or {})}
        if method not in ("GET", "HEAD") and getattr(self, "csrf", None):
            h["X-CSRF-Token"] = self.csrf
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(URL + path, data=data, method=method, headers=h)
        with self.op.open(req, timeout=20) as r:
            return json.loads(r.read() or b"null"), r.headers.get("ETag")


def browser():
    downloads = os.path.join(TMP, "downloads")
    os.makedirs(downloads, exist_ok=True)
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--window-size=1280,900", "--disable-gpu",
              "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="profile.", dir=TMP)):
        o.add_argument(a)
    if os.geteuid() == 0:
        o.add_argument("--no-sandbox")
    o.add_experimental_option("prefs", {
        "download.default_directory": downloads, "download.prompt_for_download": False,
        "safebrowsing.enabled": False})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.execute_cdp_cmd("Browser.setDownloadBehavior",
                      {"behavior": "allow", "downloadPath": downloads})
    # the window's size is the viewport's: 1280 x 900 CSS pixels
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    d.set_page_load_timeout(30)
    d.set_script_timeout(30)
    return d, downloads


def wait(d, cond, timeout=15):
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.1,
                             ignored_exceptions=(NoSuchElementException,
                                                 StaleElementReferenceException)).until(
                                                     lambda _: cond())
    except TimeoutException:
        return False


def js(d, script, *args):
    return d.execute_script(script, *args)


def no_alert(d):
    try:
        a = d.switch_to.alert
        a.dismiss()
        return False
    except NoAlertPresentException:
        return True


def rows(d):
    return js(d, "return [...document.querySelectorAll('#credits tbody tr[data-id]')]"
                 ".map(r => r.dataset.id)")


def loaded(d):
    """Wait until the table answered for the latest request."""
    return wait(d, lambda: js(d, "return document.getElementById('count').textContent") != "")


def sign_in(d, user):
    d.get(URL + "/")
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())
    d.find_element(By.ID, "signin-user").send_keys(user)
    d.find_element(By.ID, "signin-password").send_keys(PASSWORD + Keys.ENTER)
    return wait(d, lambda: len(rows(d)) > 0)


def apply_filter(d, **f):
    js(d, "document.getElementById('count').textContent = ''")
    for name, value in f.items():
        e = d.find_element(By.ID, "f-" + name)
        e.clear()
        e.send_keys(value)
    d.find_element(By.ID, "apply").click()
    return loaded(d)


def manage(d, cid):
    return d.find_element(By.CSS_SELECTOR, '#credits tr[data-id="%s"] button.manage' % cid)


def dialog_open(d):
    return js(d, "return document.getElementById('credit-dialog').open")


def set_line(d, key, value):
    e = d.find_element(By.CSS_SELECTOR, '#dlg-lines input[data-key="%s"]' % key)
    e.send_keys(Keys.CONTROL + "a")
    e.send_keys(value)


def no_hscroll(d):
    return js(d, "const e = document.documentElement; return [e.scrollWidth, e.clientWidth]")


def balances_shown(d, as_of="2026-11-15"):
    """Open the Balances tab as of a date: the grant ids listed."""
    d.find_element(By.ID, "tab-balances").click()
    wait(d, lambda: d.find_element(By.ID, "balances-view").is_displayed())
    e = d.find_element(By.ID, "bal-as_of")
    js(d, "arguments[0].value = arguments[1]", e, as_of)
    js(d, "document.getElementById('bal-summary').textContent = ''")
    d.find_element(By.ID, "bal-apply").click()
    wait(d, lambda: as_of in d.find_element(By.ID, "bal-summary").text)
    return js(d, "return [...document.querySelectorAll('#grants tbody tr[data-grant]')]"
                 ".map(r => r.dataset.grant)")


def balances(d):
    """The Balances tab: a distributor's grants, statuses, the tree opened
    with the keyboard, a burn-down; then a reseller's own grants only."""
    ok = sign_in(d, "boss")
    check(ok and d.find_element(By.ID, "tab-balances").is_displayed(),
          "a distributor has a Balances tab")
    ids = balances_shown(d)
    want = json.loads(cli("--json", "balance", "--as-of", "2026-11-15"))
    check(sorted(ids) == sorted(g["grant_id"] for g in want["grants"]) and len(ids) == 5,
          "the grants table lists every grant `balance` gives (%d)" % len(ids), ids)
    status = {r: js(d, "return document.querySelector('#grants tr[data-grant=\"' + arguments[0]"
                       " + '\"] .badge').textContent", r) for r in ids}
    check(status == {g["grant_id"]: g["status"] for g in want["grants"]} and
          set(status.values()) == {"ACTIVE", "EXPIRING", "EXPIRED", "EXHAUSTED"},
          "each grant has its status badge, all four statuses shown", status)
    row = d.find_element(By.CSS_SELECTOR, '#grants tr[data-grant="MAP-NORTH"]').text
    check("200.00" in row and "162.50" in row and "37.50" in row and "2027-01-31" in row and
          "MAP MPE-2026-0042" in row and "P-ACME" in row,
          "a row: amount, used, remaining, end date, reference and node", row)

    # the hierarchy: roots open, their children closed; the keyboard opens one
    def visible_nodes():
        return js(d, "return [...document.querySelectorAll('#tree tbody tr[data-node]')]"
                     ".filter(r => !r.hidden).map(r => r.dataset.node)")
    first = visible_nodes()
    check(first[:1] == ["DIST"] and "R-1" in first and "C-1" not in first,
          "the tree shows the root and its children, closed", first)
    btn = d.find_element(By.CSS_SELECTOR, '#tree tr[data-node="R-1"] button[aria-expanded]')
    check(btn.get_attribute("aria-expanded") == "false", "a closed node says aria-expanded=false")
    js(d, "arguments[0].focus()", btn)
    ActionChains(d).send_keys(Keys.ARROW_RIGHT).perform()
    wait(d, lambda: btn.get_attribute("aria-expanded") == "true")
    now = visible_nodes()
    check(btn.get_attribute("aria-expanded") == "true" and "C-1" in now and "C-3" in now
          and "P-ACME" not in now, "the right arrow key opens R-1: its customers show", now)
    ActionChains(d).send_keys(Keys.TAB).perform()
    focused = js(d, "return document.activeElement.closest('tr').dataset.node")
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda: "P-ACME" in visible_nodes())
    check(focused == "C-1" and "P-ACME" in visible_nodes(),
          "Tab reaches Acme's node and Enter opens it", focused)
    roll = {(r["node_id"], r["currency"]): r for r in want["nodes"]}
    r1 = [c.text for c in d.find_elements(By.CSS_SELECTOR, '#tree tr[data-node="R-1"] td')]
    under = sum(Decimal(g["used"]) for g in want["grants"]
                if g["currency"] == "USD" and g["node"] in ("R-1", "C-1", "C-3", "P-ACME"))
    check(Decimal(roll[("R-1", "USD")]["used"]) == under and
          any(money_eq(t, roll[("R-1", "USD")]["used"]) for t in r1),
          "a node's roll-up: its own grants and all its descendants' (%s)" % under, r1)
    js(d, "arguments[0].focus()", btn)
    ActionChains(d).send_keys(Keys.ARROW_LEFT).perform()
    wait(d, lambda: "C-1" not in visible_nodes())
    check(btn.get_attribute("aria-expanded") == "false" and "P-ACME" not in visible_nodes(),
          "the left arrow key closes R-1 and hides its whole subtree")
    ActionChains(d).send_keys(Keys.ARROW_RIGHT).perform()
    wait(d, lambda: "P-ACME" in visible_nodes())
    check("P-ACME" in visible_nodes(), "opened again, what was open below shows again")

    # the burn-down of a grant
    toggle = d.find_element(By.CSS_SELECTOR, '#grants tr[data-grant="MAP-NORTH"] .chart-toggle')
    toggle.click()
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#grants svg.burn"))
    chart = d.find_element(By.CSS_SELECTOR, "#grants svg.burn")
    dots = chart.find_elements(By.CSS_SELECTOR, "circle.dot")
    title = js(d, "return arguments[0].querySelector('title').textContent", chart)
    labels = js(d, "return [...arguments[0].querySelectorAll('text')].map(t => t.textContent)",
                chart)
    check(toggle.get_attribute("aria-expanded") == "true" and len(dots) == 4 and
          title == "Burn-down of MAP-NORTH" and "ends 2027-01-31" in labels and
          "2026-06" in labels and "2027-01" in labels and chart.get_attribute("role") == "img",
          "a burn-down SVG: four months with use, the end date marked", labels)
    months = [li.text for li in d.find_elements(By.CSS_SELECTOR, ".burn-months li")]
    check(months == ["2026-07: 7.25", "2026-08: 14.25", "2026-09: 49.50", "2026-10: 91.50"],
          "used per issue month, listed as text too", months)
    ys = js(d, "return arguments[0].querySelector('polyline.used').getAttribute('points')"
               ".split(' ').map(p => +p.split(',')[1])", chart)
    check(all(a >= b for a, b in zip(ys, ys[1:])) and ys[0] > ys[-1],
          "the cumulative line only rises", ys)
    sw, cw = no_hscroll(d)
    check(sw <= cw, "no horizontal scrolling on the Balances tab (%d <= %d)" % (sw, cw))
    js(d, "window.scrollTo(0, 0)")
    d.save_screenshot(os.path.join(SHOTS, "balances.png"))
    d.find_element(By.ID, "signout").click()
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())

    # a reseller: its own customers' grants and nodes only
    sign_in(d, "alice")
    ids = balances_shown(d)
    hers = json.loads(cli("--as", "reseller:R-1:alice", "--json", "balance", "--as-of",
                          "2026-11-15"))
    check(sorted(ids) == sorted(g["grant_id"] for g in hers["grants"]) and
          "EDP-BETA" not in ids and len(ids) == 4,
          "a reseller sees only its own customers' grants", ids)
    nodes = js(d, "return [...document.querySelectorAll('#tree tbody tr[data-node]')]"
                  ".map(r => r.dataset.node)")
    check("C-2" not in nodes and "R-2" not in nodes, "and no other reseller's node", nodes)
    d.find_element(By.ID, "bal-period").send_keys("2026-13" + Keys.ENTER)
    wait(d, lambda: d.find_element(By.ID, "bal-error").text != "")
    err = d.find_element(By.ID, "bal-error").text
    still = js(d, "return document.querySelectorAll('#grants tbody tr[data-grant]').length")
    check("period" in err and still == 4, "a bad period is named, and the last answer stays",
          err)
    d.find_element(By.ID, "signout").click()
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())


def money_eq(text, exact):
    try:
        return Decimal(text) == Decimal(exact)
    except Exception:
        return False


def main():
    d, downloads = browser()
    try:
        run(d, downloads)
    finally:
        d.quit()


def run(d, downloads):
    # sign in as a reseller admin
    ok = sign_in(d, "alice")
    check(ok, "alice (reseller:R-1) signs in and sees the credits")
    if not ok:
        return
    who = d.find_element(By.ID, "who-name").text
    check("alice" in who and "reseller:R-1" in who, "the header names her and her role", who)
    check(not d.find_element(By.ID, "tab-periods").is_displayed(),
          "a reseller has no Periods tab")
    all_ids = rows(d)
    mine = json.loads(cli("--as", "reseller:R-1:alice", "--json", "list"))
    check(sorted(all_ids) == sorted(c["credit_id"] for c in mine["credits"]),
          "the table lists exactly the credits export gives her (%d)" % len(all_ids))
    owner = d.find_element(By.CSS_SELECTOR, '#credits tr[data-id="%s"] td.owner' % XSS).text
    reseller = d.find_element(By.CSS_SELECTOR, '#credits tr[data-id="%s"] td:nth-child(3)'
                              % XSS).text
    check(owner.startswith("Acme Corporation") and "AS-1" in owner and
          reseller == "North Cloud Partners",
          "customer and reseller by name, with the asset", owner + " / " + reseller)
    totals = js(d, "return [...document.querySelectorAll('#totals div')].map(x => x.textContent)")
    check(len(totals) == 2 and totals[0].startswith("EUR") and totals[1].startswith("USD"),
          "totals per currency are shown", totals)

    # HTML in a description is text, and nothing runs
    cell = d.find_element(By.CSS_SELECTOR, '#credits tr[data-id="%s"] td.desc' % XSS)
    check(cell.text == "<img src=x onerror=alert(1)>",
          "a description <img src=x onerror=alert(1)> shows as text", cell.text)
    check(js(d, "return document.querySelectorAll('#credits img').length") == 0 and no_alert(d),
          "no img element is made and no alert opens")

    # HTML in the dialog is text too
    manage(d, XSS).click()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    desc = js(d, "return document.querySelector('#dlg-facts dd').textContent")
    check(desc == "<img src=x onerror=alert(1)>" and no_alert(d) and
          js(d, "return document.querySelectorAll('#credit-dialog img').length") == 0,
          "in the dialog the description is text as well", desc)
    d.find_element(By.ID, "dlg-cancel").click()
    wait(d, lambda: not dialog_open(d))

    # no horizontal scrolling at 1280 px, long descriptions cut
    sw, cw = no_hscroll(d)
    check(sw <= cw, "no horizontal scrolling at 1280 px on the Credits tab (%d <= %d)" % (sw, cw))
    long_cell = js(d, "return [...document.querySelectorAll('td.desc')].find(t => t.textContent"
                      ".startsWith('Promotional credit with'))")
    check(long_cell is not None and js(d, "return arguments[0].scrollWidth > arguments[0]"
                                          ".clientWidth && arguments[0].title.length > 100",
                                       long_cell),
          "a long description is cut, and whole in its title")
    os.makedirs(SHOTS, exist_ok=True)
    d.save_screenshot(os.path.join(SHOTS, "credits.png"))

    # sorting
    d.find_element(By.CSS_SELECTOR, 'th[data-sort="amount"] button').click()
    wait(d, lambda: js(d, "return document.querySelector('th[data-sort=amount]')"
                          ".getAttribute('aria-sort')") == "ascending")
    time.sleep(0.3)
    amounts = js(d, "return [...document.querySelectorAll('#credits tbody td.num')]"
                    ".map(t => parseFloat(t.textContent))")
    check(amounts == sorted(amounts) and len(amounts) > 1, "Amount sorts ascending", amounts)
    d.find_element(By.CSS_SELECTOR, 'th[data-sort="amount"] button').click()
    wait(d, lambda: js(d, "return document.querySelector('th[data-sort=amount]')"
                          ".getAttribute('aria-sort')") == "descending")
    d.find_element(By.CSS_SELECTOR, 'th[data-sort="id"] button').click()
    wait(d, lambda: js(d, "return document.querySelector('th[data-sort=id]')"
                          ".getAttribute('aria-sort')") == "ascending")

    # a bad filter is named, and nothing is offered for download
    apply_filter(d, min_amount="lots")
    wait(d, lambda: d.find_element(By.ID, "filter-error").text != "")
    err = d.find_element(By.ID, "filter-error").text
    check("min_amount" in err and d.find_element(By.ID, "download").get_attribute("href") is None,
          "a bad filter value is named and Download is off", err)
    d.find_element(By.ID, "f-min_amount").clear()

    # filter
    check(apply_filter(d, description="map", currency="usd"), "the filters apply")
    time.sleep(0.3)
    mapped = json.loads(cli("--as", "reseller:R-1:alice", "--json", "list",
                            "--description", "map", "--currency", "USD", "--sort", "id"))
    want = [c["credit_id"] for c in mapped["credits"]]
    got = rows(d)
    check(got == want and len(want) == 6,
          "description 'map' and currency 'usd' list the %d credits list gives" % len(want),
          "%s != %s" % (got, want))

    # the download: exactly what export writes for her with these filters
    for f in os.listdir(downloads):
        os.unlink(os.path.join(downloads, f))
    href = d.find_element(By.ID, "download").get_attribute("href")
    d.find_element(By.ID, "download").click()
    path = os.path.join(downloads, "credits.csv")
    wait(d, lambda: os.path.exists(path) and not any(x.endswith(".crdownload")
                                                     for x in os.listdir(downloads)), 20)
    got = open(path, "rb").read() if os.path.exists(path) else b""
    want = cli("--as", "reseller:R-1:alice", "export", "--description", "map",
               "--currency", "USD", "--sort", "id")
    check(got == want and len(want) > 200,
          "Download gives the CSV byte for byte as `export --description map --currency USD`",
          "href %s\n%d bytes vs %d" % (href, len(got), len(want)))

    # edit a split
    cid = want.split(b"\n")[1].split(b",")[0].decode()
    kept = [x["amount"] for x in shown(cid)["splits"] if x["target"] == "retained"]
    kept = "retained:" + (kept[0] if kept else "none")
    check(splits(cid) == "customer:8000,reseller:1500," + kept,
          "%s is split 80/15 with 5 %% retained by R-MAP" % cid, splits(cid))
    manage(d, cid).click()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    title = d.find_element(By.ID, "dlg-title").text
    check(dialog_open(d) and title == "Edit " + cid, "Manage -> Edit opens the dialog", title)
    body = d.find_element(By.ID, "dlg-body").text
    check("Rule R-MAP applied" in body and "rule R-MAP applies" in body,
          "the dialog names the rule and what explain says", body[:600])
    d.save_screenshot(os.path.join(SHOTS, "edit.png"))
    set_line(d, "customer", "60")
    set_line(d, "reseller", "35")
    d.find_element(By.ID, "dlg-note").send_keys("per contract")
    d.find_element(By.ID, "dlg-save").click()
    wait(d, lambda: not dialog_open(d))
    check(not dialog_open(d) and "Saved " + cid in d.find_element(By.ID, "status").text,
          "Save closes the dialog and says it is saved",
          d.find_element(By.ID, "dlg-error").text)
    check(splits(cid) == "customer:6000,reseller:3500," + kept,
          "the new split 60/35 is stored, the retained 5 % kept", splits(cid))
    ev = shown(cid)["events"][-1]
    check(ev["actor"]["id"] == "alice" and ev.get("note") == "per contract",
          "the edit is alice's, with her note", ev)

    # a stale version: bob changes the credit while alice's dialog is open
    manage(d, cid).click()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    bob = Session("bob")
    _, etag = bob.call("GET", "/api/v1/credits/" + cid)
    bob.call("PATCH", "/api/v1/credits/" + cid, {"split": "customer:70,reseller:25"},
             {"If-Match": etag})
    set_line(d, "customer", "50")
    set_line(d, "reseller", "45")
    d.find_element(By.ID, "dlg-save").click()
    wait(d, lambda: d.find_element(By.ID, "dlg-error").text != "")
    msg = d.find_element(By.ID, "dlg-error").text
    check(dialog_open(d) and "changed by bob" in msg and "2026-" in msg,
          "saving over bob's change says bob changed it, and when", msg)
    check(splits(cid) == "customer:7000,reseller:2500," + kept,
          "and bob's split stands", splits(cid))
    reload = d.find_element(By.ID, "dlg-reload")
    check(reload.is_displayed() and d.switch_to.active_element == reload,
          "a Reload button is offered and focused")
    reload.click()
    wait(d, lambda: d.find_element(By.CSS_SELECTOR, '#dlg-lines input[data-key="customer"]')
         .get_attribute("value") == "70")
    check(d.find_element(By.CSS_SELECTOR, '#dlg-lines input[data-key="customer"]')
          .get_attribute("value") == "70", "Reload shows bob's split")
    ActionChains(d).send_keys(Keys.ESCAPE).perform()
    wait(d, lambda: not dialog_open(d))
    check(not dialog_open(d), "Escape closes the dialog")

    # the edit dialog with the keyboard alone
    btn = manage(d, cid)
    js(d, "arguments[0].focus()", btn)
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    active = d.switch_to.active_element
    check(dialog_open(d) and active.get_attribute("data-key") == "customer",
          "Enter on Edit opens the dialog with focus on the first share")
    inside = True
    for _ in range(25):
        ActionChains(d).send_keys(Keys.TAB).perform()
        inside = inside and js(d, "return document.getElementById('credit-dialog')"
                                  ".contains(document.activeElement)")
    for _ in range(5):
        ActionChains(d).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        inside = inside and js(d, "return document.getElementById('credit-dialog')"
                                  ".contains(document.activeElement)")
    check(inside, "Tab and Shift+Tab stay inside the open dialog")
    ActionChains(d).send_keys(Keys.ESCAPE).perform()
    wait(d, lambda: not dialog_open(d))
    wait(d, lambda: js(d, "return document.activeElement.classList.contains('manage')"))
    back = d.switch_to.active_element
    check(not dialog_open(d) and back.get_attribute("aria-label") == "Edit " + cid,
          "Escape closes it and focus returns to its Edit button",
          back.get_attribute("outerHTML"))
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    keys = ActionChains(d)
    keys.key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys("90")
    keys.send_keys(Keys.TAB).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL)
    keys.send_keys("5").send_keys(Keys.ENTER).perform()
    wait(d, lambda: not dialog_open(d))
    check(splits(cid) == "customer:9000,reseller:500," + kept,
          "typing the shares and Enter saves them", splits(cid))

    # Clear empties the filters and lists everything again
    d.find_element(By.ID, "clear-filters").click()
    wait(d, lambda: len(rows(d)) == len(all_ids))
    check(len(rows(d)) == len(all_ids) and
          d.find_element(By.ID, "f-description").get_attribute("value") == "",
          "Clear empties the filters and lists all her credits again")
    apply_filter(d, description="map", currency="usd")
    wait(d, lambda: len(rows(d)) == 6)

    # split by amounts, then reassign to another account of hers
    cid2 = want.split(b"\n")[2].split(b",")[0].decode()
    before = {x["target"]: Decimal(x["amount"]) for x in shown(cid2)["splits"]}
    manage(d, cid2).click()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    d.find_element(By.ID, "mode-amounts").click()
    wait(d, lambda: d.find_element(By.CSS_SELECTOR, '#dlg-lines input[data-key="customer"]')
         .get_attribute("value") == "%.2f" % before["customer"])
    share = before["customer"] + before["reseller"]
    set_line(d, "customer", "%.2f" % (share + Decimal("0.01")))
    set_line(d, "reseller", "-0.01")
    sw, cw = no_hscroll(d)
    check(sw <= cw, "no horizontal scrolling with the dialog open (%d <= %d)" % (sw, cw))
    d.find_element(By.ID, "dlg-save").click()
    wait(d, lambda: not dialog_open(d))
    after = {x["target"]: Decimal(x["amount"]) for x in shown(cid2)["splits"]}
    check(after.get("customer") == share + Decimal("0.01") and
          after.get("reseller") == Decimal("-0.01") and after["retained"] == before["retained"],
          "Split by amounts saves the amounts, the retained amount kept",
          "%s -> %s; %s" % (before, after, d.find_element(By.ID, "dlg-error").text))
    manage(d, cid2).click()
    wait(d, lambda: dialog_open(d) and d.find_elements(By.CSS_SELECTOR, "#dlg-lines input"))
    d.find_element(By.ID, "dlg-account").send_keys("222222222223")
    d.find_element(By.ID, "dlg-note").send_keys("moved to Gamma")
    d.find_element(By.ID, "dlg-save").click()
    wait(d, lambda: not dialog_open(d) or d.find_element(By.ID, "dlg-error").text, 10)
    c2 = shown(cid2)
    check(c2["customer_id"] == "C-3" and c2["events"][-1].get("note") == "moved to Gamma",
          "Reassign to account moves the credit to that account's customer",
          "%s %s" % (c2["customer_id"], d.find_element(By.ID, "dlg-error").text))
    if dialog_open(d):
        d.find_element(By.ID, "dlg-cancel").click()

    sw, cw = no_hscroll(d)
    check(sw <= cw, "still no horizontal scrolling (%d <= %d)" % (sw, cw))
    check(no_alert(d), "no alert opened during the session")

    # sign out
    d.find_element(By.ID, "signout").click()
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())
    check(d.find_element(By.ID, "signin-user").is_displayed() and not d.get_cookie("awc_session"),
          "Sign out returns to the sign-in form and drops the cookie")

    # the distributor: periods and a job
    ok = sign_in(d, "boss")
    check(ok and d.find_element(By.ID, "tab-periods").is_displayed(),
          "a distributor signs in and has a Periods tab")
    Select(d.find_element(By.ID, "page-size")).select_by_visible_text("25")
    wait(d, lambda: len(rows(d)) == 25)
    first = rows(d)
    page = d.find_element(By.ID, "page").text
    d.find_element(By.ID, "next").click()
    wait(d, lambda: len(rows(d)) == 3)
    check(len(first) == 25 and len(rows(d)) == 3 and page == "Page 1 of 2" and
          not set(first) & set(rows(d)) and d.find_element(By.ID, "next").get_attribute("disabled"),
          "pages of 25: the distributor's 28 credits on two pages", page)
    d.find_element(By.ID, "tab-periods").click()
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#periods tbody th"))
    row = d.find_element(By.CSS_SELECTOR, "#periods tbody tr")
    check("2026-10" in row.text, "the periods table lists 2026-10 with its counts", row.text)
    d.find_element(By.CSS_SELECTOR, 'button[aria-label="Assign 2026-10"]').click()
    wait(d, lambda: d.find_element(By.ID, "job-state").text.startswith(("succeeded", "failed")),
         30)
    state = d.find_element(By.ID, "job-state").text
    check(state.startswith("succeeded"), "Assign runs as a job, polled until it succeeds", state)
    d.find_element(By.CSS_SELECTOR, 'button[aria-label="Invoice 2026-10"]').click()
    wait(d, lambda: d.find_element(By.ID, "job-title").text.startswith("Job") and
         "invoice" in d.find_element(By.ID, "job-title").text and
         d.find_element(By.ID, "job-state").text.startswith(("succeeded", "failed")), 60)
    state = d.find_element(By.ID, "job-state").text
    out = d.find_element(By.ID, "job-output").text
    check(state.startswith("succeeded") and "usage file" in out,
          "Invoice runs as a job and shows its output", state + "\n" + out)
    wait(d, lambda: d.find_element(By.CSS_SELECTOR, "#periods tbody tr td:nth-of-type(2)")
         .text == "0")
    cells = [c.text for c in d.find_elements(By.CSS_SELECTOR, "#periods tbody tr td")]
    check(cells[1] == "0" and int(cells[2]) > 0,
          "the counts move from ASSIGNED to PROCESSING", cells)
    d.save_screenshot(os.path.join(SHOTS, "periods.png"))
    sw, cw = no_hscroll(d)
    check(sw <= cw, "no horizontal scrolling on the Periods tab (%d <= %d)" % (sw, cw))
    d.find_element(By.ID, "signout").click()
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())

    # a read-only credit: Manage -> View
    sign_in(d, "alice")
    manage(d, cid).click()
    wait(d, lambda: dialog_open(d) and d.find_element(By.ID, "dlg-title").text.startswith("View"))
    c = shown(cid)
    facts = d.find_element(By.ID, "dlg-facts").text
    check(d.find_element(By.ID, "dlg-title").text == "View " + cid and
          not d.find_element(By.ID, "dlg-edit").is_displayed() and
          not d.find_element(By.ID, "dlg-save").is_displayed(),
          "a PROCESSING credit opens read-only in Manage -> View")
    recs = [x["record_id"] for x in c["splits"] if x["record_id"]]
    check(c["usage_file_id"] and c["usage_file_id"] in facts and recs and
          all(r in facts for r in recs) and c["processing_date"] in facts,
          "View shows the usage file id, the record ids and the processing date", facts)
    hist = d.find_element(By.ID, "dlg-history").text
    check(hist.count("\n") >= len(c["events"]) and "PROCESSING" in hist and "boss" in hist and "alice" in hist
          and "bob" in hist, "and the history, who did what", hist)
    ActionChains(d).send_keys(Keys.ESCAPE).perform()
    wait(d, lambda: not dialog_open(d))
    d.find_element(By.ID, "signout").click()
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())

    # a wrong password, then a viewer: everything read-only
    d.find_element(By.ID, "signin-user").send_keys("fin")
    d.find_element(By.ID, "signin-password").send_keys("not the password" + Keys.ENTER)
    wait(d, lambda: d.find_element(By.ID, "signin-error").text != "")
    err = d.find_element(By.ID, "signin-error").text
    check(err == "Wrong user name or password." and
          d.find_element(By.ID, "signin-password").get_attribute("value") == "",
          "a wrong password is refused, the field emptied", err)
    d.find_element(By.ID, "signin-user").clear()
    ok = sign_in(d, "fin")
    labels = {b.text for b in d.find_elements(By.CSS_SELECTOR, "#credits button.manage")}
    check(ok and labels == {"View"} and not d.find_element(By.ID, "tab-periods").is_displayed(),
          "a viewer sees every credit with View only, and no Periods tab", labels)

    d.find_element(By.ID, "signout").click()
    wait(d, lambda: d.find_element(By.ID, "signin-user").is_displayed())
    balances(d)

    # statuses the page expects (401 before sign-in, the 412) are the network's
    logs = [e for e in d.get_log("browser")
            if e.get("level") == "SEVERE" and e.get("source") != "network"]
    check(not logs, "the browser console shows no script error", logs)


if __name__ == "__main__":
    # a timeout's SIGTERM still quits the browser (main's finally)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        main()
    except Exception as e:                 # a crash is a failed check, with its reason
        import traceback
        check(False, "the browser checks ran without an exception", traceback.format_exc())
    print("# %d checks, %d failed" % (n, failed))
    sys.exit(1 if failed else 0)
