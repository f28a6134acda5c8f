/* The one way pages build and update their DOM.
 *
 * - `h(tag, props, ...children)` makes an element; `svg(...)` the same in the SVG namespace.
 *   Text always goes in as text (never parsed as HTML), so user data cannot inject markup.
 * - A component is a function or class that builds its element once with `h` and returns
 *   `{ el, update(data) }`; `update` changes text, attributes and properties in place (`set`,
 *   `text`), so focus, selection, open <details>, ticked boxes and playing videos survive polling.
 * - `KeyedList` keeps one component per key inside a parent (a <tbody>, a <ul>): it updates the
 *   ones that stay, adds new ones, removes the gone ones and fixes the order; it never redraws.
 */

const SVG_NS = "http://www.w3.org/2000/svg";
// Set as properties (they are live state, not just markup); everything else becomes an attribute.
const PROPS = new Set(["value", "checked", "disabled", "hidden", "selected", "muted", "loop", "autoplay",
  "playsInline", "indeterminate", "open", "inert", "defaultPlaybackRate", "playbackRate"]);

/** Apply `props` to `el`: class, text, style (object), dataset, on<event> listeners, properties, attributes. */
export function set(el, props = {}) {
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") {
      const cls = Array.isArray(v) ? v.filter(Boolean).join(" ") : (v || "");
      if (el.getAttribute("class") !== cls) el.setAttribute("class", cls);
    } else if (k === "text") {
      text(el, v);
    } else if (k === "style" && v && typeof v === "object") {
      for (const [p, val] of Object.entries(v)) {
        if (p.startsWith("--")) el.style.setProperty(p, val);
        else el.style[p] = val;
      }
    } else if (k === "dataset") {
      Object.assign(el.dataset, v);
    } else if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === "value" && el instanceof HTMLOptionElement) {
      el.setAttribute("value", v); // an option without one reports its text as its value
    } else if (PROPS.has(k) && !(el instanceof SVGElement)) {
      if (el[k] !== v) el[k] = v;
    } else if (v === null || v === undefined || v === false) {
      el.removeAttribute(k);
    } else {
      const s = v === true ? "" : String(v);
      if (el.getAttribute(k) !== s) el.setAttribute(k, s);
    }
  }
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** `h("button", {class: "pgt-btn", onclick}, "Save")`: an element with props and children. */
export function h(tag, props, ...children) {
  return append(set(document.createElement(tag), props || {}), children);
}

/** `h` for SVG elements (timelines). */
export function svg(tag, props, ...children) {
  return append(set(document.createElementNS(SVG_NS, tag), props || {}), children);
}

/** Set an element's text only when it changed (a live region then announces only real changes). */
export function text(el, value) {
  const s = value === null || value === undefined ? "" : String(value);
  if (el.textContent !== s) el.textContent = s;
  return el;
}

/** Replace an element's children (for small, self-contained parts; lists use KeyedList). */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * An SVG document the server made (the researcher's charts, escaped there), parsed as XML into nodes.
 * Nothing is parsed as HTML and scripts inside SVG never run when inserted this way.
 */
export function parseSvg(markup) {
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.nodeName !== "svg" || doc.querySelector("parsererror")) return h("p", { class: "pgt-dim", text: "(chart unavailable)" });
  for (const s of root.querySelectorAll("script, foreignObject")) s.remove();
  return document.importNode(root, true);
}

/** One component per key under `parent`, updated in place; `empty` (an element) shows when there are none. */
export class KeyedList {
  constructor(parent, { key, create, empty = null }) {
    this.parent = parent;
    this.key = key;
    this.create = create;
    this.empty = empty;
    this.items = new Map(); // key -> component
  }

  update(items) {
    const seen = new Set();
    let cursor = this.parent.firstChild;
    if (cursor && cursor === this.empty) cursor = cursor.nextSibling;
    for (const item of items) {
      const k = String(this.key(item));
      seen.add(k);
      let comp = this.items.get(k);
      if (!comp) {
        comp = this.create(item);
        this.items.set(k, comp);
      }
      comp.update(item);
      if (comp.el !== cursor) this.parent.insertBefore(comp.el, cursor);
      else cursor = cursor.nextSibling;
    }
    for (const [k, comp] of this.items) {
      if (seen.has(k)) continue;
      if (comp.destroy) comp.destroy();
      comp.el.remove();
      this.items.delete(k);
    }
    if (this.empty) {
      if (items.length === 0 && this.empty.parentNode !== this.parent) this.parent.append(this.empty);
      else if (items.length > 0 && this.empty.parentNode === this.parent) this.empty.remove();
    }
  }
}

/**
 * A status line that screen readers announce (a live region): `say(text, kind)` where kind is
 * info | success | error; errors are announced at once (assertive), the rest politely.
 * `clearAfter` ms hides it again unless something newer was said.
 */
export class Notice {
  constructor({ label = "Status", cls = "pgt-notice" } = {}) {
    this.cls = cls;
    this.el = h("div", { class: cls, role: "status", "aria-live": "polite", "aria-label": label, hidden: true });
    this.timer = null;
  }

  say(message, kind = "info", clearAfter = 0) {
    clearTimeout(this.timer);
    set(this.el, { class: `${this.cls} pgt-${kind}`, "aria-live": kind === "error" ? "assertive" : "polite", hidden: !message });
    text(this.el, message || "");
    if (message && clearAfter) this.timer = setTimeout(() => this.say(""), clearAfter);
  }
}

/** Keys belong to the page's shortcuts unless the focus is somewhere that types (a range slider does not). */
export function isTyping(el) {
  if (!el) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !/^(range|checkbox|radio|button|submit|reset)$/.test(el.type);
}

/** The page's element with this id. */
export const $ = (id) => document.getElementById(id);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
