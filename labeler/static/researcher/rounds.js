/* The rounds table: one row per round, updated in place on every poll (its buttons keep focus). */

import { h, KeyedList, set, text } from "../shared/dom.js";
import { num, pct } from "../shared/format.js";
import { bestEpochText, judgedByPeople, pairedText, startName, winRateText } from "./evidence.js";

export const TERMINAL = ["promoted", "rejected", "failed"];

const BADGE = { review: "pgt-badge-review", promoted: "pgt-badge-good", failed: "pgt-badge-bad", rejected: "pgt-badge-off" };
export const badgeClass = (status) => ["pgt-badge", BADGE[status]];
export const statusText = (status) => String(status).replace(/_/g, " ");

/** A round's status as the table says it: a promoted round whose latent was rolled back is no longer in use. */
export const roundStatusText = (r) => (r.rolled_back ? "promoted, rolled back" : statusText(r.status));

const rateOf = (r, role) => (((r.result || {}).eval || {}).rates || []).find((x) => x.role === role);

function bestEpoch(r) {
  const best = ((r.result || {}).tune || {}).best;
  if (!best) return "–";
  const split = best.val && best.val.margin !== undefined && best.val.margin !== null ? best.val : best.train || {};
  return `loss ${num(best.val_loss ?? best.train_loss)} · margin ${num(split.margin)} · acc ${pct(split.accuracy)}`;
}

/** The job whose progress the row shows: the round's running step, or, while a promotion waits for them, the
 * background rollout of the next round's episodes. */
function runningJob(r) {
  if (r.status === "promoting") return r.rollout_job && r.rollout_job.status !== "done" ? r.rollout_job : null;
  return r.job && r.job.status !== "done" && !TERMINAL.includes(r.status) ? r.job : null;
}

function jobMessage(r, job) {
  if (job === r.rollout_job) return `rolling out the next round's episodes: ${pct(job.progress || 0)}`;
  return `${job.kind} ${job.status}${job.attempts > 1 ? ` (attempt ${job.attempts})` : ""}: ${job.message || ""}`;
}

/** onAction(what, round): what is tune | promote | review | retry | reject; context() -> {task, z0Id}. */
function roundRow(onAction, context) {
  let round = null;
  const button = (label, cls, what) =>
    h("button", { type: "button", class: `pgt-btn ${cls}`, hidden: true, onclick: () => onAction(what, round) }, label);
  const buttons = {
    tune: button("Tune", "pgt-btn-primary", "tune"),
    promote: button("Promote", "pgt-btn-good", "promote"),
    review: button("Review", "", "review"),
    retry: button("Retry", "", "retry"),
    reject: button("Reject", "pgt-btn-danger", "reject"),
  };
  const number = h("th", { scope: "row" });
  const badge = h("span", { class: "pgt-badge" });
  const error = h("div", { class: "pgt-err", hidden: true });
  const note = h("div", { class: "rs-msg rs-note", hidden: true });
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const message = h("div", { class: "rs-msg" });
  const progress = h("div", { hidden: true }, bar, message);
  const labels = h("td");
  const before = h("span");
  const after = h("b");
  const z0Rate = h("span", { class: "pgt-dim" });
  const verdict = h("div", { class: "rs-msg rs-verdict-line" });
  const dpo = h("td");
  const why = h("div", { class: "rs-msg", hidden: true });
  const el = h("tr", {}, number, h("td", {}, badge, error, note), h("td", {}, progress), labels,
    h("td", {}, before, after, " ", z0Rate, verdict), dpo, h("td", { class: "rs-row-actions" }, Object.values(buttons), why));

  return {
    el,
    update(r) {
      round = r;
      text(number, r.number);
      text(badge, roundStatusText(r));
      set(badge, { class: badgeClass(r.rolled_back ? "rejected" : r.status) });
      set(error, { hidden: !r.error });
      text(error, r.error || "");
      const { task, z0Id } = context();
      // A tune that beat nothing sends the round back to labelling: say so where the round's status is.
      const tune = (r.result || {}).tune;
      const unchanged = r.status === "labelling" && tune && tune.no_change;
      note.hidden = !unchanged;
      text(note, unchanged ? bestEpochText(tune, startName(r, z0Id)) : "");
      const job = runningJob(r);
      progress.hidden = !job;
      if (job) {
        const p = pct(job.progress || 0);
        fill.style.width = p;
        set(bar, { "aria-valuenow": parseInt(p, 10), "aria-label": `${job.kind} progress` });
        text(message, jobMessage(r, job));
      }
      text(labels, [r.pairs || !r.questions ? `${r.decisive}/${r.labels} on ${r.pairs} pairs` : "",
        r.questions ? `${r.answers || 0} answers on ${r.questions} questions` : ""].filter(Boolean).join(" · "));
      // The round's own before -> after is its start latent -> its candidate; z0 is the task's fixed reference.
      const evaluation = r.evaluation || {};
      if (judgedByPeople(r)) {  // no success to count: people's blind A/B is the figure
        text(before, r.result && r.result.eval ? "" : "–");
        text(after, "");
        text(z0Rate, "");
        text(verdict, r.result && r.result.eval ? winRateText(evaluation.human) : "");
      } else {
        const z0 = rateOf(r, "prompt");
        const start = rateOf(r, "base") || z0;
        const tuned = rateOf(r, "candidate");
        const vsStart = (evaluation.comparisons || {}).vs_start;
        text(before, start ? `${pct(start.success_rate)} → ` : "–");
        text(after, start ? pct(tuned && tuned.success_rate) : "");
        text(z0Rate, z0 && start !== z0 ? `(z0 ${pct(z0.success_rate)})` : "");
        text(verdict, vsStart ? pairedText(vsStart) : "");
      }
      text(dpo, bestEpoch(r));
      const hasEval = !!(r.result && r.result.eval);
      buttons.tune.hidden = r.status !== "labelling";
      const evidence = r.decisive || r.answers;
      set(buttons.tune, { disabled: !evidence, title: evidence ? null : "no decisive labels or answers yet" });
      buttons.promote.hidden = r.status !== "review" || !r.base_active;
      // The review's advice words the button: "Promote (not significant)", "Promote anyway (significantly worse)".
      text(buttons.promote, r.advice ? r.advice.button : "Promote");
      why.hidden = r.base_active || TERMINAL.includes(r.status);
      text(why, r.base_active ? "" : `started from latent #${r.base_latent_id}, no longer active: reject it`);
      buttons.review.hidden = !hasEval;
      buttons.retry.hidden = r.status !== "failed";
      buttons.reject.hidden = !["labelling", "review", "failed"].includes(r.status);
      text(buttons.reject, r.status === "review" ? "Roll back" : "Reject");
    },
  };
}

export class RoundsTable {
  constructor(tbody, onAction) {
    this.context = { task: null, z0Id: null };
    this.list = new KeyedList(tbody, {
      key: (r) => r.id,
      create: () => roundRow(onAction, () => this.context),
      empty: h("tr", {}, h("td", { colspan: "7", class: "pgt-dim", text: "No rounds yet: start one above." })),
    });
  }

  /** Newest round first; task: the task's row, z0Id: its prompt latent. */
  update(rounds, { task = null, z0Id = null } = {}) {
    this.context = { task, z0Id };
    this.list.update(rounds.slice().reverse());
  }
}
