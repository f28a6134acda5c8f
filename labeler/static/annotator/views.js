/* The annotator's parts that are not the item itself: own count, sync state, the first start's progress,
 * the instructions panel and the done screen. Each is built once and updated in place. */

import { api, query } from "../shared/api.js";
import { h, set, text } from "../shared/dom.js";
import { pct, plural, pretty } from "../shared/format.js";

/** "N answered · M min" (own answers, skips not counted) above a bar of items seen out of all open to them. */
export function progressView() {
  const label = h("span", { class: "pgt-progress-text", role: "status", "aria-label": "Your count" });
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar", role: "progressbar", "aria-label": "Items seen", "aria-valuemin": "0" }, fill);
  return {
    el: h("div", { class: "pgt-progress" }, label, bar),
    count(answered, seconds) { text(label, `${answered} answered · ${Math.round((seconds || 0) / 60)} min`); },
    bar({ done, total }) {
      set(bar, { "aria-valuemax": String(total), "aria-valuenow": String(done) });
      fill.style.width = `${total ? (100 * Math.min(done, total)) / total : 0}%`;
    },
    clear() { text(label, ""); fill.style.width = "0"; },
  };
}

/** "saving n…" / "all answers saved ✓", announced politely. */
export function syncView() {
  const el = h("span", { class: "pgt-sync", role: "status", "aria-label": "Answer sync" });
  return {
    el,
    update(n) {
      text(el, n ? `saving ${n}…` : "all answers saved ✓");
      set(el, { class: `pgt-sync ${n ? "pgt-busy" : "pgt-saved"}` });
    },
  };
}

/** The first start's background job (default task, rollouts, videos) as a progress bar. */
export function bootView() {
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar pgt-boot-bar", role: "progressbar", "aria-label": "Preparing episodes",
    "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const line = h("p", { class: "pgt-dim" });
  return {
    el: h("section", { class: "pgt-card pgt-boot", "aria-label": "Preparing episodes", hidden: true },
      h("h2", { text: "Preparing episodes to judge…" }), bar, line),
    update(job) {
      const p = pct(job.progress || 0);
      set(bar, { "aria-valuenow": parseInt(p, 10) });
      fill.style.width = p;
      text(line, `${job.message || "starting"} (${p})`);
    },
  };
}

const NO_INSTRUCTIONS = "Watch each episode to the end before you answer. Judge what the agent does, not how "
  + "the video looks. Skip an item when you cannot tell.";
const GLOBAL_KEYS = "Space play/pause · , . frame step · Z or Backspace undo last · ? or I these instructions";

/** The task's instructions and the keys, over the page (nothing moves); Esc, Enter or the button closes it. */
export class InstructionsPanel {
  constructor() {
    this.body = h("div", { class: "pgt-instructions-text" });
    this.keys = h("p", { class: "pgt-dim pgt-instructions-keys" });
    this.close = h("button", { type: "button", class: "pgt-btn pgt-btn-primary", onclick: () => this.hide() }, "Got it");
    this.el = h("section", { class: "pgt-card pgt-instructions", role: "dialog", "aria-label": "Instructions",
      hidden: true }, h("h2", { text: "How to judge" }), this.body, this.keys, this.close);
  }

  get open() { return !this.el.hidden; }

  /** task: the annotator's task row; modeHelp: the keys of the item on screen. */
  show(task, modeHelp = "") {
    const words = ((task && task.instructions) || "").trim() || NO_INSTRUCTIONS;
    this.body.replaceChildren(...words.split(/\n{2,}/).map((p) => h("p", { text: p })));
    this.setKeys(modeHelp);
    this.el.hidden = false;
    this.close.focus();
  }

  /** The keys of the item on screen (it may come after the panel opened). */
  setKeys(modeHelp) { text(this.keys, `Keys: ${modeHelp ? `${modeHelp} · ` : ""}${GLOBAL_KEYS}`); }

  hide() {
    this.el.hidden = true;
    if (this.el.contains(document.activeElement)) document.activeElement.blur();
  }

  toggle(task, modeHelp) { if (this.open) this.hide(); else this.show(task, modeHelp); }
}

/** Nothing left here: thanks, and the annotator's other tasks that still have items open to them. */
export function doneView({ onPick }) {
  const list = h("ul", { class: "pgt-other-tasks" });
  const none = h("p", { class: "pgt-dim", text: "No other task has items for you right now." });
  const update = (others) => {
    list.replaceChildren(...others.map(({ task, open }) => h("li", {},
      h("button", { type: "button", class: "pgt-btn", onclick: () => onPick(task) },
        `${pretty(task.name)} — ${plural(open, "item")} open`))));
    none.hidden = others.length > 0;
    list.hidden = others.length === 0;
  };
  return {
    el: h("section", { class: "pgt-card pgt-done-card", "aria-label": "All done", hidden: true },
      h("h2", { text: "All done here — thank you!" }),
      h("p", { text: "New items are checked for every 15 s." }), list, none),
    /** tasks: the other tasks with items; lists those where `name` still has some open (`current()`: still due). */
    async load(tasks, name, current) {
      const open = await Promise.all(tasks.map(async (task) => {
        try {
          const p = await api(`/api/tasks/${task.id}/progress${query({ annotator: name })}`);
          return { task, open: p.total - p.done };
        } catch { return { task, open: 0 }; }
      }));
      if (current()) update(open.filter((x) => x.open > 0));
    },
  };
}
