// balances.js -- the Balances tab (SPEC 16): the grants with what is used
// and left and a status badge, the hierarchy as an expandable tree with its
// roll-ups per currency, and a burn-down chart per grant drawn here as SVG.
// Everything comes from GET /api/v1/balance, scoped by the server: a
// reseller sees the grants of its own customers only.
import { $, el, clear, say, money } from "./dom.js";
import { api, query, ApiError } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";
const SCALE = 10n ** 10n;          /* amounts are decimals with 10 places */
const MONTHS_MAX = 120;            /* a chart spans ten years at most */

let seq = 0;

function fail(e) {
  if (e instanceof ApiError && e.status === 401) {
    window.dispatchEvent(new Event("awc-unauthorized"));
    return;
  }
  $("bal-error").textContent = e.message;
}

// "12.5" or "-3.0000000001" -> BigInt of 10^-10 units (exact); null if not a number.
function units(s) {
  const m = /^(-?)(\d+)(?:\.(\d{0,10}))?$/.exec(String(s ?? ""));
  if (!m) return null;
  const v = BigInt(m[2]) * SCALE + BigInt((m[3] || "").padEnd(10, "0"));
  return m[1] ? -v : v;
}

function decimal(u) {
  const neg = u < 0n;
  const a = neg ? -u : u;
  return (neg ? "-" : "") + (a / SCALE).toString() + "." + (a % SCALE).toString().padStart(10, "0");
}

// For drawing only: a position on the chart, not an amount anyone reads.
const approx = (u) => Number(u) / 1e10;

function readForm() {
  const f = {};
  for (const name of ["period", "node", "level", "as_of", "policy"]) {
    const v = $("bal-" + name).value.trim();
    if (v) f[name] = v;
  }
  return f;
}

export async function refresh() {
  const mine = ++seq;
  $("bal-error").textContent = "";
  let data;
  try {
    ({ data } = await api("GET", "/api/v1/balance" + query(readForm())));
  } catch (e) {
    if (mine === seq) fail(e);
    return;
  }
  if (mine !== seq) return;        /* a newer request answers instead */
  grantsTable(data);
  tree(data.nodes || []);
  const n = (data.grants || []).length;
  $("bal-summary").textContent = n + (n === 1 ? " grant" : " grants") + " as of " + data.as_of +
    ", policy " + data.policy +
    (data.period_from ? ", used from " + data.period_from + " to " + data.period_to : "");
  say("Balances as of " + data.as_of + ".");
}

// ---- the grants ---------------------------------------------------------------

function badge(status) {
  return el("span", { class: "badge badge-" + String(status).toLowerCase(), text: status });
}

function grantsTable(data) {
  const body = $("grants").tBodies[0];
  clear(body);
  const grants = data.grants || [];
  grants.forEach((g, k) => {
    const id = "burn-" + k;
    const toggle = el("button", {
      type: "button", class: "chart-toggle", text: "Chart",
      "aria-expanded": "false", "aria-controls": id,
      "aria-label": "Chart: burn-down of " + g.grant_id,
    });
    const row = el("tr", { "data-grant": g.grant_id },
      el("th", { scope: "row", class: "cut", title: g.grant_id, text: g.grant_id }),
      el("td", { class: "cut", text: g.account_id }),
      el("td", { text: g.currency }),
      el("td", { class: "num", text: money(g.amount) }),
      el("td", { class: "num", text: money(g.used) }),
      el("td", { class: "num", text: money(g.remaining) }),
      el("td", {}, el("span", { class: "ends", text: g.end_date || "none" }), " ", badge(g.status)),
      el("td", { class: "cut", title: g.reference, text: g.reference }),
      el("td", { class: "cut", title: g.node || "", text: g.node || "" }),
      el("td", {}, toggle));
    const detail = el("tr", { id, class: "burn-row", hidden: true },
      el("td", { colspan: 10 }));
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      detail.hidden = !open;
      if (open && !detail.firstChild.firstChild) detail.firstChild.append(burnDown(g, data.as_of, id));
    });
    body.append(row, detail);
  });
  if (!grants.length)
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 10, text: "No grant to show." })));
}

// ---- the burn-down -----------------------------------------------------------

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const monthOf = (date) => (date ? String(date).slice(0, 7) : "");

function nextMonth(m) {
  let y = Number(m.slice(0, 4));
  let mo = Number(m.slice(5, 7)) + 1;
  if (mo > 12) {
    mo = 1;
    y++;
  }
  return String(y).padStart(4, "0") + "-" + String(mo).padStart(2, "0");
}

// The months the chart spans: from the first of the grant's issue month, its
// months with use and the as-of month to the last of them and its end
// month, at most MONTHS_MAX.
function span(g, asOf) {
  const used = (g.months || []).map((m) => m.month);
  const marks = [monthOf(g.issue_date), ...used, monthOf(g.end_date), monthOf(asOf)].filter(Boolean);
  const first = marks.reduce((a, b) => (b < a ? b : a));
  const lastM = marks.reduce((a, b) => (b > a ? b : a));
  const out = [];
  for (let m = first; m <= lastM && out.length < MONTHS_MAX; m = nextMonth(m)) out.push(m);
  return out;
}

// Cumulative use at the end of each month of the span, exact.
function cumulative(g, months) {
  const by = new Map((g.months || []).map((m) => [m.month, units(m.used) ?? 0n]));
  let sum = 0n;
  return months.map((m) => (sum += by.get(m) || 0n));
}

// The chart of grant g as of asOf; id names its title and description.
function burnDown(g, asOf, id) {
  const W = 720, H = 220, L = 84, R = 34, T = 16, B = 40;
  const months = span(g, asOf);
  const cum = cumulative(g, months);
  const amount = units(g.amount) ?? 0n;
  const top = Math.max(approx(amount), ...cum.map(approx), 1e-9);
  const x = (i) => L + (months.length > 1 ? (i * (W - L - R)) / (months.length - 1) : (W - L - R) / 2);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const titleId = id + "-title";
  const descId = id + "-desc";
  const chart = svg("svg", {
    class: "burn", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
    "aria-labelledby": titleId + " " + descId,
  });
  chart.append(svg("title", { id: titleId }, "Burn-down of " + g.grant_id));
  const lastCum = cum.length ? cum[cum.length - 1] : 0n;
  chart.append(svg("desc", { id: descId },
    money(decimal(lastCum)) + " " + g.currency + " used of " + money(g.amount) +
    (g.end_date ? ", ends " + g.end_date : ", no end date") + "."));

  // axes, the amount as a dashed line, a few value ticks
  chart.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
  chart.append(svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }));
  for (const f of [0, 0.5, 1]) {
    chart.append(svg("text", { class: "tick", x: L - 6, y: y(top * f) + 4, "text-anchor": "end" },
      money((top * f).toFixed(2))));
  }
  chart.append(svg("line", { class: "amount", x1: L, y1: y(approx(amount)), x2: W - R, y2: y(approx(amount)) }));
  chart.append(svg("text", { class: "label", x: W - R, y: y(approx(amount)) - 5, "text-anchor": "end" },
    "amount " + money(g.amount)));

  // month labels: every one when few, else every n-th
  const every = Math.max(1, Math.ceil(months.length / 12));
  months.forEach((m, i) => {
    if (i % every === 0 || i === months.length - 1)
      chart.append(svg("text", { class: "tick", x: x(i), y: H - B + 16, "text-anchor": "middle" }, m));
  });

  // the end date: a vertical mark at its place within its month
  if (g.end_date) {
    const i = months.indexOf(monthOf(g.end_date));
    if (i >= 0) {
      const day = Number(String(g.end_date).slice(8, 10));
      const step = months.length > 1 ? (W - L - R) / (months.length - 1) : 0;
      const ex = Math.min(W - R, x(i) + step * Math.min(1, (day - 1) / 30));
      chart.append(svg("line", { class: "end", x1: ex, y1: T, x2: ex, y2: H - B }));
      chart.append(svg("text", { class: "label end-label", x: ex - 4, y: T + 12, "text-anchor": "end" },
        "ends " + g.end_date));
    }
  }

  // cumulative use: a line through each month's end up to the as-of month,
  // a dot where it moved
  const now = months.filter((m) => m <= monthOf(asOf)).length || months.length;
  if (months.length) {
    const pts = cum.slice(0, now)
      .map((v, i) => x(i).toFixed(1) + "," + y(approx(v)).toFixed(1)).join(" ");
    chart.append(svg("polyline", { class: "used", points: pts }));
    cum.forEach((v, i) => {
      if (i < now && (i === 0 ? v !== 0n : v !== cum[i - 1])) {
        const dot = svg("circle", { class: "dot", cx: x(i), cy: y(approx(v)), r: 3.5 });
        dot.append(svg("title", {}, months[i] + ": " + money(decimal(v)) + " used"));
        chart.append(dot);
      }
    });
  }

  const list = el("ul", { class: "burn-months", "aria-label": "Used per month" });
  for (const m of g.months || [])
    list.append(el("li", { text: m.month + ": " + money(m.used) }));
  if (!(g.months || []).length)
    list.append(el("li", { text: "No use in the period." }));
  return el("figure", { class: "burn-fig" }, chart,
    el("figcaption", {}, "Cumulative use per issue month against the amount of " + g.grant_id +
      " (" + g.currency + ")", list));
}

// ---- the hierarchy ------------------------------------------------------------

// nodes: one row per node and currency -> a forest of {id, name, level, figs, kids}.
function forest(rows) {
  const byId = new Map();
  for (const r of rows) {
    let n = byId.get(r.node_id);
    if (!n) {
      n = { id: r.node_id, parent: r.parent_id, name: r.name, level: r.level, figs: [], kids: [] };
      byId.set(r.node_id, n);
    }
    n.figs.push(r);
  }
  const roots = [];
  for (const n of byId.values()) {
    const p = n.parent && byId.get(n.parent);
    if (p) p.kids.push(n);
    else roots.push(n);
  }
  const order = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1);
  const sort = (list) => {
    list.sort(order);
    for (const n of list) sort(n.kids);
  };
  sort(roots);
  return roots;
}

// Show or hide the rows of btn's children; below them, only what is open.
function showKids(btn, show) {
  for (const id of btn.dataset.kids ? btn.dataset.kids.split(" ") : []) {
    const row = document.getElementById(id);
    if (!row) continue;
    row.hidden = !show;
    const inner = row.querySelector("button[aria-expanded]");
    if (inner) showKids(inner, show && inner.getAttribute("aria-expanded") === "true");
  }
}

function setOpen(btn, open) {
  btn.setAttribute("aria-expanded", String(open));
  showKids(btn, open);
}

function tree(rows) {
  const body = $("tree").tBodies[0];
  clear(body);
  const roots = forest(rows);
  let k = 0;
  const add = (n, depth, visible) => {
    const first = "node-" + k++;
    const ids = [first];
    const cell = el("th", { scope: "row", class: "tree-name depth-" + Math.min(depth, 8) });
    let btn = null;
    if (n.kids.length) {
      btn = el("button", {
        type: "button", class: "twisty", "aria-expanded": depth === 0 ? "true" : "false",
        "aria-label": (n.name || n.id) + " (" + n.kids.length + (n.kids.length === 1 ? " child)" : " children)"),
      });
      btn.append(el("span", { class: "name", text: n.name || n.id }));
      btn.addEventListener("click", () => setOpen(btn, btn.getAttribute("aria-expanded") !== "true"));
      btn.addEventListener("keydown", (ev) => {
        if (ev.key === "ArrowRight" && btn.getAttribute("aria-expanded") !== "true") setOpen(btn, true);
        else if (ev.key === "ArrowLeft" && btn.getAttribute("aria-expanded") === "true") setOpen(btn, false);
        else return;
        ev.preventDefault();
      });
      cell.append(btn);
    } else {
      cell.append(el("span", { class: "leaf name", text: n.name || n.id }));
    }
    cell.append(el("span", { class: "node-id", text: n.id }));
    const figs = n.figs.length ? n.figs : [{}];
    figs.forEach((f, i) => {
      const tr = el("tr", { id: i ? first + "-" + i : first, "data-node": n.id, hidden: !visible },
        i ? el("td", { class: "more" }) : cell,
        el("td", { text: i ? "" : n.level }),
        el("td", { text: f.currency || "" }),
        el("td", { class: "num", text: money(f.amount) }),
        el("td", { class: "num", text: money(f.used) }),
        el("td", { class: "num", text: money(f.remaining) }));
      if (i) ids.push(tr.id);
      body.append(tr);
    });
    const kidIds = [];
    for (const c of n.kids) kidIds.push(...add(c, depth + 1, visible && depth === 0));
    if (btn) btn.dataset.kids = kidIds.join(" ");
    return ids;
  };
  for (const r of roots) add(r, 0, true);
  if (!roots.length)
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 6, text: "No node has a grant." })));
}

export function init() {
  $("bal-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    refresh();
  });
  $("bal-clear").addEventListener("click", () => {
    $("bal-form").reset();
    refresh();
  });
}

// A new user starts with no filter.
export function reset() {
  $("bal-form").reset();
}
