"""Train the Crafter foundation policy: goal-conditioned behaviour cloning with hindsight goals.

    python -m pgt_core.policy.train                      # ~1 h on 2 CPU cores, writes the shipped checkpoint
    python -m pgt_core.policy.train --minutes 5 --episodes 60 --out /tmp/f.pt   # a quick smoke run
    python -m pgt_core.policy.train --device cuda --threads 4        # on a GPU (nothing requires one)

Recipe (one script, CleanRL style):
1. Record scripted multi-skill demonstrations (`pgt_core.policy.demos`).
2. Every step inside a goal segment that ended in its achievement is labelled with the
   *hindsight* goal clip: the K frames that led to that achievement. Steps of abandoned
   segments are relabelled with the next achievement that really happened (within a horizon).
   With probability `swap_prob` the clip comes from another episode with the same
   achievement, so the goal encoder learns what a clip achieves rather than where.
3. Train goal encoder + policy jointly with cross-entropy on the demonstrator's actions,
   over windows of consecutive steps (the GRU sees real history). Speed without changing the
   model (`benchmarks/bench_train.py` measures it against the shipped checkpoint's settings):
   bfloat16 autocast, the goal CNN once per distinct clip frame, the next batch sampled in a
   thread, one torch thread on a shared 2-core machine. Every knob is a field of `Args`.
4. Pick one prompt clip per task from held-out demonstrations ("the human-selected prompt")
   and save everything, with the config and data seeds, as a float16 bundle (< 20 MB).
"""
from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Literal

import numpy as np
import torch
import torch.nn.functional as F

from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation, save_foundation
from pgt_core.policy.demos import record_many
from pgt_core.policy.model import GoalConditionedPolicy, PolicyConfig
from pgt_core.seeds import DEMO_WORLD_BASE, PROMPT_WORLD_BASE
from pgt_core.tasks import CRAFTER_TASKS
from pgt_core.trajectory import Trajectory

Precision = Literal["fp32", "bf16"]
RELABEL_HORIZON = 60
PROMPT_EPISODES = 60  # held-out demonstrations the prompt clips are picked from


@dataclass
class DemoSet:
    """All demonstration frames in one array, with each step's goal-clip end (global frame index)."""

    frames: np.ndarray  # uint8 [N, H, W, 3] all episodes' frames, concatenated
    actions: np.ndarray  # int64 [N] (-1 on each episode's final frame)
    goal_end: np.ndarray  # int64 [N] global index of the goal clip's last frame, -1 = unlabelled
    goal_name: list[str | None]  # per step
    episode_start: np.ndarray  # int64 [E] first global index of each episode
    episode_len: np.ndarray  # int64 [E] number of actions
    clips_by_goal: dict[str, list[int]]  # goal -> global clip ends


def load_demos(paths: list[Path]) -> DemoSet:
    frames, actions, goal_end, goal_name, starts, lens = [], [], [], [], [], []
    clips_by_goal: dict[str, list[int]] = {}
    offset = 0
    for p in paths:
        tr = Trajectory.load(p)
        t_len = tr.length
        ends = np.full(t_len + 1, -1, np.int64)
        names: list[str | None] = [None] * (t_len + 1)
        for goal, start, end, _ in tr.meta["segments"]:
            if end is None:
                continue
            ends[start : end + 1] = offset + end + 1
            names[start : end + 1] = [goal] * (end + 1 - start)
            clips_by_goal.setdefault(goal, []).append(offset + end + 1)
        event_steps = [(s, n) for s, n in tr.events if n in CRAFTER_TASKS]
        for t in range(t_len):
            if ends[t] >= 0:
                continue
            nxt = next(((s, n) for s, n in event_steps if s >= t), None)
            if nxt is not None and nxt[0] - t <= RELABEL_HORIZON:
                ends[t] = offset + nxt[0] + 1
                names[t] = nxt[1]
        frames.append(tr.frames)
        actions.append(np.append(tr.actions, -1))
        goal_end.append(ends)
        goal_name.extend(names)
        starts.append(offset)
        lens.append(t_len)
        offset += t_len + 1
    return DemoSet(
        frames=np.concatenate(frames),
        actions=np.concatenate(actions),
        goal_end=np.concatenate(goal_end),
        goal_name=goal_name,
        episode_start=np.array(starts),
        episode_len=np.array(lens),
        clips_by_goal=clips_by_goal,
    )


def clip_indices(end: int, clip_len: int, episode_first: int) -> np.ndarray:
    """Global frame indices of the clip ending at `end`, clamped to its episode's first frame."""
    idx = np.arange(end - clip_len + 1, end + 1)
    return np.maximum(idx, episode_first)


class WindowSampler:
    """Batches of consecutive-step windows with per-step goal clips (hindsight, sometimes swapped)."""

    def __init__(self, data: DemoSet, clip_len: int, window: int, swap_prob: float, rng: np.random.Generator):
        self.d, self.k, self.window, self.swap_prob, self.rng = data, clip_len, window, swap_prob, rng
        # which episode each global index belongs to, to clamp clips at episode starts
        self.episode_of = np.repeat(np.arange(len(data.episode_start)), data.episode_len + 1)

    def _clip(self, end: int) -> np.ndarray:
        first = self.d.episode_start[self.episode_of[end]]
        return clip_indices(end, self.k, first)

    def sample(self, batch: int) -> dict[str, torch.Tensor]:
        d, w = self.d, self.window
        frame_idx, acts, masks, goal_slots, clip_idx = [], [], [], [], []
        slot_of_end: dict[int, int] = {}
        for _ in range(batch):
            e = int(self.rng.integers(len(d.episode_start)))
            length = int(d.episode_len[e])
            start = 0 if self.rng.random() < 0.25 else int(self.rng.integers(0, max(1, length - w + 1)))
            idx = d.episode_start[e] + np.arange(start, start + w)
            idx = np.minimum(idx, d.episode_start[e] + length - 1)
            frame_idx.append(idx)
            acts.append(d.actions[idx])
            ends = d.goal_end[idx].copy()
            mask = (ends >= 0) & (d.actions[idx] >= 0)
            slots = np.zeros(w, np.int64)
            swapped: dict[int, int] = {}
            for t in range(w):
                if not mask[t]:
                    continue
                end = int(ends[t])
                if end not in swapped:
                    name = d.goal_name[idx[t]]
                    pool = d.clips_by_goal.get(name or "", [])
                    swapped[end] = int(self.rng.choice(pool)) if pool and self.rng.random() < self.swap_prob else end
                end = swapped[end]
                if end not in slot_of_end:
                    slot_of_end[end] = len(clip_idx)
                    clip_idx.append(self._clip(end))
                slots[t] = slot_of_end[end]
            masks.append(mask)
            goal_slots.append(slots)
        if not clip_idx:  # no labelled step at all: a dummy clip keeps shapes valid
            clip_idx.append(self._clip(int(frame_idx[0][0])))
        # Clips of one episode overlap (and repeat across windows): each distinct frame is sent once.
        distinct, clip_index = np.unique(np.stack(clip_idx), return_inverse=True)
        return {
            "frames": torch.from_numpy(d.frames[np.stack(frame_idx)]),
            "actions": torch.from_numpy(np.stack(acts)).clamp_min(0),
            "mask": torch.from_numpy(np.stack(masks)),
            "slots": torch.from_numpy(np.stack(goal_slots)),
            "clip_frames": torch.from_numpy(d.frames[distinct]),  # [U, H, W, 3]
            "clip_index": torch.from_numpy(clip_index.reshape(len(clip_idx), self.k)),  # [C, K] into clip_frames
        }


def bc_loss(policy: GoalConditionedPolicy, batch: dict[str, torch.Tensor], *, distinct_clip_frames: bool = True,
            precision: Precision = "fp32") -> tuple[torch.Tensor, float]:
    """Cross-entropy on the demonstrator's actions under each step's goal clip.

    distinct_clip_frames: the goal encoder's CNN runs once per distinct clip frame (the same z;
    False runs it on every frame of every clip, as the shipped checkpoint was trained).
    precision="bf16": the network under bfloat16 autocast (convolutions and matmuls ~2x faster on
    CPUs with AVX-512 BF16 and on GPUs); the loss itself in float32.
    """
    device = batch["frames"].device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        if distinct_clip_frames:
            z_clips = policy.goal_encoder.forward_frames(batch["clip_frames"], batch["clip_index"])  # [C, latent]
        else:
            z_clips = policy.encode_goal(batch["clip_frames"][batch["clip_index"]])
        z = z_clips[batch["slots"]]  # [B, W, latent]
        logits, _ = policy(batch["frames"], z)
    logits = logits.float()
    mask = batch["mask"].float()
    ce = F.cross_entropy(logits.flatten(0, 1), batch["actions"].flatten(), reduction="none").view_as(mask)
    loss = (ce * mask).sum() / mask.sum().clamp_min(1)
    acc = ((logits.argmax(-1) == batch["actions"]).float() * mask).sum() / mask.sum().clamp_min(1)
    return loss, float(acc)


def select_prompts(paths: list[Path], clip_len: int, noise: float) -> dict[str, np.ndarray]:
    """One prompt clip per task from held-out demonstrations: the first segment that achieved the
    task with the given noise level and started with an empty-handed agent, like a person picking
    a clear but ordinary example video."""
    prompts: dict[str, np.ndarray] = {}
    fallback: dict[str, np.ndarray] = {}
    for p in paths:
        tr = Trajectory.load(p)
        for goal, start, end, seg_noise in tr.meta["segments"]:
            if end is None or goal in prompts:
                continue
            clip = tr.frames[clip_indices(end + 1, clip_len, 0)]
            fallback.setdefault(goal, clip)
            if abs(seg_noise - noise) < 1e-6 and start == 0:
                prompts[goal] = clip
    for goal, clip in fallback.items():
        prompts.setdefault(goal, clip)
    return {t: prompts[t] for t in CRAFTER_TASKS if t in prompts}


@torch.no_grad()
def evaluate_bc(policy: GoalConditionedPolicy, sampler: WindowSampler, batches: int,
                device: torch.device | str = "cpu") -> tuple[float, float]:
    policy.eval()
    losses, accs = [], []
    for _ in range(batches):
        loss, acc = bc_loss(policy, {k: v.to(device) for k, v in sampler.sample(8).items()})
        losses.append(float(loss))
        accs.append(acc)
    policy.train()
    return float(np.mean(losses)), float(np.mean(accs))


@dataclass
class Args:
    """Every knob of a training run (recorded in the checkpoint's meta)."""

    episodes: int = 800  # training demonstrations
    val_episodes: int = 40
    length: int = 200  # steps per demonstration
    first_seed: int = DEMO_WORLD_BASE
    data: str = "data/demos"
    minutes: float = 50.0  # training time budget
    max_updates: int = 1_000_000
    batch: int = 16  # windows per update
    window: int = 64  # consecutive steps per window (the GRU sees this much history)
    lr: float = 3e-4
    swap_prob: float = 0.3
    prompt_noise: float = 0.25
    seed: int = 0
    threads: int = 1  # torch threads; on a shared 2-core machine 1 beats 2 (no thread barriers to wait at)
    workers: int = 2  # demonstration recording processes
    device: str = "cpu"  # or "cuda"
    precision: Precision = "bf16"  # "fp32": as the shipped checkpoint was trained
    distinct_clip_frames: bool = True  # False: the goal CNN over every frame of every clip (the shipped recipe)
    prefetch: bool = True  # sample the next batch in a thread while this one trains
    init: str | None = None  # continue training from this bundle's weights
    out: str = str(DEFAULT_CHECKPOINT)


def parse_args(argv: list[str] | None = None) -> Args:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, f in Args.__dataclass_fields__.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(f.default, bool):
            ap.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            kind = type(f.default) if f.default is not None else str
            ap.add_argument(flag, type=kind, default=f.default)
    return Args(**vars(ap.parse_args(argv)))


def command_line(args: Args) -> str:
    """The command that repeats this run (output paths left out)."""
    parts = []
    for k, v in asdict(args).items():
        flag = "--" + k.replace("_", "-")
        if k in ("out", "data") or v is None:
            continue
        parts.append((flag if v else "--no-" + flag[2:]) if isinstance(v, bool) else f"{flag} {v}")
    return "python -m pgt_core.policy.train " + " ".join(parts)


def batches(sampler: WindowSampler, batch: int, device: torch.device, prefetch: bool) -> Iterator[dict]:
    """Endless training batches on `device`; with `prefetch` the next one is sampled in a thread (numpy
    indexing and torch copies release the GIL) while the current one trains. The order is the same."""
    def one() -> dict[str, torch.Tensor]:
        return {k: v.to(device, non_blocking=True) for k, v in sampler.sample(batch).items()}

    if not prefetch:
        while True:
            yield one()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(one)
        while True:
            current, pending = pending.result(), pool.submit(one)
            yield current


def train_step(policy: GoalConditionedPolicy, opt: torch.optim.Optimizer, batch: dict[str, torch.Tensor],
               args: Args) -> tuple[torch.Tensor, float]:
    loss, acc = bc_loss(policy, batch, distinct_clip_frames=args.distinct_clip_frames, precision=args.precision)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
    opt.step()
    return loss, acc


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device = torch.device(args.device)
    t0 = time.time()
    train_paths = record_many(args.first_seed, args.episodes, args.length, args.data, args.workers)
    val_first = args.first_seed + args.episodes
    val_paths = record_many(val_first, args.val_episodes, args.length, args.data, args.workers)
    print(f"demos ready: {len(train_paths)} train + {len(val_paths)} val episodes in {time.time() - t0:.0f}s",
          flush=True)

    cfg = PolicyConfig()
    train_set, val_set = load_demos(train_paths), load_demos(val_paths)
    sampler = WindowSampler(train_set, cfg.clip_len, args.window, args.swap_prob, rng)
    val_sampler = WindowSampler(val_set, cfg.clip_len, args.window, 0.0, np.random.default_rng(1))
    print(f"{len(train_set.frames)} training frames, {int((train_set.goal_end >= 0).sum())} labelled", flush=True)

    policy = GoalConditionedPolicy(cfg)
    previous_updates = 0
    if args.init:
        start = load_foundation(args.init)
        policy.load_state_dict(start.policy.state_dict())
        for p in policy.parameters():
            p.requires_grad_(True)
        previous_updates = int(start.meta.get("updates", 0))
    policy.to(device)
    opt = torch.optim.Adam(policy.parameters(), lr=args.lr)
    deadline = time.time() + args.minutes * 60
    history = []
    update = 0
    stream = batches(sampler, args.batch, device, args.prefetch)
    while time.time() < deadline and update < args.max_updates:
        loss, acc = train_step(policy, opt, next(stream), args)
        update += 1
        if update % 200 == 0:
            val_loss, val_acc = evaluate_bc(policy, val_sampler, 4, device)
            history.append({"update": update, "loss": float(loss.detach()), "acc": acc,
                            "val_loss": val_loss, "val_acc": val_acc})
            print(json.dumps({**history[-1], "minutes": round((time.time() - t0) / 60, 1)}), flush=True)
    stream.close()
    policy.cpu()

    # Prompt clips come from their own worlds (the shipped bundle was trained with first_seed = DEMO_WORLD_BASE).
    prompt_first = PROMPT_WORLD_BASE + (args.first_seed - DEMO_WORLD_BASE)
    prompt_paths = record_many(prompt_first, PROMPT_EPISODES, args.length, args.data, args.workers)
    prompts = select_prompts(prompt_paths, cfg.clip_len, args.prompt_noise)
    meta = {
        "trained_with": command_line(args),
        "args": asdict(args),
        "demo_seeds": [args.first_seed, args.first_seed + args.episodes],
        "val_seeds": [val_first, val_first + args.val_episodes],
        "prompt_seeds": [prompt_first, prompt_first + PROMPT_EPISODES],
        "updates": previous_updates + update,
        "history": history[-20:],
        "minutes": round((time.time() - t0) / 60, 1),
    }
    path = save_foundation(args.out, Foundation(policy=policy.eval(), prompts=prompts, meta=meta))
    print(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB) with prompts for {sorted(prompts)}", flush=True)


if __name__ == "__main__":
    main()
