// dom.js -- small DOM helpers.  Text from data goes in with textContent only:
// nothing the server sends is ever parsed as HTML.

export const $ = (id) => document.getElementById(id);

// el("td", {class: "num", title: t}, "text" | Node, ...) -> a new element.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// say(text) -- the polite status line screen readers announce.
export function say(text) {
  $("status").textContent = text;
}

// A UTC ISO time as "2026-11-03 10:15:00".
export function when(iso) {
  if (!iso) return "";
  return String(iso).replace("T", " ").replace(/\.\d+/, "").replace("Z", "");
}

// "-80.0000000000" -> "-80.00" (at least two places, trailing zeros trimmed).
export function money(s) {
  if (s === null || s === undefined || s === "") return "";
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(String(s));
  if (!m) return String(s);
  let frac = (m[2] || "").replace(/0+$/, "");
  while (frac.length < 2) frac += "0";
  return m[1] + "." + frac;
}
