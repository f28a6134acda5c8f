/* Before / after: the round's start latent and its tuned latent on the same evaluation seeds, one synced
 * player per seed with both timelines, paged through every kept seed and filtered by outcome (wins: only the
 * tuned one succeeded, losses: only the start did), with the success rates, their intervals, the paired
 * comparisons, what tuning did to z and the promote / roll back decision. A round judged by people (a task
 * without a reward function) shows their blind A/B win rate instead of anything about success. */

import { h, KeyedList, set, text } from "../shared/dom.js";
import { num, pct } from "../shared/format.js";
import { SyncedPlayer } from "../shared/player.js";
import { accuracyText, bestEpochText, driftText, judgedByPeople, winRateText } from "./evidence.js";

export const PAGE = 6;
const ROLE = { prompt: "z0 (prompt)", base: "round start", candidate: "tuned" };
const FILTERS = [["all", "All"], ["win", "Wins"], ["loss", "Losses"], ["both", "Both succeeded"], ["neither", "Neither"]];
const OUTCOME = { win: "win: only the tuned latent succeeded", loss: "loss: only the start latent succeeded",
  both: "both succeeded", neither: "neither succeeded" };
const OUTCOME_BADGE = { win: "pgt-badge-good", loss: "pgt-badge-bad" };

function sideTitle(traj, label, people) {
  if (!traj) return `${label} · –`;
  return people ? label : `${label} · ${traj.success ? "succeeded ✓" : "failed ✗"} · reward ${num(traj.reward, 2)}`;
}

const interval = (x) => (x.interval ? ` (95% CI ${pct(x.interval.low)}–${pct(x.interval.high)})` : "");

/** One seed: its number, its outcome and a player with both episodes. */
function seedRow(context) {
  const seed = h("div", { class: "rs-seed" });
  const outcome = h("span", { class: "pgt-badge" });
  let player = null;
  let loadedKey = null;
  const el = h("div", { class: "rs-review-row" }, h("div", { class: "rs-seed-head" }, seed, outcome));
  return {
    el,
    update(row) {
      text(seed, `seed ${row.seed}`);
      const { target, beforeName, afterName, people } = context();
      text(outcome, people ? "" : OUTCOME[row.outcome] || "");
      set(outcome, { class: ["pgt-badge", OUTCOME_BADGE[row.outcome]], hidden: people || !row.outcome });
      const key = `${row.before && row.before.id}|${row.after && row.after.id}`;
      if (key === loadedKey) return;
      loadedKey = key;
      if (player) { player.destroy(); player.el.remove(); }
      player = new SyncedPlayer({ label: `Seed ${row.seed}`, compact: true });
      el.append(player.el);
      player.load([
        { traj: row.before, title: sideTitle(row.before, `before: ${beforeName}`, people), name: `Seed ${row.seed} before` },
        { traj: row.after, title: sideTitle(row.after, `after: ${afterName}`, people), name: `Seed ${row.seed} after` },
      ], { target: people ? null : target }).catch(() => {});
    },
    destroy() { if (player) player.destroy(); },
  };
}

/** What tuning did: the best-epoch statement, how far z moved, and the preference accuracy it reached. */
function tuning(tune, start) {
  const lines = [bestEpochText(tune, start), driftText(tune), accuracyText(tune)].filter(Boolean);
  if (!lines.length) return null;
  return h("div", { class: "rs-tuning", role: "group", "aria-label": "Tuning" },
    h("b", { text: "Tuning: " }), lines.map((line) => h("p", { class: "rs-verdict", text: line })));
}

export class Review {
  /**
   * fetchPage(roundId, {outcome, offset, limit}) -> GET /api/researcher/rounds/{id}/review;
   * onDecide(what, round): what is promote | reject; say(message) reports a failed load.
   */
  constructor({ section, title, rates, rows, actions, fetchPage, onDecide, say }) {
    this.section = section;
    this.title = title;
    this.rates = rates;
    this.fetchPage = fetchPage;
    this.say = say;
    this.task = null;
    this.people = false;
    this.round = null;
    this.beforeName = "z0";
    this.outcome = "all";
    this.offset = 0;
    this.filters = FILTERS.map(([outcome]) => h("button", { type: "button", class: "pgt-btn pgt-btn-small",
      onclick: () => this.go(outcome, 0) }));
    this.pageText = h("span", { class: "pgt-dim", role: "status", "aria-label": "Seeds shown" });
    this.prev = h("button", { type: "button", class: "pgt-btn pgt-btn-small", text: "Previous seeds",
      onclick: () => this.go(this.outcome, Math.max(0, this.offset - PAGE)) });
    this.next = h("button", { type: "button", class: "pgt-btn pgt-btn-small", text: "Next seeds",
      onclick: () => this.go(this.outcome, this.offset + PAGE) });
    this.filterGroup = h("div", { class: "rs-filters", role: "group", "aria-label": "Show seeds" }, this.filters);
    rows.before(h("div", { class: "rs-review-nav" }, this.filterGroup,
      h("div", { class: "rs-pager" }, this.prev, this.pageText, this.next)));
    this.rows = new KeyedList(rows, {
      key: (r) => `${this.round && this.round.id}:${r.seed}`,
      create: () => seedRow(() => ({ target: this.task && this.task.achievement, beforeName: this.beforeName,
        afterName: `tuned latent #${this.round.candidate_latent_id}`, people: this.people })),
      empty: h("p", { class: "pgt-dim", text: "No seeds to show." }),
    });
    this.promote = h("button", { type: "button", class: "pgt-btn pgt-btn-good", onclick: () => onDecide("promote", this.round) });
    this.reject = h("button", { type: "button", class: "pgt-btn pgt-btn-danger", onclick: () => onDecide("reject", this.round) });
    this.closed = h("span", { class: "pgt-dim" });
    this.flag = h("p", { class: "pgt-warn rs-flag", hidden: true });
    actions.before(this.flag);
    actions.append(this.promote, this.reject, this.closed);
  }

  hide() {
    this.section.hidden = true;
    this.round = null;
    this.roundId = null;
    this.rows.update([]);
  }

  /** Open round `roundId`'s review at its first page of every seed; task: the round's task. */
  open(roundId, task) {
    this.task = task;
    this.roundId = roundId;
    return this.go("all", 0);
  }

  /** The same page again (the round's status changed). */
  reload() { return this.roundId ? this.go(this.outcome, this.offset) : Promise.resolve(); }

  async go(outcome, offset) {
    const roundId = this.roundId;
    try {
      const rv = await this.fetchPage(roundId, { outcome, offset, limit: PAGE });
      if (roundId !== this.roundId) return;
      this.outcome = outcome;
      this.offset = offset;
      this.show(rv);
    } catch (e) {
      this.say(e.message);
    }
  }

  show(rv) {
    const r = rv.round;
    this.round = r;
    this.beforeName = rv.before_role === "prompt" ? "z0" : `start latent #${r.base_latent_id}`;
    this.section.hidden = false;
    text(this.title, `Round ${r.number}: before (${this.beforeName}) / after (latent #${r.candidate_latent_id}) on the same seeds`);
    this.people = judgedByPeople(r);
    const human = r.evaluation && r.evaluation.human;
    const sentences = this.people ? [] : Object.values(rv.comparisons || {}).map((c) => h("p", { class: "rs-verdict", text: c.summary }));
    if (human) {
      sentences.push(h("p", { class: "rs-verdict",
        text: `People's blind A/B, tuned against start: ${human.summary} (${human.answered} of ${human.pairs} comparisons answered).` }));
    } else if (this.people) {
      sentences.push(h("p", { class: "rs-verdict", text: `People's blind A/B, tuned against start: ${winRateText(human)}.` }));
    }
    const rates = this.people ? [] : rv.rates.map((x) => h("div", {},
      `${ROLE[x.role] || x.role} latent #${x.latent_id}: `, h("b", { text: pct(x.success_rate) }),
      h("span", { class: "pgt-dim", text: `${interval(x)} success on ${rv.seeds.length} seeds, mean reward ${num(x.mean_reward, 2)}` })));
    const tuned = tuning((r.result || {}).tune, rv.before_role === "prompt" ? "z0" : "the start latent");
    this.rates.replaceChildren(...rates, ...sentences, ...(tuned ? [tuned] : []));
    this.filterGroup.hidden = this.people;
    const all = Object.values(rv.counts).reduce((a, b) => a + b, 0);
    FILTERS.forEach(([outcome, label], i) => {
      const n = outcome === "all" ? all : rv.counts[outcome] || 0;
      set(this.filters[i], { text: `${label} (${n})`, "aria-pressed": String(outcome === this.outcome) });
    });
    const shown = rv.rows.length;
    text(this.pageText, rv.total ? `seeds ${this.offset + 1}–${this.offset + shown} of ${rv.total}` : "no seeds");
    this.prev.disabled = this.offset === 0;
    this.next.disabled = this.offset + shown >= rv.total;
    this.rows.update(rv.rows);
    const open = r.status === "review";
    this.promote.hidden = !open || !r.base_active;
    this.reject.hidden = !open;
    // The server's advice (its verdict against the start latent) words the button and may flag a worse candidate.
    const promote = `Promote latent #${r.candidate_latent_id}`;
    text(this.promote, r.advice ? r.advice.button.replace(/^Promote/, promote) : promote);
    this.flag.hidden = !(open && r.advice && r.advice.flag);
    text(this.flag, r.advice && r.advice.flag ? `Note: ${r.advice.flag}.` : "");
    text(this.reject, `Roll back (keep latent #${r.base_latent_id})`);
    this.closed.hidden = open && r.base_active;
    text(this.closed, open ? `Started from latent #${r.base_latent_id}, which is no longer active: roll it back.`
      : `Round ${r.status}.`);
  }
}
