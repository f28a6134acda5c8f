/* The annotator's keys: the item's own (its mode's answer keys) and the page's (play, step, undo, instructions).
 * Keys belong to the page unless the focus is somewhere that types, a modifier is held, or the view is not on
 * screen (another Gradio tab is open). While the instructions are open only they answer keys. */

import { isTyping } from "../shared/dom.js";

/** annotator: {root, instructions, itemKeys(), page: {key: fn}}. */
export function bindKeys(annotator) {
  document.addEventListener("keydown", (e) => {
    if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const { root, instructions } = annotator;
    if (!root.isConnected || root.offsetParent === null) return;
    if (instructions.open) {
      if (["Escape", "Enter", "?", "i", "I"].includes(e.key)) { e.preventDefault(); instructions.hide(); }
      return;
    }
    const fn = annotator.itemKeys()[e.key] || annotator.pageKeys[e.key];
    if (fn) { e.preventDefault(); fn(); }
  });
}
