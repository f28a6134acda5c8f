/* Labels on their way to the server, kept in localStorage until the server acknowledges them.
 *
 * Each label carries a submission id made here; the server stores a label once per id, so sending
 * it again after a lost answer never writes twice, and a reload or a network drop loses nothing:
 * whatever is still queued is sent on the next page load. Sends go one at a time, oldest first,
 * retried with backoff while the server is unreachable or failing (5xx); a label the server refuses
 * (4xx, e.g. the pair was already labelled by this person) is dropped and reported.
 */

import { api } from "../shared/api.js";
import { sleep } from "../shared/dom.js";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export function submissionId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, "0")).join("");
}

export class LabelQueue {
  /** onChange(count) after every change; onRefused(message) when the server refuses a label for good. */
  constructor({ storageKey, onChange = () => {}, onRefused = () => {} }) {
    this.storageKey = storageKey;
    this.onChange = onChange;
    this.onRefused = onRefused;
    this.pending = this.read();
    this.flushing = false;
    this.wake = null; // cuts a backoff short
    window.addEventListener("online", () => (this.wake ? this.wake() : this.flush()));
  }

  read() {
    try {
      const items = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  save() {
    localStorage.setItem(this.storageKey, JSON.stringify(this.pending));
    this.onChange(this.pending.length);
  }

  get size() { return this.pending.length; }

  /** Labels of one task still on their way (progress counts them as done already). */
  unsent(taskId) { return this.pending.filter((l) => String(l.task_id) === String(taskId)).length; }

  /** Pairs with a label on its way: never ask the server for them again. */
  pairIds() { return this.pending.map((l) => l.pair_id); }

  /** label: the POST /api/labels body plus task_id (kept here for progress, not sent). */
  add(label) {
    this.pending.push({ submission_id: submissionId(), ...label });
    this.save();
    this.flush();
  }

  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    let delay = FIRST_RETRY_MS;
    try {
      while (this.pending.length) {
        const label = this.pending[0];
        const { task_id: _taskId, ...body } = label;
        try {
          await api("/api/labels", { method: "POST", json: body });
          delay = FIRST_RETRY_MS;
        } catch (e) {
          if (!e.refused) {
            await Promise.race([sleep(delay), new Promise((resolve) => { this.wake = resolve; })]);
            this.wake = null;
            delay = Math.min(delay * 2, MAX_RETRY_MS);
            continue;
          }
          this.onRefused(e.message);
        }
        this.pending = this.pending.filter((l) => l.submission_id !== label.submission_id);
        this.save();
      }
    } finally {
      this.flushing = false;
    }
  }
}
