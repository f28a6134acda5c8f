/* A refused form shown where it went wrong: each problem beside its field, in words (the field's own label
 * and what is allowed), the field marked invalid and described by it, and cleared once it is edited. */

import { h } from "../shared/dom.js";

/** The label a person sees for a field ("Learning rate"), without the field's own value. */
function labelOf(el) {
  const label = el.closest("label");
  if (!label) return el.name;
  const own = [...label.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(" ");
  return own.trim() || el.name;
}

/** Plain-language forms of pydantic's messages (which name types, not what to type). */
function words(msg) {
  return String(msg)
    .replace(/^Value error, /, "")
    .replace(/^Input should be a valid integer.*$/, "must be a whole number")
    .replace(/^Input should be a valid number.*$/, "must be a number")
    .replace(/^Input should be a valid boolean.*$/, "must be yes or no")
    .replace(/^Input should be (greater|less) than( or equal to)? (.*)$/, (_, dir, eq, v) => `must be ${dir === "greater" ? "at least" : "at most"}${eq ? "" : " (not equal to)"} ${v}`)
    .replace(/^String should have at most (\d+) characters?$/, "is too long: at most $1 characters")
    .replace(/^String should match pattern .*$/, "may hold only letters, digits, _ and - (starting with a letter or digit)")
    .replace(/^Field required$/, "is required");
}

export class FormErrors {
  constructor(form) {
    this.form = form;
    this.shown = new Map(); // field name -> its message element
    form.addEventListener("input", (e) => this.clear(e.target.name));
    form.addEventListener("change", (e) => this.clear(e.target.name));
  }

  clear(name) {
    const names = name ? [name] : [...this.shown.keys()];
    for (const n of names) {
      const msg = this.shown.get(n);
      if (!msg) continue;
      msg.remove();
      this.shown.delete(n);
      const el = this.form.elements[n];
      if (el) { el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby"); }
    }
  }

  /**
   * Show an ApiError's field problems (FastAPI's detail list: loc ends with the field's name) beside the
   * fields of this form. Returns a sentence naming them for the page's notice, or null when none is ours.
   */
  show(err) {
    this.clear();
    const detail = Array.isArray(err && err.detail) ? err.detail : [];
    const named = [];
    for (const d of detail) {
      const loc = (d && d.loc) || [];
      const el = this.form.elements[loc[loc.length - 1]];
      if (!el || !el.name || this.shown.has(el.name)) continue;
      const label = labelOf(el);
      const said = words(d.msg);
      const msg = h("span", { class: "pgt-err rs-field-err", id: `${this.form.id}-${el.name}-err`, role: "alert",
        text: /^(must|is|may)\b/.test(said) ? `${label} ${said}` : `${label}: ${said}` });
      el.closest("label") ? el.closest("label").after(msg) : el.after(msg);
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", msg.id);
      this.shown.set(el.name, msg);
      named.push(label);
    }
    if (!named.length) return null;
    this.form.elements[[...this.shown.keys()][0]].focus();
    return `Not done: check ${named.join(", ")} (see beside the field${named.length > 1 ? "s" : ""}).`;
  }
}
