"""MineRL backend and the policy adapter protocol.

The action/event mapping and the protocol tests run everywhere (a fake MineRL environment
stands in for Minecraft); the tests marked `minerl` start real Minecraft and are skipped,
with the reason, where minerl is not installed.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn as nn

from pgt_core.envs import GoalEnv, make_env
from pgt_core.envs.minerl_env import (
    ACTION_NAMES,
    INSTALL_HINT,
    MINERL_ACTIONS,
    MINERL_TASKS,
    MineRLEnv,
    MineRLUnavailable,
    describe_actions,
    inventory_events,
    minerl_available,
)
from pgt_core.policy.adapter import (
    AdapterSpec,
    CachedLatentPolicy,
    ExternalPolicyAdapter,
    LatentPolicy,
    check_latent_policy,
    supports_feature_cache,
)
from pgt_core.policy.model import GoalConditionedPolicy, PolicyConfig

torch.set_num_threads(1)


# -- a stand-in for a MineRL gym environment (same reset/step/seed/action_space.noop API) -------
class _Space:
    def __init__(self, keys: dict) -> None:
        self.keys = keys

    def noop(self) -> dict:
        return {k: (np.zeros(2, np.float32) if k == "camera" else v) for k, v in self.keys.items()}


FULL_KEYS = {"forward": 0, "back": 0, "left": 0, "right": 0, "jump": 0, "sneak": 0, "sprint": 0, "attack": 0,
             "camera": None, "place": "none", "craft": "none", "nearbyCraft": "none", "nearbySmelt": "none",
             "equip": "none"}


class FakeMineRL:
    """Gains a log per attack, crafts planks from logs, places tables; 96x96 frames."""

    def __init__(self, keys: dict = FULL_KEYS) -> None:
        self.action_space = _Space(keys)
        self.actions: list[dict] = []
        self.inv: dict[str, int] = {}
        self.seeded: int | None = None
        self.closed = False

    def seed(self, seed: int) -> None:
        self.seeded = seed

    def _obs(self) -> dict:
        pov = np.full((96, 96, 3), (self.seeded or 0) % 256, np.uint8)
        return {"pov": pov, "inventory": {k: np.array(v) for k, v in self.inv.items()}}

    def reset(self) -> dict:
        self.inv = {"log": 0, "planks": 0, "crafting_table": 1, "dirt": 0}
        return self._obs()

    def step(self, action: dict) -> tuple:
        self.actions.append(action)
        if action.get("attack"):
            self.inv["log"] += 1
        if action.get("craft") == "planks" and self.inv["log"] > 0:
            self.inv["log"] -= 1
            self.inv["planks"] += 4
        if action.get("place") == "crafting_table" and self.inv["crafting_table"] > 0:
            self.inv["crafting_table"] -= 1
        return self._obs(), 1.0 if action.get("attack") else 0.0, False, {}

    def close(self) -> None:
        self.closed = True


def _fake_env(**kw) -> tuple[MineRLEnv, FakeMineRL]:
    fake = FakeMineRL(**kw)
    return MineRLEnv(make=lambda env_id: fake, max_steps=kw.get("max_steps")), fake


def test_action_table_maps_to_minerl_dicts():
    env, fake = _fake_env()
    assert isinstance(env, GoalEnv) and env.action_names == ACTION_NAMES and env.unsupported_actions == ()
    noop = env.to_minerl(ACTION_NAMES.index("noop"))
    assert noop["attack"] == 0 and noop["craft"] == "none" and np.allclose(noop["camera"], 0)
    turn = env.to_minerl(ACTION_NAMES.index("turn_right"))
    assert np.allclose(turn["camera"], [0.0, 15.0]) and turn["forward"] == 0
    jump = env.to_minerl(ACTION_NAMES.index("jump_forward"))
    assert jump["jump"] == 1 and jump["forward"] == 1
    assert env.to_minerl(ACTION_NAMES.index("craft_wooden_pickaxe"))["nearbyCraft"] == "wooden_pickaxe"
    with pytest.raises(ValueError):
        env.to_minerl(len(MINERL_ACTIONS))
    assert "| 6 | `attack` |" in describe_actions()


def test_events_come_from_inventory_deltas():
    env, fake = _fake_env()
    first = env.reset(seed=7)
    assert fake.seeded == 7 and first.shape == (64, 64, 3) and first.dtype == np.uint8
    r = env.step(ACTION_NAMES.index("attack"))
    assert r.events == ["collect_log"] and r.reward == 1.0 and r.info["inventory"]["log"] == 1
    r = env.step(ACTION_NAMES.index("craft_planks"))
    assert r.events == ["make_planks"]  # one event for +4 planks; losing the log is no event
    r = env.step(ACTION_NAMES.index("place_crafting_table"))
    assert r.events == ["place_crafting_table"]
    assert env.step(0).events == []
    env.close()
    assert fake.closed


def test_inventory_events_rules():
    assert inventory_events({"log": 1}, {"log": 3, "coal": 1}) == ["collect_coal", "collect_log"]
    assert inventory_events({"dirt": 2}, {"dirt": 1}) == []  # lost without placing: nothing
    assert inventory_events({"dirt": 2}, {"dirt": 1}, placed="dirt") == ["place_dirt"]
    assert inventory_events({}, {"diamond": 1}) == ["obtain_diamond"]


def test_missing_keys_make_noops_and_max_steps_ends_episode():
    keys = {k: v for k, v in FULL_KEYS.items() if k not in ("craft", "nearbyCraft", "place", "equip")}
    fake = FakeMineRL(keys)
    env = MineRLEnv(make=lambda env_id: fake, max_steps=2, size=32)
    assert set(env.unsupported_actions) == {"craft_planks", "craft_stick", "craft_crafting_table",
                                            "place_crafting_table", "craft_wooden_pickaxe", "equip_wooden_pickaxe"}
    assert env.reset(1).shape == (32, 32, 3)
    r = env.step(ACTION_NAMES.index("craft_planks"))
    assert "craft" not in fake.actions[-1] and not r.done
    assert env.step(0).done


def test_rollout_engine_runs_on_the_minerl_mapping():
    from pgt_core.rollout import collect_rollouts

    torch.manual_seed(0)
    policy = GoalConditionedPolicy(PolicyConfig(num_actions=len(MINERL_ACTIONS))).eval()
    task = replace(MINERL_TASKS["collect_log"], max_steps=6)
    trajs = collect_rollouts(policy, torch.zeros(512), task, [3, 4], batch_size=2,
                             env_factory=lambda: MineRLEnv(make=lambda env_id: FakeMineRL()))
    assert [t.length for t in trajs] == [6, 6] and trajs[0].frames.shape == (7, 64, 64, 3)
    assert all(name in {"collect_log", "make_planks", "place_crafting_table"} for t in trajs for _, name in t.events)


def test_without_minerl_the_error_says_what_to_install():
    ok, why = minerl_available()
    if ok:
        pytest.skip("minerl is installed here")
    with pytest.raises(MineRLUnavailable, match="Java 8"):
        make_env("minerl")
    assert "Java 8" in why


# -- the policy protocol ------------------------------------------------------------------------
def test_goal_conditioned_policy_satisfies_the_protocol():
    policy = GoalConditionedPolicy(PolicyConfig())
    assert isinstance(policy, LatentPolicy) and isinstance(policy, CachedLatentPolicy)
    assert supports_feature_cache(policy)
    check_latent_policy(policy)


class _ToyExternal(nn.Module):
    """A stand-in for a GROOT/STEVE-1 policy: z mixed in *early* (so no feature cache)."""

    def __init__(self, latent: int = 512, hidden: int = 8, outputs: int = 5) -> None:
        super().__init__()
        self.enc = nn.Linear(3, latent)
        self.inp = nn.Linear(3 + latent, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, outputs)

    def encode(self, clip: torch.Tensor) -> torch.Tensor:
        return self.enc(clip.float().mean(dim=(1, 2, 3)) / 255)

    def step(self, frames: torch.Tensor, z: torch.Tensor, state):
        pooled = frames.float().mean(dim=(2, 3)) / 255  # [B, T, 3]
        zt = z[:, None].expand(-1, frames.shape[1], -1)
        h, state = self.gru(torch.relu(self.inp(torch.cat([pooled, zt], -1))), state)
        return {"scores": self.out(h)}, state


def _adapter(num_actions: int = 17) -> ExternalPolicyAdapter:
    torch.manual_seed(0)
    ext = _ToyExternal()
    expand = torch.randn(5, num_actions)  # the model's 5 outputs -> our discrete actions
    return ExternalPolicyAdapter(encode=ext.encode, step=ext.step, to_logits=lambda raw: raw["scores"] @ expand,
                                 spec=AdapterSpec(latent_dim=512, num_actions=num_actions, memory_dim=8),
                                 modules=[ext]).eval()


def test_external_adapter_is_a_latent_policy_without_cache():
    adapter = _adapter()
    assert isinstance(adapter, LatentPolicy) and not supports_feature_cache(adapter)
    check_latent_policy(adapter)
    assert not any(p.requires_grad for p in adapter.parameters())
    clip = torch.randint(0, 255, (4, 64, 64, 3), dtype=torch.uint8)
    z = adapter.encode_goal(clip)
    assert z.shape == (512,)
    frames = torch.randint(0, 255, (2, 5, 64, 64, 3), dtype=torch.uint8)
    logits, state = adapter(frames, z.expand(2, -1))
    assert logits.shape == (2, 5, 17) and state.shape == (1, 2, 8)
    # step-by-step with carried state equals the whole sequence at once
    step_logits, s = [], None
    for t in range(5):
        lg, s = adapter.act_logits(frames[:, t], z.expand(2, -1), s)
        step_logits.append(lg)
    assert torch.allclose(torch.stack(step_logits, 1), logits, atol=1e-5)


def test_external_adapter_rolls_out_with_the_local_engine():
    from pgt_core.rollout import collect_rollouts
    from pgt_core.tasks import Task

    adapter = _adapter()
    task = Task("short_wood", "collect_wood", 5, "")
    trajs = collect_rollouts(adapter, torch.zeros(512), task, [1, 2, 3], batch_size=2)
    assert [t.length for t in trajs] == [5, 5, 5]


def test_check_latent_policy_names_what_is_missing():
    with pytest.raises(TypeError, match="encode_goal"):
        check_latent_policy(nn.Linear(2, 2))


# -- real Minecraft (only where minerl is installed) --------------------------------------------
@pytest.fixture(scope="module")
def real_env():
    pytest.importorskip("minerl", reason=f"minerl is not installed: {INSTALL_HINT}")
    env = MineRLEnv(max_steps=50)
    yield env
    env.close()


@pytest.mark.minerl
def test_real_minerl_reset_and_step(real_env):
    first = real_env.reset(seed=42)
    assert first.shape == (64, 64, 3) and first.dtype == np.uint8
    for a in range(len(MINERL_ACTIONS)):
        r = real_env.step(a)
        assert r.frame.shape == (64, 64, 3) and isinstance(r.events, list)
        if r.done:
            break


@pytest.mark.minerl
def test_real_minerl_same_seed_same_world(real_env):
    a = real_env.reset(seed=7)
    b = real_env.reset(seed=7)
    # the world generator is seeded; the first frame of the same seed matches closely
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 10
