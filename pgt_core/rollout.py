"""Roll out the frozen policy under a latent goal z: many environments in lockstep, one batched
policy call per step, trajectory records out.

Why lockstep batching: a Crafter step costs ~1 ms but one policy call costs about the same
for 1 or 32 frames, so stepping `batch_size` worlds together and asking the policy once
keeps inference off the critical path (see `benchmarks/bench_rollout.py`).

Why per-episode random streams: an episode must be a pure function of
(world seed, sample_seed, z), never of which other episodes shared its batch, so a
before/after review can replay the same episode, and results do not move when a user
changes `batch_size`. Each episode draws its action uniforms from its own generator keyed
by (sample_seed, world seed, k) where k counts earlier episodes in the list with the same
world seed *and* latent: a repeated world is a new episode, while the same world under two
latents shares its random numbers (a fair before/after comparison). Actions come from the
inverse CDF of the policy's softmax.

`RolloutEngine` is the seam for other backends (`pgt_core.ray_backend` is one): any callable with
`collect_rollouts`' signature.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np
import torch

from pgt_core.env_pool import make_env_pool
from pgt_core.envs.base import GoalEnv
from pgt_core.tasks import Task
from pgt_core.trajectory import Trajectory

Progress = Callable[[int, int], None]
"""progress(done, total): episodes finished so far out of all requested."""


class RolloutEngine(Protocol):
    """Anything that turns (policy, z, task, seeds) into trajectories; `collect_rollouts` is the local one."""

    def __call__(self, policy: torch.nn.Module, z: torch.Tensor, task: Task, seeds: Sequence[int], *,
                 batch_size: int = 32, device: str = "cpu", greedy: bool = False, sample_seed: int = 0,
                 progress: Progress | None = None, keep_frames: bool = True) -> list[Trajectory]:
        ...


def default_env_factory() -> GoalEnv:
    """A Crafter world with no time limit of its own (tasks impose theirs), generated once per seed
    in this process and restored from the process-wide world cache afterwards."""
    from pgt_core.envs.crafter_env import CrafterEnv
    from pgt_core.envs.world_cache import SHARED

    return CrafterEnv(world_cache=SHARED)


def uncached_env_factory() -> GoalEnv:
    """A Crafter world generated afresh on every reset (the reference the cache is checked against)."""
    from pgt_core.envs.crafter_env import CrafterEnv

    return CrafterEnv()


def latent_fingerprint(z: torch.Tensor) -> str:
    """A short stable id of a latent, so stored trajectories say which z produced them."""
    data = z.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
    return hashlib.sha1(data).hexdigest()[:12]


def _row_ids(zs: torch.Tensor) -> list[str]:
    """Fingerprint per row; rows that are the same tensor object share one computation."""
    first = zs[0]
    if all(zs[k].data_ptr() == first.data_ptr() for k in range(len(zs))):  # one z expanded to all seeds
        return [latent_fingerprint(first)] * len(zs)
    return [latent_fingerprint(row) for row in zs]


def episode_rng(sample_seed: int, seed: int, occurrence: int = 0) -> np.random.Generator:
    """The action-sampling stream of one episode; independent of batching and ordering."""
    return np.random.default_rng(np.random.SeedSequence([int(sample_seed) & 0xFFFFFFFF, int(seed) & 0xFFFFFFFF,
                                                         (int(seed) >> 32) & 0xFFFFFFFF, int(occurrence)]))


def sample_actions(logits: torch.Tensor, uniforms: np.ndarray, greedy: bool) -> np.ndarray:
    """Inverse-CDF sampling with caller-supplied uniforms (one per row), or argmax when greedy."""
    if greedy:
        return logits.argmax(-1).cpu().numpy()
    probs = torch.softmax(logits.float(), -1).cpu().double().numpy()
    cdf = np.cumsum(probs, axis=1)
    u = uniforms * cdf[:, -1]
    actions = (cdf < u[:, None]).sum(axis=1)
    return np.minimum(actions, probs.shape[1] - 1)


@dataclass
class _Episode:
    """An episode being played in one slot."""

    index: int  # position in the caller's seed list
    seed: int
    rng: np.random.Generator
    frames: list[np.ndarray]
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)


def _expand_latents(z: torch.Tensor, n: int, latent_dim: int) -> torch.Tensor:
    z = z.detach().float()
    if z.dim() == 1:
        z = z.unsqueeze(0).expand(n, -1)
    if z.shape != (n, latent_dim):
        raise ValueError(f"z must be [{latent_dim}] or [{n}, {latent_dim}] (one per seed), got {tuple(z.shape)}")
    if not torch.isfinite(z).all():
        raise ValueError("z contains NaN or inf")
    return z


def collect_rollouts(policy: torch.nn.Module, z: torch.Tensor, task: Task, seeds: Sequence[int], *,
                     batch_size: int = 32, device: str = "cpu", greedy: bool = False, sample_seed: int = 0,
                     progress: Progress | None = None, keep_frames: bool = True,
                     env_factory: Callable[[], GoalEnv] = default_env_factory, env_workers: int = 0
                     ) -> list[Trajectory]:
    """Play one episode per seed (in the given order) and return them as `Trajectory` records.

    z: [latent] for all episodes or [len(seeds), latent] (e.g. two latents in one call).
    An episode ends at `task.max_steps` or when the environment says done.
    keep_frames=False stores zero-sized frames ([T+1, 0, 0, 3]) for outcome-only runs such as
    success-rate evaluation, where hundreds of full episodes would cost gigabytes.
    env_workers > 1 steps the environments in that many worker processes (`env_factory` must
    then be picklable); results are identical either way.
    """
    seeds = [int(s) for s in seeds]
    n = len(seeds)
    if n == 0:
        return []
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    param, want = next(policy.parameters(), None), torch.device(device)
    if param is not None and (param.device.type != want.type or
                              (want.index is not None and param.device.index != want.index)):
        raise ValueError(f"the policy is on {param.device} but device={device!r}; move it first (policy.to(device))")
    latent_dim = int(getattr(getattr(policy, "cfg", None), "latent_dim", z.shape[-1]))
    zs = _expand_latents(z, n, latent_dim)
    was_training = policy.training
    policy.eval()
    try:
        episodes = _play(policy, zs, task, seeds, batch_size, torch.device(device), greedy, sample_seed,
                         progress, keep_frames, env_factory, env_workers)
    finally:
        policy.train(was_training)
    return [_to_trajectory(ep, zs[ep.index], task, sample_seed, greedy, keep_frames) for ep in episodes]


def _play(policy: torch.nn.Module, zs: torch.Tensor, task: Task, seeds: list[int], batch_size: int,
          device: torch.device, greedy: bool, sample_seed: int, progress: Progress | None, keep_frames: bool,
          env_factory: Callable[[], GoalEnv], env_workers: int) -> list[_Episode]:
    n = len(seeds)
    seen: dict[tuple[int, str], int] = {}
    queue: list[tuple[int, int, int]] = []  # (index, seed, earlier episodes with this seed and latent)
    z_ids = _row_ids(zs)
    for i, s in enumerate(seeds):
        key = (s, z_ids[i])
        queue.append((i, s, seen.get(key, 0)))
        seen[key] = seen.get(key, 0) + 1
    queue.reverse()  # pop() from the end = next in order
    n_slots = min(batch_size, n)
    slots: list[_Episode | None] = [None] * n_slots
    finished: list[_Episode] = []
    state: torch.Tensor | None = None  # [L, n_slots, H] once the policy has answered the first call
    zs_dev = zs.to(device)
    pool = make_env_pool(n_slots, env_factory, env_workers)

    def start(free: list[int]) -> None:
        """Begin the next queued episodes in the free slots, each with a fresh memory."""
        jobs = [(k, queue.pop()) for k in free if queue]
        frames = pool.reset([(k, seed) for k, (_, seed, _) in jobs])
        for (k, (index, seed, occ)), frame in zip(jobs, frames, strict=True):
            slots[k] = _Episode(index=index, seed=seed, rng=episode_rng(sample_seed, seed, occ), frames=[frame])
            if state is not None:
                state[:, k] = 0.0  # all zeros = a fresh episode (the policy adapter contract)

    try:
        start(list(range(n_slots)))
        while True:
            active = [k for k, ep in enumerate(slots) if ep is not None]
            if not active:
                break
            obs = torch.from_numpy(np.stack([slots[k].frames[-1] for k in active])).to(device)
            z_batch = zs_dev[[slots[k].index for k in active]]
            if state is None:  # first call: every slot is active and fresh
                logits, state = policy.act_logits(obs, z_batch, None)
                state = state.clone()
            else:
                idx = torch.tensor(active, device=device)
                logits, new_state = policy.act_logits(obs, z_batch, state[:, idx].contiguous())
                state[:, idx] = new_state
            actions = sample_actions(logits, np.array([slots[k].rng.random() for k in active]), greedy)
            results = pool.step(list(zip(active, actions.tolist(), strict=True)))
            free = []
            for k, action, res in zip(active, actions.tolist(), results, strict=True):
                ep = slots[k]
                step = len(ep.actions)
                ep.actions.append(int(action))
                ep.rewards.append(res.reward)
                ep.events.extend((step, name) for name in res.events)
                if keep_frames:
                    ep.frames.append(res.frame)
                else:
                    ep.frames[-1] = res.frame
                if res.done or len(ep.actions) >= task.max_steps:
                    finished.append(ep)
                    slots[k] = None
                    free.append(k)
                    if progress is not None:
                        progress(len(finished), n)
            if free:
                start(free)
    finally:
        pool.close()
    finished.sort(key=lambda ep: ep.index)
    return finished


def _to_trajectory(ep: _Episode, z: torch.Tensor, task: Task, sample_seed: int, greedy: bool,
                   keep_frames: bool) -> Trajectory:
    if keep_frames:
        frames = np.stack(ep.frames)
    else:
        frames = np.zeros((len(ep.actions) + 1, 0, 0, 3), np.uint8)
    traj = Trajectory(frames=frames, actions=np.asarray(ep.actions, np.int64),
                      rewards=np.asarray(ep.rewards, np.float32), events=ep.events, seed=ep.seed)
    traj.meta = {
        "task": task.name,
        "reward": task.reward(traj),
        "success": task.success(traj),
        "steps": traj.length,
        "max_steps": task.max_steps,
        "sample_seed": int(sample_seed),
        "greedy": bool(greedy),
        "z_norm": float(z.norm()),
        "z_id": latent_fingerprint(z),
        "frames_kept": bool(keep_frames),
    }
    return traj
