/* The adjudication queue: each disputed pair with its votes, both episodes in one synced player, and
 * the researcher's decision (a, b, tie, both bad, discard). */

import { h, KeyedList, text } from "../shared/dom.js";
import { num, pct } from "../shared/format.js";
import { SyncedPlayer } from "../shared/player.js";

const DECISIONS = [["a", "a is better"], ["b", "b is better"], ["tie", "tie"], ["both_bad", "both bad"], ["discard", "discard"]];

const sideTitle = (name, r) => `${name}: reward ${num(r.reward)}${r.success ? " (success)" : ""}, ${r.length} steps`;

/** onDecide(item, decision) -> promise. */
function queueItem(target, roundName, onDecide) {
  let item = null;
  const heading = h("h3");
  const votes = h("p", { class: "q-votes pgt-dim" });
  const player = new SyncedPlayer({ label: "Disputed pair", compact: true });
  const buttons = DECISIONS.map(([decision, label]) => h("button", { type: "button", class: "pgt-btn",
    onclick: async () => {
      buttons.forEach((b) => { b.disabled = true; });
      try { await onDecide(item, decision); } finally { buttons.forEach((b) => { b.disabled = false; }); }
    } }, label));
  const el = h("article", { class: "q-item" }, heading, votes, player.el,
    h("div", { class: "q-decide", role: "group", "aria-label": "Decision" }, buttons));
  let loaded = null;
  return {
    el,
    update(d) {
      item = d;
      text(heading, `Pair ${d.pair_id} (${roundName(d.round_id)})`);
      el.setAttribute("aria-label", `Pair ${d.pair_id}`);
      text(votes, `agreement ${pct(d.agreement)} · ${Object.entries(d.votes).map(([o, who]) => `${o}: ${who.join(", ")}`).join(" | ")}`);
      const key = `${d.a.id}|${d.b.id}`;
      if (key !== loaded) {
        loaded = key;
        player.load([{ traj: d.a, title: sideTitle("a", d.a), name: `Episode a of pair ${d.pair_id}` },
          { traj: d.b, title: sideTitle("b", d.b), name: `Episode b of pair ${d.pair_id}` }], { target: target() }).catch(() => {});
      }
    },
    destroy() { player.destroy(); },
  };
}

export class AdjudicationQueue {
  /** target() -> the task's achievement; roundName(round id) -> "round 2"; onDecide(item, decision) posts the decision. */
  constructor(parent, { target, roundName, onDecide }) {
    this.list = new KeyedList(parent, {
      key: (d) => d.pair_id,
      create: () => queueItem(target, roundName, onDecide),
      empty: h("p", { class: "pgt-dim", text: "No disputed pairs." }),
    });
  }

  update(items) { this.list.update(items); }
}
