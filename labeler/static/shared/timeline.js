/* Under each video: where the task's target achievement happened (stars, with its running count as a
 * line), other achievements (ticks), where the episode ended (hatched) and the play head. Every
 * timeline of one player shares one scale (the longest episode), so positions compare directly;
 * clicking one seeks the player. The caption under it says the same in words, for everyone. */

import { fill, h, svg, text } from "./dom.js";
import { pretty } from "./format.js";

const at = (step, frames) => `${(100 * step) / Math.max(1, frames - 1)}%`;

/** The cumulative target count as a step line, in a 100x100 box stretched over the track. */
function countLine(hits, length, frames) {
  const x = (s) => (100 * s) / Math.max(1, frames - 1);
  const pts = ["0,100"];
  hits.forEach(([s], i) => {
    const before = 100 - (90 * i) / hits.length;
    const after = 100 - (90 * (i + 1)) / hits.length;
    pts.push(`${x(s + 1)},${before}`, `${x(s + 1)},${after}`);
  });
  pts.push(`${x(length)},10`);
  return svg("svg", { class: "pgt-curve", viewBox: "0 0 100 100", preserveAspectRatio: "none", "aria-hidden": "true" },
    svg("polyline", { points: pts.join(" ") }));
}

export class Timeline {
  /** onSeek(fraction in [0, 1]) when the track is clicked. */
  constructor({ onSeek }) {
    this.cursor = h("div", { class: "pgt-cursor" });
    // The slider of the control bar is the accessible way to seek; this track is its pointer shortcut.
    this.track = h("div", { class: "pgt-track", title: "click to seek", "aria-hidden": "true" }, this.cursor);
    this.track.addEventListener("click", (e) => {
      const r = this.track.getBoundingClientRect();
      onSeek(Math.max(0, Math.min(1, (e.clientX - r.left) / Math.max(1, r.width))));
    });
    this.caption = h("p", { class: "pgt-caption" });
    this.el = h("div", { class: "pgt-timeline" }, this.track, this.caption);
  }

  /** traj: {length, events: [[step, name], ...]}; target: the task's achievement; frames: the shared scale. */
  draw(traj, target, frames) {
    const events = traj.events || [];
    const hits = events.filter(([, n]) => n === target);
    const others = events.filter(([, n]) => n !== target);
    const marks = [];
    if (traj.length + 1 < frames) marks.push(h("div", { class: "pgt-ended", style: { left: at(traj.length, frames) }, title: "episode over" }));
    if (hits.length) marks.push(countLine(hits, traj.length, frames));
    for (const [s, n] of others) marks.push(h("div", { class: "pgt-tick", style: { left: at(s + 1, frames) }, title: `${pretty(n)} at step ${s}` }));
    for (const [s, n] of hits) marks.push(h("div", { class: "pgt-hit", style: { left: at(s + 1, frames) }, title: `${pretty(n)} at step ${s}` }, "★"));
    this.track.replaceChildren(this.cursor, ...marks);

    const first = hits.length ? `first at step ${hits[0][0]}` : "never";
    const also = [...new Set(others.map(([, n]) => pretty(n)))];
    fill(this.caption,
      target ? h("span", { class: hits.length ? "pgt-ok" : "pgt-miss", text: `${pretty(target)} ×${hits.length}` }) : null,
      h("span", { text: `${target ? ` · ${first} · ` : ""}${traj.length} steps` }),
      also.length ? h("span", { class: "pgt-dim", text: ` · also ${also.join(", ")}` }) : null);
  }

  clear() {
    this.track.replaceChildren(this.cursor);
    text(this.caption, "");
  }

  setCursor(frame, frames) {
    this.cursor.style.left = at(frame, frames);
  }
}
