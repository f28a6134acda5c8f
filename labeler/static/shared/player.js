/* The synced multi-video player: N episodes muted and in lock-step under one control bar
 * (play/pause, scrub, frame step, speed, loop), each with its timeline.
 *
 * How the clock works: the longest episode leads and plays natively; every other video follows it,
 * nudged by its playback rate when it drifts a little and re-seeked when it drifts a lot, and rests
 * on its last frame once its (shorter) episode is over. Seeking and frame stepping set every video
 * at once, to the middle of the frame (robust to rounding), clamped to each one's own end.
 *
 * A player owns one or more `VideoSet`s (the videos of one comparison). Only one is shown and driven
 * at a time; the others stay hidden and inert, so a page can load (prefetch, decode) the next
 * comparison into a hidden set and `show()` it at once. Videos are fetched whole as blobs first, so a
 * loaded set plays without touching the network again.
 */

import { fill, h, set, text } from "./dom.js";
import { Timeline } from "./timeline.js";

export const SPEEDS = [0.25, 0.5, 1, 2, 4];
const END_EPS = 1e-3;
const SEEK_DRIFT_S = 0.3; // beyond this (media seconds) a follower jumps to the leader
const NUDGE_DRIFT_S = 0.01; // beyond this it plays a little faster or slower until it is back
const NUDGE_GAIN = 3;
const NUDGE_MAX = 0.5;

/** Whether play() continues `v` from where it is: on an ended video it would start over from 0. */
const canPlayOn = (v) => !v.ended && v.currentTime < (v.duration || 0) - END_EPS;

/** One episode: title, video (with a star when it succeeded), timeline, caption and the caller's extra content. */
class Tile {
  constructor(onSeek) {
    this.title = h("figcaption", { class: "pgt-tile-title" });
    this.video = h("video", { muted: true, playsInline: true, preload: "auto", disablePictureInPicture: true });
    this.video.muted = true; // the property, not just the attribute, is what autoplay checks
    this.star = h("div", { class: "pgt-star", "aria-hidden": "true" });
    this.stage = h("div", { class: "pgt-stage" }, this.video, this.star);
    this.timeline = new Timeline({ onSeek });
    this.extra = h("div", { class: "pgt-tile-extra" }); // what the page adds under this episode (a note, buttons)
    this.el = h("figure", { class: "pgt-tile" }, this.title, this.stage, this.timeline.el, this.extra);
    this.url = null;
    this.traj = null;
  }

  /** entry: {traj, title, name?, key?, extra?}; traj null shows an empty tile. Resolves once a frame can show. */
  async load(entry, target, frames, signal) {
    this.unload();
    const { traj, title = "", key = null, extra = null } = entry;
    fill(this.extra, extra);
    const name = entry.name || title;
    set(this.el, { "aria-label": name, class: traj ? "pgt-tile" : "pgt-tile pgt-tile-empty" });
    this.title.replaceChildren(...(key ? [h("span", { class: "pgt-key", "aria-hidden": "true", text: key }), " "] : []), title);
    this.traj = traj;
    if (!traj) {
      this.timeline.clear();
      text(this.star, "");
      return;
    }
    this.timeline.draw(traj, target, frames);
    text(this.star, traj.success ? "★" : "");
    const resp = await fetch(traj.video_url, { signal, credentials: "same-origin" });
    if (!resp.ok) throw new Error(`video ${traj.id}: HTTP ${resp.status}`);
    const blob = await resp.blob();
    if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
    this.url = URL.createObjectURL(blob);
    const v = this.video;
    await new Promise((resolve, reject) => {
      const done = (fn) => () => { v.removeEventListener("loadeddata", ok); v.removeEventListener("error", bad); fn(); };
      const ok = done(resolve);
      const bad = done(() => reject(new Error(`video ${traj.id} could not be decoded`)));
      v.addEventListener("loadeddata", ok);
      v.addEventListener("error", bad);
      v.src = this.url;
      v.load();
    });
  }

  unload() {
    this.video.pause();
    if (this.url) {
      this.video.removeAttribute("src");
      this.video.load();
      URL.revokeObjectURL(this.url);
    }
    this.url = null;
    this.traj = null;
  }
}

/** The videos of one comparison (1..N episodes), laid out in a grid. */
export class VideoSet {
  constructor(onSeek) {
    this.onSeek = onSeek;
    this.tiles = [];
    this.el = h("div", { class: "pgt-set" });
    this.loaded = false;
    this.frames = 1;
    this.fps = 10;
    this.abort = null;
    this.data = null; // what the caller loaded it with (e.g. the pair), for the caller
  }

  /**
   * entries: [{traj, title, name?, key?, extra?}] (extra: nodes shown under that episode); opts: {target, fps?,
   * data?}. Resolves when every video can show a frame; rejects (and leaves the set unloaded) when one cannot be
   * fetched or decoded.
   */
  async load(entries, { target = null, fps = null, data = null } = {}) {
    this.clear();
    this.data = data;
    while (this.tiles.length < entries.length) this.tiles.push(new Tile(this.onSeek));
    while (this.tiles.length > entries.length) this.tiles.pop().el.remove();
    this.el.replaceChildren(...this.tiles.map((t) => t.el));
    this.el.style.setProperty("--pgt-cols", String(Math.min(entries.length, 4)));
    const lengths = entries.filter((e) => e.traj).map((e) => e.traj.length);
    this.frames = Math.max(0, ...lengths) + 1;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    await Promise.all(this.tiles.map((t, i) => t.load(entries[i], target, this.frames, signal)));
    if (signal.aborted) throw new DOMException("aborted", "AbortError");
    this.fps = fps || this.inferFps();
    this.loaded = true;
  }

  /** Videos hold one frame per step, (length + 1) frames: the leader's duration gives the frame rate. */
  inferFps() {
    const t = this.tiles.find((x) => x.traj && x.video.duration > 0);
    return t ? Math.max(1, Math.round((t.traj.length + 1) / t.video.duration)) : 10;
  }

  clear() {
    if (this.abort) this.abort.abort();
    this.abort = null;
    this.tiles.forEach((t) => t.unload());
    this.loaded = false;
    this.data = null;
  }

  videos() { return this.tiles.filter((t) => t.traj && t.url).map((t) => t.video); }
}

export class SyncedPlayer {
  /**
   * opts: label (the player's accessible name), autoplay (play a set when shown), loop, speed,
   * speedKey (localStorage key that keeps the chosen speed), compact (smaller controls).
   */
  constructor({ label = "Episodes", autoplay = true, loop = true, speed = 1, speedKey = null, compact = false } = {}) {
    this.autoplay = autoplay;
    this.loop = loop;
    this.speedKey = speedKey;
    const stored = speedKey ? Number(localStorage.getItem(speedKey)) : 0;
    this.speed = SPEEDS.includes(stored) ? stored : speed;
    this.playing = false;
    this.sets = [];
    this.current = null;
    this.painted = null;
    this.destroyed = false;
    this.stage = h("div", { class: "pgt-sets" });
    this.controls = this.buildControls();
    this.el = h("div", { class: ["pgt-player", compact && "pgt-compact"], role: "group", "aria-label": label },
      this.stage, this.controls);
    this.tick = this.tick.bind(this);
    requestAnimationFrame(this.tick);
  }

  buildControls() {
    const button = (label, glyph, onclick, title = label) =>
      h("button", { type: "button", class: "pgt-ctl", "aria-label": label, title, onclick }, glyph);
    this.playBtn = button("Play", "▶", () => this.toggle(), "play / pause (space)");
    this.scrub = h("input", { type: "range", class: "pgt-scrub", min: "0", max: "1", step: "1", value: "0", "aria-label": "Position" });
    this.scrub.addEventListener("input", () => { this.setPlaying(false); this.seekFrame(Number(this.scrub.value)); });
    this.frameText = h("output", { class: "pgt-frame", "aria-label": "Step", "aria-live": "off" }); // read on demand, not every frame
    this.speedSelect = h("select", { class: "pgt-input pgt-speed", "aria-label": "Speed", title: "speed" },
      SPEEDS.map((s) => h("option", { value: String(s), selected: s === this.speed, text: `${s}×` })));
    this.speedSelect.addEventListener("change", () => { this.setSpeed(Number(this.speedSelect.value)); this.speedSelect.blur(); });
    this.loopBox = h("input", { type: "checkbox", checked: this.loop });
    this.loopBox.addEventListener("change", () => { this.loop = this.loopBox.checked; });
    return h("div", { class: "pgt-controls" },
      button("Previous frame", "◀︎|", () => this.step(-1), "previous frame (,)"),
      this.playBtn,
      button("Next frame", "|▶︎", () => this.step(1), "next frame (.)"),
      this.scrub, this.frameText, this.speedSelect,
      h("label", { class: "pgt-loop" }, this.loopBox, " loop"));
  }

  /** A new, hidden set of this player's; load it, then `show` it. */
  newSet() {
    const s = new VideoSet((fraction) => { if (s === this.current) this.seekFrame(fraction * (s.frames - 1)); });
    this.sets.push(s);
    this.hide(s);
    this.stage.append(s.el);
    return s;
  }

  hide(s) { set(s.el, { class: "pgt-set pgt-offstage", inert: true, "aria-hidden": "true" }); }

  /** Put a loaded set on screen from its first frame; the one shown before goes back into hiding. */
  show(s, { play = this.autoplay } = {}) {
    for (const other of this.sets) if (other !== s) { other.videos().forEach((v) => v.pause()); this.hide(other); }
    set(s.el, { class: "pgt-set", inert: false, "aria-hidden": null });
    this.current = s;
    this.painted = null;
    this.scrub.max = String(Math.max(1, s.frames - 1));
    for (const v of s.videos()) { v.playbackRate = this.speed; v.currentTime = 0; }
    this.setPlaying(play);
    this.paint(0);
  }

  /** Nothing on screen (every set hidden, the clock idle) until the next `show`. */
  reset() {
    this.setPlaying(false);
    this.sets.forEach((s) => this.hide(s));
    this.current = null;
    this.painted = null;
    text(this.frameText, "");
  }

  /** One set, loaded and shown: what a page with a single comparison needs. */
  async load(entries, opts = {}) {
    const s = this.sets[0] || this.newSet();
    await s.load(entries, opts);
    this.show(s);
    return s;
  }

  get frames() { return this.current ? this.current.frames : 1; }
  get fps() { return this.current ? this.current.fps : 10; }
  videos() { return this.current && this.current.loaded ? this.current.videos() : []; }

  /** The longest episode leads; the others follow it. */
  leader() {
    let lead = null;
    for (const v of this.videos()) if (!lead || (v.duration || 0) > (lead.duration || 0)) lead = v;
    return lead;
  }

  setPlaying(on) {
    this.playing = on;
    text(this.playBtn, on ? "❚❚" : "▶");
    set(this.playBtn, { "aria-label": on ? "Pause" : "Play" });
    for (const v of this.videos()) {
      v.playbackRate = this.speed;
      if (on && canPlayOn(v)) v.play().catch(() => {});
      else v.pause();
    }
  }

  play() { this.setPlaying(true); }
  pause() { this.setPlaying(false); }

  toggle() {
    const lead = this.leader();
    if (!this.playing && lead && lead.currentTime >= (lead.duration || 0) - END_EPS) this.seekFrame(0);
    this.setPlaying(!this.playing);
  }

  setSpeed(s) {
    this.speed = s;
    if (this.speedKey) localStorage.setItem(this.speedKey, String(s));
    this.speedSelect.value = String(s);
    this.videos().forEach((v) => { v.playbackRate = s; });
  }

  setLoop(on) { this.loop = on; this.loopBox.checked = on; }

  seekFrame(frame) {
    if (!this.current || !this.current.loaded) return;
    const f = Math.max(0, Math.min(this.frames - 1, Math.round(frame)));
    const t = (f + 0.5) / this.fps;
    for (const v of this.videos()) v.currentTime = Math.max(0, Math.min(t, (v.duration || t) - 0.5 / this.fps));
    if (this.playing) this.setPlaying(true);
    this.paint(f);
  }

  step(delta) {
    this.setPlaying(false);
    this.seekFrame(this.currentFrame() + delta);
  }

  currentFrame() {
    const lead = this.leader();
    return lead ? Math.min(this.frames - 1, Math.floor(lead.currentTime * this.fps + END_EPS)) : 0;
  }

  paint(frame) {
    if (!this.current || this.painted === frame) return;
    this.painted = frame;
    const last = this.frames - 1;
    this.scrub.value = String(frame);
    set(this.scrub, { "aria-valuetext": `step ${frame} of ${last}` });
    text(this.frameText, `step ${frame} / ${last}`);
    for (const tile of this.current.tiles) if (tile.traj) tile.timeline.setCursor(frame, this.frames);
  }

  /** Keep the followers on the leader's clock; loop or stop at the leader's end. */
  follow() {
    const lead = this.leader();
    if (!lead) return;
    const t = lead.currentTime;
    for (const v of this.videos()) {
      if (v === lead) continue;
      if (t < (v.duration || 0) - END_EPS) {
        const drift = t - v.currentTime;
        if (Math.abs(drift) > SEEK_DRIFT_S) { v.currentTime = t; v.playbackRate = this.speed; }
        else if (Math.abs(drift) > NUDGE_DRIFT_S) {
          v.playbackRate = this.speed * (1 + Math.max(-NUDGE_MAX, Math.min(NUDGE_MAX, drift * NUDGE_GAIN)));
        } else if (v.playbackRate !== this.speed) v.playbackRate = this.speed;
        if (v.ended) v.currentTime = t; // play() on an ended video would start it over from 0
        else if (v.paused && !lead.paused) v.play().catch(() => {});
      } else if (!v.paused) {
        v.pause(); // its episode is over: it rests on its last frame
      }
    }
    if (lead.ended || t >= (lead.duration || 0) - END_EPS) {
      if (this.loop) {
        this.videos().forEach((v) => { v.currentTime = 0; });
        this.setPlaying(true);
      } else {
        this.setPlaying(false);
      }
    }
  }

  tick() {
    if (this.destroyed) return;
    if (!this.el.isConnected && this.wasConnected) { this.destroy(); return; }
    this.wasConnected = this.el.isConnected;
    requestAnimationFrame(this.tick);
    if (!this.current || !this.current.loaded) return;
    if (this.playing) this.follow();
    this.paint(this.currentFrame());
  }

  /** Stop the clock and free every video (also happens by itself once the player leaves the page). */
  destroy() {
    this.destroyed = true;
    this.sets.forEach((s) => s.clear());
  }
}
