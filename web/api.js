// api.js -- calls to /api/v1: JSON in and out, the session's CSRF token on
// every change, problem+json errors as ApiError.

let csrf = "";

export function setCsrf(token) {
  csrf = token || "";
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || "HTTP " + status);
    this.status = status;
    this.problem = problem || {};
  }
}

// api(method, path, {body, headers}) -> {status, data, etag}; throws ApiError.
export async function api(method, path, opts = {}) {
  const headers = { Accept: "application/json", ...(opts.headers || {}) };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  if (method !== "GET" && method !== "HEAD" && csrf) headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { title: "No answer", detail: "the server did not answer: " + e.message });
  }
  let data = null;
  const type = res.headers.get("Content-Type") || "";
  if (res.status !== 204 && type.includes("json")) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { status: res.status, data, etag: res.headers.get("ETag") };
}

// The query string of a filter object, without empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.append(k, v);
  }
  const s = q.toString();
  return s ? "?" + s : "";
}
