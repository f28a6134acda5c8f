/* PGT Studio annotator: the next item of a task (a pair, one episode, or K at once) in the shared player,
 * answered by keys or clicks.
 *
 * Renders into #pgt-annotator (inside the Gradio page at /, or the bare page at /annotate) and talks to the
 * annotator's part of the JSON API (`/api/next`, `/api/labels`, `/api/answers`, `/api/undo`).
 *
 * Why it is built this way:
 * - The player holds two sets of videos: the item on screen and the next one, fetched and decoded in advance
 *   in the hidden set. Answering shows the hidden set at once; then the set that went out of sight prefetches
 *   the item after.
 * - Answers go through an AnswerQueue (localStorage, client-made submission ids, retried until the server
 *   acknowledges them), so the next item never waits on the network.
 * - Each mode (modes/*.js) turns an item into the player's entries, its buttons and its keys; this file only
 *   runs the queue of items, so every mode records the same things (who, what was shown where, speed, time).
 * - A tab names itself to the server with an id of its own (`client`), so two tabs of one person are sent
 *   different items.
 */

import { api, query } from "../shared/api.js";
import { h, Notice, set, sleep, text } from "../shared/dom.js";
import { plural, pretty } from "../shared/format.js";
import { SyncedPlayer } from "../shared/player.js";
import { AnswerQueue, submissionId } from "./answer_queue.js";
import { bindKeys } from "./keys.js";
import { episode } from "./modes/episode.js";
import { group } from "./modes/group.js";
import { pairwise } from "./modes/pairwise.js";
import { OwnCount } from "./own_count.js";
import { bootView, doneView, InstructionsPanel, progressView, syncView } from "./views.js";

const MODES = { pairwise, per_episode: episode, best_of_k: group };
const STORE = { name: "pgt.annotator", task: "pgt.task", pending: "pgt.pending", speed: "pgt.speed" };
const RECHECK_MS = 15_000;
const PREFETCH_RETRY_MS = 2000;
const EXCLUDE_MAX = 100;
const HISTORY_MAX = 20;
const NOTICE_MS = 8000;

class Annotator {
  constructor(root) {
    this.root = root;
    this.fps = 10;
    this.client = submissionId().slice(0, 32); // this tab, for as long as the page lives
    this.generation = 0; // bumps on a name or task change, so answers to older requests are dropped
    this.tasks = {};
    this.shown = null; // the prepared item on screen that can be answered: {item, mode, load}
    this.next = null; // the prefetched one, in the hidden set
    this.prefetching = null;
    this.history = []; // this tab's answers in this task, newest last: [{sid, item}]
    this.noticeUntil = 0; // a notice said with a duration stays until then
    this.undoing = false;
    this.queue = new AnswerQueue({
      storageKey: STORE.pending,
      onChange: (n) => { this.sync.update(n); this.count.show(this.taskId, this.name); },
      onSent: (entry) => { this.count.sent(entry); this.refreshOwn(); },
      onRefused: (entry, msg) => {
        this.history = this.history.filter((x) => x.sid !== entry.submission_id);
        this.undoBtn.disabled = !this.history.length;
        this.say(`Your last answer was not saved: ${msg}`, "error", NOTICE_MS);
      },
    });
    this.pageKeys = {
      " ": () => this.player.toggle(), ",": () => this.player.step(-1), ".": () => this.player.step(1),
      z: () => this.undo(), Z: () => this.undo(), Backspace: () => this.undo(),
      "?": () => this.showInstructions(), i: () => this.showInstructions(), I: () => this.showInstructions(),
    };
    this.build();
    bindKeys(this);
    this.sync.update(this.queue.size);
    this.queue.flush();
    this.start();
  }

  build() {
    const params = new URLSearchParams(location.search);
    this.wantedTask = params.get("task") || localStorage.getItem(STORE.task);
    this.nameInput = h("input", { class: "pgt-input", placeholder: "your name", maxlength: "64", autocomplete: "off",
      value: params.get("annotator") || localStorage.getItem(STORE.name) || "" });
    this.nameInput.addEventListener("change", () => this.setName(this.nameInput.value));
    this.nameInput.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.nameInput.blur(); } });
    this.taskSelect = h("select", { class: "pgt-input" });
    this.taskSelect.addEventListener("change", () => { this.taskSelect.blur(); this.pickTask(this.taskSelect.value); });
    this.count = new OwnCount(progressView(), this.queue);
    this.sync = syncView();
    this.boot = bootView();
    this.notice = new Notice({ label: "Notice" });
    this.instructions = new InstructionsPanel();
    this.done = doneView({ onPick: (task) => this.pickTask(String(task.id)) });
    this.undoBtn = h("button", { type: "button", class: "pgt-btn", "aria-keyshortcuts": "Z Backspace", disabled: true,
      onclick: () => this.undo() }, h("span", { class: "pgt-key", "aria-hidden": "true", text: "Z" }), " Undo last");
    const helpBtn = h("button", { type: "button", class: "pgt-btn", "aria-keyshortcuts": "? I",
      onclick: () => this.showInstructions() }, h("span", { class: "pgt-key", "aria-hidden": "true", text: "?" }), " Instructions");

    this.player = new SyncedPlayer({ label: "Episodes to judge", speedKey: STORE.speed });
    this.sets = [this.player.newSet(), this.player.newSet()];
    this.cur = 0;
    this.question = h("p", { class: "pgt-question" });
    this.answerArea = h("div", { class: "pgt-answer" });
    this.help = h("span");
    this.main = h("section", { class: "pgt-main", "aria-label": "Item to judge" }, this.question, this.player.el,
      this.answerArea);

    this.root.classList.add("pgt-annotator");
    this.root.replaceChildren(
      h("header", { class: "pgt-header" },
        h("div", { class: "pgt-brand" }, h("b", { text: "PGT Studio" }), h("span", { class: "pgt-dim", text: " · judge episodes" })),
        h("label", { class: "pgt-field" }, "Annotator ", this.nameInput),
        h("label", { class: "pgt-field" }, "Task ", this.taskSelect),
        h("div", { class: "pgt-status" }, this.count.view.el, this.sync.el),
        h("div", { class: "pgt-tools" }, this.undoBtn, helpBtn)),
      this.boot.el, this.done.el, this.main, this.notice.el, this.instructions.el,
      h("p", { class: "pgt-help" }, "Keys: ", this.help, " · space play/pause · , . frame step · Z undo · ? instructions"));
  }

  get name() { return (this.nameInput.value || "").trim(); }
  get view() { return this.sets[this.cur]; }
  get spare() { return this.sets[1 - this.cur]; }
  get taskId() { return this.taskSelect.value; }
  get task() { return this.tasks[this.taskId]; }
  itemKeys() { return this.shown ? this.shown.mode.keys : {}; }

  setName(value) {
    const v = value.trim();
    if (v) localStorage.setItem(STORE.name, v);
    this.restart({ fresh: true });
  }

  pickTask(id) {
    this.taskSelect.value = id;
    localStorage.setItem(STORE.task, id);
    this.restart({ fresh: true });
  }

  /** A notice that stays for `ms` even when the next item comes on screen (the others go then). */
  say(message, kind, ms) {
    this.noticeUntil = performance.now() + ms;
    this.notice.say(message, kind, ms);
  }

  showInstructions() { this.instructions.show(this.task, this.shown ? this.shown.mode.help : ""); }

  setState(state) { // ready | waiting | done | inactive
    if (this.shown) this.mode = this.shown.item.mode; // kept while the next one loads: the layout stays
    set(this.main, { class: ["pgt-main", `pgt-${state}`, this.mode && `pgt-mode-${this.mode}`] });
    this.main.hidden = state === "done";
    this.done.el.hidden = state !== "done";
    for (const b of this.answerArea.querySelectorAll("button")) b.disabled = !this.shown;
    if (this.shown && this.shown.mode.refresh) this.shown.mode.refresh(); // e.g. Submit waits for a pick
  }

  async start() {
    await this.waitUntilReady();
    await this.loadTasks();
    this.restart({ fresh: true });
  }

  /** While the first start prepares episodes, show its progress instead of the view. */
  async waitUntilReady() {
    for (;;) {
      let st = null;
      try { st = await api("/api/status"); } catch (e) { this.notice.say(`Cannot reach the server: ${e.message}`, "error"); }
      const job = st && st.bootstrap;
      const running = !!job && (job.status === "running" || job.status === "queued");
      this.boot.el.hidden = !running;
      this.main.hidden = running;
      if (running) this.boot.update(job);
      else {
        if (job && job.status === "failed") this.notice.say(`Preparing episodes failed: ${job.error}`, "error");
        if (st && st.ready) return;
        if (st && !job) this.notice.say("Nothing to judge yet. Waiting for the researcher to add some…");
      }
      await sleep(1000);
    }
  }

  async loadTasks() {
    const tasks = await api("/api/tasks");
    this.taskSelect.replaceChildren(...tasks.map((t) =>
      h("option", { value: String(t.id), text: `${pretty(t.name)} (${plural(t.n_items, "item")})` })));
    const pick = tasks.find((t) => String(t.id) === this.wantedTask) || tasks.find((t) => t.n_items > 0) || tasks[0];
    if (pick) this.taskSelect.value = String(pick.id);
    this.tasks = Object.fromEntries(tasks.map((t) => [String(t.id), t]));
  }

  /** Start the task over: nothing on screen, then `first` (an item brought back by undo) or the server's next.
   *  fresh: a new task or name, whose instructions open before its first answer. */
  restart({ fresh = false, first = null } = {}) {
    this.generation += 1;
    this.player.reset();
    this.sets.forEach((s) => s.clear());
    this.shown = null;
    this.next = null;
    this.prefetching = null;
    this.first = first;
    if (fresh) { this.history = []; this.count.reset(); }
    this.undoBtn.disabled = !this.history.length;
    if (!this.name) {
      this.notice.say("Enter your name in the Annotator box at the top to start.", "info");
      this.setState("inactive");
      this.nameInput.focus();
      return;
    }
    if (performance.now() >= this.noticeUntil) this.notice.say("");
    this.setState("waiting");
    this.refreshOwn({ instructions: fresh });
    this.showNext();
  }

  /** Own answers and time from the server; a task's instructions open before the first answer in it. */
  async refreshOwn({ instructions = false } = {}) {
    if (!this.name || !this.task) return;
    const gen = this.generation;
    let p;
    try { p = await this.count.refresh(this.taskId, this.name); } catch { return; } // again after the next answer
    if (instructions && gen === this.generation && p.done === 0) this.showInstructions();
  }

  /** Items on screen, prefetched or with an answer on its way: the server must not offer them again. */
  held() {
    const ids = new Set(this.queue.items());
    for (const s of this.sets) if (s.data) ids.add(s.data.item);
    if (this.next) ids.add(this.next.item.item);
    return [...ids].slice(-EXCLUDE_MAX);
  }

  async fetchNext() {
    const res = await api(`/api/next${query({ task_id: this.taskId, annotator: this.name, exclude: this.held().join(","),
      client: this.client })}`);
    this.fps = res.fps || this.fps;
    this.count.view.bar(res.progress);
    return res.item;
  }

  /** Load an item into the hidden set with its mode's buttons and keys (live only once it is on screen). */
  prepare(videoSet, item) {
    const prepared = { item };
    const answer = (payload) => this.submit(prepared, payload);
    prepared.mode = MODES[item.mode](item, { task: this.task, answer });
    prepared.load = videoSet.load(prepared.mode.entries, { target: item.target || null, fps: this.fps, data: item });
    return prepared;
  }

  /** Show the prefetched item, or fetch and load one when there is none yet. */
  async showNext() {
    const gen = this.generation;
    const stale = () => gen !== this.generation;
    if (!this.next && this.prefetching) await this.prefetching; // never two loads into one set
    if (stale()) return;
    let prepared = this.next;
    this.next = null;
    try {
      if (!prepared) {
        this.setState("waiting");
        const item = this.first || await this.fetchNext();
        this.first = null;
        if (stale()) return;
        if (!item) { this.finished(); return; }
        prepared = this.prepare(this.spare, item);
      }
      await prepared.load;
    } catch (e) {
      if (stale() || e.name === "AbortError") return;
      this.notice.say(`Could not load the next item: ${e.message}. Retrying…`, "error");
      await sleep(2000);
      if (!stale()) this.showNext();
      return;
    }
    if (stale()) return;
    const old = this.view;
    this.cur = 1 - this.cur;
    this.player.show(this.view, { play: true });
    old.clear();
    this.shown = prepared;
    this.shown.at = performance.now();
    this.question.replaceChildren(...prepared.mode.question);
    this.answerArea.replaceChildren(prepared.mode.controls);
    text(this.help, prepared.mode.help);
    this.instructions.setKeys(prepared.mode.help);
    if (performance.now() >= this.noticeUntil) this.notice.say("");
    this.setState("ready");
    this.prefetching = this.prefetch(gen);
  }

  async prefetch(gen) {
    try {
      const item = await this.fetchNext();
      if (gen !== this.generation) return;
      if (this.prefetchFailed) { this.prefetchFailed = false; this.notice.say(""); }
      if (!item) return;
      this.next = this.prepare(this.spare, item);
      this.next.load.catch(() => {}); // reported when it is due on screen
    } catch (e) {
      if (gen !== this.generation) return;
      this.prefetchFailed = true;
      this.notice.say(`Prefetch failed: ${e.message}. Retrying…`, "error");
      setTimeout(() => {
        if (gen === this.generation && this.shown && !this.next && !this.prefetching) this.prefetching = this.prefetch(gen);
      }, PREFETCH_RETRY_MS);
    } finally {
      if (gen === this.generation) this.prefetching = null;
    }
  }

  /** Nothing left for this person here: stop the videos, say so, and point at other tasks with open items.
   *  Every RECHECK_MS it asks again, quietly: the done screen stays until there is something to show. */
  async finished() {
    this.shown = null;
    this.player.reset();
    this.sets.forEach((s) => s.clear()); // the last item's videos are let go too
    this.setState("done");
    const gen = this.generation;
    const recheck = async () => {
      if (gen !== this.generation) return;
      let item = null;
      try { item = await this.fetchNext(); } catch { /* asked again below */ }
      if (gen !== this.generation) return;
      if (item) { this.first = item; this.showNext(); } else setTimeout(recheck, RECHECK_MS);
    };
    setTimeout(recheck, RECHECK_MS);
    const others = Object.values(this.tasks).filter((t) => String(t.id) !== this.taskId && t.n_items > 0);
    await this.done.load(others, this.name, () => gen === this.generation);
  }

  /** An answer from the item on screen (a mode's key or button); payload: {label} or {answer, shown}, skip. */
  submit(prepared, payload) {
    if (prepared !== this.shown || !this.name) return;
    const { item } = prepared;
    this.shown = null; // cannot be answered twice
    this.setState("waiting"); // its buttons too, until the next item is on screen
    if (document.activeElement && document.activeElement.tagName === "BUTTON") document.activeElement.blur();
    const common = { submission_id: submissionId(), annotator: this.name, playback_rate: this.player.speed,
      time_spent_ms: Math.max(0, Math.round(performance.now() - prepared.at)) };
    const body = payload.label ? { ...common, pair_id: item.id, ...payload.label }
      : { ...common, question_id: item.id, answer: payload.answer, shown: payload.shown };
    this.queue.add({ path: payload.label ? "/api/labels" : "/api/answers", body, task_id: item.task_id,
      item: item.item, skip: !!payload.skip });
    this.history = [...this.history, { sid: body.submission_id, item }].slice(-HISTORY_MAX);
    this.undoBtn.disabled = false;
    this.showNext();
  }

  /** Take back this tab's last answer (it stays on record, marked undone) and bring its item back on screen. */
  async undo() {
    if (this.undoing) return; // one at a time: each brings its own item back
    const last = this.history.pop();
    this.undoBtn.disabled = !this.history.length;
    if (!last) { this.say("Nothing to undo yet.", "info", NOTICE_MS); return; }
    this.undoing = true;
    const gen = this.generation;
    try {
      if (!this.queue.drop(last.sid) && await this.queue.sent(last.sid)) {
        await api("/api/undo", { json: { submission_id: last.sid, annotator: this.name } });
      }
    } catch (e) {
      if (!e.refused) { this.history.push(last); this.undoBtn.disabled = false; }
      this.say(`Could not undo: ${e.message}`, "error", NOTICE_MS);
      return;
    } finally {
      this.undoing = false;
    }
    this.count.resync();
    this.say("Undone: that item is back for a new answer.", "info", NOTICE_MS);
    if (gen === this.generation) this.restart({ first: last.item }); // not after a switch to another task or name
  }
}

const mounted = new WeakSet();

/** Mount the annotator into `el` (once); the view, for whoever embeds it. */
export function mount(el) {
  if (!el || mounted.has(el)) return;
  mounted.add(el);
  return new Annotator(el);
}

/** Gradio renders its HTML block after this module runs: wait for #pgt-annotator to appear. */
function mountWhenPresent() {
  const find = () => document.getElementById("pgt-annotator");
  if (find()) { mount(find()); return; }
  const obs = new MutationObserver(() => {
    if (find()) { obs.disconnect(); mount(find()); }
  });
  obs.observe(document.documentElement, { childList: true, subtree: true });
}

mountWhenPresent();
