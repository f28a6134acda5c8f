"""Frames -> browser-playable H.264 mp4, encoded once per trajectory and cached.

Why these choices:
- H.264 in yuv420p is the one codec/pixel format every browser plays; OpenCV wheels cannot
  write it, imageio-ffmpeg's bundled ffmpeg has libx264.
- `+faststart` moves the index (moov atom) to the front so playback starts before the file
  has fully arrived.
- 64x64 Crafter frames are upscaled by an integer factor with nearest neighbour (np.repeat)
  so pixels stay crisp; a low CRF keeps the block edges from smearing.
- Writes go to a temporary file that is renamed into place, so a crash or a concurrent
  reader never sees half a video.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import imageio_ffmpeg
import numpy as np

from pgt_core.atomic import atomic_path

DEFAULT_FPS = 10
DEFAULT_SCALE = 4


def upscale_nearest(frames: np.ndarray, scale: int) -> np.ndarray:
    """uint8 [T, H, W, 3] -> [T, H*scale, W*scale, 3] by pixel repetition."""
    if scale == 1:
        return frames
    return frames.repeat(scale, axis=1).repeat(scale, axis=2)


def encode_mp4(frames: np.ndarray, path: str | Path, scale: int = DEFAULT_SCALE, fps: int = DEFAULT_FPS,
               crf: int = 16) -> Path:
    """Encode uint8 frames [T, H, W, 3] to an H.264 mp4 at `path` (atomically); returns the path."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must be non-empty uint8 [T, H, W, 3], got {frames.dtype} {frames.shape}")
    scale = int(scale)
    h, w = frames.shape[1] * scale, frames.shape[2] * scale
    pad = ((0, h % 2), (0, w % 2), (0, 0))  # yuv420p needs even sides
    h, w = h + h % 2, w + w % 2
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (w, h),
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            macro_block_size=2,
            quality=None,
            output_params=["-crf", str(crf), "-preset", "veryfast", "-tune", "animation", "-g", str(2 * int(fps)),
                           "-movflags", "+faststart", "-threads", "1", "-f", "mp4"],
        )
        writer.send(None)
        for frame in frames:  # one upscaled frame in memory at a time, however long the episode
            big = upscale_nearest(frame[None], scale)[0]
            writer.send(np.ascontiguousarray(np.pad(big, pad, mode="edge") if any(p[1] for p in pad) else big))
        writer.close()
    return path


class VideoCache:
    """`get(traj_id)` returns the trajectory's mp4, encoding it the first time only.

    A per-id lock makes concurrent first requests (two annotators, or the prefetcher and the
    player) wait for one encode instead of running two.
    """

    def __init__(self, folder: str | Path, load_frames: Callable[[str], np.ndarray],
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
