/* Answers on their way to the server (pairwise labels and answers to questions), kept in localStorage until
 * the server acknowledges them.
 *
 * Each one carries a submission id made here; the server stores an answer once per id, so sending it again
 * after a lost reply never writes twice, and a reload or a network drop loses nothing: whatever is still
 * queued is sent on the next page load. Sends go one at a time, oldest first, retried with backoff while the
 * server is unreachable or failing (5xx); one the server refuses (4xx, e.g. the item was already answered by
 * this person) is dropped and reported.
 */

import { api } from "../shared/api.js";
import { sleep } from "../shared/dom.js";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export function submissionId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A label queued by an older page ({submission_id, pair_id, ..., task_id}) in today's shape. */
function upgrade(entry) {
  if (!entry || typeof entry !== "object") return null;
  if (entry.path) return entry;
  if (entry.pair_id === undefined) return null;
  const { task_id: taskId, ...body } = entry;
  return { submission_id: entry.submission_id, path: "/api/labels", body, task_id: taskId, item: `p${entry.pair_id}`,
    skip: entry.choice === "skip" };
}

export class AnswerQueue {
  /** onSent(entry) once the server has it; onRefused(entry, message) when it refuses one for good;
   *  onChange(count) after every change. */
  constructor({ storageKey, onChange = () => {}, onSent = () => {}, onRefused = () => {} }) {
    this.storageKey = storageKey;
    Object.assign(this, { onChange, onSent, onRefused });
    this.pending = this.read();
    this.flushing = false;
    this.inFlight = null; // the submission id being sent now
    this.waiters = new Map(); // submission id -> [resolve(stored: bool)]
    this.refused = new Set(); // submission ids the server refused (this page's)
    this.wake = null; // cuts a backoff short
    window.addEventListener("online", () => (this.wake ? this.wake() : this.flush()));
  }

  read() {
    try {
      const items = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(items) ? items.map(upgrade).filter(Boolean) : [];
    } catch {
      return [];
    }
  }

  save() {
    localStorage.setItem(this.storageKey, JSON.stringify(this.pending));
    this.onChange(this.pending.length);
  }

  get size() { return this.pending.length; }

  /** Answers (skips not counted) of one task still on their way. */
  unsentAnswers(taskId) {
    return this.pending.filter((e) => String(e.task_id) === String(taskId) && !e.skip).length;
  }

  /** Items ("p3", "q7") with an answer on its way: never ask the server for them again. */
  items() { return this.pending.map((e) => e.item); }

  /** entry: {path, body (with its submission_id), task_id, item, skip}. */
  add(entry) {
    this.pending.push({ ...entry, submission_id: entry.body.submission_id });
    this.save();
    this.flush();
  }

  /** Take back an answer that has not left yet; false when it is being sent or already gone. */
  drop(sid) {
    if (this.inFlight === sid || !this.pending.some((e) => e.submission_id === sid)) return false;
    this.pending = this.pending.filter((e) => e.submission_id !== sid);
    this.save();
    this.settle(sid, false);
    return true;
  }

  /** Resolves true once the server has stored it, false when it was refused or dropped (or is unknown). */
  sent(sid) {
    if (!this.pending.some((e) => e.submission_id === sid)) return Promise.resolve(!this.refused.has(sid));
    return new Promise((resolve) => this.waiters.set(sid, [...(this.waiters.get(sid) || []), resolve]));
  }

  settle(sid, stored) {
    for (const resolve of this.waiters.get(sid) || []) resolve(stored);
    this.waiters.delete(sid);
  }

  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    let delay = FIRST_RETRY_MS;
    try {
      while (this.pending.length) {
        const entry = this.pending[0];
        let stored = true;
        this.inFlight = entry.submission_id;
        try {
          await api(entry.path, { method: "POST", json: entry.body });
          delay = FIRST_RETRY_MS;
        } catch (e) {
          if (!e.refused) {
            this.inFlight = null;
            await Promise.race([sleep(delay), new Promise((resolve) => { this.wake = resolve; })]);
            this.wake = null;
            delay = Math.min(delay * 2, MAX_RETRY_MS);
            continue;
          }
          stored = false;
          this.refused.add(entry.submission_id);
          this.onRefused(entry, e.message);
        }
        this.inFlight = null;
        this.pending = this.pending.filter((x) => x.submission_id !== entry.submission_id);
        this.save();
        if (stored) this.onSent(entry);
        this.settle(entry.submission_id, stored);
      }
    } finally {
      this.flushing = false;
    }
  }
}
