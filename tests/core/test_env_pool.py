"""Environment worker processes: the same episodes as in-process environments, and none outlives its parent."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from pgt_core.env_pool import LocalEnvPool, ProcessEnvPool
from tests.support.fakes import FakeEnv

REPO = Path(__file__).resolve().parents[2]

# A parent that, like a worker process, turns SIGTERM into a graceful stop (here: ignores it), starts a pool
# of two environment processes, prints their pids and waits to be killed.
PARENT = textwrap.dedent("""
    import signal, sys, time
    from pgt_core.env_pool import ProcessEnvPool
    from tests.support.fakes import FakeEnv
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pool = ProcessEnvPool(4, FakeEnv, workers=2)
    pool.reset([(0, 1), (1, 2)])
    print(" ".join(str(p.pid) for p in pool.procs), flush=True)
    time.sleep(600)
""")


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent that will never reap it."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in state


def wait_gone(pids: list[int], limit_s: float = 30.0) -> list[int]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if alive(p)]


def start_parent() -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen([sys.executable, "-c", PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    line = proc.stdout.readline()
    assert line.strip(), "the parent did not start its pool"
    return proc, [int(p) for p in line.split()]


def test_process_pool_plays_the_same_episodes_as_local_environments():
    jobs = [(slot, 10 + slot) for slot in range(4)]
    local, procs = LocalEnvPool(4, FakeEnv), ProcessEnvPool(4, FakeEnv, workers=2)
    try:
        for a, b in zip(local.reset(jobs), procs.reset(jobs), strict=True):
            assert np.array_equal(a, b)
        steps = [(slot, 5) for slot in range(4)]
        for a, b in zip(local.step(steps), procs.step(steps), strict=True):
            assert np.array_equal(a.frame, b.frame) and a.events == b.events and a.done == b.done
    finally:
        local.close()
        procs.close()


def test_environment_processes_exit_when_their_parent_is_killed():
    parent, children = start_parent()
    try:
        assert all(alive(p) for p in children)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert wait_gone(children) == [], "environment processes outlived a killed parent"
    finally:
        for p in [parent.pid, *children]:
            if alive(p):
                os.kill(p, signal.SIGKILL)


def test_environment_processes_stop_on_sigterm_whatever_their_parent_does_with_it():
    parent, children = start_parent()
    try:
        os.kill(children[0], signal.SIGTERM)
        assert wait_gone(children[:1]) == [], "an environment process ignored SIGTERM"
        assert alive(parent.pid)  # the parent ignores SIGTERM; only the child it was sent to stopped
    finally:
        for p in [parent.pid, *children]:
            if alive(p):
                os.kill(p, signal.SIGKILL)
        parent.wait(10)
