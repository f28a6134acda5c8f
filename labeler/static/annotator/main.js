/* PGT Studio annotator: two episodes side by side, one shared player, keyboard labels.
 *
 * Renders itself into #pgt-annotator (inside the Gradio page at / or the bare page at
 * /annotate) and talks to the JSON API under /api.
 *
 * Why it is built this way:
 * - Two pair views exist at all times: the one on screen and the next pair, whose videos
 *   are fetched as blobs and decoded in advance. Labeling swaps the two views, so the next
 *   pair appears in well under 100 ms; then the now-hidden view prefetches the pair after.
 * - Labels are queued in localStorage under a client-made submission id and sent in the
 *   background with retries; the server is idempotent on that id, so a retry after a lost
 *   response never writes twice, and a reload never loses an unsent label.
 * - One clock: the longer video leads, the other follows (re-synced when they drift).
 */
(() => {
  "use strict";

  const KEYMAP = { ArrowLeft: "left", ArrowRight: "right", ArrowDown: "tie", ArrowUp: "both_bad", s: "skip", S: "skip" };
  const CHOICES = [
    ["left", "Left is better", "←"],
    ["tie", "Tie", "↓"],
    ["both_bad", "Both bad", "↑"],
    ["right", "Right is better", "→"],
    ["skip", "Skip", "S"],
  ];
  const SPEEDS = [0.25, 0.5, 1, 2, 4];
  const STORE = { name: "pgt.annotator", task: "pgt.task", pending: "pgt.pending", speed: "pgt.speed" };
  const DRIFT_S = 0.08;

  // -- small helpers ---------------------------------------------------------------------
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
    return el;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, opts = {}) {
    const init = { ...opts, headers: { "Content-Type": "application/json", ...(opts.headers || {}) } };
    const r = await fetch(path, init);
    let body = null;
    try { body = await r.json(); } catch (_) { /* empty or not JSON */ }
    if (!r.ok) {
      const d = body && body.detail;
      const err = new Error(typeof d === "string" ? d : d ? JSON.stringify(d) : `HTTP ${r.status}`);
      err.status = r.status;
      throw err;
    }
    return body;
  }

  const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
  const pretty = (name) => String(name).replace(/_/g, " ");
  /* Keys go to labeling unless the focus is somewhere that types (a range slider does not). */
  const typing = (el) => !!el && (el.isContentEditable || /^(TEXTAREA|SELECT)$/.test(el.tagName) ||
    (el.tagName === "INPUT" && !/^(range|checkbox|radio|button|submit)$/.test(el.type)));

  // -- one side: video + timeline ---------------------------------------------------------
  class Side {
    constructor(which, onSeek) {
      this.which = which;
      this.video = h("video", { muted: true, playsinline: true, preload: "auto", "data-testid": `pgt-video-${which}` });
      this.video.muted = true; // the property, not just the attribute, is what autoplay checks
      this.badge = h("div", { class: "pgt-badge" });
      this.track = h("div", { class: "pgt-track", title: "click to seek" });
      this.cursor = h("div", { class: "pgt-cursor" });
      this.caption = h("div", { class: "pgt-caption" });
      this.track.addEventListener("click", (e) => {
        const r = this.track.getBoundingClientRect();
        onSeek((e.clientX - r.left) / r.width);
      });
      this.el = h("div", { class: `pgt-side pgt-side-${which}` },
        h("div", { class: "pgt-side-title" }, h("span", { class: "pgt-key", text: which === "left" ? "←" : "→" }),
          ` ${which === "left" ? "Left" : "Right"}`),
        h("div", { class: "pgt-stage" }, this.video, this.badge),
        this.track, this.caption);
      this.url = null;
    }

    async load(traj, target, frames, signal) {
      this.traj = traj;
      const r = await fetch(traj.video_url, { signal });
      if (!r.ok) throw new Error(`video ${traj.id}: HTTP ${r.status}`);
      const blob = await r.blob();
      this.unload();
      this.url = URL.createObjectURL(blob);
      const ready = new Promise((res, rej) => {
        const ok = () => { cleanup(); res(); };
        const bad = () => { cleanup(); rej(new Error(`video ${traj.id} could not be decoded`)); };
        const cleanup = () => { this.video.removeEventListener("loadeddata", ok); this.video.removeEventListener("error", bad); };
        this.video.addEventListener("loadeddata", ok);
        this.video.addEventListener("error", bad);
      });
      this.video.src = this.url;
      this.video.load();
      this.drawTimeline(traj, target, frames);
      await ready;
    }

    unload() {
      this.video.pause();
      if (this.url) { this.video.removeAttribute("src"); this.video.load(); URL.revokeObjectURL(this.url); }
      this.url = null;
    }

    /* Both timelines share one scale (the longer episode), so positions compare directly. */
    drawTimeline(traj, target, frames) {
      const pct = (step) => `${(100 * step) / Math.max(1, frames - 1)}%`;
      this.track.replaceChildren(this.cursor);
      const hits = traj.events.filter(([, n]) => n === target);
      const others = traj.events.filter(([, n]) => n !== target);
      if (traj.length + 1 < frames) {
        this.track.append(h("div", { class: "pgt-ended", style: `left:${pct(traj.length)};`, title: "episode over" }));
      }
      // cumulative target count as a step line (the task's reward signal over time)
      if (hits.length) {
        const pts = ["0,100"];
        hits.forEach(([s], i) => {
          const x = (100 * (s + 1)) / Math.max(1, frames - 1);
          const y = 100 - (90 * (i + 1)) / hits.length;
          const prevY = 100 - (90 * i) / hits.length;
          pts.push(`${x},${prevY}`, `${x},${y}`);
        });
        pts.push(`${(100 * traj.length) / Math.max(1, frames - 1)},${100 - 90}`);
        const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("viewBox", "0 0 100 100");
        svg.setAttribute("preserveAspectRatio", "none");
        svg.setAttribute("class", "pgt-curve");
        const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
        line.setAttribute("points", pts.join(" "));
        svg.append(line);
        this.track.append(svg);
      }
      for (const [s, n] of others) {
        this.track.append(h("div", { class: "pgt-tick", style: `left:${pct(s + 1)}`, title: `${pretty(n)} at step ${s}` }));
      }
      for (const [s, n] of hits) {
        this.track.append(h("div", { class: "pgt-hit", style: `left:${pct(s + 1)}`, title: `${pretty(n)} at step ${s}` }, "★"));
      }
      const first = hits.length ? `first at step ${hits[0][0]}` : "never";
      const also = [...new Set(others.map(([, n]) => pretty(n)))];
      this.caption.replaceChildren(
        h("span", { class: hits.length ? "pgt-ok" : "pgt-miss", text: `${pretty(target)} ×${hits.length}` }),
        h("span", { text: ` · ${first} · ${traj.length} steps` }),
        ...(also.length ? [h("span", { class: "pgt-dim", text: ` · also ${also.join(", ")}` })] : []),
      );
      this.badge.textContent = traj.success ? "★" : "";
    }

    setCursor(frame, frames) {
      this.cursor.style.left = `${(100 * frame) / Math.max(1, frames - 1)}%`;
    }
  }

  // -- a pair view (two sides); two of them alternate on screen ---------------------------
  class PairView {
    constructor(onSeek) {
      this.left = new Side("left", onSeek);
      this.right = new Side("right", onSeek);
      this.el = h("div", { class: "pgt-pair pgt-offstage", "data-testid": "pgt-pair" }, this.left.el, this.right.el);
      this.pair = null;
      this.ready = null; // promise resolved when both videos can show a frame
      this.abort = null;
    }

    prepare(pair) {
      this.clear();
      this.pair = pair;
      this.frames = Math.max(pair.left.length, pair.right.length) + 1;
      this.el.dataset.pairId = String(pair.id);
      this.abort = new AbortController();
      const sig = this.abort.signal;
      this.ready = Promise.all([
        this.left.load(pair.left, pair.target, this.frames, sig),
        this.right.load(pair.right, pair.target, this.frames, sig),
      ]).then(() => { this.loaded = true; });
      this.loaded = false;
      return this.ready;
    }

    clear() {
      if (this.abort) this.abort.abort();
      this.left.unload();
      this.right.unload();
      this.pair = null;
      this.loaded = false;
      this.ready = null;
      delete this.el.dataset.pairId;
    }

    videos() { return [this.left.video, this.right.video]; }
  }

  // -- the app ---------------------------------------------------------------------------
  class Annotator {
    constructor(root) {
      this.root = root;
      this.fps = 10;
      this.playing = true;
      this.loop = true;
      this.speed = Number(localStorage.getItem(STORE.speed)) || 1;
      this.pending = JSON.parse(localStorage.getItem(STORE.pending) || "[]");
      this.views = [new PairView((f) => this.seekFraction(f)), new PairView((f) => this.seekFraction(f))];
      this.cur = 0; // index of the view on screen
      this.nextPair = null; // the prefetched pair (in views[1 - cur])
      this.progress = null;
      this.generation = 0; // bumps on name/task change so stale fetches are dropped
      this.lastSwap = null;
      this.build();
      this.bindKeys();
      this.tick = this.tick.bind(this);
      requestAnimationFrame(this.tick);
      this.flushPending();
      this.start();
    }

    // -- layout ---------------------------------------------------------------------------
    build() {
      const params = new URLSearchParams(location.search);
      this.nameInput = h("input", {
        class: "pgt-input", "data-testid": "pgt-name", placeholder: "your name", maxlength: "64",
        value: params.get("annotator") || localStorage.getItem(STORE.name) || "",
      });
      this.nameInput.addEventListener("change", () => this.setName(this.nameInput.value));
      this.nameInput.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.nameInput.blur(); } });
      this.taskSelect = h("select", { class: "pgt-input", "data-testid": "pgt-task" });
      this.taskSelect.addEventListener("change", () => {
        localStorage.setItem(STORE.task, this.taskSelect.value);
        this.taskSelect.blur();
        this.restart();
      });
      this.wantedTask = params.get("task") || localStorage.getItem(STORE.task);
      this.progressText = h("span", { class: "pgt-progress-text", "data-testid": "pgt-progress" });
      this.progressBar = h("div", { class: "pgt-progress-fill" });
      this.syncText = h("span", { class: "pgt-sync", "data-testid": "pgt-sync" });

      this.notice = h("div", { class: "pgt-notice", "data-testid": "pgt-notice" });
      this.bootBar = h("div", { class: "pgt-boot-fill" });
      this.bootText = h("div", { class: "pgt-boot-text" });
      this.boot = h("div", { class: "pgt-boot", hidden: true, "data-testid": "pgt-bootstrap" },
        h("div", { class: "pgt-boot-title", text: "Preparing episodes to label…" }),
        h("div", { class: "pgt-boot-bar" }, this.bootBar), this.bootText);
      this.question = h("div", { class: "pgt-question" });
      this.stage = h("div", { class: "pgt-pairs" }, this.views[0].el, this.views[1].el);

      this.playBtn = h("button", { class: "pgt-ctl", title: "play / pause (space)", "data-testid": "pgt-play", onclick: () => this.togglePlay() }, "❚❚");
      this.scrub = h("input", { type: "range", class: "pgt-scrub", min: "0", max: "1", step: "1", value: "0", "data-testid": "pgt-scrub" });
      this.scrub.addEventListener("input", () => { this.setPlaying(false); this.seekFrame(Number(this.scrub.value)); });
      this.frameText = h("span", { class: "pgt-frame", "data-testid": "pgt-frame" });
      this.speedSelect = h("select", { class: "pgt-input pgt-speed", title: "speed", "data-testid": "pgt-speed" },
        SPEEDS.map((s) => h("option", { value: String(s), selected: s === this.speed, text: `${s}×` })));
      this.speedSelect.addEventListener("change", () => { this.setSpeed(Number(this.speedSelect.value)); this.speedSelect.blur(); });
      this.loopBox = h("input", { type: "checkbox", checked: this.loop });
      this.loopBox.addEventListener("change", () => { this.loop = this.loopBox.checked; });
      const controls = h("div", { class: "pgt-controls" },
        h("button", { class: "pgt-ctl", title: "previous frame (,)", onclick: () => this.step(-1) }, "◀︎|"),
        this.playBtn,
        h("button", { class: "pgt-ctl", title: "next frame (.)", onclick: () => this.step(1) }, "|▶︎"),
        this.scrub, this.frameText, this.speedSelect,
        h("label", { class: "pgt-loop" }, this.loopBox, " loop"));

      this.buttons = {};
      const choiceRow = h("div", { class: "pgt-choices" }, CHOICES.map(([c, text, key]) => {
        const b = h("button", { class: `pgt-choice pgt-choice-${c}`, "data-testid": `pgt-choice-${c}`, onclick: () => this.choose(c) },
          h("span", { class: "pgt-key", text: key }), ` ${text}`);
        this.buttons[c] = b;
        return b;
      }));
      this.main = h("div", { class: "pgt-main" }, this.question, this.stage, controls, choiceRow);

      this.root.replaceChildren(
        h("div", { class: "pgt-header" },
          h("div", { class: "pgt-brand" }, h("b", { text: "PGT Studio" }), h("span", { class: "pgt-dim", text: " · which episode is better?" })),
          h("label", { class: "pgt-field" }, "Annotator ", this.nameInput),
          h("label", { class: "pgt-field" }, "Task ", this.taskSelect),
          h("div", { class: "pgt-progress" }, this.progressText, h("div", { class: "pgt-progress-bar" }, this.progressBar)),
          this.syncText),
        this.boot, this.notice, this.main,
        h("div", { class: "pgt-help" },
          "Keys: ← left better · → right better · ↓ tie · ↑ both bad · S skip · space play/pause · , . frame step"));
      this.renderSync();
    }

    bindKeys() {
      document.addEventListener("keydown", (e) => {
        if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
        if (!this.root.isConnected || this.root.offsetParent === null) return; // tab hidden
        const choice = KEYMAP[e.key];
        if (choice) { e.preventDefault(); this.choose(choice); return; }
        if (e.key === " ") { e.preventDefault(); this.togglePlay(); }
        else if (e.key === ",") { e.preventDefault(); this.step(-1); }
        else if (e.key === ".") { e.preventDefault(); this.step(1); }
      });
    }

    say(text, kind = "info") {
      this.notice.textContent = text || "";
      this.notice.className = `pgt-notice pgt-${kind}`;
      this.notice.hidden = !text;
    }

    // -- identity and task ------------------------------------------------------------------
    get name() { return (this.nameInput.value || "").trim(); }
    get view() { return this.views[this.cur]; }
    get spare() { return this.views[1 - this.cur]; }

    setName(value) {
      const v = value.trim();
      if (v) localStorage.setItem(STORE.name, v);
      this.restart();
    }

    async start() {
      await this.waitUntilReady();
      await this.loadTasks();
      this.restart();
    }

    async waitUntilReady() {
      for (;;) {
        let st = null;
        try { st = await api("/api/status"); } catch (e) { this.say(`Cannot reach the server: ${e.message}`, "error"); }
        const job = st && st.bootstrap;
        if (job && (job.status === "running" || job.status === "queued")) {
          this.boot.hidden = false;
          this.main.hidden = true;
          this.sawBootstrap = true;
          this.bootBar.style.width = `${Math.round(100 * job.progress)}%`;
          this.bootText.textContent = `${job.message || "starting"} (${Math.round(100 * job.progress)}%)`;
        } else {
          this.boot.hidden = true;
          this.main.hidden = false;
          if (job && job.status === "failed") this.say(`Preparing episodes failed: ${job.error}`, "error");
          if (st && st.ready) return;
          if (st && !job) { this.say("No pairs to label yet. Waiting for the researcher to add some…"); }
        }
        await sleep(1000);
      }
    }

    async loadTasks() {
      const tasks = await api("/api/tasks");
      const wanted = this.wantedTask;
      this.taskSelect.replaceChildren(...tasks.map((t) =>
        h("option", { value: String(t.id), text: `${pretty(t.name)} (${t.n_pairs} pairs)` })));
      const pick = tasks.find((t) => String(t.id) === wanted) || tasks.find((t) => t.n_pairs > 0) || tasks[0];
      if (pick) this.taskSelect.value = String(pick.id);
      this.tasks = Object.fromEntries(tasks.map((t) => [String(t.id), t]));
    }

    // -- queue of pairs ---------------------------------------------------------------------
    restart() {
      this.generation += 1;
      this.views.forEach((v) => { v.clear(); v.el.classList.add("pgt-offstage"); });
      this.nextPair = null;
      this.nextLoad = null;
      this.prefetching = null;
      this.shownAt = null;
      this.shownDone = 0;
      this.progress = null;
      this.main.classList.remove("pgt-waiting");
      if (!this.name) {
        this.say("Enter your name (top left) to start labeling.", "info");
        this.main.classList.add("pgt-inactive");
        this.nameInput.focus();
        return;
      }
      this.main.classList.remove("pgt-inactive");
      this.say("");
      const task = this.tasks && this.tasks[this.taskSelect.value];
      if (task) this.question.replaceChildren("Which episode is better at ", h("b", { text: pretty(task.achievement) }),
        "? ", h("span", { class: "pgt-dim", text: task.description || "" }));
      this.showNext();
    }

    held() {
      const ids = new Set(this.pending.map((l) => l.pair_id));
      for (const v of this.views) if (v.pair) ids.add(v.pair.id);
      if (this.nextPair) ids.add(this.nextPair.id);
      return [...ids];
    }

    async fetchNext() {
      const q = new URLSearchParams({ task_id: this.taskSelect.value, annotator: this.name, exclude: this.held().slice(-100).join(",") });
      const res = await api(`/api/pairs/next?${q}`);
      this.fps = res.fps || this.fps;
      this.setProgress(res.progress);
      return res.pair;
    }

    /* Put the prefetched pair on screen, or fetch one when there is none yet. */
    async showNext() {
      const gen = this.generation;
      if (!this.nextPair && this.prefetching) await this.prefetching; // never two loads into one view
      if (gen !== this.generation) return;
      let pair = this.nextPair;
      let load = this.nextLoad;
      const view = this.spare;
      this.nextPair = null;
      this.nextLoad = null;
      const t0 = performance.now();
      try {
        if (!pair) {
          this.main.classList.add("pgt-waiting");
          pair = await this.fetchNext();
          if (gen !== this.generation) return;
          if (!pair) { this.finished(); return; }
          load = view.prepare(pair);
        }
        await load;
      } catch (e) {
        if (gen !== this.generation) return;
        this.say(`Could not load the next pair: ${e.message}. Retrying…`, "error");
        await sleep(2000);
        if (gen === this.generation) this.showNext();
        return;
      }
      if (gen !== this.generation) return;
      // swap: the prepared view goes on screen, the old one becomes the prefetch buffer
      const old = this.view;
      old.el.classList.add("pgt-offstage");
      old.clear();
      this.cur = 1 - this.cur;
      this.view.el.classList.remove("pgt-offstage");
      this.main.classList.remove("pgt-waiting", "pgt-done");
      this.say("");
      const [a, b] = this.view.videos();
      this.lastSwap = { ms: performance.now() - (this.choiceAt || t0), ready: a.readyState >= 2 && b.readyState >= 2, pair: pair.id };
      this.choiceAt = null;
      this.scrub.max = String(this.view.frames - 1);
      this.videos().forEach((v) => { v.playbackRate = this.speed; v.currentTime = 0; });
      this.setPlaying(true);
      this.shownAt = performance.now();
      this.prefetching = this.prefetch(gen);
    }

    async prefetch(gen) {
      try {
        const pair = await this.fetchNext();
        if (gen !== this.generation || !pair) return;
        this.nextPair = pair;
        this.nextLoad = this.spare.prepare(pair);
        this.nextLoad.catch(() => {}); // surfaced when it is shown
      } catch (e) {
        if (gen === this.generation) this.say(`Prefetch failed: ${e.message}`, "error");
      } finally {
        if (gen === this.generation) this.prefetching = null;
      }
    }

    finished() {
      this.main.classList.remove("pgt-waiting");
      this.main.classList.add("pgt-done");
      this.say("All pairs you can label here are done — thank you! New pairs are checked for every 15 s.", "success");
      const gen = this.generation;
      setTimeout(() => { if (gen === this.generation && !this.view.pair) this.showNext(); }, 15000);
    }

    /* done = the server's count + labels still on their way; never shown going backwards. */
    setProgress(p) {
      if (p) this.progress = p;
      if (!this.progress) return;
      const { total } = this.progress;
      const unsent = this.pending.filter((l) => !l.acked && String(l.task_id) === this.taskSelect.value).length;
      this.shownDone = Math.min(total, Math.max(this.shownDone || 0, this.progress.done + unsent));
      this.progressText.textContent = `${this.shownDone} / ${total} labelled`;
      this.progressBar.style.width = `${total ? (100 * this.shownDone) / total : 0}%`;
    }

    // -- labeling ---------------------------------------------------------------------------
    choose(choice) {
      const view = this.view;
      if (!view.pair || !view.loaded || this.main.classList.contains("pgt-inactive")) return;
      this.choiceAt = performance.now();
      const pair = view.pair;
      const label = {
        submission_id: uuid(), pair_id: pair.id, annotator: this.name, choice,
        left_traj: pair.left.id, right_traj: pair.right.id,
        time_spent_ms: Math.max(0, Math.round(performance.now() - (this.shownAt || performance.now()))),
        task_id: pair.task_id, // local bookkeeping only; not sent
      };
      const btn = this.buttons[choice];
      btn.classList.add("pgt-flash");
      setTimeout(() => btn.classList.remove("pgt-flash"), 150);
      if (document.activeElement && document.activeElement.tagName === "BUTTON") document.activeElement.blur();
      this.pending.push(label);
      this.savePending();
      this.shownDone = (this.shownDone || 0) + 1;
      this.setProgress();
      this.flushPending();
      view.pair = null; // cannot be labelled twice
      this.showNext();
    }

    savePending() {
      localStorage.setItem(STORE.pending, JSON.stringify(this.pending.filter((l) => !l.acked)));
      this.renderSync();
    }

    renderSync() {
      const n = this.pending.filter((l) => !l.acked).length;
      this.syncText.textContent = n ? `saving ${n}…` : "all labels saved ✓";
      this.syncText.className = `pgt-sync ${n ? "pgt-busy" : "pgt-ok"}`;
      this.syncText.dataset.pending = String(n);
    }

    /* Send queued labels one by one, retrying with backoff; idempotent on submission_id. */
    async flushPending() {
      if (this.flushing) return;
      this.flushing = true;
      let delay = 500;
      try {
        while (this.pending.some((l) => !l.acked)) {
          const label = this.pending.find((l) => !l.acked);
          try {
            const { task_id, acked, ...body } = label;
            await api("/api/labels", { method: "POST", body: JSON.stringify(body) });
            label.acked = true;
            delay = 500;
          } catch (e) {
            if (e.status && e.status < 500) {
              label.acked = true; // refused for good (e.g. already labelled): drop it, say why
              this.say(`A label was not saved: ${e.message}`, "error");
            } else {
              await sleep(delay);
              delay = Math.min(delay * 2, 10000);
            }
          }
          this.pending = this.pending.filter((l) => !l.acked);
          this.savePending();
        }
      } finally {
        this.flushing = false;
      }
    }

    // -- the shared player ------------------------------------------------------------------
    videos() { return this.view.videos(); }

    /* The longer episode leads; the other follows it. */
    leader() {
      const [a, b] = this.videos();
      return (b.duration || 0) > (a.duration || 0) ? b : a;
    }

    setPlaying(on) {
      this.playing = on;
      this.playBtn.textContent = on ? "❚❚" : "▶";
      for (const v of this.videos()) {
        if (!v.src) continue;
        if (on && v.currentTime < v.duration - 1e-3) v.play().catch(() => {});
        else if (!on) v.pause();
      }
    }

    togglePlay() {
      if (!this.playing && this.leader().currentTime >= (this.leader().duration || 0) - 1e-3) this.seekFrame(0);
      this.setPlaying(!this.playing);
    }

    setSpeed(s) {
      this.speed = s;
      localStorage.setItem(STORE.speed, String(s));
      this.videos().forEach((v) => { v.playbackRate = s; });
    }

    seekFrame(frame) {
      const view = this.view;
      if (!view.pair) return;
      const f = Math.max(0, Math.min(view.frames - 1, Math.round(frame)));
      const t = (f + 0.5) / this.fps; // the middle of the frame: robust to rounding
      for (const v of this.videos()) {
        const end = (v.duration || t) - 0.5 / this.fps;
        v.currentTime = Math.max(0, Math.min(t, end));
      }
      if (this.playing) this.setPlaying(true);
      this.paint(f);
    }

    seekFraction(x) { this.seekFrame(x * (this.view.frames - 1)); }

    step(delta) {
      this.setPlaying(false);
      this.seekFrame(this.currentFrame() + delta);
    }

    currentFrame() { return Math.floor(this.leader().currentTime * this.fps + 1e-3); }

    paint(frame) {
      const view = this.view;
      if (!view.pair) return;
      this.scrub.value = String(frame);
      this.frameText.textContent = `step ${frame} / ${view.frames - 1}`;
      view.left.setCursor(frame, view.frames);
      view.right.setCursor(frame, view.frames);
    }

    tick() {
      requestAnimationFrame(this.tick);
      const view = this.view;
      if (!view.pair || !view.loaded) return;
      const lead = this.leader();
      const [a, b] = this.videos();
      const follow = lead === a ? b : a;
      if (this.playing) {
        const t = lead.currentTime;
        if (t < (follow.duration || 0) - 1e-3) {
          if (Math.abs(follow.currentTime - t) > DRIFT_S) follow.currentTime = t;
          if (follow.paused && !lead.paused) follow.play().catch(() => {});
        }
        if (lead.ended || t >= lead.duration - 1e-3) {
          if (this.loop) { this.videos().forEach((v) => { v.currentTime = 0; }); this.setPlaying(true); }
          else this.setPlaying(false);
        }
      }
      this.paint(Math.min(view.frames - 1, this.currentFrame()));
    }
  }

  function mount(el) {
    if (!el || el.dataset.pgtMounted) return;
    el.dataset.pgtMounted = "1";
    window.pgtAnnotator = new Annotator(el);
  }

  function mountWhenPresent() {
    const el = document.getElementById("pgt-annotator");
    if (el) { mount(el); return; }
    const obs = new MutationObserver(() => {
      const found = document.getElementById("pgt-annotator");
      if (found) { obs.disconnect(); mount(found); }
    });
    obs.observe(document.documentElement, { childList: true, subtree: true });
  }

  window.PGTAnnotator = { mount };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountWhenPresent);
  else mountWhenPresent();
})();
