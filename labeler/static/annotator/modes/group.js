/* Best of K: K episodes in a grid, all in step. Pick the best and the worst (either is enough), or switch to
 * ordering and rank every episode, best first; then submit.
 *
 * Keys: 1..K pick the best, then the worst (pressing a picked one again unpicks it); O switches to ordering,
 * where 1..K give the next rank (the last one is placed by itself); C clears; Enter submits; S skips.
 */

import { h, set, text } from "../../shared/dom.js";
import { endNote, flash, keyButton, question } from "./common.js";

const ORDINAL = ["1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th"];

export function group(item, { task, answer }) {
  const eps = item.episodes;
  const shown = eps.map((e) => e.id);
  const st = { best: null, worst: null, order: null }; // indexes into eps; order: an array while ordering

  const tiles = eps.map((traj, i) => {
    const best = h("button", { type: "button", class: "pgt-btn pgt-pick-best", "aria-pressed": "false",
      onclick: () => { st.best = st.best === i ? null : i; if (st.worst === i) st.worst = null; render(); } }, "Best");
    const worst = h("button", { type: "button", class: "pgt-btn pgt-pick-worst", "aria-pressed": "false",
      onclick: () => { st.worst = st.worst === i ? null : i; if (st.best === i) st.best = null; render(); } }, "Worst");
    const rank = h("button", { type: "button", class: "pgt-btn pgt-pick-rank", onclick: () => pick(i) });
    const mark = h("span", { class: "pgt-pick-mark", "aria-live": "polite" });
    return { best, worst, rank, mark,
      el: h("div", { class: "pgt-picks", role: "group", "aria-label": `Episode ${i + 1} pick` }, best, worst, rank, mark) };
  });

  const summary = h("span", { class: "pgt-pick-summary", role: "status", "aria-label": "Your picks" });
  const orderBtn = keyButton({ label: "Order all", key: "O", cls: "pgt-choice-order", onclick: () => toggleOrder() });
  const clearBtn = keyButton({ label: "Clear", key: "C", cls: "pgt-choice-clear", onclick: () => clear() });
  const submitBtn = keyButton({ label: "Submit", key: "↵", shortcut: "Enter", cls: "pgt-choice-submit", onclick: () => submit() });
  const skipBtn = keyButton({ label: "Skip", key: "S", cls: "pgt-choice-skip", onclick: () => skip() });

  /** Key or click on episode i: best, then worst; while ordering, the next rank. */
  function pick(i) {
    if (i < 0 || i >= eps.length) return;
    if (st.order) {
      st.order = st.order.includes(i) ? st.order.filter((x) => x !== i) : [...st.order, i];
      if (st.order.length === eps.length - 1) st.order.push(eps.findIndex((_, j) => !st.order.includes(j)));
    } else if (st.best === i) st.best = null;
    else if (st.worst === i) st.worst = null;
    else if (st.best === null) st.best = i;
    else st.worst = i;
    render();
  }

  function toggleOrder() { st.order = st.order ? null : []; st.best = st.worst = null; render(); }
  function clear() { st.best = st.worst = null; if (st.order) st.order = []; render(); }

  function ready() { return st.order ? st.order.length === eps.length : st.best !== null || st.worst !== null; }

  function render() {
    tiles.forEach((t, i) => {
      set(t.best, { hidden: !!st.order, "aria-pressed": String(st.best === i) });
      set(t.worst, { hidden: !!st.order, "aria-pressed": String(st.worst === i) });
      const r = st.order ? st.order.indexOf(i) : -1;
      set(t.rank, { hidden: !st.order, text: r >= 0 ? `${ORDINAL[r]} ✕` : `Rank ${ORDINAL[st.order ? st.order.length : 0]}` });
      const word = st.best === i ? "best" : st.worst === i ? "worst" : r >= 0 ? ORDINAL[r] : "";
      text(t.mark, word);
      set(t.el, { class: ["pgt-picks", st.best === i && "pgt-is-best", st.worst === i && "pgt-is-worst"] });
    });
    const name = (i) => `episode ${i + 1}`;
    text(summary, st.order
      ? (st.order.length ? `Order: ${st.order.map((i) => i + 1).join(" > ")}` : "Ordering: press 1–K from best to worst")
      : [st.best !== null && `Best: ${name(st.best)}`, st.worst !== null && `Worst: ${name(st.worst)}`]
        .filter(Boolean).join(" · ") || "Pick the best and the worst");
    set(orderBtn, { "aria-pressed": String(!!st.order) });
    submitBtn.disabled = !ready();
  }

  function submit() {
    if (!ready()) return;
    flash(submitBtn);
    const payload = st.order ? { order: st.order.map((i) => [shown[i]]) }
      : Object.fromEntries([["best", st.best], ["worst", st.worst]].filter(([, i]) => i !== null).map(([k, i]) => [k, shown[i]]));
    answer({ answer: payload, shown, skip: false });
  }

  function skip() { flash(skipBtn); answer({ answer: { skip: true }, shown, skip: true }); }

  const keys = { o: toggleOrder, O: toggleOrder, c: clear, C: clear, Enter: submit, s: skip, S: skip };
  eps.forEach((_, i) => { keys[String(i + 1)] = () => pick(i); });
  render();
  const title = (i) => `Episode ${i + 1}`;
  return {
    entries: eps.map((traj, i) => ({ traj, title: title(i), key: String(i + 1), name: title(i),
      extra: [endNote(traj, item.max_steps), tiles[i].el] })),
    question: question(item, task, "Which episode is best, and which is worst", "Which episode is best"),
    controls: h("div", { class: "pgt-choices pgt-choices-group", role: "group", "aria-label": "Your answer" },
      summary, orderBtn, clearBtn, submitBtn, skipBtn),
    keys,
    refresh: render,
    help: `1–${eps.length} best, then worst · O order all · C clear · Enter submit · S skip`,
  };
}
