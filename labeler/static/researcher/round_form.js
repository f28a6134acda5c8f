/* The "Start a round" form: its settings remembered per task (this browser's localStorage), the fields that
 * only matter for some settings shown only then, the minutes of people's time the round would ask (asked of
 * the server as settings change), presets that fill the settings, the review's interval for the chosen evaluation
 * size (and the size a target interval needs), and why Start is greyed out. */

import { post } from "../shared/api.js";
import { h, KeyedList, set, text } from "../shared/dom.js";
import { duration } from "../shared/format.js";
import { statusText, TERMINAL } from "./rounds.js";

const settingsKey = (taskId) => `pgt-round-settings:${taskId}`;
const ESTIMATE_WAIT_MS = 250; // typing a number asks once, after the last key

function savedSettings(taskId) {
  try {
    const saved = JSON.parse(localStorage.getItem(settingsKey(taskId)) || "{}");
    return saved && typeof saved === "object" ? saved : {};
  } catch {
    return {};
  }
}

/** Why Start is greyed out: the task's open round, and what it takes to close it ("" when it is not). */
export function startBlocked(last) {
  if (!last || TERMINAL.includes(last.status)) return "";
  const what = { labelling: "finish or reject it", review: "promote or roll it back", promoting: "wait for its episodes" }[last.status]
    || "wait for its job";
  return `round ${last.number} is ${last.status === "review" ? "in review" : statusText(last.status)}: ${what}`;
}

export class RoundForm {
  /** api: "/api/researcher"; taskId() -> the selected task; onSubmit(settings) starts the round. */
  constructor({ form, start, why, plan, presets, people, evalPlan, evalUse, api, taskId, onSubmit }) {
    Object.assign(this, { form, start, why, plan, people, evalPlan, evalUse, api, taskId });
    this.evalTarget = null;
    evalUse.addEventListener("click", () => { if (this.evalTarget) this.apply({ eval_episodes: this.evalTarget }); });
    this.known = null; // the settings this server has (its defaults' keys)
    this.timer = null;
    this.asked = 0;
    this.presets = new KeyedList(presets, {
      key: (p) => p.name,
      create: () => {
        let preset = null;
        const el = h("button", { type: "button", class: "pgt-btn pgt-btn-small", onclick: () => this.apply(preset.settings) });
        return {
          el,
          update(p) {
            preset = p;
            text(el, p.name);
            set(el, { title: Object.entries(p.settings).map(([k, v]) => `${k} ${v}`).join(", ") });
          },
        };
      },
    });
    const changed = () => { this.save(); this.sync(); this.estimateSoon(); };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    people.addEventListener("input", () => this.estimateSoon());
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.save();
      onSubmit(this.settings());
    });
  }

  /** The settings as the round endpoint takes them (fields this server does not have are left out). */
  settings() {
    const config = {};
    for (const el of this.form.elements) {
      if (!el.name || el.value === "" || el.disabled) continue;
      config[el.name] = el.type === "number" ? Number(el.value) : el.value;
    }
    return config;
  }

  save() {
    if (this.taskId() !== null) localStorage.setItem(settingsKey(this.taskId()), JSON.stringify(this.settings()));
  }

  /** The server's defaults, then what was last set for this task. */
  fill(taskId, defaults) {
    this.known = new Set(Object.keys(defaults));
    const cfg = { ...defaults, ...savedSettings(taskId) };
    for (const el of this.form.elements) {
      if (!el.name) continue;
      el.disabled = !this.known.has(el.name);
      el.closest("label").hidden = el.disabled;
      if (cfg[el.name] !== undefined && cfg[el.name] !== null) el.value = cfg[el.name];
    }
    this.sync();
    this.estimateSoon(0);
  }

  apply(settings) {
    for (const [name, value] of Object.entries(settings)) {
      const el = this.form.elements[name];
      if (el && !el.disabled) el.value = value;
    }
    this.save();
    this.sync();
    this.estimateSoon(0);
  }

  /** Show K only for best-of-K, pairs per episode only for pairs, A/B comparisons only for a human evaluation;
   * one episode at a time has no comparisons to order, so its pair selection is neither shown nor sent. */
  sync() {
    const f = this.form.elements;
    const known = (name) => f[name] && this.known && this.known.has(name);
    const show = (name, on) => { if (known(name)) f[name].closest("label").hidden = !on; };
    const feedback = known("feedback") ? f.feedback.value : "pairwise";
    show("k", feedback === "best_of_k");
    show("pairs_per_traj", feedback === "pairwise");
    show("ab_pairs", known("evaluation") && f.evaluation.value !== "success");
    show("pair_selection", feedback !== "per_episode");
    if (known("pair_selection")) f.pair_selection.disabled = feedback === "per_episode";
  }

  estimateSoon(wait = ESTIMATE_WAIT_MS) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.estimate(), wait);
  }

  async estimate() {
    const taskId = this.taskId();
    if (taskId === null || !this.known || !this.known.has("feedback")) { this.plan.closest(".rs-plan").hidden = true; return; }
    const asked = ++this.asked;
    try {
      const p = await post(`${this.api}/tasks/${taskId}/round-plan`, { config: this.settings(), people: Number(this.people.value) || 1 });
      if (asked !== this.asked) return; // a newer question is on its way
      this.plan.closest(".rs-plan").hidden = false;
      const each = p.people > 1 ? `, ${Math.round(p.minutes_per_person)} min each for ${p.people} people` : "";
      text(this.plan, `≈ ${Math.round(p.minutes)} min of human time (${p.source})${each} · ${p.answers} answers on `
        + `${p.items} ${p.feedback === "pairwise" ? "pairs" : "questions"} from ${p.episodes} episodes, ${duration(p.seconds_per_answer)} each`);
      this.presets.update(p.presets);
      this.showEvaluation(p.evaluation);
    } catch (e) {
      if (asked !== this.asked) return;
      this.plan.closest(".rs-plan").hidden = false;
      // A setting out of range is explained beside its field when the round is started; here it only blocks the sum.
      text(this.plan, e.status === 422 ? "≈ – min of human time: a setting is out of range"
        : e.status === 404 || e.status === 405 ? "" : `≈ – min of human time: ${e.message}`);
    }
  }

  /** "50 evaluation episodes per latent give ±14 points ...", and a button for the size a ±10-point review needs. */
  showEvaluation(ev) {
    if (!ev) { text(this.evalPlan, ""); this.evalUse.hidden = true; return; }
    const pts = (x) => `±${Math.round(x * 100)} points`;
    text(this.evalPlan, `Review: ${ev.episodes} evaluation episodes per latent give ${pts(ev.half_width)} on the change `
      + `in success (at ${Math.round(ev.p_guess * 100)}%, 95%), ≈ ${duration(ev.seconds)} of rollouts (${ev.source})`);
    this.evalTarget = ev.episodes_for_target;
    this.evalUse.hidden = ev.episodes_for_target === ev.episodes;
    text(this.evalUse, `Use ${ev.episodes_for_target} for ${pts(ev.target_half_width)} (≈ ${duration(ev.seconds_for_target)})`);
  }

  /** Start is off while the task has an open round; the reason is the button's description. */
  block(last) {
    const why = startBlocked(last);
    this.start.disabled = !!why;
    text(this.why, why);
  }
}
