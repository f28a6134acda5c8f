/* Before / after: z0 and the round's tuned latent on the same evaluation seeds, one synced player
 * per seed, with the success rates and the promote / roll back decision. */

import { h, KeyedList, text } from "../shared/dom.js";
import { num, pct } from "../shared/format.js";
import { SyncedPlayer } from "../shared/player.js";

const ROLE = { prompt: "z0 (prompt)", base: "round start", candidate: "tuned" };

function sideTitle(traj, label) {
  return traj ? `${label} · reward ${num(traj.reward, 2)} ${traj.success ? "✓" : "✗"}` : `${label} · –`;
}

/** One seed: its number and a player with both episodes. */
function seedRow(target) {
  const seed = h("div", { class: "rs-seed pgt-dim" });
  let player = null;
  let loadedKey = null;
  const el = h("div", { class: "rs-review-row" }, seed);
  return {
    el,
    update(row) {
      text(seed, `seed ${row.seed}`);
      const key = `${row.before && row.before.id}|${row.after && row.after.id}`;
      if (key === loadedKey) return;
      loadedKey = key;
      if (player) { player.destroy(); player.el.remove(); }
      player = new SyncedPlayer({ label: `Seed ${row.seed}`, compact: true });
      el.append(player.el);
      player.load([
        { traj: row.before, title: sideTitle(row.before, "before: z0"), name: `Seed ${row.seed} before` },
        { traj: row.after, title: sideTitle(row.after, "after: tuned"), name: `Seed ${row.seed} after` },
      ], { target: target() }).catch(() => {});
    },
    destroy() { if (player) player.destroy(); },
  };
}

export class Review {
  /** onDecide(what, round): what is promote | reject. */
  constructor({ section, title, rates, rows, actions, onDecide }) {
    this.section = section;
    this.title = title;
    this.rates = rates;
    this.actions = actions;
    this.target = null;
    this.round = null;
    this.rows = new KeyedList(rows, {
      key: (r) => `${this.round && this.round.id}:${r.seed}`,
      create: () => seedRow(() => this.target),
      empty: h("p", { class: "pgt-dim", text: "No review videos (review_videos = 0)." }),
    });
    this.promote = h("button", { type: "button", class: "pgt-btn pgt-btn-good", onclick: () => onDecide("promote", this.round) });
    this.reject = h("button", { type: "button", class: "pgt-btn pgt-btn-danger", onclick: () => onDecide("reject", this.round) });
    this.closed = h("span", { class: "pgt-dim" });
    actions.append(this.promote, this.reject, this.closed);
  }

  hide() {
    this.section.hidden = true;
    this.round = null;
    this.rows.update([]);
  }

  /** rv: GET /api/researcher/rounds/{id}/review; target: the task's achievement (for the timelines). */
  show(rv, target) {
    const r = rv.round;
    this.round = r;
    this.target = target;
    this.section.hidden = false;
    text(this.title, `Round ${r.number}: before (z0) / after (latent #${r.candidate_latent_id}) on the same seeds`);
    this.rates.replaceChildren(...rv.rates.map((x) => h("div", {},
      `${ROLE[x.role] || x.role} latent #${x.latent_id}: `, h("b", { text: pct(x.success_rate) }), " ",
      h("span", { class: "pgt-dim", text: `success on ${rv.seeds.length} seeds, mean reward ${num(x.mean_reward, 2)}` }))));
    this.rows.update(rv.rows);
    const open = r.status === "review";
    this.promote.hidden = !open;
    this.reject.hidden = !open;
    text(this.promote, `Promote latent #${r.candidate_latent_id}`);
    text(this.reject, `Roll back (keep latent #${r.base_latent_id})`);
    this.closed.hidden = open;
    text(this.closed, `Round ${r.status}.`);
  }
}
