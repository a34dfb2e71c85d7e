// periods.js -- the distributor's Periods tab: each period's credits by
// state, and the long operations (assign, invoice, reconcile, close) started
// as jobs and polled until they end.
import { $, el, clear, say, when } from "./dom.js";
import { api, ApiError } from "./api.js";

const OPS = [["assign", "Assign"], ["invoice", "Invoice"], ["reconcile", "Reconcile"], ["close", "Close"]];
const POLL_MS = 1000;
const POLL_MAX = 3600;             /* an hour of polling at most */
let running = false;

function fail(e) {
  if (e instanceof ApiError && e.status === 401) {
    window.dispatchEvent(new Event("awc-unauthorized"));
    return;
  }
  $("periods-error").textContent = e.message;
}

export async function refresh() {
  $("periods-error").textContent = "";
  let data;
  try {
    ({ data } = await api("GET", "/api/v1/periods"));
  } catch (e) {
    fail(e);
    return;
  }
  const body = $("periods").tBodies[0];
  clear(body);
  for (const p of data.periods || []) {
    const c = p.counts || {};
    const actions = el("div", { class: "actions" });
    for (const [op, label] of OPS) {
      const b = el("button", { type: "button", text: label, "aria-label": label + " " + p.period });
      b.disabled = running || (p.closed && op !== "reconcile");
      b.addEventListener("click", () => start(op, p.period));
      actions.append(b);
    }
    body.append(el("tr", {},
      el("th", { scope: "row", text: p.period }),
      el("td", { class: "num", text: c.PENDING_ASSIGN ?? 0 }),
      el("td", { class: "num", text: c.ASSIGNED ?? 0 }),
      el("td", { class: "num", text: c.PROCESSING ?? 0 }),
      el("td", { class: "num", text: c.PROCESSED ?? 0 }),
      el("td", { text: p.closed ? "closed by " + p.closed_by + " at " + when(p.closed_at) : "open" }),
      el("td", {}, actions)));
  }
  if (!data.periods || !data.periods.length)
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 7, text: "No period yet." })));
}

function showJob(j) {
  const p = j.progress || {};
  $("job").hidden = false;
  $("job-title").textContent = "Job " + j.id + ": " + j.operation + " " + j.period;
  const bar = $("job-progress");
  if (p.total > 0) {
    bar.max = p.total;
    bar.value = Math.min(p.done, p.total);
  } else if (j.state !== "running") {
    bar.max = 1;
    bar.value = 1;
  } else {
    bar.removeAttribute("value");    /* indeterminate */
  }
  let text = j.state;
  if (p.task) text += ": " + p.task + (p.total ? " " + p.done + " of " + p.total : "");
  if (j.state === "failed" && j.error) text += " — " + j.error;
  $("job-state").textContent = text;
  $("job-output").textContent = j.output || "";
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start(op, period) {
  if (running) return;
  $("periods-error").textContent = "";
  let job;
  try {
    ({ data: job } = await api("POST", "/api/v1/periods/" + encodeURIComponent(period) + "/" + op));
  } catch (e) {
    fail(e);
    return;
  }
  running = true;
  await refresh();
  say(op + " " + period + " started.");
  try {
    for (let i = 0; i < POLL_MAX; i++) {
      showJob(job);
      if (job.state !== "running") break;
      await sleep(POLL_MS);
      ({ data: job } = await api("GET", "/api/v1/jobs/" + encodeURIComponent(job.id)));
    }
    say(op + " " + period + ": " + job.state + ".");
  } catch (e) {
    fail(e);
  } finally {
    running = false;
    await refresh();
  }
}

export function init() {}
