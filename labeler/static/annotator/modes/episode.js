/* Per-episode: one episode, graded good, bad or unsure (or skipped). */

import { h } from "../../shared/dom.js";
import { endNote, flash, keyButton, question } from "./common.js";

const GRADES = [["good", "Good", "G"], ["bad", "Bad", "B"], ["unsure", "Unsure", "U"]];

export function episode(item, { task, answer }) {
  const [traj] = item.episodes;
  const shown = [traj.id];
  const buttons = [];
  const keys = {};
  const on = (btn, payload) => () => { flash(btn); answer({ answer: payload, shown, skip: !!payload.skip }); };
  for (const [grade, label, key] of GRADES) {
    const btn = keyButton({ label, key, cls: `pgt-choice-${grade}` });
    btn.addEventListener("click", on(btn, { grade }));
    keys[key] = keys[key.toLowerCase()] = on(btn, { grade });
    buttons.push(btn);
  }
  const skip = keyButton({ label: "Skip", key: "S", cls: "pgt-choice-skip" });
  skip.addEventListener("click", on(skip, { skip: true }));
  keys.s = keys.S = on(skip, { skip: true });
  return {
    entries: [{ traj, title: "Episode", name: "Episode", extra: endNote(traj, item.max_steps) }],
    question: question(item, task, "Is this episode good", "Is this episode good"),
    controls: h("div", { class: "pgt-choices pgt-choices-grade", role: "group", "aria-label": "Your answer" },
      buttons, skip),
    keys,
    help: "G good · B bad · U unsure · S skip",
  };
}
