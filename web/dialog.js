// dialog.js -- Manage -> Edit and Manage -> View of one credit, in a modal
// <dialog>: focus stays inside while it is open, Escape closes it, and focus
// goes back to the button that opened it.
import { $, el, clear, say, when, money } from "./dom.js";
import { api, ApiError } from "./api.js";

const d = {
  role: "", id: "", etag: "", credit: null, editing: false, opener: null, initial: null,
  onSaved: null, seq: 0,
};

export function setRole(role) {
  d.role = role;
}

function isReseller() {
  return d.role.startsWith("reseller:");
}

function fact(dl, label, value, wide) {
  if (value === null || value === undefined || value === "") value = "—";
  dl.append(el("dt", { text: label }), el("dd", { class: wide ? "wide" : undefined, text: String(value) }));
}

function pct(bp) {
  if (bp === null || bp === undefined) return "";
  return String(bp / 100);
}

// The editable lines: customer, reseller and named parties (the retained
// share is what is left).
// "Acme Corporation (C-1)", or the ID alone when no name is known.
function named(name, id) {
  if (name && id) return name + " (" + id + ")";
  return name || id || "";
}

function nameOf(c, who) {
  const key = who + "_name";
  return c[key] || (d.listRow && d.listRow.credit_id === c.credit_id ? d.listRow[key] : null);
}

function lineTargets(c) {
  const out = [];
  const find = (t) => (c.splits || []).find((s) => s.target === t);
  for (const t of ["customer", "reseller"]) {
    const s = find(t);
    const who = named(nameOf(c, t), c[t + "_id"]);
    out.push({ key: t, label: (t === "customer" ? "Customer" : "Reseller") + (who ? " " + who : ""),
      line: s || null });
  }
  for (const s of c.splits || []) {
    if (s.target === "party") out.push({ key: "party:" + s.party, label: "Party " + s.party, line: s, party: true });
  }
  return out;
}

function mode() {
  return $("mode-amounts").checked ? "amounts" : "percent";
}

function initialValue(t, m) {
  if (!t.line) return "";
  return m === "percent" ? pct(t.line.percent_bp) : money(t.line.amount);
}

function renderLines() {
  const box = $("dlg-lines");
  clear(box);
  const m = mode();
  const unit = m === "percent" ? "%" : d.credit.currency;
  d.targets.forEach((t, i) => {
    const id = "dlg-line-" + i;
    const readonly = t.party && isReseller();
    const input = el("input", {
      id, "data-key": t.key, inputmode: "decimal", size: 10,
      value: initialValue(t, m), readonly: readonly || undefined,
      "aria-describedby": readonly ? "dlg-party-hint" : undefined,
    });
    input.addEventListener("input", remainder);
    box.append(el("label", { for: id, text: t.label }), input, el("span", { class: "unit", text: unit }));
  });
  if (d.targets.some((t) => t.party) && isReseller())
    box.append(el("p", { id: "dlg-party-hint", class: "hint", text: "Only a distributor changes a named party's share." }));
  remainder();
}

function values() {
  return [...$("dlg-lines").querySelectorAll("input")].map((i) => ({ key: i.dataset.key, value: i.value.trim(), readonly: i.readOnly }));
}

function remainder() {
  const m = mode();
  let sum = 0;
  for (const v of values()) sum += Number(v.value) || 0;
  if (m === "percent") {
    const left = Math.round((100 - sum) * 100) / 100;
    $("dlg-remainder").textContent = "Retained by the distributor: " + left + " %";
  } else {
    const left = Number(d.credit.amount) - sum;
    $("dlg-remainder").textContent = "Retained by the distributor: " + left.toFixed(2) + " " + d.credit.currency;
  }
}

function splitChanged() {
  const m = mode();
  return values().some((v) => {
    const t = d.targets.find((x) => x.key === v.key);
    return v.value !== initialValue(t, m);
  });
}

function spec() {
  const parts = [];
  for (const v of values()) {
    if (!v.value) continue;
    if (v.readonly) continue;           /* kept as it is by the module */
    parts.push(v.key + ":" + v.value);
  }
  return parts.join(",");
}

function render(c, explain) {
  d.credit = c;
  // a credit not split yet: what its rule (or the default) would give, as explain says
  const proposed = !(c.splits && c.splits.length) && explain && explain.split && explain.split.length;
  if (proposed) {
    c.splits = explain.split.map((s, i) => Object.assign({ line: i + 1, record_id: null }, s));
    if (!c.customer_id && explain.customer_id) c.customer_id = explain.customer_id;
    if (!c.reseller_id && explain.reseller_id) c.reseller_id = explain.reseller_id;
  }
  d.targets = lineTargets(c);
  $("dlg-title").textContent = (d.editing ? "Edit " : "View ") + c.credit_id;
  const facts = $("dlg-facts");
  clear(facts);
  fact(facts, "Description", c.description, true);
  fact(facts, "Status", c.status + " (version " + c.version + ")");
  fact(facts, "Amount", money(c.amount) + " " + c.currency);
  fact(facts, "Period", c.period);
  fact(facts, "Type", c.credit_type);
  fact(facts, "Account", c.usage_account_id + " (payer " + c.payer_account_id + ")");
  fact(facts, "Issue date", c.issue_date);
  fact(facts, "Customer", [named(nameOf(c, "customer"), c.customer_id), c.asset_id && "asset " + c.asset_id]
    .filter(Boolean).join(", "));
  fact(facts, "Reseller", named(nameOf(c, "reseller"), c.reseller_id));
  fact(facts, "Usage file", c.usage_file_id);
  fact(facts, "Processing date", c.processing_date);
  const records = new Set((d.listRow && d.listRow.record_ids) || []);
  for (const s of c.splits || []) if (s.record_id) records.add(s.record_id);
  fact(facts, "Record IDs", [...records].join(", "), true);

  $("dlg-rule").textContent = proposed ?
    (explain.rule_id ? "Not split yet; rule " + explain.rule_id + " would give:" :
      "Not split yet; the default would give:") :
    c.rule_id ? "Rule " + c.rule_id + " applied; its split:" :
    (c.splits && c.splits.length ? "Split by hand or by the default:" : "Not split yet.");
  const sb = $("dlg-splits").tBodies[0];
  clear(sb);
  // the retained line has no percent of its own: what the others leave
  const given = (c.splits || []).filter((s) => s.percent_bp !== null);
  const left = given.length ? 10000 - given.reduce((a, s) => a + s.percent_bp, 0) : null;
  for (const s of c.splits || []) {
    if (s.target === "retained" && s.percent_bp === null && left !== null) s.percent_bp = left;
    sb.append(el("tr", {},
      el("td", { text: s.line }), el("td", { text: s.target }), el("td", { text: s.party }),
      el("td", { class: "num", text: s.percent_bp === null ? "" : pct(s.percent_bp) + " %" }),
      el("td", { class: "num", text: money(s.amount) + " " + c.currency }),
      el("td", { text: s.record_id || "" })));
  }
  $("dlg-splits").hidden = !(c.splits && c.splits.length);

  const cand = $("dlg-candidates");
  clear(cand);
  if (explain) {
    $("dlg-explain").textContent = explain.outcome || "";
    for (const r of explain.candidates || []) {
      cand.append(el("li", { class: r.winner ? "win" : undefined },
        (r.winner ? "Wins: " : r.matched ? "Matched: " : "No match: ") + r.rule_id +
        (r.name ? " (" + r.name + ")" : "") + " — " + r.reason));
    }
    if (explain.rules_not_shown)
      cand.append(el("li", { text: explain.rules_not_shown + " more rules are not shown" }));
  } else {
    $("dlg-explain").textContent = "Not available.";
  }

  $("dlg-edit").hidden = !d.editing;
  $("dlg-save").hidden = !d.editing;
  $("dlg-cancel").textContent = d.editing ? "Cancel" : "Close";
  if (d.editing) {
    $("dlg-account").value = "";
    // a credit split by amounts opens in amounts; otherwise in percent
    const shares = (c.splits || []).filter((s) => s.target !== "retained");
    const byAmounts = shares.length > 0 && shares.every((s) => s.percent_bp === null);
    $(byAmounts ? "mode-amounts" : "mode-percent").checked = true;
    renderLines();
  }

  const hb = $("dlg-history").tBodies[0];
  clear(hb);
  for (const e of c.events || []) {
    const who = e.actor ? e.actor.id + (e.actor.via ? " via " + e.actor.via : "") +
      " (" + e.actor.role + (e.actor.reseller_id ? " " + e.actor.reseller_id : "") + ")" : "";
    hb.append(el("tr", {},
      el("td", { text: when(e.at) }), el("td", { text: e.kind }),
      el("td", { text: e.from === e.to ? e.to : e.from + " → " + e.to }),
      el("td", { text: who }), el("td", { text: e.note || "" })));
  }
}

async function load(id) {
  const seq = ++d.seq;
  const [show, explain] = await Promise.all([
    api("GET", "/api/v1/credits/" + encodeURIComponent(id)),
    api("GET", "/api/v1/credits/" + encodeURIComponent(id) + "/explain").catch(() => null),
  ]);
  if (seq !== d.seq) return false;
  d.etag = show.etag || '"' + show.data.version + '"';
  render(show.data, explain && explain.data);
  return true;
}

function setError(text, stale) {
  const box = $("dlg-error");
  clear(box);
  box.classList.toggle("stale", !!stale);
  if (text) box.append(el("p", { text }));
}

// The newest event: who changed the credit last.
function newest(events) {
  let best = null;
  for (const e of events || []) if (!best || e.to_version >= best.to_version) best = e;
  return best;
}

async function stale() {
  let text = "This credit was changed by someone else since you opened it.";
  try {
    const { data } = await api("GET", "/api/v1/credits/" + encodeURIComponent(d.id));
    const e = newest(data.events);
    if (e && e.actor) {
      text = "This credit was changed by " + e.actor.id +
        (e.actor.via ? " (via " + e.actor.via + ")" : "") + " at " + when(e.at) +
        " UTC (" + e.kind + ", now version " + data.version + ") since you opened it. " +
        "Your change was not saved: reload the credit to see theirs, then edit again.";
    }
  } catch (err) {
    /* keep the general message */
  }
  setError(text, true);
  $("dlg-reload").hidden = false;
  $("dlg-reload").focus();
}

async function save(ev) {
  ev.preventDefault();
  if (!d.editing) {
    close();
    return;
  }
  setError("");
  const body = {};
  const account = $("dlg-account").value.trim();
  const note = $("dlg-note").value.trim();
  if (splitChanged()) {
    const s = spec();
    if (!s) {
      setError("Give at least one share.");
      return;
    }
    body[mode() === "percent" ? "split" : "amounts"] = s;
  }
  if (account) {
    body.account = account;
    // a credit split by amounts moves with its amounts as they are
    if (!body.split && !body.amounts && mode() === "amounts") {
      const keep = spec();
      if (keep) body.amounts = keep;
    }
  }
  if (!body.split && !body.amounts && !body.account) {
    setError("Nothing to save: change a share or the account first.");
    return;
  }
  if (note) body.note = note;
  $("dlg-save").disabled = true;
  try {
    const { data } = await api("PATCH", "/api/v1/credits/" + encodeURIComponent(d.id),
      { body, headers: { "If-Match": d.etag } });
    close();
    if (d.onSaved) await d.onSaved();
    say("Saved " + data.credit_id + ": now version " + data.version + ".");
    focusBack();
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) await stale();
    else if (e instanceof ApiError && e.status === 401) window.dispatchEvent(new Event("awc-unauthorized"));
    else if (e instanceof ApiError && e.status === 409) setError("Not editable in its state: " + e.message);
    else if (e instanceof ApiError && e.status === 403) setError("Not allowed: " + e.message);
    else setError(e.message);
  } finally {
    $("dlg-save").disabled = false;
  }
}

function firstField() {
  if (d.editing) {
    const i = $("dlg-lines").querySelector("input:not([readonly])");
    if (i) return i;
  }
  return $("dlg-cancel");
}

function focusBack() {
  let target = d.opener;
  if (!target || !target.isConnected) {
    const row = [...document.querySelectorAll("#credits tr[data-id]")].find((r) => r.dataset.id === d.id);
    target = row && row.querySelector("button.manage");
  }
  if (target) target.focus();
}

export async function open(id, editing, opener, listRow) {
  d.id = id;
  d.editing = editing;
  d.opener = opener;
  d.listRow = listRow || null;
  setError("");
  $("dlg-reload").hidden = true;
  $("dlg-note").value = "";
  try {
    if (!(await load(id))) return;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) window.dispatchEvent(new Event("awc-unauthorized"));
    else say("Cannot open " + id + ": " + e.message);
    return;
  }
  const dlg = $("credit-dialog");
  if (!dlg.open) dlg.showModal();
  firstField().focus();
}

export function close() {
  const dlg = $("credit-dialog");
  if (dlg.open) dlg.close();
}

export function init(onSaved) {
  d.onSaved = onSaved;
  const dlg = $("credit-dialog");
  $("dlg-form").addEventListener("submit", save);
  $("dlg-close").addEventListener("click", close);
  $("dlg-cancel").addEventListener("click", close);
  $("mode-percent").addEventListener("change", renderLines);
  $("mode-amounts").addEventListener("change", renderLines);
  $("dlg-reload").addEventListener("click", async () => {
    setError("");
    $("dlg-reload").hidden = true;
    try {
      await load(d.id);
      say("Reloaded " + d.id + ".");
      firstField().focus();
    } catch (e) {
      setError(e.message);
    }
  });
  // Tab and Shift+Tab go round inside the dialog (the page behind is inert).
  dlg.addEventListener("keydown", (ev) => {
    if (ev.key !== "Tab") return;
    const all = [...dlg.querySelectorAll("button, input, select, textarea, a[href], [tabindex]")]
      .filter((x) => !x.disabled && x.tabIndex >= 0 && x.getClientRects().length);
    if (!all.length) return;
    const first = all[0], last = all[all.length - 1];
    if (ev.shiftKey && document.activeElement === first) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  });
  // Escape closes (the dialog's own cancel); focus returns to the opener.
  dlg.addEventListener("close", () => {
    d.seq++;
    setTimeout(focusBack, 0);
  });
}
