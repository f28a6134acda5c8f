"""Peak memory of encoding one long episode's video: streamed frame by frame (the app) vs whole in memory.

    python benchmarks/bench_video_memory.py              # a 10,000-step 64x64 episode, 4x upscale
    python benchmarks/bench_video_memory.py --steps 2000

Each side runs in a fresh child process and reports its peak resident memory (ru_maxrss), so the two
figures are comparable; the ratio is the point. "In memory" is how videos were made before: load every
frame of the .npz, upscale them all, then hand them to ffmpeg.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHILD = """
import resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from labeler.files.trajectory_file import iter_frames
from labeler.files.video import encode_mp4, upscale_nearest
from pgt_core.trajectory import Trajectory
start = time.perf_counter()
if {mode!r} == "streamed":
    encode_mp4(iter_frames({npz!r}), {out!r}, scale=4)
else:
    frames = np.ascontiguousarray(upscale_nearest(Trajectory.load({npz!r}).frames, 4))
    encode_mp4(frames, {out!r}, scale=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - start)
"""


def make_episode(path: Path, steps: int) -> None:
    import numpy as np

    from pgt_core.trajectory import Trajectory

    rng = np.random.default_rng(0)
    frames = np.zeros((steps + 1, 64, 64, 3), np.uint8)
    frames[:] = rng.integers(0, 255, (1, 64, 64, 3), dtype=np.uint8)  # a textured still background
    for t in range(steps + 1):
        x = (t * 3) % 52
        frames[t, 26:38, x:x + 12] = 255
    Trajectory(frames, np.zeros(steps, np.int64), np.zeros(steps, np.float32), [], seed=0).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=10_000)
    args = ap.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "long.npz"
        make_episode(npz, args.steps)
        results = {}
        for mode in ("in memory", "streamed"):
            code = CHILD.format(root=root, mode=mode, npz=str(npz), out=str(Path(tmp) / f"{mode}.mp4"))
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            kib, seconds = out.split()
            results[mode] = (int(kib) / 1024, float(seconds))
    print(f"{args.steps}-step 64x64 episode, 4x upscale ({time.strftime('%Y-%m-%d')}):")
    for mode, (mib, seconds) in results.items():
        print(f"  {mode:9s}: peak {mib:7.0f} MiB, {seconds:5.1f} s")
    print(f"  streamed uses {results['in memory'][0] / results['streamed'][0]:.1f}x less peak memory")


if __name__ == "__main__":
    main()
