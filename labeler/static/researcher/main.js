/* PGT Studio researcher view: tasks, rounds, jobs, plots, before/after review, latent library.
 *
 * Talks to /api/researcher with the HttpOnly researcher cookie (same origin). Polls the selected
 * task every 1.5 s and updates every part in place (shared/dom.js), so forms keep their input, ticked
 * boxes stay ticked, open logs stay open and the review videos keep playing. */

import { get, post, query } from "../shared/api.js";
import { h, KeyedList, Notice, parseSvg, set, text } from "../shared/dom.js";
import { plural } from "../shared/format.js";
import { FormErrors } from "./form_errors.js";
import { JobsList } from "./jobs.js";
import { LatentLibrary } from "./latents.js";
import { Review } from "./review.js";
import { RoundForm } from "./round_form.js";
import { RoundsTable, statusText } from "./rounds.js";

const API = "/api/researcher";
const POLL_MS = 1500;
const PLOTS = ["success", "loss", "margin", "accuracy", "epochs"];
const $ = (id) => document.getElementById(id);

const state = { overview: null, taskId: null, view: null, plotsKey: "", reviewKey: "", reviewRound: null, formsFilled: false };
const notice = new Notice({ label: "Notice" });
$("rs-notice").replaceWith(notice.el);
const say = (message, kind = "error") => notice.say(message, kind, kind === "error" ? 8000 : 3000);

/** Run a researcher action, say how it went, then show its effect; a refused form's problems go beside its fields. */
async function act(fn, okText, errors = null) {
  try {
    await fn();
    if (errors) errors.clear();
    if (okText) say(okText, "success");
    await refresh();
  } catch (e) {
    say((errors && errors.show(e)) || e.message);
  }
}

/** Actions that change which latent a task runs on, or close a round, are asked about first. */
const confirmed = (question) => window.confirm(question);

// -- tasks ------------------------------------------------------------------------------------

function taskItem() {
  let task = null;
  const name = h("b");
  const achievement = h("span", { class: "rs-sub" });
  const line = h("span", { class: "rs-sub rs-line" });
  const button = h("button", { type: "button", class: "rs-task", onclick: () => selectTask(task.id) }, name, " ", achievement, line);
  return {
    el: h("li", {}, button),
    update(t) {
      task = t;
      text(name, t.name);
      text(achievement, t.achievement);
      text(line, `${t.round ? `round ${t.round}: ${statusText(t.status)}` : "no rounds yet"} · ${plural(t.n_labels, "label")}`);
      set(button, { "aria-current": t.id === state.taskId ? "true" : null });
    },
  };
}
const taskList = new KeyedList($("rs-tasks"), { key: (t) => t.id, create: taskItem });

async function loadOverview() {
  const ov = await get(`${API}/overview`);
  state.overview = ov;
  const w = ov.workers;
  text($("rs-workers"), w.length
    ? `workers: ${w.map((x) => `${x.name.split(":")[0]} (${(x.info && x.info.device) || "?"}${x.job_id ? ", busy" : ""})`).join(", ")}`
    : "workers: none seen yet");
  taskList.update(ov.tasks);
  if (!state.formsFilled) {
    state.formsFilled = true;
    const form = $("rs-task-form");
    form.achievement.replaceChildren(...ov.achievements.map((a) => h("option", { text: a })),
      h("option", { value: "", text: "none: people judge (no reward)" }));
    form.prompt_task.replaceChildren(...ov.prompts.map((p) => h("option", { text: p })));
  }
  if (state.taskId === null && ov.tasks.length) selectTask(ov.tasks[0].id);
}

function setUpTaskForm() {
  const f = $("rs-task-form");
  const sync = () => {
    const traj = f.prompt_kind.value === "trajectory";
    f.querySelectorAll(".rs-when-traj").forEach((e) => { e.hidden = !traj; });
    f.querySelectorAll(".rs-when-task").forEach((e) => { e.hidden = traj; });
  };
  f.prompt_kind.addEventListener("change", sync);
  f.achievement.addEventListener("change", () => {
    const steps = state.overview && state.overview.presets[f.achievement.value];
    if (steps) f.max_steps.value = steps;
  });
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const prompt = f.prompt_kind.value === "task"
      ? { kind: "task", task: f.prompt_task.value }
      : { kind: "trajectory", trajectory_id: f.trajectory_id.value.trim(), start: Number(f.start.value) };
    act(async () => {
      const t = await post(`${API}/tasks`, { name: f.name.value.trim(), achievement: f.achievement.value,
        max_steps: Number(f.max_steps.value), description: f.description.value, prompt,
        hints: f.hints.checked, instructions: f.instructions.value.trim() });
      f.reset();
      sync();
      $("rs-new-task").open = false;
      selectTask(t.id);
    }, "Task created; its z0 is the prompt clip's latent", taskErrors);
  });
  sync();
}

// -- one task ---------------------------------------------------------------------------------

const rounds = new RoundsTable($("rs-rounds"), roundAction);
const jobs = new JobsList($("rs-jobs"));
const latents = new LatentLibrary({
  tbody: $("rs-latents"), compareButton: $("rs-compare"), out: $("rs-compare-out"), say,
  onActivate: (l) => act(() => post(`${API}/latents/${l.id}/promote`), `Latent #${l.id} is active`),
});
const review = new Review({
  section: $("rs-review"), title: $("rs-review-title"), rates: $("rs-review-rates"), rows: $("rs-review-rows"),
  actions: $("rs-review-actions"), say,
  fetchPage: (roundId, params) => get(`${API}/rounds/${roundId}/review${query(params)}`),
  onDecide: (what, r) => roundAction(what, r),
});
const taskErrors = new FormErrors($("rs-task-form"));
const roundErrors = new FormErrors($("rs-round-form"));
const roundForm = new RoundForm({
  form: $("rs-round-form"), start: $("rs-start-round"), why: $("rs-start-why"), plan: $("rs-plan"),
  presets: $("rs-presets"), people: $("rs-people"), evalPlan: $("rs-eval-plan"), evalUse: $("rs-eval-use"),
  api: API, taskId: () => state.taskId,
  onSubmit: (config) => act(() => post(`${API}/tasks/${state.taskId}/rounds`, { config }), "Round started", roundErrors),
});

function roundAction(what, r) {
  if (what === "review") {
    loadReview(r.id).then(() => $("rs-review").scrollIntoView({ behavior: "smooth" }));
    return;
  }
  if (what === "retry") {
    const lr = window.prompt("Retry the failed step. Learning rate for tuning (blank keeps it):", "");
    if (lr === null) return;
    act(() => post(`${API}/rounds/${r.id}/retry`, { config: lr ? { lr: Number(lr) } : {} }), "Retrying");
    return;
  }
  const warning = r.advice && r.advice.flag ? `\n\nNote: ${r.advice.flag}.` : "";
  if (what === "promote" && !confirmed(`Promote latent #${r.candidate_latent_id} of round ${r.number}? `
    + `The task's next round starts from it (Roll back latent undoes this).${warning}`)) return;
  if (what === "reject" && !confirmed(r.status === "review"
    ? `Roll back round ${r.number}? Its tuned latent #${r.candidate_latent_id} is not used; the task keeps latent #${r.base_latent_id}.`
    : `Reject round ${r.number}? It closes without tuning; its labels are kept.`)) return;
  const done = { tune: "Tuning started", promote: "Latent promoted: the next round starts from it",
    reject: "Round closed; the task keeps its latent" }[what];
  // Asked and answered above: a promotion the server wants confirmed (a candidate worse than its start) is.
  act(() => post(`${API}/rounds/${r.id}/${what}`, what === "promote" ? { confirm: true } : {}), done);
}

function selectTask(id) {
  if (state.taskId !== id) {
    state.taskId = id;
    state.plotsKey = "";
    state.reviewKey = "";
    state.reviewRound = null;
    latents.reset();
    review.hide();
    roundErrors.clear();
    roundForm.fill(id, state.overview ? state.overview.defaults : {});
  }
  if (state.overview) taskList.update(state.overview.tasks);
  refresh();
}

async function refreshOnce() {
  try {
    await loadOverview();
    if (state.taskId === null) return;
    const v = await get(`${API}/tasks/${state.taskId}`);
    state.view = v;
    render(v);
  } catch (e) {
    say(e.message);
  }
}

/* One poll at a time, so answers never arrive out of order; asked again during one, it runs once more after. */
let inflight = null;
let again = false;
function refresh() {
  if (inflight) { again = true; return inflight; }
  inflight = (async () => {
    do { again = false; await refreshOnce(); } while (again);
  })().finally(() => { inflight = null; });
  return inflight;
}

function render(v) {
  $("rs-empty").hidden = true;
  $("rs-task").hidden = false;
  text($("rs-task-title"), v.task.name);
  const labels = v.rounds.reduce((a, r) => a + r.labels, 0);
  text($("rs-task-meta"), `${v.task.achievement} · ${v.task.max_steps} steps · active latent #${v.active_latent_id ?? "–"} · ${plural(labels, "label")}`);
  $("rs-rollback").disabled = !v.promotions.length;
  roundForm.block(v.rounds[v.rounds.length - 1]);
  const z0 = v.latents.find((l) => l.source === "prompt");
  rounds.update(v.rounds, { task: v.task, z0Id: z0 ? z0.id : null });
  jobs.update(v.jobs);
  latents.update(v.latents);
  const plotsKey = v.rounds.map((r) => `${r.id}:${r.status}:${r.updated_at}`).join("|");
  if (plotsKey !== state.plotsKey) { state.plotsKey = plotsKey; loadPlots(); }
  const reviewRound = v.rounds.filter((r) => r.result && r.result.eval).pop();
  const reviewKey = reviewRound ? `${reviewRound.id}:${reviewRound.status}:${reviewRound.base_active}` : "";
  if (reviewKey !== state.reviewKey) {
    state.reviewKey = reviewKey;
    if (!reviewRound) { state.reviewRound = null; review.hide(); }
    else if (reviewRound.id === state.reviewRound) review.reload();
    else loadReview(reviewRound.id);
  }
}

async function loadPlots() {
  const taskId = state.taskId;
  try {
    const p = await get(`${API}/tasks/${taskId}/plots`);
    if (taskId !== state.taskId) return;
    $("rs-plots").replaceChildren(...PLOTS.map((k) => h("figure", { class: "rs-plot" }, parseSvg(p[k]))));
  } catch (e) {
    say(e.message);
  }
}

function loadReview(roundId) {
  state.reviewRound = roundId;
  return review.open(roundId, state.view ? state.view.task : null);
}

async function showWorkerCommand() {
  try {
    const w = await get(`${API}/worker-command`);
    text($("rs-worker-cmd"), w.command);
    text($("rs-worker-note"), w.note);
  } catch {
    /* the notice shows what failed on the next poll */
  }
}

setUpTaskForm();
$("rs-rollback").addEventListener("click", () => {
  const active = state.view && state.view.active_latent_id;
  if (!confirmed(`Roll back latent #${active}? The task goes back to the latent it had before that promotion.`)) return;
  act(() => post(`${API}/tasks/${state.taskId}/rollback`), "Rolled back to the previous latent");
});
showWorkerCommand();
refresh();
setInterval(refresh, POLL_MS);
