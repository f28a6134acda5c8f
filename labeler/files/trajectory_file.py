"""Check a trajectory `.npz` without loading it, and stream its frames: what the app may trust of an upload.

Why: a small compressed file can expand to gigabytes (1 MB of zeros -> 1 GB of frames), and a
malformed one (truncated, a list for a header, events as an integer) must be refused when it
arrives, with the limit or the fault named, not fail later on every view. The zip directory
states every member's size and `np.lib.format` reads each array's header, so the checks cost
kilobytes; reads never go past the sizes the directory states (zipfile enforces them), and
`iter_frames` hands frames to the video encoder one at a time.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

import numpy as np

from labeler.errors import Invalid
from labeler.identifiers import has_lone_surrogate

REQUIRED = ("frames.npy", "actions.npy", "rewards.npy", "header.npy")


@dataclass(frozen=True)
class Limits:
    max_steps: int = 20_000  # actions per episode
    max_frame_side: int = 512  # pixels
    max_bytes: int = 512 * 1024 * 1024  # decompressed size of all arrays together
    max_header_bytes: int = 4 * 1024 * 1024  # events, seed and metadata (JSON)
    max_header_depth: int = 32  # JSON nesting: the store and the API encode it again


@dataclass(frozen=True)
class TrajectoryFile:
    steps: int
    frame_shape: tuple[int, int, int]
    decompressed_bytes: int


def _header(f: IO[bytes], name: str) -> tuple[tuple[int, ...], np.dtype]:
    try:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(f)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise Invalid(f"{name} is not a readable .npy array: {exc}") from None
    if fortran:
        raise Invalid(f"{name} must be stored in C order")
    return tuple(int(d) for d in shape), dtype


def inspect_trajectory(path: str | Path, limits: Limits = Limits(), max_steps: int | None = None) -> TrajectoryFile:
    """Validate a trajectory file's structure and sizes (Invalid says what is wrong); returns its shape.

    max_steps: the task's own time limit, which an episode of it cannot exceed.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            missing = [n for n in REQUIRED if n not in infos]
            if missing:
                raise Invalid(f"the trajectory file lacks {', '.join(missing)}")
            total = sum(i.file_size for i in infos.values())
            if total > limits.max_bytes:
                raise Invalid(f"the trajectory file expands to {total} bytes; the limit is {limits.max_bytes}")
            shapes = {}
            for name in REQUIRED:
                with zf.open(name) as f:
                    shape, dtype = shapes[name] = _header(f, name)
                    expected = f.tell() + int(np.prod(shape)) * dtype.itemsize
                if infos[name].file_size != expected:  # a member that claims one size and holds another
                    raise Invalid(f"{name} holds {infos[name].file_size} bytes but its header says {expected}")
            (fs, fd), (as_, ad), (rs, rd), (hs, hd) = (shapes[n] for n in REQUIRED)
            if fd != np.uint8 or len(fs) != 4 or fs[-1] != 3 or fs[1] < 1 or fs[2] < 1:
                raise Invalid(f"frames must be uint8 [T+1, H, W, 3] with H, W >= 1, got {fd} {list(fs)}")
            if max(fs[1], fs[2]) > limits.max_frame_side:
                raise Invalid(f"frames are {fs[1]}x{fs[2]}; the limit is {limits.max_frame_side} pixels a side")
            steps = fs[0] - 1
            cap = min(limits.max_steps, max_steps or limits.max_steps)
            if not 0 <= steps <= cap:
                raise Invalid(f"the episode has {steps} steps; the limit is {cap}")
            if ad.kind not in "iu" or as_ != (steps,) or rd.kind != "f" or rs != (steps,):
                raise Invalid(f"actions and rewards must be 1-D numbers of the episode's length {steps}, "
                              f"got {ad} {list(as_)} and {rd} {list(rs)}")
            if hd != np.uint8 or len(hs) != 1 or hs[0] > limits.max_header_bytes:
                raise Invalid(f"the header must be at most {limits.max_header_bytes} bytes of JSON")
            _check_header(zf.read("header.npy"), steps, limits.max_header_depth)
    except zipfile.BadZipFile as exc:
        raise Invalid(f"not a readable trajectory file (.npz): {exc}") from None
    except (OSError, EOFError) as exc:
        raise Invalid(f"not a readable trajectory file: {exc}") from None
    return TrajectoryFile(steps=steps, frame_shape=(fs[1], fs[2], fs[3]), decompressed_bytes=total)


def _not_a_number(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _depth(value: Any) -> int:
    """How deeply a JSON value nests (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth + 1)
            stack += [(child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)]
    return deepest


def _check_header(raw: bytes, steps: int, max_depth: int) -> None:
    """The header as the store will keep it: a JSON object of finite numbers and real text (no lone UTF-16
    surrogate, which the database refuses), nested within reason, with a seed that fits 64 bits."""
    try:
        text = np.load(io.BytesIO(raw), allow_pickle=False).tobytes().decode("utf-8")
        header: Any = json.loads(text, parse_constant=_not_a_number)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the header is not JSON: {str(exc)[:200]}") from None
    except RecursionError:
        raise Invalid("the header is nested too deeply") from None
    if not isinstance(header, dict):
        raise Invalid(f"the header must be a JSON object, got {type(header).__name__}")
    if _depth(header) > max_depth:
        raise Invalid(f"the header nests deeper than {max_depth} levels")
    if has_lone_surrogate(header):
        raise Invalid("the header's text must be valid Unicode (a lone UTF-16 surrogate such as \\ud800 is not "
                      "a character)")
    events = header.get("events", [])
    if not isinstance(events, list) or not all(
            isinstance(e, list) and len(e) == 2 and isinstance(e[0], int) and not isinstance(e[0], bool)
            and 0 <= e[0] < max(steps, 1) and isinstance(e[1], str) for e in events):
        raise Invalid("events must be a list of [step, achievement] with 0 <= step < the episode's length")
    seed = header.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or not -2**63 <= seed < 2**63:
        raise Invalid(f"seed must be an integer of 64 bits, got {str(seed)[:40]}")
    if not isinstance(header.get("meta", {}), dict):
        raise Invalid("meta must be a JSON object")


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """The frames of a trajectory file, one [H, W, 3] array at a time; Invalid if the file is damaged."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open("frames.npy") as f:
            shape, dtype = _header(f, "frames.npy")
            if dtype != np.uint8 or len(shape) != 4 or shape[-1] != 3:
                raise Invalid(f"frames must be uint8 [T+1, H, W, 3], got {dtype} {list(shape)}")
            frame_bytes = int(np.prod(shape[1:])) * dtype.itemsize
            for _ in range(shape[0]):
                buf = f.read(frame_bytes)
                if len(buf) != frame_bytes:
                    raise Invalid("frames.npy ends early")
                yield np.frombuffer(buf, dtype=dtype).reshape(shape[1:])
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise Invalid(f"the trajectory file is damaged: {exc}") from None


def load_outline(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(actions, rewards, header) of a checked file, without its frames (what scoring an episode needs)."""
    with zipfile.ZipFile(path) as zf:
        arrays = [np.load(io.BytesIO(zf.read(n)), allow_pickle=False) for n in ("actions.npy", "rewards.npy")]
        header = json.loads(np.load(io.BytesIO(zf.read("header.npy")), allow_pickle=False).tobytes().decode("utf-8"))
    return arrays[0], arrays[1], header
