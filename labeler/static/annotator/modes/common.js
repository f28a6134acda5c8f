/* What the three answer modes share: a button with its key, the question line, and (hints on only) why an
 * episode ended. A mode turns one item into {entries (for the player), question, controls, keys, help}; its
 * buttons and keys call `answer(payload)`, which the annotator ignores unless that item is on screen. */

import { h } from "../../shared/dom.js";
import { pretty } from "../../shared/format.js";

/** A button showing its key; `shortcut` is the aria-keyshortcuts value. */
export function keyButton({ label, key, shortcut = key, cls = "", onclick }) {
  return h("button", { type: "button", class: `pgt-choice ${cls}`, "aria-keyshortcuts": shortcut, onclick },
    h("span", { class: "pgt-key", "aria-hidden": "true", text: key }), ` ${label}`);
}

export function flash(btn) {
  btn.classList.add("pgt-flash");
  setTimeout(() => btn.classList.remove("pgt-flash"), 150);
}

/** "Which episode is better" (+ " at <goal>?" where the task's hints name it). */
export function question(item, task, words, goalWords = words) {
  if (!item.target) return [words, "?"];
  return [goalWords, " at ", h("b", { text: pretty(item.target) }), "? ",
    h("span", { class: "pgt-dim", text: (task && task.description) || "" })];
}

/** Why the episode is as long as it is, in plain words; only where outcomes may be shown (hints on). */
export function endNote(traj, maxSteps) {
  if (traj.success === undefined || traj.success === null || !maxSteps) return null; // blind: no outcome
  const text = traj.length < maxSteps
    ? `Ended early at step ${traj.length} of ${maxSteps}: the agent died.`
    : `Ran all ${maxSteps} steps: stopped by the time limit.`;
  return h("p", { class: "pgt-end-note", text });
}
