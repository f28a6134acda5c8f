"""Generated Crafter worlds, kept per seed so a world is generated once and restored on later resets.

Why: generating a world (terrain noise, tunnels, creatures) costs 60-180 ms, more than a
short episode's steps, and evaluation plays the same worlds again and again (300 episodes
on 100 worlds, every round's review on the same evaluation seeds). A snapshot is the whole
Crafter environment pickled right after its reset: world, player, random state and step
counter, so a restored episode continues exactly as a freshly generated one would. The
texture atlas is left out of the snapshot and shared with the restoring environment: it
is a read-only image cache, the same for every world.

One cache per process (worker processes fill their own); bounded so a long-running worker
that sees new seeds every round keeps memory flat (~40 KB per world).
"""
from __future__ import annotations

import io
import pickle
import threading
from collections import OrderedDict
from typing import Any, Hashable

_TEXTURES = "textures"


class WorldCache:
    """Snapshots by key (seed and environment settings), least recently used dropped first."""

    def __init__(self, max_worlds: int = 512) -> None:
        if max_worlds < 1:
            raise ValueError("max_worlds must be >= 1")
        self.max_worlds = max_worlds
        self._snapshots: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0  # = worlds generated through this cache

    def __len__(self) -> int:
        return len(self._snapshots)

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            snap = self._snapshots.get(key)
            if snap is None:
                self.misses += 1
            else:
                self.hits += 1
                self._snapshots.move_to_end(key)
            return snap

    def put(self, key: Hashable, snapshot: bytes) -> None:
        with self._lock:
            self._snapshots[key] = snapshot
            self._snapshots.move_to_end(key)
            while len(self._snapshots) > self.max_worlds:
                self._snapshots.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._snapshots.clear()
            self.hits = self.misses = 0


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, textures: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._textures = textures

    def persistent_id(self, obj: Any) -> str | None:
        return _TEXTURES if obj is self._textures else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, textures: Any) -> None:
        super().__init__(file)
        self._textures = textures

    def persistent_load(self, pid: Any) -> Any:
        if pid != _TEXTURES:
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self._textures


def snapshot(env: Any, textures: Any) -> bytes:
    """A Crafter `Env` as bytes, without its `textures` object."""
    buf = io.BytesIO()
    _Pickler(buf, textures).dump(env)
    return buf.getvalue()


def restore(snap: bytes, textures: Any) -> Any:
    """A new Crafter `Env` from `snapshot`'s bytes, drawing with `textures`."""
    return _Unpickler(io.BytesIO(snap), textures).load()


SHARED = WorldCache()
"""The process-wide cache `pgt_core.rollout.default_env_factory` hands to its environments."""
