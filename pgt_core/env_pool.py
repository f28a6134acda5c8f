"""A fixed set of environment slots stepped together, in this process or in worker processes.

Why: a Crafter step (mostly rendering) costs more than the policy's share of a batched
forward pass, so rollouts are bound by environment steps. `ProcessEnvPool` spreads the slots
over worker processes (slot k lives in worker k % workers) and sends each worker one message
per batched call, so the per-step IPC cost stays small. `LocalEnvPool` is the same interface
without processes (tests, tiny runs, machines with one core).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from multiprocessing.connection import Connection
from typing import Callable, Protocol, Sequence

import numpy as np

from pgt_core.envs.base import GoalEnv, StepResult

EnvFactory = Callable[[], GoalEnv]


class EnvPool(Protocol):
    """Slots 0..n-1, each an environment; calls take (slot, argument) jobs and answer in job order."""

    def reset(self, jobs: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        """(slot, seed) -> first frame of the new episode in that slot."""

    def step(self, jobs: Sequence[tuple[int, int]]) -> list[StepResult]:
        """(slot, action) -> that slot's step result."""

    def close(self) -> None: ...


_idle: dict[EnvFactory, list[GoalEnv]] = {}
_idle_lock = threading.Lock()
MAX_IDLE = 64  # environments kept per factory between calls


class LocalEnvPool:
    """Environments in this process. They are reused across pools built from the same factory:
    building a Crafter env costs ~100 ms (textures, world arrays) and `reset(seed)` fully
    determines an episode, so a recycled env behaves exactly like a new one."""

    def __init__(self, n: int, env_factory: EnvFactory) -> None:
        self.factory = env_factory
        with _idle_lock:
            spare = _idle.setdefault(env_factory, [])
            self.envs = [spare.pop() for _ in range(min(n, len(spare)))]
        self.envs += [env_factory() for _ in range(n - len(self.envs))]

    def reset(self, jobs: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        return [self.envs[slot].reset(seed) for slot, seed in jobs]

    def step(self, jobs: Sequence[tuple[int, int]]) -> list[StepResult]:
        return [self.envs[slot].step(action) for slot, action in jobs]

    def close(self) -> None:
        with _idle_lock:
            spare = _idle.setdefault(self.factory, [])
            keep = max(0, min(len(self.envs), MAX_IDLE - len(spare)))
            spare.extend(self.envs[:keep])
        for env in self.envs[keep:]:
            env.close()
        self.envs = []


PARENT_CHECK_S = 1.0  # how often an idle environment worker checks that its parent is still alive


def _worker(conn: Connection, slots: list[int], env_factory: EnvFactory, parent_pid: int) -> None:
    # A forked child inherits its parent's signal handlers (a worker process's graceful-stop handler would
    # make it ignore SIGTERM) and copies of the parent's pipe ends (so a dead parent never shows as EOF).
    # Stopping is the parent's call (Ctrl-C reaches the whole process group), and a child whose parent has
    # gone, even by kill -9, exits rather than wait forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    envs = {slot: env_factory() for slot in slots}
    try:
        while True:
            while not conn.poll(PARENT_CHECK_S):
                if os.getppid() != parent_pid:
                    return
            cmd, jobs = conn.recv()
            if cmd == "close":
                break
            try:
                if cmd == "reset":
                    conn.send(("ok", [envs[slot].reset(arg) for slot, arg in jobs]))
                else:
                    conn.send(("ok", [envs[slot].step(arg) for slot, arg in jobs]))
            except Exception as exc:  # report, keep serving: the parent decides
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        for env in envs.values():
            env.close()
        conn.close()


def _default_start_method() -> str:
    # fork starts in milliseconds and needs no `if __name__ == "__main__"` guard in scripts; the
    # workers only run the environment, never torch. Elsewhere (macOS, Windows) spawn.
    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


class ProcessEnvPool:
    """Slots spread over `workers` processes.

    Use from a single-threaded driver (scripts, the worker process): forking a process whose
    other threads hold locks can deadlock the child; pass start_method="spawn" there.
    """

    def __init__(self, n: int, env_factory: EnvFactory, workers: int = 2, start_method: str | None = None) -> None:
        workers = max(1, min(workers, n))
        ctx = mp.get_context(start_method or _default_start_method())
        self.owner = [k % workers for k in range(n)]
        self.conns: list[Connection] = []
        self.procs = []
        for w in range(workers):
            parent, child = ctx.Pipe()
            slots = [k for k in range(n) if k % workers == w]
            proc = ctx.Process(target=_worker, args=(child, slots, env_factory, os.getpid()), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def _call(self, cmd: str, jobs: Sequence[tuple[int, int]]) -> list:
        by_worker: dict[int, list[int]] = {}
        for j, (slot, _) in enumerate(jobs):
            by_worker.setdefault(self.owner[slot], []).append(j)
        for w, idx in by_worker.items():
            self.conns[w].send((cmd, [jobs[j] for j in idx]))
        out: list = [None] * len(jobs)
        for w, idx in by_worker.items():
            status, payload = self.conns[w].recv()
            if status != "ok":
                raise RuntimeError(f"environment worker {w} failed: {payload}")
            for j, value in zip(idx, payload, strict=True):
                out[j] = value
        return out

    def reset(self, jobs: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        return self._call("reset", jobs)

    def step(self, jobs: Sequence[tuple[int, int]]) -> list[StepResult]:
        return self._call("step", jobs)

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("close", None))
            except (BrokenPipeError, OSError):
                pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        for conn in self.conns:
            conn.close()


def make_env_pool(n: int, env_factory: EnvFactory, workers: int = 0) -> EnvPool:
    """workers <= 1: in this process; else that many worker processes."""
    return ProcessEnvPool(n, env_factory, workers) if workers > 1 else LocalEnvPool(n, env_factory)
