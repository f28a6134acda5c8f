/* What a round's evaluation and tuning say, in words: one wording for the rounds table and the review.
 *
 * A round is judged either by success on the same evaluation episodes (a paired comparison with its
 * interval and exact test) or, for a task without a reward function, by people's blind A/B win rate;
 * the figures of the other kind are not shown for it (a task with no reward has no success to count). */

import { num, pct } from "../shared/format.js";

/** Whether people's blind A/B is the round's only measure, as the server's round view says it
 * (`evaluation.method`, `evaluation.success_measured`): the task has no reward function to count success with,
 * or the round asked people instead of the reward. */
export const judgedByPeople = (round) => {
  const evaluation = (round && round.evaluation) || {};
  return evaluation.success_measured === false || evaluation.method === "human";
};

const level = (interval) => `${pct(interval.level || 0.95)} CI`;

/** Points with their sign: 0.1666 -> "+17", -0.05 -> "−5", 0 -> "±0". */
function points(x) {
  const p = Math.round(100 * x);
  return `${p > 0 ? "+" : p < 0 ? "−" : "±"}${Math.abs(p)}`;
}

/** A paired comparison (`pgt_core.stats.PairedComparison.to_dict`): "+17 points (95% CI −9 to +40), not significant". */
export const pairedText = (c) =>
  `${points(c.difference)} points (${level(c.interval)} ${points(c.interval.low)} to ${points(c.interval.high)}), ${c.verdict}`;

/** A round's blind A/B (`ab_eval.ab_result`): "people preferred tuned in 67% of 3 (95% CI 21–94%), not significant". */
export function winRateText(human) {
  if (!human) return "people: no blind comparisons yet";
  if (!human.answered) return `people: none of ${human.pairs} blind comparisons answered yet`;
  return `people preferred tuned in ${pct(human.rate)} of ${human.answered} (${level(human.interval)} `
    + `${pct(human.interval.low)}–${pct(human.interval.high)}), ${human.verdict}`;
}

/** The start latent by name: "z0" when the round started from the task's prompt latent. */
export const startName = (round, z0Id) =>
  (round.base_latent_id === null || round.base_latent_id === z0Id ? "z0" : "the start latent");

/** What the best epoch says: the first (nothing beat the start), the last (still improving) or one between. */
export function bestEpochText(tune, start = "the start latent") {
  if (!tune || tune.best_epoch === undefined || tune.best_epoch === null) return "";
  const of = tune.epochs ? ` of ${tune.epochs}` : "";
  if (tune.no_change || tune.best_epoch === 0) return `no change: ${start} was best (best epoch 0)`;
  if (tune.best_epoch_kind === "last") {
    return `still improving: the best epoch is the last one (${tune.best_epoch}${of}), so the stopping rule stopped nothing`;
  }
  return `stopped at epoch ${tune.best_epoch}${of}: the held-out loss rose after it`;
}

/** How far tuning moved z: L2 from the start, cosine to the start, and |z| before and after. */
export function driftText(tune) {
  const d = tune && tune.drift;
  if (!d) return "";
  const relative = Number.isFinite(d.relative_l2) ? ` (${num(d.relative_l2, 2)} × |start|)` : "";
  return `z moved ${num(d.l2, 2)} from the start${relative}, cosine to the start ${num(d.cosine, 3)}, `
    + `|z| ${num(d.start_norm, 2)} → ${num(d.norm, 2)}`;
}

/** Preference accuracy at the best epoch, a zero margin counted as half right (the latent has no opinion there). */
export function accuracyText(tune) {
  const best = tune && tune.best;
  if (!best) return "";
  const heldOut = best.val && best.val.accuracy !== undefined && best.val.accuracy !== null;
  const split = heldOut ? best.val : best.train || {};
  if (split.accuracy === undefined || split.accuracy === null) return "";
  const zero = split.zero_margin === undefined || split.zero_margin === null ? ""
    : `; ${pct(split.zero_margin)} of pairs at zero margin`;
  return `${heldOut ? "held-out" : "training"} preference accuracy ${pct(split.accuracy)} (a zero margin counts as half${zero}), `
    + `margin ${num(split.margin)}`;
}
