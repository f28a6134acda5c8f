/* PGT Studio researcher view: tasks, rounds, jobs, plots, before/after review, latent library.
 * Talks to /api/researcher with the HttpOnly researcher cookie (same origin); polls the selected
 * task every 1.5 s and redraws only what changed, so forms keep their input and videos keep playing. */
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`);
  const num = (x, d = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));
  const TERMINAL = ["promoted", "rejected", "failed"];
  const state = { overview: null, taskId: null, view: null, plotsKey: "", reviewKey: "", openLogs: new Set(), compare: new Set() };

  async function api(path, opts = {}) {
    const resp = await fetch("/api/researcher" + path, {
      credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...opts,
    });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : resp.statusText);
    return body;
  }
  const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body || {}) });

  function notice(text, ok) {
    const el = $("#rs-notice");
    el.hidden = !text;
    el.textContent = text || "";
    el.className = "rs-notice" + (ok ? " rs-ok" : "");
    if (text) setTimeout(() => { if (el.textContent === text) el.hidden = true; }, ok ? 3000 : 8000);
  }
  async function act(fn, okText) {
    try { await fn(); if (okText) notice(okText, true); await refresh(); } catch (e) { notice(e.message); }
  }

  // -- overview: tasks, workers, new-task form --------------------------------------------------
  async function loadOverview() {
    const ov = await api("/overview");
    state.overview = ov;
    const w = ov.workers;
    $("[data-testid=rs-workers]").textContent = w.length
      ? "workers: " + w.map((x) => `${x.name.split(":")[0]} (${(x.info && x.info.device) || "?"}${x.job_id ? ", busy" : ""})`).join(", ")
      : "workers: none seen yet";
    const list = $("[data-testid=rs-tasks]");
    list.innerHTML = ov.tasks.map((t) => `<li data-task="${t.id}" class="${t.id === state.taskId ? "rs-sel" : ""}">
        <div><b>${esc(t.name)}</b> <span class="rs-sub">${esc(t.achievement)}</span></div>
        <div class="rs-sub">${t.round ? `round ${t.round}: ${esc(t.status)}` : "no rounds yet"} · ${t.n_labels} labels</div></li>`).join("");
    list.querySelectorAll("li").forEach((li) => li.addEventListener("click", () => selectTask(Number(li.dataset.task))));
    const form = $("#rs-task-form");
    if (!form.dataset.filled) {
      form.dataset.filled = "1";
      form.achievement.innerHTML = ov.achievements.map((a) => `<option>${esc(a)}</option>`).join("");
      form.prompt_task.innerHTML = ov.prompts.map((p) => `<option>${esc(p)}</option>`).join("");
      fillRoundForm(ov.defaults);
    }
    if (state.taskId === null && ov.tasks.length) selectTask(ov.tasks[0].id);
  }

  function fillRoundForm(cfg) {
    const f = $("#rs-round-form");
    for (const el of f.elements) if (el.name && cfg[el.name] !== undefined && cfg[el.name] !== null) el.value = cfg[el.name];
  }

  function taskFormSetup() {
    const f = $("#rs-task-form");
    const sync = () => {
      const traj = f.prompt_kind.value === "trajectory";
      f.querySelectorAll(".rs-when-traj").forEach((e) => (e.hidden = !traj));
      f.querySelectorAll(".rs-when-task").forEach((e) => (e.hidden = traj));
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
        const t = await post("/tasks", { name: f.name.value.trim(), achievement: f.achievement.value,
          max_steps: Number(f.max_steps.value), description: f.description.value, prompt });
        f.reset(); sync(); $("#rs-new-task").open = false;
        state.taskId = t.id;
      }, "Task created; its z0 is the prompt clip's latent");
    });
    sync();
  }

  function roundFormSetup() {
    const f = $("#rs-round-form");
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const config = {};
      for (const el of f.elements) {
        if (!el.name || el.value === "") continue;
        config[el.name] = el.type === "number" ? Number(el.value) : el.value;
      }
      act(() => post(`/tasks/${state.taskId}/rounds`, { config }), "Round started");
    });
  }

  // -- one task -----------------------------------------------------------------------------------
  function selectTask(id) {
    state.taskId = id; state.plotsKey = ""; state.reviewKey = ""; state.compare.clear();
    $("#rs-compare-out").innerHTML = "";
    document.querySelectorAll("[data-testid=rs-tasks] li").forEach((li) => li.classList.toggle("rs-sel", Number(li.dataset.task) === id));
    refresh();
  }

  async function refresh() {
    try {
      await loadOverview();
      if (state.taskId === null) return;
      const v = await api(`/tasks/${state.taskId}`);
      state.view = v;
      render(v);
    } catch (e) { notice(e.message); }
  }

  function render(v) {
    $("#rs-empty").hidden = true; $("#rs-task").hidden = false;
    $("#rs-task-title").textContent = v.task.name;
    const labels = v.rounds.reduce((a, r) => a + r.labels, 0);
    $("#rs-task-meta").textContent = `${v.task.achievement} · ${v.task.max_steps} steps · active latent #${v.active_latent_id ?? "–"} · ${labels} labels`;
    $("#rs-rollback").disabled = !v.promotions.length;
    const last = v.rounds[v.rounds.length - 1];
    $("#rs-start-round").disabled = !!last && !TERMINAL.includes(last.status);
    renderRounds(v.rounds);
    renderJobs(v.jobs);
    renderLatents(v.latents);
    const plotsKey = v.rounds.map((r) => `${r.id}:${r.status}:${r.updated_at}`).join("|");
    if (plotsKey !== state.plotsKey) { state.plotsKey = plotsKey; loadPlots(); }
    const reviewRound = v.rounds.filter((r) => r.result && r.result.eval).pop();
    const reviewKey = reviewRound ? `${reviewRound.id}:${reviewRound.status}` : "";
    if (reviewKey !== state.reviewKey) { state.reviewKey = reviewKey; if (reviewRound) loadReview(reviewRound.id); else $("#rs-review").hidden = true; }
  }

  function roundActions(r) {
    const b = [];
    if (r.status === "labelling") b.push(`<button class="rs-btn rs-primary" data-act="tune" data-round="${r.id}" data-testid="rs-tune-${r.number}" ${r.decisive ? "" : "disabled title='no decisive labels yet'"}>Tune</button>`);
    if (r.status === "review") b.push(`<button class="rs-btn rs-good" data-act="promote" data-round="${r.id}" data-testid="rs-promote-${r.number}">Promote</button>`);
    if (r.result && r.result.eval) b.push(`<button class="rs-btn" data-act="review" data-round="${r.id}">Review</button>`);
    if (r.status === "failed") b.push(`<button class="rs-btn" data-act="retry" data-round="${r.id}">Retry</button>`);
    if (["labelling", "review", "failed"].includes(r.status)) b.push(`<button class="rs-btn rs-danger" data-act="reject" data-round="${r.id}" data-testid="rs-reject-${r.number}">${r.status === "review" ? "Roll back" : "Reject"}</button>`);
    return b.join("");
  }

  function renderRounds(rounds) {
    const rate = (r, role) => ((r.result.eval || {}).rates || []).find((x) => x.role === role);
    $("#rs-rounds").innerHTML = rounds.slice().reverse().map((r) => {
      const job = r.job && !["done"].includes(r.job.status) && !TERMINAL.includes(r.status) ? r.job : null;
      const best = (r.result.tune || {}).best;
      const prog = job ? `<div class="rs-bar"><div class="rs-fill" style="width:${Math.round(job.progress * 100)}%"></div></div>
          <div class="rs-msg">${esc(job.kind)} ${esc(job.status)}${job.attempts > 1 ? ` (attempt ${job.attempts})` : ""}: ${esc(job.message || "")}</div>` : "";
      const z0 = rate(r, "prompt"), tuned = rate(r, "candidate");
      return `<tr data-testid="rs-round-${r.number}">
        <td>${r.number}</td>
        <td><span class="rs-badge ${esc(r.status)}" data-testid="rs-round-status">${esc(r.status.replace("_", " "))}</span>
            ${r.error ? `<div class="rs-err" data-testid="rs-round-error">${esc(r.error)}</div>` : ""}</td>
        <td>${prog}</td>
        <td>${r.decisive}/${r.labels} on ${r.pairs} pairs</td>
        <td>${z0 ? `${pct(z0.success_rate)} → <b>${pct(tuned && tuned.success_rate)}</b>` : "–"}</td>
        <td>${best ? `loss ${num(best.val_loss ?? best.train_loss)} · margin ${num((best.val.margin ?? best.train.margin))} · acc ${pct(best.val.accuracy ?? best.train.accuracy)}` : "–"}</td>
        <td>${roundActions(r)}</td></tr>`;
    }).join("") || `<tr><td colspan="7" class="rs-dim">No rounds yet: start one above.</td></tr>`;
    $("#rs-rounds").querySelectorAll("button[data-act]").forEach((btn) => btn.addEventListener("click", () => roundAct(btn.dataset.act, Number(btn.dataset.round))));
  }

  function roundAct(what, id) {
    if (what === "review") { loadReview(id); $("#rs-review").scrollIntoView({ behavior: "smooth" }); return; }
    if (what === "retry") {
      const lr = prompt("Retry the failed step. Learning rate for tuning (blank keeps it):", "");
      if (lr === null) return;
      return act(() => post(`/rounds/${id}/retry`, { config: lr ? { lr: Number(lr) } : {} }), "Retrying");
    }
    const text = { tune: "Tuning started", promote: "Latent promoted: the next round starts from it", reject: "Round closed; the task keeps its latent" }[what];
    act(() => post(`/rounds/${id}/${what}`), text);
  }

  function renderJobs(jobs) {
    $("#rs-jobs").innerHTML = jobs.slice(0, 12).map((j) => `<div class="rs-job" data-testid="rs-job-${j.id}">
        <div class="rs-job-head"><b>#${j.id} ${esc(j.kind)}</b>${j.step ? `<span class="rs-dim">${esc(j.step.replace("_", " "))}</span>` : ""}
          <span class="rs-badge ${j.status === "failed" ? "failed" : j.status === "done" ? "promoted" : ""}">${esc(j.status)}</span>
          <div class="rs-bar"><div class="rs-fill" style="width:${Math.round(j.progress * 100)}%"></div></div>
          <span class="rs-dim">try ${j.attempts}/${j.max_attempts}</span>
          <button class="rs-btn" data-log="${j.id}">log</button></div>
        ${j.error ? `<div class="rs-err">${esc(j.error)}</div>` : ""}
        <div class="rs-log" ${state.openLogs.has(j.id) ? "" : "hidden"} id="rs-log-${j.id}">${esc((j.log_tail || []).join("\n"))}</div>
      </div>`).join("") || `<div class="rs-dim">No jobs yet.</div>`;
    $("#rs-jobs").querySelectorAll("button[data-log]").forEach((b) => b.addEventListener("click", () => toggleLog(Number(b.dataset.log))));
    for (const id of state.openLogs) fillLog(id);
  }

  async function fillLog(id) {
    const el = document.getElementById(`rs-log-${id}`);
    if (!el) return;
    const lines = await api(`/jobs/${id}/logs`);
    el.textContent = lines.map((l) => `[try ${l.attempt}] ${l.message}`).join("\n") || "(no log lines yet)";
  }
  function toggleLog(id) {
    if (state.openLogs.has(id)) state.openLogs.delete(id); else state.openLogs.add(id);
    const el = document.getElementById(`rs-log-${id}`);
    if (el) { el.hidden = !state.openLogs.has(id); if (!el.hidden) fillLog(id); }
  }

  function renderLatents(latents) {
    $("#rs-latents").innerHTML = latents.slice().reverse().map((l) => `<tr data-testid="rs-latent-${l.id}">
        <td><input type="checkbox" data-cmp="${l.id}" ${state.compare.has(l.id) ? "checked" : ""}></td>
        <td>#${l.id}${l.active ? ' <span class="rs-badge promoted">active</span>' : ""}</td>
        <td>${esc(l.source)}${l.parent_id ? ` ← #${l.parent_id}` : ""}</td><td>${l.round ?? "–"}</td>
        <td>${num(l.norm, 2)}</td><td>${pct(l.success_rate)}</td>
        <td>${l.active ? "" : `<button class="rs-btn" data-activate="${l.id}">Make active</button>`}</td></tr>`).join("");
    $("#rs-latents").querySelectorAll("input[data-cmp]").forEach((c) => c.addEventListener("change", () => {
      const id = Number(c.dataset.cmp); if (c.checked) state.compare.add(id); else state.compare.delete(id);
    }));
    $("#rs-latents").querySelectorAll("button[data-activate]").forEach((b) => b.addEventListener("click",
      () => act(() => post(`/latents/${b.dataset.activate}/promote`), `Latent #${b.dataset.activate} is active`)));
  }

  async function compare() {
    const ids = [...state.compare];
    if (ids.length < 2) { notice("Tick two or more latents to compare"); return; }
    try {
      const c = await api(`/latents/compare?ids=${ids.join(",")}`);
      const head = c.latents.map((l) => `<th>#${l.id}</th>`).join("");
      const rows = c.latents.map((l, i) => `<tr><th>#${l.id} <span class="rs-dim">|z| ${num(c.norm[i], 2)}</span></th>${
        c.cosine[i].map((v, j) => `<td title="L2 ${num(c.l2[i][j], 3)}" style="background:rgba(79,70,229,${Math.max(0, v) * 0.35})">${num(v, 3)}</td>`).join("")}</tr>`).join("");
      $("#rs-compare-out").innerHTML = `<p class="rs-dim">Cosine similarity (hover: L2 distance)</p>
        <table class="rs-table rs-matrix" data-testid="rs-compare-table"><thead><tr><th></th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
    } catch (e) { notice(e.message); }
  }

  async function loadPlots() {
    try {
      const p = await api(`/tasks/${state.taskId}/plots`);
      $("#rs-plots").innerHTML = ["success", "loss", "margin", "accuracy", "epochs"].map((k) => `<div data-plot="${k}">${p[k]}</div>`).join("");
    } catch (e) { notice(e.message); }
  }

  async function loadReview(roundId) {
    try {
      const rv = await api(`/rounds/${roundId}/review`);
      const r = rv.round;
      $("#rs-review").hidden = false;
      $("#rs-review-title").textContent = `Round ${r.number}: before (z0) / after (latent #${r.candidate_latent_id}) on the same seeds`;
      $("#rs-review-rates").innerHTML = rv.rates.map((x) => `<div>${esc(x.role === "prompt" ? "z0 (prompt)" : x.role === "base" ? "round start" : "tuned")}
          latent #${x.latent_id}: <b>${pct(x.success_rate)}</b> <span class="rs-dim">success on ${rv.seeds.length} seeds, mean reward ${num(x.mean_reward, 2)}</span></div>`).join("");
      const side = (t, label) => t ? `<div><div class="rs-side-label">${label} · reward ${num(t.reward, 2)} ${t.success ? "✓" : "✗"}</div>
          <video src="${esc(t.video_url)}" muted loop autoplay playsinline controls preload="auto"></video></div>` : "<div class='rs-dim'>–</div>";
      $("#rs-review-rows").innerHTML = rv.rows.map((row) => `<div class="rs-pair" data-testid="rs-review-row">
          <div class="rs-dim">seed<br>${row.seed}</div>${side(row.before, "before: z0")}${side(row.after, "after: tuned")}</div>`).join("")
        || `<p class="rs-dim">No review videos (review_videos = 0).</p>`;
      $("#rs-review-actions").innerHTML = r.status === "review"
        ? `<button class="rs-btn rs-good" data-testid="rs-review-promote">Promote latent #${r.candidate_latent_id}</button>
           <button class="rs-btn rs-danger" data-testid="rs-review-reject">Roll back (keep latent #${r.base_latent_id})</button>`
        : `<span class="rs-dim">Round ${esc(r.status)}.</span>`;
      const p = $("[data-testid=rs-review-promote]"), j = $("[data-testid=rs-review-reject]");
      if (p) p.addEventListener("click", () => act(() => post(`/rounds/${r.id}/promote`), "Latent promoted"));
      if (j) j.addEventListener("click", () => act(() => post(`/rounds/${r.id}/reject`), "Rolled back: the task keeps its latent"));
    } catch (e) { notice(e.message); }
  }

  async function workerCommand() {
    try {
      const w = await api("/worker-command");
      $("#rs-worker-cmd").textContent = w.command;
      $("#rs-worker-note").textContent = w.note;
    } catch (e) { /* shown elsewhere */ }
  }

  document.addEventListener("DOMContentLoaded", () => {
    taskFormSetup();
    roundFormSetup();
    $("#rs-compare").addEventListener("click", compare);
    $("#rs-rollback").addEventListener("click", () => act(() => post(`/tasks/${state.taskId}/rollback`), "Rolled back to the previous latent"));
    workerCommand();
    refresh();
    setInterval(refresh, 1500);
  });
})();
