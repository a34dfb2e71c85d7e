// credits.js -- the Credits tab: filters, the sortable paged table, totals
// per currency and the Download link for exactly the filtered list.
import { $, el, clear, money } from "./dom.js";
import { api, query, ApiError } from "./api.js";
import * as dialog from "./dialog.js";

const FILTERS = ["period", "status", "customer", "reseller", "asset", "account", "credit_id",
  "description", "type", "currency", "min_amount", "max_amount", "rule", "unmapped"];

const view = {
  filters: {}, sort: "", offset: 0, limit: 50, total: 0, haveTotals: false, role: "", seq: 0,
};

// A new user starts with no filter, the first page, the default order.
export function setRole(role) {
  view.role = role;
  view.filters = {};
  view.sort = "";
  view.offset = 0;
  view.haveTotals = false;
  $("filters").reset();
}

function readFilters() {
  const f = {};
  for (const name of FILTERS) {
    const input = $("f-" + name);
    if (input.type === "checkbox") {
      if (input.checked) f[name] = "true";
    } else {
      const v = input.value.trim();
      if (v) f[name] = name === "currency" ? v.toUpperCase() : v;
    }
  }
  return f;
}

// The download: the same filters and order as the table, every page.
function downloadUrl() {
  const q = { ...view.filters };
  if (view.sort) q.sort = view.sort;
  return "/api/v1/credits.csv" + query(q);
}

function sortHeaders() {
  for (const th of document.querySelectorAll("#credits th[data-sort]")) {
    const key = th.dataset.sort;
    let btn = th.querySelector("button");
    if (!btn) {
      const label = th.textContent;
      clear(th);
      btn = el("button", { type: "button", class: "sort", text: label });
      btn.addEventListener("click", () => {
        view.sort = view.sort === key ? "-" + key : key;
        view.offset = 0;
        refresh(false);
      });
      th.append(btn);
    }
    const dir = view.sort === key ? "ascending" : view.sort === "-" + key ? "descending" : null;
    if (dir) th.setAttribute("aria-sort", dir);
    else th.removeAttribute("aria-sort");
  }
}

function editable(c) {
  return view.role !== "viewer" && (c.status === "PENDING_ASSIGN" || c.status === "ASSIGNED");
}

function row(c) {
  const customer = c.customer_name || c.customer_id || "";
  const asset = c.asset_name || c.asset_id || "";
  const reseller = c.reseller_name || c.reseller_id || "";
  const owner = el("td", { class: "owner" },
    el("span", { class: "name", text: customer || (c.unmapped ? "unmapped" : "—"),
      title: c.customer_id || "" }),
    el("span", { class: "sub", text: asset ? asset : c.usage_account_id, title: c.usage_account_id }));
  const edit = editable(c);
  const manage = el("button", {
    type: "button", class: "manage",
    "aria-label": (edit ? "Edit " : "View ") + c.credit_id,
    text: edit ? "Edit" : "View",
  });
  manage.addEventListener("click", () => dialog.open(c.credit_id, edit, manage, c));
  return el("tr", { "data-id": c.credit_id },
    el("td", { text: c.credit_id, title: c.credit_id }),
    owner,
    el("td", { class: "owner" },
      el("span", { class: "name", text: reseller || "—", title: c.reseller_id || "" })),
    el("td", { class: "num", text: money(c.amount) + " " + c.currency }),
    el("td", { text: c.credit_type, title: c.credit_type }),
    el("td", { class: "desc", text: c.description, title: c.description }),
    el("td", { text: c.period }),
    el("td", { text: c.status }),
    el("td", {}, manage));
}

function showTotals(data) {
  const dl = $("totals");
  clear(dl);
  for (const t of data.totals || []) {
    dl.append(el("div", {}, el("dt", { text: t.currency }), el("dd", { text: money(t.amount) })));
  }
}

// refresh(false) turns a page or re-sorts: the count and totals of every
// match stay as they were, and the server need not add them up again.
export async function refresh(withTotals = true) {
  const seq = ++view.seq;
  const q = { ...view.filters, limit: view.limit, offset: view.offset };
  if (view.sort) q.sort = view.sort;
  const again = !withTotals && view.haveTotals;
  if (again) q.totals = "false";
  sortHeaders();
  $("filter-error").textContent = "";
  let data;
  try {
    ({ data } = await api("GET", "/api/v1/credits" + query(q)));
  } catch (e) {
    if (seq !== view.seq) return;
    if (e instanceof ApiError && e.status === 401) {
      window.dispatchEvent(new Event("awc-unauthorized"));
      return;
    }
    $("filter-error").textContent = e.message;
    // no download of a list the server refused
    $("download").removeAttribute("href");
    $("download").setAttribute("aria-disabled", "true");
    return;
  }
  if (seq !== view.seq) return;      /* a newer request is on its way */
  $("download").href = downloadUrl();
  $("download").removeAttribute("aria-disabled");
  const body = $("credits").tBodies[0];
  clear(body);
  for (const c of data.credits || []) body.append(row(c));
  if (!data.credits || !data.credits.length)
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 9, text: "No credit matches." })));
  if (!again) {
    view.total = Number(data.total || 0);
    view.haveTotals = true;
    showTotals(data);
  }
  const first = view.total ? view.offset + 1 : 0;
  const last = view.offset + (data.credits ? data.credits.length : 0);
  $("count").textContent = view.total + (view.total === 1 ? " credit" : " credits") +
    (view.total ? " (showing " + first + "–" + last + ")" : "");
  $("page").textContent = "Page " + (Math.floor(view.offset / view.limit) + 1) + " of " +
    Math.max(1, Math.ceil(view.total / view.limit));
  $("prev").disabled = view.offset === 0;
  $("next").disabled = last >= view.total;
}

export function init() {
  $("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    view.filters = readFilters();
    view.offset = 0;
    refresh();
  });
  $("clear-filters").addEventListener("click", () => {
    $("filters").reset();
    view.filters = {};
    view.offset = 0;
    refresh();
  });
  $("prev").addEventListener("click", () => {
    view.offset = Math.max(0, view.offset - view.limit);
    refresh(false);
  });
  $("next").addEventListener("click", () => {
    if (view.offset + view.limit < view.total) view.offset += view.limit;
    refresh(false);
  });
  $("page-size").addEventListener("change", () => {
    view.limit = Number($("page-size").value) || 50;
    view.offset = 0;
    refresh(false);
  });
  sortHeaders();
}
