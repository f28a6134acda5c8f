/* One way to talk to the JSON API from every page.
 *
 * A session is two secrets: the HttpOnly cookie, which the browser sends by itself, and its proof,
 * which the login (or invite) page keeps in localStorage and every request sends as `X-PGT-Proof`.
 * Why both: cookies are not scoped to a port, so a server on another port of this host receives the
 * cookie, while localStorage belongs to this origin alone; the server takes neither without the other.
 * Every non-2xx answer becomes an `ApiError` whose message a person can read: the server's
 * `{"detail": ...}` (a string, or FastAPI's list of validation problems), else the status line.
 */

import { h } from "./dom.js";

const PROOF_KEY = "pgt-proof";

/** Keep the proof a login answered with (`POST /api/session`), for this origin only. */
export function rememberProof(proof) { localStorage.setItem(PROOF_KEY, proof); }

export function forgetProof() { localStorage.removeItem(PROOF_KEY); }

export const hasProof = () => localStorage.getItem(PROOF_KEY) !== null;

function proofHeader() {
  const proof = localStorage.getItem(PROOF_KEY);
  return proof ? { "X-PGT-Proof": proof } : {};
}

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
    headers: { Accept: "application/json", ...(json === undefined ? {} : { "Content-Type": "application/json" }),
      ...proofHeader(), ...headers },
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

/** Save what `path` answers as a file (an export): a plain link would go without the proof. */
export async function download(path) {
  let resp;
  try {
    resp = await fetch(path, { credentials: "same-origin", headers: proofHeader() });
  } catch (e) {
    throw new ApiError(`cannot reach the server (${e.message})`, 0, null);
  }
  if (!resp.ok) throw new ApiError(`${resp.status} ${resp.statusText || "error"}`, resp.status, null);
  const url = URL.createObjectURL(await resp.blob());
  try {
    h("a", { href: url, download: path.split("?")[0].split("/").pop() }).click();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** The pages' "Log out" form posts to /logout (which ends the session on the server); the page forgets the proof. */
export function forgetProofOnLogout(form) { form.addEventListener("submit", forgetProof); }

export const get = (path, opts) => api(path, opts);
export const post = (path, json = {}, opts) => api(path, { ...opts, method: "POST", json });

/** A query string from an object, leaving out null/undefined/"" values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
