"""The Crafter backend: seeded worlds are identical across processes; recordings round-trip."""
import subprocess
import sys

import numpy as np
import pytest

from pgt_core.envs import GoalEnv, make_env
from pgt_core.envs.crafter_env import CrafterEnv
from pgt_core.trajectory import Trajectory

_FINGERPRINT = """
import hashlib, numpy as np
from pgt_core.envs.crafter_env import CrafterEnv
env = CrafterEnv(); rng = np.random.default_rng(7); h = hashlib.sha256()
env.reset(123)
for _ in range(400):   # long enough for several _balance_chunk passes (every 10 steps)
    r = env.step(int(rng.integers(17))); h.update(r.frame.tobytes()); h.update(repr(r.events).encode())
print(h.hexdigest())
"""


def test_episode_is_identical_across_processes():
    # PYTHONHASHSEED differs per process, and object sets iterate in address order: both must not matter.
    outs = set()
    for hashseed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", _FINGERPRINT], capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": hashseed, "PATH": ""})
        outs.add(out.stdout.strip())
    assert len(outs) == 1


def test_reset_depends_only_on_seed():
    env = CrafterEnv()
    a = env.reset(5)
    env.reset(6)
    for _ in range(3):
        env.step(1)
    assert np.array_equal(env.reset(5), a)
    assert not np.array_equal(CrafterEnv().reset(6), a)


def test_make_env_and_protocol():
    env = make_env("crafter")
    assert isinstance(env, GoalEnv)
    assert len(env.action_names) == 17 and env.frame_shape == (64, 64, 3)
    with pytest.raises(ValueError, match="unknown environment backend"):
        make_env("nope")
    with pytest.raises(RuntimeError):
        CrafterEnv().step(0)
    env.reset(0)
    with pytest.raises(ValueError, match="out of range"):
        env.step(17)


def test_events_are_reported_per_step():
    env = CrafterEnv()
    env.reset(0)
    player = env.player
    # put a tree right in front of the player and chop it
    target = (int(player.pos[0] + player.facing[0]), int(player.pos[1] + player.facing[1]))
    env.world[target] = "tree"
    result = env.step(5)  # 'do'
    assert "collect_wood" in result.events
    assert result.info["inventory"]["wood"] == 1


def test_trajectory_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    tr = Trajectory(frames=rng.integers(0, 256, (6, 64, 64, 3), dtype=np.uint8), actions=[1, 2, 3, 4, 5],
                    rewards=[0, 0, 1, 0, 0.5], events=[(2, "collect_wood")], seed=9, meta={"task": "collect_wood"})
    back = Trajectory.load(tr.save(tmp_path / "t.npz"))
    assert np.array_equal(back.frames, tr.frames) and np.array_equal(back.actions, tr.actions)
    assert back.events == [(2, "collect_wood")] and back.seed == 9 and back.meta == {"task": "collect_wood"}
    assert back.achievements() == {"collect_wood": 1}


def test_trajectory_rejects_bad_shapes():
    with pytest.raises(ValueError, match="one more frame"):
        Trajectory(frames=np.zeros((3, 64, 64, 3)), actions=[1, 2, 3], rewards=[0, 0, 0])
    with pytest.raises(ValueError, match="frames must be"):
        Trajectory(frames=np.zeros((3, 64, 64)), actions=[1, 2], rewards=[0, 0])
