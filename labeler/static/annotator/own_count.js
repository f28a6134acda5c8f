/* The annotator's own count and time in a task: the server's figures (GET /api/tasks/{id}/progress) plus the
 * answers acknowledged since they were read and those still queued, so the count never waits on the network.
 * Skips are not answers and are not counted. */

import { api, query } from "../shared/api.js";

export class OwnCount {
  /** view: views.progressView(); queue: the AnswerQueue. */
  constructor(view, queue) {
    this.view = view;
    this.queue = queue;
    this.own = null; // {key, answers, seconds, acked: this.acked when they were read}
    this.acked = 0; // answers the server acknowledged on this page
    this.asked = 0;
  }

  reset() { this.own = null; this.view.clear(); }

  /** The queue's onSent: one more answer the server has (its figures may not count it yet). */
  sent(entry) { if (!entry.skip) this.acked += 1; }

  /** After an undo: what the server says next is the whole truth again. */
  resync() { if (this.own) this.own.acked = this.acked; }

  /** The server's figures for (task, person), shown; returns them (throws when they cannot be read). */
  async refresh(taskId, name) {
    const acked = this.acked;
    const ticket = ++this.asked;
    const p = await api(`/api/tasks/${taskId}/progress${query({ annotator: name })}`);
    if (ticket === this.asked) {
      this.own = { key: `${taskId}/${name}`, answers: p.answers, seconds: p.seconds, acked };
      this.view.bar(p);
      this.show(taskId, name);
    }
    return p;
  }

  show(taskId, name) {
    if (!this.own || this.own.key !== `${taskId}/${name}`) return;
    const n = this.own.answers + (this.acked - this.own.acked) + this.queue.unsentAnswers(taskId);
    this.view.count(Math.max(0, n), this.own.seconds);
  }
}
