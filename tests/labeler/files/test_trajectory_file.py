"""What the app accepts as a trajectory file: structure and sizes checked from the zip directory and array
headers (a small file that expands to gigabytes is refused without expanding it), frames streamed one by one."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from labeler.errors import Invalid
from labeler.files.trajectory_file import Limits, inspect_trajectory, iter_frames, load_outline
from tests.support.synthetic import synthetic_trajectory


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def write(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def members(t: int = 4, header: object = None, **over: bytes) -> dict[str, bytes]:
    head = {"events": [[1, "collect_wood"]], "seed": 3, "meta": {}} if header is None else header
    out = {"frames.npy": npy(np.zeros((t + 1, 8, 8, 3), np.uint8)), "actions.npy": npy(np.zeros(t, np.int64)),
           "rewards.npy": npy(np.zeros(t, np.float32)),
           "header.npy": npy(np.frombuffer(json.dumps(head).encode(), dtype=np.uint8))}
    return {**out, **over}


def test_a_real_trajectory_passes_and_streams_its_frames(tmp_path):
    traj = synthetic_trajectory(5, length=12)
    traj.save(tmp_path / "t.npz")
    info = inspect_trajectory(tmp_path / "t.npz")
    assert (info.steps, info.frame_shape) == (12, (64, 64, 3))
    assert np.array_equal(np.stack(list(iter_frames(tmp_path / "t.npz"))), traj.frames)
    actions, rewards, header = load_outline(tmp_path / "t.npz")
    assert np.array_equal(actions, traj.actions) and header["seed"] == 5


def test_a_file_that_expands_past_the_limit_is_refused_unexpanded(tmp_path):
    """A zip of zeros: about 1 MB on disk, 600 MB of frames; refused from the directory alone."""
    path = tmp_path / "bomb.npz"
    frames = 600 * 1024 * 1024 // (64 * 64 * 3)
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 64, 64, 3), np.uint8))
    header["shape"] = (frames, 64, 64, 3)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("frames.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, header)
            zero = bytes(64 * 64 * 3 * 256)
            for _ in range(frames // 256):
                f.write(zero)
            f.write(bytes(64 * 64 * 3 * (frames % 256)))
        for name, data in members(frames - 1).items():
            if name != "frames.npy":
                zf.writestr(name, data)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(Invalid, match="expands to .* the limit is"):
        inspect_trajectory(path)


@pytest.mark.parametrize("case,match", [
    ("truncated", "not a readable"),
    ("header is a list", "JSON object"),
    ("events is an integer", "events must be"),
    ("event past the end", "events must be"),
    ("meta is a list", "meta must be"),
    ("seed is null", "seed must be"),
    ("no actions", "lacks actions.npy"),
    ("float frames", "frames must be uint8"),
    ("actions too short", "actions and rewards"),
    ("over the task's limit", "the limit is 3"),
    ("frames too wide", "pixels a side"),
    ("a member that lies about its size", "holds"),
])
def test_malformed_files_are_refused_with_the_fault_named(tmp_path, case, match):
    path = tmp_path / "bad.npz"
    max_steps = None
    if case == "truncated":
        write(path, members())
        path.write_bytes(path.read_bytes()[:300])
    elif case == "header is a list":
        write(path, members(header=[1, 2]))
    elif case == "events is an integer":
        write(path, members(header={"events": 3, "seed": 1}))
    elif case == "event past the end":
        write(path, members(header={"events": [[9, "collect_wood"]], "seed": 1}))
    elif case == "meta is a list":
        write(path, members(header={"events": [], "seed": 1, "meta": []}))
    elif case == "seed is null":
        write(path, members(header={"events": [], "seed": None}))
    elif case == "no actions":
        m = members()
        del m["actions.npy"]
        write(path, m)
    elif case == "float frames":
        write(path, members(**{"frames.npy": npy(np.zeros((5, 8, 8, 3), np.float32))}))
    elif case == "actions too short":
        write(path, members(**{"actions.npy": npy(np.zeros(2, np.int64))}))
    elif case == "over the task's limit":
        write(path, members(t=4))
        max_steps = 3
    elif case == "frames too wide":
        write(path, members(**{"frames.npy": npy(np.zeros((5, 8, 1024, 3), np.uint8))}))
    elif case == "a member that lies about its size":
        write(path, members(**{"frames.npy": npy(np.zeros((5, 8, 8, 3), np.uint8))[:-10]}))
    with pytest.raises(Invalid, match=match):
        inspect_trajectory(path, Limits(), max_steps=max_steps)
