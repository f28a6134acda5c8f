"""A scripted multi-skill Crafter demonstrator that reads the world state.

It pursues random top-level goals (wood, sapling, plant, drink, cow, table, pickaxe,
sword, stone, place stone), solving prerequisites on the way, with a per-goal amount of
random-action noise. Its episodes are the foundation policy's training data: each goal
segment that ends in its achievement becomes a (hindsight) goal clip for the steps that
led to it. The noise level varies per segment, so clips -- and therefore latents -- encode
not only *what* to do but *how well*: that is the room PGT has to improve a prompt.

Perception is limited to a window a little larger than the 9x7 local view, so behaviour
stays close to what a frame-based policy with memory can imitate; beyond it the agent
explores in a persistent random direction.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from crafter import constants, objects

from pgt_core.envs.crafter_env import ACTION_NAMES, CrafterEnv

A = {name: i for i, name in enumerate(ACTION_NAMES)}
DIRS = {(-1, 0): A["move_left"], (1, 0): A["move_right"], (0, -1): A["move_up"], (0, 1): A["move_down"]}
WALKABLE = set(constants.walkable)
SIGHT = (6, 5)  # half-width, half-height of what the agent may "see" (the view is 4 x 3 around it)

GOALS: tuple[str, ...] = (
    "collect_wood",
    "collect_sapling",
    "place_plant",
    "collect_drink",
    "eat_cow",
    "place_table",
    "make_wood_pickaxe",
    "make_wood_sword",
    "collect_stone",
    "place_stone",
)
NOISE_LEVELS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.45)


@dataclass
class Segment:
    """One pursued goal inside an episode: steps [start, end] (end = the achieving action)."""

    goal: str
    start: int
    end: int | None = None  # None: gave up (timeout) or episode ended first
    noise: float = 0.0


@dataclass
class ScriptedAgent:
    """Chooses one action per step from the privileged world state."""

    rng: np.random.Generator
    goal: str = "collect_wood"
    noise: float = 0.0
    _explore_dir: tuple[int, int] = (1, 0)
    _explore_left: int = 0
    segments: list[Segment] = field(default_factory=list)
    _reachable: dict | None = field(default=None, repr=False)  # this step's BFS; the world is fixed within a step

    # -- goal bookkeeping --------------------------------------------------------------------
    def start_goal(self, goal: str, step: int, noise: float | None = None) -> None:
        self.goal = goal
        self.noise = float(self.rng.choice(NOISE_LEVELS)) if noise is None else noise
        self.segments.append(Segment(goal=goal, start=step, noise=self.noise))

    # -- acting ------------------------------------------------------------------------------
    def act(self, env: CrafterEnv) -> int:
        self._reachable = None
        if self.rng.random() < self.noise:
            return int(self.rng.integers(0, 6))  # noop, moves and 'do': plausible, visible slips
        player, world = env.player, env.world
        threat = self._adjacent(world, player, lambda m, o: isinstance(o, objects.Zombie))
        if threat is not None:
            return self._face_then(player, threat, A["do"])
        return self._plan(self.goal, world, player)

    def _plan(self, goal: str, world, player) -> int:
        inv = player.inventory
        if goal == "collect_wood":
            return self._collect(world, player, "tree")
        if goal == "collect_drink":
            return self._collect(world, player, "water")
        if goal == "collect_sapling":
            return self._on_grass(world, player, A["do"])
        if goal == "place_plant":
            if inv["sapling"] < 1:
                return self._on_grass(world, player, A["do"])
            return self._on_grass(world, player, A["place_plant"])
        if goal == "eat_cow":
            return self._reach_object(world, player, objects.Cow)
        if goal == "place_table":
            need = constants.place["table"]["uses"]["wood"]
            if inv["wood"] < need:
                return self._collect(world, player, "tree")
            return self._place_on(world, player, A["place_table"], {"grass", "sand", "path"})
        if goal in ("make_wood_pickaxe", "make_wood_sword"):
            return self._craft(world, player, goal)
        if goal == "collect_stone":
            if inv["wood_pickaxe"] < 1:
                return self._craft(world, player, "make_wood_pickaxe")
            return self._collect(world, player, "stone")
        if goal == "place_stone":
            if inv["stone"] < 1:
                return self._plan("collect_stone", world, player)
            return self._place_on(world, player, A["place_stone"], {"grass", "sand", "path", "water", "lava"})
        raise ValueError(f"unknown goal {goal!r}")

    # -- skills -------------------------------------------------------------------------------
    def _craft(self, world, player, goal: str) -> int:
        inv = player.inventory
        table_wood = constants.place["table"]["uses"]["wood"]
        item_wood = constants.make[goal[len("make_"):]]["uses"]["wood"]
        table = self._find_material(world, player, "table")
        if table is None:
            if inv["wood"] < table_wood + item_wood:
                return self._collect(world, player, "tree")
            return self._place_on(world, player, A["place_table"], {"grass", "sand", "path"})
        if inv["wood"] < item_wood:
            return self._collect(world, player, "tree")
        nearby, _ = world.nearby(player.pos, 1)
        if "table" in nearby:
            return A[goal]
        return self._walk_to_adjacent(world, player, table)

    def _collect(self, world, player, material: str) -> int:
        target = self._find_material(world, player, material)
        if target is None:
            return self._explore(world, player)
        return self._walk_to_adjacent(world, player, target, then=A["do"])

    def _reach_object(self, world, player, cls) -> int:
        target = self._find(world, player, lambda m, o: isinstance(o, cls))
        if target is None:
            return self._explore(world, player)
        return self._walk_to_adjacent(world, player, target, then=A["do"])

    def _on_grass(self, world, player, action: int) -> int:
        facing = (int(player.pos[0] + player.facing[0]), int(player.pos[1] + player.facing[1]))
        material, obj = world[facing]
        if material == "grass" and obj is None:
            return action
        return self._step_toward_free(world, player, {"grass"})

    def _place_on(self, world, player, action: int, where: set[str]) -> int:
        facing = (int(player.pos[0] + player.facing[0]), int(player.pos[1] + player.facing[1]))
        material, obj = world[facing]
        if material in where and obj is None:
            return action
        return self._step_toward_free(world, player, where)

    def _step_toward_free(self, world, player, materials: set[str]) -> int:
        """Turn toward (or step onto) a neighbouring free tile of the wanted materials."""
        options = []
        for d, a in DIRS.items():
            pos = (int(player.pos[0] + d[0]), int(player.pos[1] + d[1]))
            material, obj = world[pos]
            if material in materials and obj is None:
                options.append(a)
        if options:
            return int(self.rng.choice(options))
        return self._explore(world, player)

    def _explore(self, world, player) -> int:
        if self._explore_left <= 0 or not self._free(world, player.pos + np.array(self._explore_dir)):
            choices = [d for d in DIRS if self._free(world, player.pos + np.array(d))] or list(DIRS)
            self._explore_dir = choices[int(self.rng.integers(len(choices)))]
            self._explore_left = int(self.rng.integers(4, 12))
        self._explore_left -= 1
        return DIRS[self._explore_dir]

    # -- perception and path finding ----------------------------------------------------------
    @staticmethod
    def _free(world, pos) -> bool:
        material, obj = world[pos]
        return obj is None and material in WALKABLE

    def _in_sight(self, player, pos) -> bool:
        return abs(int(pos[0]) - int(player.pos[0])) <= SIGHT[0] and abs(int(pos[1]) - int(player.pos[1])) <= SIGHT[1]

    def _find_material(self, world, player, material: str):
        return self._find(world, player, lambda m, o: m == material)

    def _find(self, world, player, test):
        """Nearest tile in sight (by walking distance to a neighbour) that satisfies test(material, obj)."""
        px, py = int(player.pos[0]), int(player.pos[1])
        targets = []
        for x in range(px - SIGHT[0], px + SIGHT[0] + 1):
            for y in range(py - SIGHT[1], py + SIGHT[1] + 1):
                if (x, y) == (px, py):
                    continue
                material, obj = world[(x, y)]
                if material is not None and test(material, obj):
                    targets.append((abs(x - px) + abs(y - py), x, y))
        if not targets:
            return None
        targets.sort()
        reachable = self._bfs(world, player)
        for _, x, y in targets:
            for d in DIRS:
                if (x - d[0], y - d[1]) in reachable:
                    return (x, y)
        return None

    def _bfs(self, world, player) -> dict[tuple[int, int], tuple[int, int] | None]:
        """Walkable tiles in sight -> the first step from the player that leads there (once per step)."""
        if self._reachable is not None:
            return self._reachable
        start = (int(player.pos[0]), int(player.pos[1]))
        first: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
        queue = deque([start])
        while queue:
            cur = queue.popleft()
            for d in DIRS:
                nxt = (cur[0] + d[0], cur[1] + d[1])
                if nxt in first or not self._in_sight(player, nxt) or not self._free(world, nxt):
                    continue
                first[nxt] = d if first[cur] is None else first[cur]
                queue.append(nxt)
        self._reachable = first
        return first

    def _adjacent(self, world, player, test):
        for d in DIRS:
            pos = (int(player.pos[0] + d[0]), int(player.pos[1] + d[1]))
            material, obj = world[pos]
            if test(material, obj):
                return pos
        return None

    def _face_then(self, player, target, action: int) -> int:
        d = (int(target[0] - player.pos[0]), int(target[1] - player.pos[1]))
        if tuple(player.facing) == d:
            return action
        return DIRS[d]

    def _walk_to_adjacent(self, world, player, target, then: int | None = None) -> int:
        tx, ty = int(target[0]), int(target[1])
        px, py = int(player.pos[0]), int(player.pos[1])
        if abs(tx - px) + abs(ty - py) == 1:
            if then is None:
                return A["noop"]
            return self._face_then(player, (tx, ty), then)
        reachable = self._bfs(world, player)
        best = None
        for d in DIRS:
            n = (tx - d[0], ty - d[1])
            if n in reachable and reachable[n] is not None:
                dist = abs(n[0] - px) + abs(n[1] - py)
                if best is None or dist < best[0]:
                    best = (dist, reachable[n])
        if best is None:
            return self._explore(world, player)
        return DIRS[best[1]]
