/* The rounds table: one row per round, updated in place on every poll (its buttons keep focus). */

import { h, KeyedList, set, text } from "../shared/dom.js";
import { num, pct } from "../shared/format.js";

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

/** onAction(what, round): what is tune | promote | review | retry | reject. */
function roundRow(onAction) {
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
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const message = h("div", { class: "rs-msg" });
  const progress = h("div", { hidden: true }, bar, message);
  const labels = h("td");
  const before = h("span");
  const after = h("b");
  const z0Rate = h("span", { class: "pgt-dim" });
  const dpo = h("td");
  const why = h("div", { class: "rs-msg", hidden: true });
  const el = h("tr", {}, number, h("td", {}, badge, error), h("td", {}, progress), labels,
    h("td", {}, before, after, " ", z0Rate), dpo, h("td", { class: "rs-row-actions" }, Object.values(buttons), why));

  return {
    el,
    update(r) {
      round = r;
      text(number, r.number);
      text(badge, roundStatusText(r));
      set(badge, { class: badgeClass(r.rolled_back ? "rejected" : r.status) });
      set(error, { hidden: !r.error });
      text(error, r.error || "");
      const job = r.job && r.job.status !== "done" && !TERMINAL.includes(r.status) ? r.job : null;
      progress.hidden = !job;
      if (job) {
        const p = pct(job.progress || 0);
        fill.style.width = p;
        set(bar, { "aria-valuenow": parseInt(p, 10), "aria-label": `${job.kind} progress` });
        text(message, `${job.kind} ${job.status}${job.attempts > 1 ? ` (attempt ${job.attempts})` : ""}: ${job.message || ""}`);
      }
      text(labels, [r.pairs || !r.questions ? `${r.decisive}/${r.labels} on ${r.pairs} pairs` : "",
        r.questions ? `${r.answers || 0} answers on ${r.questions} questions` : ""].filter(Boolean).join(" · "));
      // The round's own before -> after is its start latent -> its candidate; z0 is the task's fixed reference.
      const z0 = rateOf(r, "prompt");
      const start = rateOf(r, "base") || z0;
      const tuned = rateOf(r, "candidate");
      text(before, start ? `${pct(start.success_rate)} → ` : "–");
      text(after, start ? pct(tuned && tuned.success_rate) : "");
      text(z0Rate, z0 && start !== z0 ? `(z0 ${pct(z0.success_rate)})` : "");
      text(dpo, bestEpoch(r));
      const hasEval = !!(r.result && r.result.eval);
      buttons.tune.hidden = r.status !== "labelling";
      const evidence = r.decisive || r.answers;
      set(buttons.tune, { disabled: !evidence, title: evidence ? null : "no decisive labels or answers yet" });
      buttons.promote.hidden = r.status !== "review" || !r.base_active;
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
    this.list = new KeyedList(tbody, {
      key: (r) => r.id,
      create: () => roundRow(onAction),
      empty: h("tr", {}, h("td", { colspan: "7", class: "pgt-dim", text: "No rounds yet: start one above." })),
    });
  }

  /** Newest round first. */
  update(rounds) { this.list.update(rounds.slice().reverse()); }
}
