/* One way to talk to the JSON API from every page.
 *
 * Same-origin requests carry the researcher's HttpOnly cookie by themselves (`credentials:
 * "same-origin"`), so no page ever handles a token. Every non-2xx answer becomes an `ApiError`
 * whose message a person can read: the server's `{"detail": ...}` (a string, or FastAPI's list of
 * validation problems), else the status line.
 */

export class ApiError extends Error {
  constructor(message, status, detail) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached at all
    this.detail = detail;
  }

  /** 4xx: the request itself was refused and sending it again will not help (a timeout or "too many" will). */
  get refused() { return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429; }
}

/** FastAPI's 422 detail is a list of {loc, msg}; say "field: problem" for each. */
export function readableDetail(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      if (!d || typeof d !== "object") return String(d);
      const where = (d.loc || []).filter((p) => p !== "body" && p !== "query").join(".");
      return where ? `${where}: ${d.msg}` : String(d.msg ?? JSON.stringify(d));
    }).join("; ");
  }
  return JSON.stringify(detail);
}

/**
 * `api(path, {method, json, signal, headers})` -> the parsed JSON body (null when empty).
 * `json` is sent as the request body; GET is the default method, POST when `json` is given.
 */
export async function api(path, { method, json, signal, headers } = {}) {
  const init = {
    method: method || (json === undefined ? "GET" : "POST"),
    credentials: "same-origin",
    headers: { Accept: "application/json", ...(json === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    signal,
  };
  if (json !== undefined) init.body = JSON.stringify(json);
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(`cannot reach the server (${e.message})`, 0, null);
  }
  const text = await resp.text();
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch { body = null; }
  }
  if (!resp.ok) {
    const detail = body && typeof body === "object" ? body.detail : undefined;
    const said = readableDetail(detail) || (body === null && text ? text.slice(0, 200) : "");
    throw new ApiError(said || `${resp.status} ${resp.statusText || "error"}`, resp.status, detail ?? null);
  }
  return body;
}

export const get = (path, opts) => api(path, opts);
export const post = (path, json = {}, opts) => api(path, { ...opts, method: "POST", json });

/** A query string from an object, leaving out null/undefined/"" values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
