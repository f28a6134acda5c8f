"""Video encoding: H.264/yuv420p mp4 with faststart, nearest-neighbour upscale, encoded once."""
from __future__ import annotations

import threading
import weakref

import numpy as np
import pytest

from labeler.files.video import VideoCache, encode_mp4, upscale_nearest


def frames(t=12, size=64):
    f = np.zeros((t, size, size, 3), np.uint8)
    f[:, :32, :32] = (255, 0, 0)  # a red quadrant
    f[:, 32:, 32:] = (0, 0, 255)
    return f


def test_encode_mp4_is_h264_faststart_and_upscaled(tmp_path):
    av = pytest.importorskip("av", reason="PyAV decodes the video to check it (pip install '.[test]')")
    path = encode_mp4(frames(), tmp_path / "x.mp4", scale=4, fps=10)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"
    assert data.find(b"moov") < data.find(b"mdat"), "faststart: the index must precede the media data"
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert (s.codec_context.width, s.codec_context.height) == (256, 256)
        assert s.codec_context.pix_fmt == "yuv420p"
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
    assert len(decoded) == 12
    first = decoded[0].astype(int)
    assert abs(first[60, 60] - [255, 0, 0]).max() < 40 and abs(first[200, 200] - [0, 0, 255]).max() < 40
    assert not list(tmp_path.glob(".tmp-*")), "no temporary files left behind"


def test_upscale_is_nearest_neighbour():
    f = np.arange(2 * 2 * 3, dtype=np.uint8).reshape(1, 2, 2, 3)
    big = upscale_nearest(f, 3)
    assert big.shape == (1, 6, 6, 3)
    assert (big[0, :3, :3] == f[0, 0, 0]).all() and (big[0, 3:, 3:] == f[0, 1, 1]).all()


def test_encode_rejects_bad_frames(tmp_path):
    with pytest.raises(ValueError):
        encode_mp4(np.zeros((0, 8, 8, 3), np.uint8), tmp_path / "x.mp4")
    with pytest.raises(ValueError):
        encode_mp4(np.zeros((2, 8, 8), np.uint8), tmp_path / "x.mp4")


def test_video_cache_encodes_once_under_concurrency(tmp_path):
    calls = []

    def load(tid):
        calls.append(tid)
        return frames(6, 16)

    cache = VideoCache(tmp_path, load, scale=2, fps=10)
    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get("abc"))) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert calls == ["abc"] and len(set(out)) == 1 and out[0].is_file()
    cache.get("abc")
    assert calls == ["abc"]


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB file system of its own (tmpfs), to fill up; skipped where mounting is not allowed."""
    import subprocess

    root = tmp_path / "disk"
    root.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(root)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root); the full-disk path is untested on this machine")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def test_a_full_disk_publishes_nothing(small_disk):
    from labeler.errors import StorageUnavailable

    with pytest.raises(StorageUnavailable, match="full") as err:
        encode_mp4(np.random.default_rng(0).integers(0, 255, (60, 64, 64, 3), dtype=np.uint8),
                   small_disk / "big.mp4", scale=4)
    assert err.value.status_code == 507
    assert list(small_disk.iterdir()) == []  # no empty or half video, no temporary file


def test_a_read_only_disk_says_so(small_disk):
    import subprocess

    from labeler.errors import StorageUnavailable

    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StorageUnavailable) as err:
        encode_mp4(frames(4, 16), small_disk / "x.mp4")
    assert err.value.status_code == 503 and "read-only" in str(err.value)


def test_frames_can_stream_from_an_iterator(tmp_path):
    seen = []

    def stream():
        for k in range(5):
            seen.append(k)
            yield frames(1, 16)[0]

    path = encode_mp4(stream(), tmp_path / "s.mp4", scale=1)
    assert seen == [0, 1, 2, 3, 4] and path.read_bytes()[4:8] == b"ftyp"
    with pytest.raises(ValueError, match="first one's shape"):
        encode_mp4(iter([frames(1, 16)[0], frames(1, 8)[0]]), tmp_path / "bad.mp4")
    assert not (tmp_path / "bad.mp4").exists()


def test_the_encoder_holds_only_a_few_frames_at_a_time(tmp_path):
    """Memory stays at a few frames whatever the episode's length: the encoder takes the next frame only once
    the ones before it are gone (handed to ffmpeg and dropped), never reading the episode ahead."""
    alive: set[int] = set()
    most_alive = 0

    def stream(n: int = 200):
        nonlocal most_alive
        for k in range(n):
            frame = np.full((16, 16, 3), k % 256, np.uint8)
            alive.add(k)
            weakref.finalize(frame, alive.discard, k)
            most_alive = max(most_alive, len(alive))
            yield frame

    path = encode_mp4(stream(), tmp_path / "lazy.mp4", scale=2)
    assert path.read_bytes()[4:8] == b"ftyp"
    assert most_alive <= 3, f"{most_alive} of 200 frames were held at once"  # the first (its shape) + 1-2
