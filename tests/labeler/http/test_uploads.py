"""Uploads and media under attack or failure: only for a job a worker holds, trajectories only (never a video),
checked before they are stored, write-once, size-limited while streaming, and a disk that refuses a video never
leaves an empty one to be served."""
from __future__ import annotations

import io
import json
import subprocess
import zipfile

import numpy as np
import pytest

from tests.support.http_requests import job_lease, tokens
from tests.support.synthetic import synthetic_trajectory


def upload(client, job: int, lease: dict[str, str], name: str, data):
    return client.put(f"/api/jobs/{job}/artifacts/{name}", content=data, headers=lease)


def test_a_zip_bomb_is_refused_before_it_is_stored(env):
    client, seeded, cfg = env
    job, lease = job_lease(client, cfg, seeded["task_id"])
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
    r = upload(client, job, lease, "bomb.npz", data)
    assert r.status_code == 422 and "the limit is" in r.json()["detail"]
    assert not (cfg.artifact_dir / "trajectories" / "bomb.npz").exists()
    assert list((cfg.artifact_dir / "trajectories").glob(".tmp-*")) == []


def test_malformed_trajectories_get_a_4xx_and_store_nothing(env):
    client, seeded, cfg = env
    job, lease = job_lease(client, cfg, seeded["task_id"])
    good = synthetic_trajectory(seed=1, length=6).to_bytes()
    for data in (good[:200], b"not a zip at all", json.dumps([1, 2]).encode()):
        r = upload(client, job, lease, "broken.npz", data)
        assert r.status_code == 422, r.text
    assert client.post(f"/api/jobs/{job}/trajectories", json={"id": "broken", "task_id": seeded["task_id"]},
                       headers=lease).status_code == 404  # nothing was stored under the name


def header_npz(header_json: str) -> bytes:
    """A trajectory file whose header.npy holds this JSON text (written as is)."""
    members = {"frames.npy": np.zeros((5, 8, 8, 3), np.uint8), "actions.npy": np.zeros(4, np.int64),
               "rewards.npy": np.zeros(4, np.float32), "header.npy": np.frombuffer(header_json.encode(), np.uint8)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, array in members.items():
            raw = io.BytesIO()
            np.save(raw, array)
            zf.writestr(name, raw.getvalue())
    return buf.getvalue()


@pytest.mark.parametrize("header,problem", [
    ('{"events": [], "seed": 1, "meta": {"a": ' + "[" * 50_000 + "]" * 50_000 + "}}", "nest"),
    ('{"events": [], "seed": 1, "meta": {"a": ' + "[" * 40 + "]" * 40 + "}}", "nest"),
    ('{"events": [], "seed": ' + str(2**64) + "}", "64 bits"),
    ('{"events": [], "seed": ' + str(-2**63 - 1) + "}", "64 bits"),
    ('{"events": [[0, "\\ud800"]], "seed": 1}', "surrogate"),
    ('{"events": [], "seed": 1, "meta": {"\\udfff": 1}}', "surrogate"),
    ('{"events": [], "seed": 1, "meta": {"note": ["x\\ud800"]}}', "surrogate"),
    ('{"events": [], "seed": 1, "meta": {"x": NaN}}', "not JSON"),
])
def test_crafted_headers_are_a_422_naming_the_problem(env, header, problem):
    client, seeded, cfg = env
    job, lease = job_lease(client, cfg, seeded["task_id"])
    r = upload(client, job, lease, "crafted.npz", header_npz(header))
    assert r.status_code == 422 and problem in r.json()["detail"], r.text
    # placed on disk behind the app's back, registering it is refused the same way, storing nothing
    (cfg.artifact_dir / "trajectories" / "crafted.npz").write_bytes(header_npz(header))
    r = client.post(f"/api/jobs/{job}/trajectories", json={"id": "crafted", "task_id": seeded["task_id"]},
                    headers=lease)
    assert r.status_code == 422 and problem in r.json()["detail"], r.text
    assert client.get("/api/trajectories/crafted", headers=tokens(cfg)[0]).status_code == 404


def test_the_edges_of_a_64_bit_seed_are_fine(env):
    client, seeded, cfg = env
    job, lease = job_lease(client, cfg, seeded["task_id"])
    for k, seed in enumerate((2**63 - 1, -2**63)):
        assert upload(client, job, lease, f"edge{k}.npz",
                      header_npz(json.dumps({"events": [], "seed": seed}))).status_code == 200
        r = client.post(f"/api/jobs/{job}/trajectories", json={"id": f"edge{k}", "task_id": seeded["task_id"]},
                        headers=lease)
        assert r.status_code == 201 and r.json()["seed"] == seed


def test_worker_writes_need_a_job_lease_and_never_carry_a_video(env):
    """The worker token alone writes nothing; and no upload lands among the videos annotators are served (and
    cache for good): the app makes every video itself from the trajectory."""
    client, seeded, cfg = env
    _, w = tokens(cfg)
    data = synthetic_trajectory(seed=1, length=6).to_bytes()
    mp4 = b"\x00\x00\x00\x18ftypisom" + bytes(64)
    assert client.put("/api/artifacts/syn-r1-0.mp4", content=mp4, headers=w).status_code == 405
    assert client.put("/api/artifacts/free.npz", content=data, headers=w).status_code == 405
    assert client.post("/api/trajectories", json={"id": "syn-r1-0", "task_id": seeded["task_id"]},
                       headers=w).status_code == 405
    job, lease = job_lease(client, cfg, seeded["task_id"])
    assert upload(client, job, w, "free.npz", data).status_code == 422  # no lease header
    assert upload(client, job, {**w, "x-pgt-lease": "guess"}, "free.npz", data).status_code == 409
    r = upload(client, job, lease, "syn-r1-0.mp4", mp4)
    assert r.status_code == 422 and "video" in r.json()["detail"]
    assert not (cfg.artifact_dir / "trajectories" / "free.npz").exists()
    assert list((cfg.artifact_dir / "videos").iterdir()) == []
    assert upload(client, job, lease, "free.npz", data).status_code == 200
    register = f"/api/jobs/{job}/trajectories"
    assert client.post(register, json={"id": "free", "task_id": seeded["task_id"]}, headers=w).status_code == 422
    assert client.post(register, json={"id": "free", "task_id": seeded["task_id"]},
                       headers={**w, "x-pgt-lease": "guess"}).status_code == 409
    assert client.post(register, json={"id": "free", "task_id": seeded["task_id"]}, headers=lease).status_code == 201
    client.post(f"/api/jobs/{job}/fail", json={"worker": "test-worker", "lease": lease["x-pgt-lease"],
                                              "error": "done probing", "retry": False}, headers=w)
    late = upload(client, job, lease, "late.npz", synthetic_trajectory(seed=2, length=6).to_bytes())
    assert late.status_code == 409  # a job that ended holds no lease


def test_artifacts_are_write_once(env):
    client, seeded, cfg = env
    job, lease = job_lease(client, cfg, seeded["task_id"])
    one, other = synthetic_trajectory(seed=1, length=6).to_bytes(), synthetic_trajectory(seed=2, length=6).to_bytes()
    assert upload(client, job, lease, "w1.npz", one).status_code == 200
    assert upload(client, job, lease, "w1.npz", one).status_code == 200  # a resend
    r = upload(client, job, lease, "w1.npz", other)
    assert r.status_code == 409 and "never change" in r.json()["detail"]
    assert (cfg.artifact_dir / "trajectories" / "w1.npz").read_bytes() == one
    # a registered trajectory longer than its task allows is refused
    assert upload(client, job, lease, "long.npz", synthetic_trajectory(seed=3, length=120).to_bytes()
                  ).status_code == 200
    r = client.post(f"/api/jobs/{job}/trajectories", json={"id": "long", "task_id": seeded["task_id"]},
                    headers=lease)
    assert r.status_code == 422 and "the limit is 15" in r.json()["detail"]


def test_an_upload_over_the_limit_is_stopped_while_it_streams(env, monkeypatch):
    from labeler.http.routers import artifacts

    client, seeded, cfg = env
    job, lease = job_lease(client, cfg, seeded["task_id"])
    monkeypatch.setattr(artifacts, "MAX_UPLOAD_BYTES", 10_000)

    def body():
        for _ in range(100):
            yield bytes(1000)

    r = upload(client, job, lease, "huge.npz", body())  # chunked: no content-length
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = upload(client, job, lease, "huge.npz", bytes(20_000))
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
