/* PGT Studio annotator quality: agreement, gold accuracy, consistency, position bias and speed per
 * annotator, and the adjudication queue. A researcher page (the researcher cookie goes along). */

import { forgetProofOnLogout, get, hasProof, post, query } from "../shared/api.js";
import { $, h, Notice } from "../shared/dom.js";
import { AdjudicationQueue } from "./adjudication.js";
import { QualityReport } from "./report.js";

const RESEARCHER_KEY = "pgt-researcher";

const form = $("q-controls");
const notice = new Notice({ label: "Notice" });
$("q-notice").replaceWith(notice.el);
const say = (message, kind = "error") => notice.say(message, kind, kind === "error" ? 10000 : 4000);
if (!hasProof()) location.replace(`/login?next=${encodeURIComponent(location.pathname)}`); // its API calls need it
forgetProofOnLogout(document.querySelector("form.pgt-logout"));

let tasks = [];
let roundNumbers = new Map(); // round id -> its number within the task, as the researcher view shows it
const taskId = () => form.task.value;
const roundId = () => form.round.value;
const currentTask = () => tasks.find((t) => String(t.id) === taskId());

const roundName = (id) => (id === null || id === undefined ? "–" : `round ${roundNumbers.get(id) ?? "?"}`);
const report = new QualityReport({ stats: $("q-stats"), alpha: $("q-alpha"), annotators: $("q-annotators"), hourly: $("q-hourly"),
  roundName });
const queue = new AdjudicationQueue($("q-queue"), {
  target: () => (currentTask() || {}).achievement || null,
  roundName,
  onDecide: decide,
});

async function loadTasks() {
  tasks = await get("/api/tasks");
  form.task.replaceChildren(...tasks.map((t) => h("option", { value: String(t.id), text: t.name })));
  await loadRounds();
}

async function loadRounds() {
  const id = taskId();
  if (!id) return;
  const rounds = await get(`/api/tasks/${id}/rounds`);
  if (id !== taskId()) return; // another task was picked meanwhile: its own load fills the form
  roundNumbers = new Map(rounds.map((r) => [r.id, r.number]));
  form.round.replaceChildren(h("option", { value: "", text: "all" }),
    ...rounds.map((r) => h("option", { value: String(r.id), text: `round ${r.number}` })));
  await refresh();
}

let refreshes = 0; // only the latest refresh may draw: an earlier one can answer after it

async function refresh() {
  if (!taskId()) return;
  const mine = ++refreshes;
  const q = query({ task_id: taskId(), round_id: roundId() });
  const queueQuery = query({ task_id: taskId(), round_id: roundId(), include_undecided: form.undecided.checked || null });
  const [summary, items] = await Promise.all([get(`/api/quality/summary${q}`), get(`/api/quality/adjudication${queueQuery}`)]);
  if (mine !== refreshes) return;
  report.update(summary);
  queue.update(items);
}

async function decide(item, decision) {
  const researcher = form.researcher.value.trim();
  if (!researcher) {
    say("Type your name in the Researcher box first: it is recorded with the decision.");
    form.researcher.focus();
    return;
  }
  localStorage.setItem(RESEARCHER_KEY, researcher);
  try {
    await post("/api/quality/adjudication", { pair_id: item.pair_id, decision, researcher });
    say(`Pair ${item.pair_id}: ${decision.replace("_", " ")} recorded`, "success");
    await refresh();
  } catch (e) {
    say(`Pair ${item.pair_id}: ${e.message}`);
  }
}

async function plant() {
  try {
    const out = await post("/api/quality/checks", { task_id: Number(taskId()), round_id: roundId() ? Number(roundId()) : null,
      n_gold: 5, n_repeats: 5 });
    say(`Planted ${out.gold.length} gold and ${out.repeats.length} repeated pairs.`, "success");
    await refresh();
  } catch (e) {
    say(e.message);
  }
}

const guarded = (fn) => () => fn().catch((e) => say(e.message));
form.researcher.value = localStorage.getItem(RESEARCHER_KEY) || "";
form.task.addEventListener("change", guarded(loadRounds));
form.round.addEventListener("change", guarded(refresh));
form.undecided.addEventListener("change", guarded(refresh));
form.addEventListener("submit", (e) => { e.preventDefault(); guarded(refresh)(); });
$("q-plant").addEventListener("click", plant);
guarded(loadTasks)();
