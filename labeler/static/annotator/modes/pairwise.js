/* Pairwise: two episodes side by side; which is better (or a tie, both bad, a skip). */

import { h } from "../../shared/dom.js";
import { endNote, flash, keyButton, question } from "./common.js";

const CHOICES = [ // choice, button text, key glyph, key
  ["left", "Left is better", "←", "ArrowLeft"],
  ["tie", "Tie", "↓", "ArrowDown"],
  ["both_bad", "Both bad", "↑", "ArrowUp"],
  ["right", "Right is better", "→", "ArrowRight"],
  ["skip", "Skip", "S", "S"],
];

export function pairwise(item, { task, answer }) {
  const buttons = {};
  const choose = (choice) => {
    flash(buttons[choice]);
    answer({ label: { choice, left_traj: item.left.id, right_traj: item.right.id }, skip: choice === "skip" });
  };
  const keys = { s: () => choose("skip"), S: () => choose("skip") };
  for (const [choice, label, glyph, key] of CHOICES) {
    buttons[choice] = keyButton({ label, key: glyph, shortcut: key, cls: `pgt-choice-${choice}`, onclick: () => choose(choice) });
    if (key.startsWith("Arrow")) keys[key] = () => choose(choice);
  }
  const side = (traj, title, key) => ({ traj, title, key, name: `${title} episode`, extra: endNote(traj, item.max_steps) });
  return {
    entries: [side(item.left, "Left", "←"), side(item.right, "Right", "→")],
    question: question(item, task, "Which episode is better"),
    controls: h("div", { class: "pgt-choices pgt-choices-pair", role: "group", "aria-label": "Your answer" },
      Object.values(buttons)),
    keys,
    help: "← left better · → right better · ↓ tie · ↑ both bad · S skip",
  };
}
