/* PGT Studio annotator: two episodes of one task side by side in the shared player, labelled by keys.
 *
 * Renders into #pgt-annotator (inside the Gradio page at /, or the bare page at /annotate) and talks
 * to the annotator's part of the JSON API.
 *
 * Why it is built this way:
 * - The player holds two sets of videos: the pair on screen and the next pair, fetched and decoded
 *   in advance in the hidden set. Labelling shows the hidden set at once; then the set that went out
 *   of sight prefetches the pair after.
 * - Labels go through a LabelQueue (localStorage, client-made submission ids, retried until the
 *   server acknowledges them), so the next pair never waits on the network.
 */

import { api, query } from "../shared/api.js";
import { h, isTyping, Notice, set, sleep, text } from "../shared/dom.js";
import { pretty } from "../shared/format.js";
import { SyncedPlayer } from "../shared/player.js";
import { LabelQueue } from "./label_queue.js";

const KEYMAP = { ArrowLeft: "left", ArrowRight: "right", ArrowDown: "tie", ArrowUp: "both_bad", s: "skip", S: "skip" };
const CHOICES = [ // choice, button text, key glyph, aria-keyshortcuts
  ["left", "Left is better", "←", "ArrowLeft"],
  ["tie", "Tie", "↓", "ArrowDown"],
  ["both_bad", "Both bad", "↑", "ArrowUp"],
  ["right", "Right is better", "→", "ArrowRight"],
  ["skip", "Skip", "S", "S"],
];
const STORE = { name: "pgt.annotator", task: "pgt.task", pending: "pgt.pending", speed: "pgt.speed" };
const RECHECK_MS = 15_000;
const PREFETCH_RETRY_MS = 2000;
const EXCLUDE_MAX = 100;

/** "n / total labelled" with a bar; never shown going backwards. */
function progressView() {
  const label = h("span", { class: "pgt-progress-text" });
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar", role: "progressbar", "aria-label": "Your progress", "aria-valuemin": "0" }, fill);
  return {
    el: h("div", { class: "pgt-progress" }, label, bar),
    update({ done, total }) {
      text(label, `${done} / ${total} labelled`);
      set(bar, { "aria-valuemax": String(total), "aria-valuenow": String(done) });
      fill.style.width = `${total ? (100 * done) / total : 0}%`;
    },
  };
}

/** "saving n…" / "all labels saved ✓", announced politely. */
function syncView() {
  const el = h("span", { class: "pgt-sync", role: "status", "aria-label": "Label sync" });
  return {
    el,
    update(n) {
      text(el, n ? `saving ${n}…` : "all labels saved ✓");
      set(el, { class: `pgt-sync ${n ? "pgt-busy" : "pgt-saved"}` });
    },
  };
}

/** The first start's background job (default task, rollouts, videos) as a progress bar. */
function bootView() {
  const fill = h("div", { class: "pgt-fill" });
  const bar = h("div", { class: "pgt-bar pgt-boot-bar", role: "progressbar", "aria-label": "Preparing episodes",
    "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
  const line = h("p", { class: "pgt-dim" });
  return {
    el: h("section", { class: "pgt-card pgt-boot", "aria-label": "Preparing episodes", hidden: true },
      h("h2", { text: "Preparing episodes to label…" }), bar, line),
    update(job) {
      const p = Math.round(100 * (job.progress || 0));
      set(bar, { "aria-valuenow": String(p) });
      fill.style.width = `${p}%`;
      text(line, `${job.message || "starting"} (${p}%)`);
    },
  };
}

class Annotator {
  constructor(root) {
    this.root = root;
    this.fps = 10;
    this.generation = 0; // bumps on a name or task change, so answers to older requests are dropped
    this.tasks = {};
    this.shown = null; // the pair on screen that can be labelled
    this.next = null; // the prefetched pair, in the hidden set
    this.nextLoad = null;
    this.prefetching = null;
    this.progress = null;
    this.shownDone = 0;
    this.queue = new LabelQueue({
      storageKey: STORE.pending,
      onChange: (n) => { this.sync.update(n); this.setProgress(); },
      onRefused: (msg) => this.notice.say(`A label was not saved: ${msg}`, "error"),
    });
    this.build();
    this.bindKeys();
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
    this.taskSelect.addEventListener("change", () => {
      localStorage.setItem(STORE.task, this.taskSelect.value);
      this.taskSelect.blur();
      this.restart();
    });
    this.progressView = progressView();
    this.sync = syncView();
    this.boot = bootView();
    this.notice = new Notice({ label: "Notice" });

    this.player = new SyncedPlayer({ label: "Episodes to compare", speedKey: STORE.speed });
    this.sets = [this.player.newSet(), this.player.newSet()];
    this.cur = 0;
    this.question = h("p", { class: "pgt-question" });
    this.buttons = {};
    for (const [c, label, key, shortcut] of CHOICES) {
      this.buttons[c] = h("button", { type: "button", class: `pgt-choice pgt-choice-${c}`, disabled: true,
        "aria-keyshortcuts": shortcut, onclick: () => this.choose(c) },
      h("span", { class: "pgt-key", "aria-hidden": "true", text: key }), ` ${label}`);
    }
    const choices = h("div", { class: "pgt-choices", role: "group", "aria-label": "Your answer" }, Object.values(this.buttons));
    this.main = h("section", { class: "pgt-main", "aria-label": "Pair to label" }, this.question, this.player.el, choices);

    this.root.classList.add("pgt-annotator");
    this.root.replaceChildren(
      h("header", { class: "pgt-header" },
        h("div", { class: "pgt-brand" }, h("b", { text: "PGT Studio" }), h("span", { class: "pgt-dim", text: " · which episode is better?" })),
        h("label", { class: "pgt-field" }, "Annotator ", this.nameInput),
        h("label", { class: "pgt-field" }, "Task ", this.taskSelect),
        h("div", { class: "pgt-status" }, this.progressView.el, this.sync.el)),
      this.boot.el, this.notice.el, this.main,
      h("p", { class: "pgt-help" },
        "Keys: ← left better · → right better · ↓ tie · ↑ both bad · S skip · space play/pause · , . frame step"));
  }

  bindKeys() {
    document.addEventListener("keydown", (e) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (!this.root.isConnected || this.root.offsetParent === null) return; // e.g. another Gradio tab is open
      const choice = KEYMAP[e.key];
      if (choice) { e.preventDefault(); this.choose(choice); return; }
      if (e.key === " ") { e.preventDefault(); this.player.toggle(); }
      else if (e.key === ",") { e.preventDefault(); this.player.step(-1); }
      else if (e.key === ".") { e.preventDefault(); this.player.step(1); }
    });
  }

  get name() { return (this.nameInput.value || "").trim(); }
  get view() { return this.sets[this.cur]; }
  get spare() { return this.sets[1 - this.cur]; }

  setName(value) {
    const v = value.trim();
    if (v) localStorage.setItem(STORE.name, v);
    this.restart();
  }

  setState(state) { // ready | waiting | done | inactive
    set(this.main, { class: `pgt-main pgt-${state}` });
    for (const b of Object.values(this.buttons)) b.disabled = !this.shown;
  }

  async start() {
    await this.waitUntilReady();
    await this.loadTasks();
    this.restart();
  }

  /** While the first start prepares episodes, show its progress instead of the labelling view. */
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
        if (st && !job) this.notice.say("No pairs to label yet. Waiting for the researcher to add some…");
      }
      await sleep(1000);
    }
  }

  async loadTasks() {
    const tasks = await api("/api/tasks");
    this.taskSelect.replaceChildren(...tasks.map((t) =>
      h("option", { value: String(t.id), text: `${pretty(t.name)} (${t.n_pairs} pairs)` })));
    const pick = tasks.find((t) => String(t.id) === this.wantedTask) || tasks.find((t) => t.n_pairs > 0) || tasks[0];
    if (pick) this.taskSelect.value = String(pick.id);
    this.tasks = Object.fromEntries(tasks.map((t) => [String(t.id), t]));
  }

  restart() {
    this.generation += 1;
    this.player.reset();
    this.sets.forEach((s) => s.clear());
    this.shown = null;
    this.next = null;
    this.nextLoad = null;
    this.prefetching = null;
    this.shownAt = null;
    this.shownDone = 0;
    this.progress = null;
    if (!this.name) {
      this.notice.say("Enter your name (top left) to start labeling.", "info");
      this.setState("inactive");
      this.nameInput.focus();
      return;
    }
    this.notice.say("");
    const task = this.tasks[this.taskSelect.value];
    if (task) {
      this.question.replaceChildren("Which episode is better at ", h("b", { text: pretty(task.achievement) }), "? ",
        h("span", { class: "pgt-dim", text: task.description || "" }));
    }
    this.setState("waiting");
    this.showNext();
  }

  /** Pairs on screen, prefetched or with a label on its way: the server must not offer them again. */
  held() {
    const ids = new Set(this.queue.pairIds());
    for (const s of this.sets) if (s.data) ids.add(s.data.id);
    if (this.next) ids.add(this.next.id);
    return [...ids].slice(-EXCLUDE_MAX);
  }

  async fetchNext() {
    const res = await api(`/api/pairs/next${query({ task_id: this.taskSelect.value, annotator: this.name, exclude: this.held().join(",") })}`);
    this.fps = res.fps || this.fps;
    this.setProgress(res.progress);
    return res.pair;
  }

  prepare(videoSet, pair) {
    const side = (traj, title, key) => ({ traj, title, key, name: `${title} episode` });
    return videoSet.load([side(pair.left, "Left", "←"), side(pair.right, "Right", "→")],
      { target: pair.target, fps: this.fps, data: pair });
  }

  /** Show the prefetched pair, or fetch and load one when there is none yet. */
  async showNext() {
    const gen = this.generation;
    const stale = () => gen !== this.generation;
    if (!this.next && this.prefetching) await this.prefetching; // never two loads into one set
    if (stale()) return;
    let pair = this.next;
    let load = this.nextLoad;
    this.next = null;
    this.nextLoad = null;
    try {
      if (!pair) {
        this.setState("waiting");
        pair = await this.fetchNext();
        if (stale()) return;
        if (!pair) { this.finished(); return; }
        load = this.prepare(this.spare, pair);
      }
      await load;
    } catch (e) {
      if (stale() || e.name === "AbortError") return;
      this.notice.say(`Could not load the next pair: ${e.message}. Retrying…`, "error");
      await sleep(2000);
      if (!stale()) this.showNext();
      return;
    }
    if (stale()) return;
    const old = this.view;
    this.cur = 1 - this.cur;
    this.player.show(this.view, { play: true });
    old.clear();
    this.shown = pair;
    this.shownAt = performance.now();
    this.notice.say("");
    this.setState("ready");
    this.prefetching = this.prefetch(gen);
  }

  async prefetch(gen) {
    try {
      const pair = await this.fetchNext();
      if (gen !== this.generation) return;
      if (this.prefetchFailed) { this.prefetchFailed = false; this.notice.say(""); }
      if (!pair) return;
      this.next = pair;
      this.nextLoad = this.prepare(this.spare, pair);
      this.nextLoad.catch(() => {}); // reported when it is due on screen
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

  finished() {
    this.shown = null;
    this.setState("done");
    this.notice.say("All pairs you can label here are done — thank you! New pairs are checked for every 15 s.", "success");
    const gen = this.generation;
    setTimeout(() => { if (gen === this.generation && !this.shown) this.showNext(); }, RECHECK_MS);
  }

  /** done = the server's count + labels still on their way; never shown going backwards. */
  setProgress(p) {
    if (p) this.progress = p;
    if (!this.progress) return;
    const { total } = this.progress;
    const unsent = this.queue.unsent(this.taskSelect.value);
    this.shownDone = Math.min(total, Math.max(this.shownDone, this.progress.done + unsent));
    this.progressView.update({ done: this.shownDone, total });
  }

  choose(choice) {
    const pair = this.shown;
    if (!pair || !this.name) return;
    this.shown = null; // cannot be labelled twice
    const btn = this.buttons[choice];
    btn.classList.add("pgt-flash");
    setTimeout(() => btn.classList.remove("pgt-flash"), 150);
    if (document.activeElement && document.activeElement.tagName === "BUTTON") document.activeElement.blur();
    this.shownDone += 1;
    this.queue.add({
      pair_id: pair.id, annotator: this.name, choice, left_traj: pair.left.id, right_traj: pair.right.id,
      time_spent_ms: Math.max(0, Math.round(performance.now() - (this.shownAt || performance.now()))),
      task_id: pair.task_id,
    });
    this.showNext();
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
