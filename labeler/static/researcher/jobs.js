/* The task's jobs with progress, attempts and, on request, their log lines (kept open across polls). */

import { get } from "../shared/api.js";
import { h, KeyedList, set, text } from "../shared/dom.js";
import { pct } from "../shared/format.js";
import { statusText } from "./rounds.js";

const JOB_BADGE = { failed: "pgt-badge-bad", done: "pgt-badge-good" };
const SHOWN = 12;

function jobItem() {
  let job = null;
  let open = false;
  const title = h("b");
  const step = h("span", { class: "pgt-dim" });
  const badge = h("span", { class: "pgt-badge" });
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const tries = h("span", { class: "pgt-dim" });
  const log = h("pre", { class: "pgt-log", role: "log", hidden: true });
  const toggle = h("button", { type: "button", class: "pgt-btn pgt-btn-small", "aria-expanded": "false", onclick: () => {
    open = !open;
    set(toggle, { "aria-expanded": String(open) });
    log.hidden = !open;
    if (open) loadLog();
  } }, "log");
  const error = h("div", { class: "pgt-err", hidden: true });

  async function loadLog() {
    if (!job) return;
    try {
      const lines = await get(`/api/researcher/jobs/${job.id}/logs`);
      text(log, lines.map((l) => `[try ${l.attempt}] ${l.message}`).join("\n") || "(no log lines yet)");
    } catch (e) {
      text(log, `(log unavailable: ${e.message})`);
    }
  }

  return {
    el: h("div", { class: "rs-job" }, h("div", { class: "rs-job-head" }, title, step, badge, bar, tries, toggle), error, log),
    update(j) {
      job = j;
      text(title, `#${j.id} ${j.kind}`);
      text(step, j.step ? statusText(j.step) : "");
      text(badge, j.status);
      set(badge, { class: ["pgt-badge", JOB_BADGE[j.status]] });
      const p = pct(j.progress || 0);
      fill.style.width = p;
      set(bar, { "aria-valuenow": parseInt(p, 10), "aria-label": `job #${j.id} progress` });
      text(tries, `try ${j.attempts}/${j.max_attempts}`);
      set(toggle, { "aria-label": `Log of job #${j.id}` });
      set(log, { "aria-label": `Log of job #${j.id}` });
      error.hidden = !j.error;
      text(error, j.error || "");
      if (open) loadLog();
    },
  };
}

export class JobsList {
  constructor(parent) {
    this.list = new KeyedList(parent, { key: (j) => j.id, create: jobItem, empty: h("p", { class: "pgt-dim", text: "No jobs yet." }) });
  }

  update(jobs) { this.list.update(jobs.slice(0, SHOWN)); }
}
