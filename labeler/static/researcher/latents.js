/* The task's latent library: every latent with its lineage and success, ticks for comparing them,
 * and the cosine / L2 matrix of the ticked ones. */

import { get } from "../shared/api.js";
import { h, KeyedList, set, text } from "../shared/dom.js";
import { num, pct } from "../shared/format.js";

/** onActivate(latent) makes it the task's active latent. */
function latentRow(picked, onActivate) {
  let latent = null;
  const box = h("input", { type: "checkbox" });
  box.addEventListener("change", () => { if (box.checked) picked.add(latent.id); else picked.delete(latent.id); });
  const id = h("span");
  const active = h("span", { class: "pgt-badge pgt-badge-good", text: "active", hidden: true });
  const source = h("td");
  const round = h("td");
  const norm = h("td", { class: "pgt-num" });
  const success = h("td", { class: "pgt-num" });
  const activate = h("button", { type: "button", class: "pgt-btn", onclick: () => onActivate(latent) }, "Make active");
  return {
    el: h("tr", {}, h("td", {}, box), h("th", { scope: "row" }, id, " ", active), source, round, norm, success, h("td", {}, activate)),
    update(l) {
      latent = l;
      set(box, { "aria-label": `Compare latent #${l.id}`, checked: picked.has(l.id) });
      text(id, `#${l.id}`);
      active.hidden = !l.active;
      text(source, `${l.source}${l.parent_id ? ` ← #${l.parent_id}` : ""}`);
      text(round, l.round ?? "–");
      text(norm, num(l.norm, 2));
      text(success, pct(l.success_rate));
      activate.hidden = !!l.active;
      set(activate, { "aria-label": `Make latent #${l.id} active` });
    },
  };
}

/** The cosine matrix (cells shaded by similarity; hover gives the L2 distance). */
function compareTable(c) {
  const head = h("tr", {}, h("td"), c.latents.map((l) => h("th", { scope: "col", text: `#${l.id}` })));
  const rows = c.latents.map((l, i) => h("tr", {},
    h("th", { scope: "row" }, `#${l.id} `, h("span", { class: "pgt-dim", text: `|z| ${num(c.norm[i], 2)}` })),
    c.cosine[i].map((v, j) => h("td", { class: "pgt-num", title: `L2 ${num(c.l2[i][j], 3)}`,
      style: { background: `rgba(79, 70, 229, ${Math.max(0, v) * 0.35})` }, text: num(v, 3) }))));
  return [
    h("p", { class: "pgt-dim", id: "rs-compare-caption", text: "Cosine similarity (hover: L2 distance)" }),
    h("table", { class: "pgt-table rs-matrix", "aria-labelledby": "rs-compare-caption" }, h("thead", {}, head), h("tbody", {}, rows)),
  ];
}

export class LatentLibrary {
  /** say(message, kind) reports problems; onActivate(latent) as for a row. */
  constructor({ tbody, compareButton, out, say, onActivate }) {
    this.picked = new Set();
    this.out = out;
    this.say = say;
    this.list = new KeyedList(tbody, { key: (l) => l.id, create: () => latentRow(this.picked, onActivate) });
    compareButton.addEventListener("click", () => this.compare());
  }

  /** Newest first. */
  update(latents) { this.list.update(latents.slice().reverse()); }

  reset() {
    this.picked.clear();
    this.out.replaceChildren();
  }

  async compare() {
    const ids = [...this.picked];
    if (ids.length < 2) { this.say("Tick two or more latents to compare", "error"); return; }
    try {
      this.out.replaceChildren(...compareTable(await get(`/api/researcher/latents/compare?ids=${ids.join(",")}`)));
    } catch (e) {
      this.say(e.message, "error");
    }
  }
}
