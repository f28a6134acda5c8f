"""MineRL behind `GoalEnv`: a fixed discrete action set, 64x64 frames, achievement-like events.

Why a discrete action set: PGT tunes only the latent of a *frozen* policy, so the
environment interface stays the one every other part uses (`step(int)`); MineRL's dict
actions (camera deltas, movement keys, craft/place enums) are reached through the table
`MINERL_ACTIONS` below. External policies with their own (factored) action heads map their
distribution onto this set in their adapter (`pgt_core.policy.adapter`).

Why events from inventory deltas: tasks in PGT Studio are "make achievement X happen"
(`pgt_core.tasks.Task`). MineRL has no achievement counter, but every task the paper
uses in the survival setting shows up in the inventory: a log gained is `collect_log`, a
wooden pickaxe gained is `make_wooden_pickaxe`, a crafting table lost right after a place
action is `place_crafting_table`. One event per item per step on which its count went up
(crafting planks adds 4 planks but is one `make_planks`).

Reproducibility: `reset(seed)` seeds the Minecraft world generator, so the *world* is a
function of the seed; the Minecraft simulation itself is multi-threaded and not bit-exact
across runs, so unlike Crafter a replay can drift. Before/after reviews still compare the
two latents on the same worlds.

`minerl` is imported lazily: this module imports everywhere, and constructing
`MineRLEnv` without minerl raises `MineRLUnavailable` with what to install. Tests and
other backends can pass `make=` (a `gym.make`-like callable) to run the mapping against
any object with MineRL's reset/step/action_space.noop() API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from pgt_core.envs.base import StepResult
from pgt_core.tasks import Task

DEFAULT_ENV_ID = "MineRLObtainDiamond-v0"  # has the full survival inventory and craft/place/equip keys
CAMERA_STEP_DEG = 15.0

INSTALL_HINT = (
    "the MineRL backend needs the `minerl` package (pip install '.[minerl]'), which builds Minecraft "
    "with gradle and needs a Java 8 JDK (JAVA_HOME pointing at it) and network access on first use; "
    "see the README section 'MineRL backend'"
)


class MineRLUnavailable(ImportError):
    """minerl is not installed (or failed to import); the message says what is needed."""


@dataclass(frozen=True)
class MineRLAction:
    """One discrete action: the MineRL dict keys it sets on top of a no-op action."""

    name: str
    keys: Mapping[str, Any] = field(default_factory=dict)
    doc: str = ""


MINERL_ACTIONS: tuple[MineRLAction, ...] = (
    MineRLAction("noop", {}, "do nothing"),
    MineRLAction("forward", {"forward": 1}, "walk forward"),
    MineRLAction("back", {"back": 1}, "walk backward"),
    MineRLAction("left", {"left": 1}, "strafe left"),
    MineRLAction("right", {"right": 1}, "strafe right"),
    MineRLAction("jump_forward", {"forward": 1, "jump": 1}, "jump while walking forward (climb one block)"),
    MineRLAction("attack", {"attack": 1}, "hit/mine the block or mob in the crosshair (hold over steps)"),
    MineRLAction("look_up", {"camera": (-CAMERA_STEP_DEG, 0.0)}, "pitch -15 degrees"),
    MineRLAction("look_down", {"camera": (CAMERA_STEP_DEG, 0.0)}, "pitch +15 degrees"),
    MineRLAction("turn_left", {"camera": (0.0, -CAMERA_STEP_DEG)}, "yaw -15 degrees"),
    MineRLAction("turn_right", {"camera": (0.0, CAMERA_STEP_DEG)}, "yaw +15 degrees"),
    MineRLAction("craft_planks", {"craft": "planks"}, "1 log -> 4 planks (inventory grid)"),
    MineRLAction("craft_stick", {"craft": "stick"}, "2 planks -> 4 sticks"),
    MineRLAction("craft_crafting_table", {"craft": "crafting_table"}, "4 planks -> crafting table"),
    MineRLAction("place_crafting_table", {"place": "crafting_table"}, "place a crafting table in front"),
    MineRLAction("craft_wooden_pickaxe", {"nearbyCraft": "wooden_pickaxe"},
                 "3 planks + 2 sticks -> wooden pickaxe (needs a table nearby)"),
    MineRLAction("equip_wooden_pickaxe", {"equip": "wooden_pickaxe"}, "hold the wooden pickaxe"),
)
ACTION_NAMES: tuple[str, ...] = tuple(a.name for a in MINERL_ACTIONS)

# Inventory item -> event name when its count goes up. Items not listed give "obtain_<item>".
GAIN_EVENTS: dict[str, str] = {
    "log": "collect_log",
    "dirt": "collect_dirt",
    "cobblestone": "collect_cobblestone",
    "stone": "collect_stone",
    "coal": "collect_coal",
    "iron_ore": "collect_iron_ore",
    "planks": "make_planks",
    "stick": "make_stick",
    "crafting_table": "make_crafting_table",
    "wooden_axe": "make_wooden_axe",
    "wooden_pickaxe": "make_wooden_pickaxe",
    "stone_axe": "make_stone_axe",
    "stone_pickaxe": "make_stone_pickaxe",
    "furnace": "make_furnace",
    "torch": "make_torch",
    "iron_ingot": "make_iron_ingot",
    "iron_axe": "make_iron_axe",
    "iron_pickaxe": "make_iron_pickaxe",
}

# Tasks over these events, with time limits in MineRL steps (20 steps = 1 s of game time).
MINERL_TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        Task("collect_log", "collect_log", 1200, "Chop a tree for a log."),
        Task("collect_dirt", "collect_dirt", 600, "Dig dirt."),
        Task("make_planks", "make_planks", 1500, "Chop a log and craft planks."),
        Task("make_crafting_table", "make_crafting_table", 2400, "Craft a crafting table from planks."),
        Task("place_crafting_table", "place_crafting_table", 2400, "Craft a crafting table and place it."),
        Task("make_wooden_pickaxe", "make_wooden_pickaxe", 3600, "Craft a wooden pickaxe."),
        Task("collect_cobblestone", "collect_cobblestone", 6000, "Craft a wooden pickaxe and mine cobblestone."),
    ]
}


def inventory_events(before: Mapping[str, Any], after: Mapping[str, Any], placed: str | None = None) -> list[str]:
    """Events of one step from the inventory before and after it (sorted by item for determinism).

    `placed` is the item the step's action tried to place; losing one of it is `place_<item>`.
    """
    events: list[str] = []
    for item in sorted(after):
        gained = int(np.asarray(after[item]).sum()) - int(np.asarray(before.get(item, 0)).sum())
        if gained > 0:
            events.append(GAIN_EVENTS.get(item, f"obtain_{item}"))
        elif gained < 0 and placed == item:
            events.append(f"place_{item}")
    return events


def resize_frame(pov: np.ndarray, size: int) -> np.ndarray:
    """MineRL's point-of-view image (H, W, 3) -> uint8 (size, size, 3); no-op when already that size."""
    pov = np.asarray(pov, dtype=np.uint8)
    if pov.shape[:2] == (size, size):
        return pov
    from PIL import Image

    return np.asarray(Image.fromarray(pov).resize((size, size), Image.BILINEAR), dtype=np.uint8)


def _gym_make() -> Callable[[str], Any]:
    try:
        import gym  # minerl 0.4 and 1.0 both register their environments with OpenAI gym
        import minerl  # noqa: F401  (import registers the MineRL* environment ids)
    except Exception as exc:  # ImportError, or a broken install (missing Java, ...)
        raise MineRLUnavailable(f"{INSTALL_HINT} (import failed: {exc!r})") from exc
    return gym.make


def minerl_available() -> tuple[bool, str]:
    """(True, '') when minerl imports; else (False, why) for skips and error messages."""
    try:
        _gym_make()
    except MineRLUnavailable as exc:
        return False, str(exc)
    return True, ""


class MineRLEnv:
    """One MineRL environment behind `GoalEnv` (discrete `MINERL_ACTIONS`, square frames, events).

    env_id: a MineRL environment id; the default has every key the action table uses. Keys an
    environment lacks (MineRL 1.0's VPT environments have no craft/place enums) make the
    actions that need them no-ops; `unsupported_actions` lists them.
    make: a `gym.make`-like factory (default: gym.make after importing minerl).
    """

    action_names = ACTION_NAMES
    frame_shape = (64, 64, 3)

    def __init__(self, env_id: str = DEFAULT_ENV_ID, size: int = 64, max_steps: int | None = None,
                 make: Callable[[str], Any] | None = None) -> None:
        factory = make if make is not None else _gym_make()
        self.env_id = env_id
        self.size = int(size)
        self.frame_shape = (self.size, self.size, 3)
        self.max_steps = max_steps
        self._env = factory(env_id)
        keys = set(self._noop().keys())
        self.unsupported_actions = tuple(a.name for a in MINERL_ACTIONS if not set(a.keys) <= keys)
        self._inventory: dict[str, int] = {}
        self._steps = 0
        self.seed: int | None = None

    def _noop(self) -> dict[str, Any]:
        return dict(self._env.action_space.noop())

    def to_minerl(self, action: int) -> dict[str, Any]:
        """The MineRL dict action for discrete `action` (a no-op plus the keys the table sets)."""
        if not 0 <= int(action) < len(MINERL_ACTIONS):
            raise ValueError(f"action {action} out of range 0..{len(MINERL_ACTIONS) - 1}")
        spec = MINERL_ACTIONS[int(action)]
        out = self._noop()
        if spec.name in self.unsupported_actions:
            return out
        for key, value in spec.keys.items():
            out[key] = np.asarray(value, dtype=np.float32) if key == "camera" else value
        return out

    @staticmethod
    def _inventory_of(obs: Mapping[str, Any]) -> dict[str, int]:
        inv = obs.get("inventory", {}) or {}
        return {str(k): int(np.asarray(v).sum()) for k, v in inv.items()}

    # -- GoalEnv ---------------------------------------------------------------------------
    def reset(self, seed: int) -> np.ndarray:
        self.seed = int(seed)
        self._env.seed(self.seed)
        obs = self._env.reset()
        self._inventory = self._inventory_of(obs)
        self._steps = 0
        return resize_frame(obs["pov"], self.size)

    def step(self, action: int) -> StepResult:
        if self.seed is None:
            raise RuntimeError("call reset(seed) before step()")
        spec = MINERL_ACTIONS[int(action)] if 0 <= int(action) < len(MINERL_ACTIONS) else None
        act = self.to_minerl(action)
        obs, reward, done, info = self._env.step(act)
        inventory = self._inventory_of(obs)
        placed = spec.keys.get("place") if spec is not None else None
        events = inventory_events(self._inventory, inventory, placed=placed)
        self._inventory = inventory
        self._steps += 1
        if self.max_steps is not None and self._steps >= self.max_steps:
            done = True
        return StepResult(frame=resize_frame(obs["pov"], self.size), reward=float(reward), done=bool(done),
                          events=events, info={"inventory": inventory})

    def close(self) -> None:
        self._env.close()


def describe_actions(actions: Sequence[MineRLAction] = MINERL_ACTIONS) -> str:
    """The action table as Markdown (what the README's 'MineRL backend' section shows)."""
    rows = ["| id | name | MineRL keys (on a no-op) | effect |", "|---|---|---|---|"]
    for i, a in enumerate(actions):
        keys = ", ".join(f"`{k}={v}`" for k, v in a.keys.items()) or "-"
        rows.append(f"| {i} | `{a.name}` | {keys} | {a.doc} |")
    return "\n".join(rows)
