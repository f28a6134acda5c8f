"""Uploads and media under attack or failure: checked before they are stored, write-once, size-limited while
streaming, and a disk that refuses a video never leaves an empty one to be served."""
from __future__ import annotations

import io
import json
import subprocess
import zipfile

import numpy as np
import pytest

from tests.support.http_requests import tokens
from tests.support.synthetic import synthetic_trajectory


def test_a_zip_bomb_is_refused_before_it_is_stored(env):
    client, _, cfg = env
    _, w = tokens(cfg)
    buf = io.BytesIO()
    frames = 700 * 1024 * 1024 // (64 * 64 * 3)
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 64, 64, 3), np.uint8))
    header["shape"] = (frames, 64, 64, 3)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("frames.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, header)
            for _ in range(frames // 512):
                f.write(bytes(64 * 64 * 3 * 512))
        for name, member in (("actions.npy", np.zeros(frames - 1, np.int64)),
                             ("rewards.npy", np.zeros(frames - 1, np.float32)),
                             ("header.npy", np.frombuffer(b'{"events": [], "seed": 1}', np.uint8))):
            raw = io.BytesIO()
            np.save(raw, member)
            zf.writestr(name, raw.getvalue())
    data = buf.getvalue()
    assert len(data) < 2_000_000
    r = client.put("/api/artifacts/bomb.npz", content=data, headers=w)
    assert r.status_code == 422 and "the limit is" in r.json()["detail"]
    assert not (cfg.artifact_dir / "trajectories" / "bomb.npz").exists()
    assert list((cfg.artifact_dir / "trajectories").glob(".tmp-*")) == []


def test_malformed_trajectories_get_a_4xx_and_store_nothing(env):
    client, seeded, cfg = env
    _, w = tokens(cfg)
    good = synthetic_trajectory(seed=1, length=6).to_bytes()
    for data in (good[:200], b"not a zip at all", json.dumps([1, 2]).encode()):
        r = client.put("/api/artifacts/broken.npz", content=data, headers=w)
        assert r.status_code == 422, r.text
    assert client.post("/api/trajectories", json={"id": "broken", "task_id": seeded["task_id"]},
                       headers=w).status_code == 404  # nothing was stored under the name
    assert client.put("/api/artifacts/fake.mp4", content=b"\x00" * 64, headers=w).status_code == 422


def test_artifacts_are_write_once(env):
    client, seeded, cfg = env
    _, w = tokens(cfg)
    one, other = synthetic_trajectory(seed=1, length=6).to_bytes(), synthetic_trajectory(seed=2, length=6).to_bytes()
    assert client.put("/api/artifacts/w1.npz", content=one, headers=w).status_code == 200
    assert client.put("/api/artifacts/w1.npz", content=one, headers=w).status_code == 200  # a resend
    r = client.put("/api/artifacts/w1.npz", content=other, headers=w)
    assert r.status_code == 409 and "never change" in r.json()["detail"]
    assert (cfg.artifact_dir / "trajectories" / "w1.npz").read_bytes() == one
    # a registered trajectory longer than its task allows is refused
    assert client.put("/api/artifacts/long.npz", content=synthetic_trajectory(seed=3, length=120).to_bytes(),
                      headers=w).status_code == 200
    r = client.post("/api/trajectories", json={"id": "long", "task_id": seeded["task_id"]}, headers=w)
    assert r.status_code == 422 and "the limit is 15" in r.json()["detail"]


def test_an_upload_over_the_limit_is_stopped_while_it_streams(env, monkeypatch):
    from labeler.http.routers import artifacts

    client, _, cfg = env
    _, w = tokens(cfg)
    monkeypatch.setattr(artifacts, "MAX_UPLOAD_BYTES", 10_000)

    def body():
        for _ in range(100):
            yield bytes(1000)

    r = client.put("/api/artifacts/huge.npz", content=body(), headers=w)  # chunked: no content-length
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = client.put("/api/artifacts/huge.npz", content=bytes(20_000), headers=w)
    assert r.status_code == 413
    assert list((cfg.artifact_dir / "trajectories").iterdir()) != [] and not any(
        p.name.startswith((".tmp-", "huge")) for p in (cfg.artifact_dir / "trajectories").iterdir())


def test_video_urls_are_versioned_and_only_versioned_ones_are_immutable(env):
    client, seeded, cfg = env
    pair = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "v"}).json()["pair"]
    url = pair["left"]["video_url"]
    assert "?v=" in url
    assert "immutable" in client.get(url).headers["cache-control"]
    bare = client.get(url.split("?")[0])
    assert bare.status_code == 200 and bare.headers["cache-control"] == "no-cache"
    assert client.get(url.split("?")[0] + "?v=stale").headers["cache-control"] == "no-cache"


@pytest.fixture
def full_video_disk(env):
    client, seeded, cfg = env
    videos = cfg.artifact_dir / "videos"
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(videos)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root); the full-disk path is untested on this machine")
    filler = videos / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1k", "count=1000"], capture_output=True)
    try:
        yield client, seeded, filler
    finally:
        subprocess.run(["umount", "-l", str(videos)], check=False)


def test_a_full_disk_answers_507_and_never_serves_an_empty_video(full_video_disk):
    client, seeded, filler = full_video_disk
    pair = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "d"}).json()["pair"]
    for _ in range(3):  # every try fails cleanly, none is cached
        r = client.get(pair["left"]["video_url"])
        assert r.status_code == 507 and "full" in r.json()["detail"]
    assert [p.name for p in filler.parent.iterdir()] == ["filler"]
    filler.unlink()  # room again: the same request now works
    r = client.get(pair["left"]["video_url"])
    assert r.status_code == 200 and r.content[4:8] == b"ftyp"


def test_a_damaged_file_behind_a_registered_trajectory_is_a_clear_4xx(env):
    """A file damaged after registration (disk trouble, an older version's upload) answers 422, not 500."""
    client, seeded, cfg = env
    pair = client.get("/api/pairs/next", params={"task_id": seeded["task_id"], "annotator": "dmg"}).json()["pair"]
    npz = cfg.artifact_dir / "trajectories" / f"{pair['left']['id']}.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    for _ in range(2):
        r = client.get(pair["left"]["video_url"])
        assert r.status_code == 422 and "damaged" in r.json()["detail"]
    assert not (cfg.artifact_dir / "videos" / f"{pair['left']['id']}.mp4").exists()
