"""Frames -> browser-playable H.264 mp4, encoded once per trajectory, checked, then published.

Why these choices:
- H.264 in yuv420p is the one codec/pixel format every browser plays; OpenCV wheels cannot write
  it, imageio-ffmpeg's bundled ffmpeg has libx264.
- `+faststart` moves the index (moov atom) to the front so playback starts before the file has
  fully arrived.
- Frames are encoded at their own size by default (the pages upscale them with `image-rendering:
  pixelated`, which keeps Crafter's pixels crisp); encoding 4x upscaled frames costs about 3x the time
  for the same picture. `scale` > 1 upscales by nearest neighbour where a page cannot.
- Frames stream into ffmpeg one at a time, so memory stays at one frame whatever the episode's length.
- ffmpeg's exit status and the file it wrote are checked before the video is renamed into place:
  a failed encode (a full or read-only disk) raises and publishes nothing, so an empty or half
  video is never served, let alone cached.
"""
from __future__ import annotations

import errno
import subprocess
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator

import imageio_ffmpeg
import numpy as np

from labeler.errors import StorageUnavailable
from pgt_core.atomic import atomic_path

DEFAULT_FPS = 10
DEFAULT_SCALE = 1
FFMPEG_TIMEOUT_S = 600
_STORAGE_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the disk is read-only",
                   errno.EDQUOT: "the disk quota is used up", errno.EFBIG: "the file is too large for the disk"}
_FFMPEG_STORAGE_MESSAGES = {"No space left on device": errno.ENOSPC, "Read-only file system": errno.EROFS,
                            "Disk quota exceeded": errno.EDQUOT, "File too large": errno.EFBIG}


class VideoError(RuntimeError):
    """ffmpeg could not make the video (its message says why)."""


def upscale_nearest(frames: np.ndarray, scale: int) -> np.ndarray:
    """uint8 [T, H, W, 3] -> [T, H*scale, W*scale, 3] by pixel repetition."""
    if scale == 1:
        return frames
    return frames.repeat(scale, axis=1).repeat(scale, axis=2)


def _check_frame(frame: np.ndarray, shape: tuple[int, ...] | None) -> None:
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[-1] != 3 or 0 in frame.shape:
        raise ValueError(f"frames must be non-empty uint8 [T, H, W, 3], got {frame.dtype} {frame.shape}")
    if shape is not None and frame.shape != shape:
        raise ValueError(f"every frame must have the first one's shape {shape}, got {frame.shape}")


def encode_mp4(frames: Iterable[np.ndarray], path: str | Path, scale: int = DEFAULT_SCALE, fps: int = DEFAULT_FPS,
               crf: int = 16) -> Path:
    """Encode uint8 frames (an array [T, H, W, 3] or any iterable of [H, W, 3]) to an H.264 mp4 at `path`.

    Raises ValueError for bad frames, StorageUnavailable when the disk refuses the file, VideoError when
    ffmpeg fails otherwise; in every case nothing is left at `path`.
    """
    it: Iterator[np.ndarray] = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError("frames must be non-empty uint8 [T, H, W, 3], got no frames")
    first = np.asarray(first)
    _check_frame(first, None)
    scale = int(scale)
    h, w = first.shape[0] * scale, first.shape[1] * scale
    pad = ((0, h % 2), (0, w % 2), (0, 0))  # yuv420p needs even sides
    padded = (h + h % 2, w + w % 2)
    path = Path(path)
    try:
        with atomic_path(path, mode=0o600) as tmp:
            _run_ffmpeg(_frames_bytes(first, it, scale, pad), tmp, padded, fps, crf)
            _check_output(tmp)
    except OSError as exc:
        if exc.errno in _STORAGE_ERRNOS:
            raise StorageUnavailable(f"cannot write {path.name}: {_STORAGE_ERRNOS[exc.errno]}",
                                     read_only=exc.errno == errno.EROFS) from None
        raise
    return path


def _frames_bytes(first: np.ndarray, rest: Iterator[np.ndarray], scale: int,
                  pad: tuple[tuple[int, int], ...]) -> Iterator[bytes]:
    for frame in _chain(first, rest):
        frame = np.asarray(frame)
        _check_frame(frame, first.shape)
        big = upscale_nearest(frame[None], scale)[0]
        if pad[0][1] or pad[1][1]:
            big = np.pad(big, pad, mode="edge")
        yield np.ascontiguousarray(big).tobytes()


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def _run_ffmpeg(frames: Iterator[bytes], out: Path, size: tuple[int, int], fps: int, crf: int) -> None:
    h, w = size
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-v", "error", "-f", "rawvideo",
           "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(int(fps)), "-i", "-", "-an", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-crf", str(crf), "-preset", "veryfast", "-tune", "animation",
           "-g", str(2 * int(fps)), "-movflags", "+faststart", "-threads", "1", "-f", "mp4", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None
        for chunk in frames:
            try:
                proc.stdin.write(chunk)
            except BrokenPipeError:  # ffmpeg gave up (its stderr says why)
                break
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = proc.wait(FFMPEG_TIMEOUT_S)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if code != 0:
        for message, number in _FFMPEG_STORAGE_MESSAGES.items():
            if message in err:
                raise OSError(number, _STORAGE_ERRNOS[number])
        raise VideoError(f"ffmpeg exited with {code}: {err.strip()[-500:]}")


def _check_output(path: Path) -> None:
    """An mp4 starts with its `ftyp` box; anything else (an empty file) is not a video."""
    with open(path, "rb") as f:
        head = f.read(12)
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise VideoError(f"ffmpeg wrote no valid mp4 ({path.stat().st_size} bytes)")


def is_mp4(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp"


class VideoCache:
    """`get(traj_id)` returns the trajectory's mp4, encoding it the first time only.

    A per-id lock makes concurrent first requests (two annotators, or the prefetcher and the player)
    wait for one encode instead of running two. `load_frames` may return an iterator, so a long
    episode never sits in memory whole.
    """

    def __init__(self, folder: str | Path, load_frames: Callable[[str], Iterable[np.ndarray]],
                 scale: int = DEFAULT_SCALE, fps: int = DEFAULT_FPS) -> None:
        self.folder = Path(folder)
        self.load_frames = load_frames
        self.scale = scale
        self.fps = fps
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, traj_id: str) -> Path:
        return self.folder / f"{traj_id}.mp4"

    def get(self, traj_id: str) -> Path:
        path = self.path(traj_id)
        if path.is_file():
            return path
        with self._guard:
            lock = self._locks.setdefault(traj_id, threading.Lock())
        with lock:
            if not path.is_file():
                encode_mp4(self.load_frames(traj_id), path, scale=self.scale, fps=self.fps)
        with self._guard:
            self._locks.pop(traj_id, None)
        return path
