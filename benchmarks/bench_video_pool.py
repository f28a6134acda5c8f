"""Videos of a round's episodes: encoded by a bounded pool while the rollout runs, or each on its first request.

    python benchmarks/bench_video_pool.py                        # eat_cow, 100 episodes, a pool of 2
    python benchmarks/bench_video_pool.py --task collect_wood --episodes 300 --pool 1

Both ways one after the other in one run, on the same worlds, with the app's worker settings (torch's default
threads, 2 environment processes) and the app's encoder settings (native frame size, 10 fps):

- on demand: the rollout job runs alone; its episodes are labelable once it is done; the first pair's two
  videos are encoded when the annotator's page asks for them (`labeler.files.video.VideoCache`);
- pool: `--pool` processes encode every episode as soon as the rollout job has written it, while the job
  goes on; labelable once it is done, as before; the first pair's videos are on screen once the job is
  done and the pool has encoded both (in the app a request for one not encoded yet would wait for it).

It prints, for each, the time until the round is labelable and until the first pair's videos are on screen,
and for the pool when the last video was encoded. The first pair is the one the app serves first (the round's
first, `build_label_pairs`).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import torch
from _common import setup

from labeler.domain.scheduling import build_label_pairs
from labeler.files.trajectory_file import iter_frames
from labeler.files.video import encode_mp4
from labeler.worker import runners
from pgt_core.seeds import BENCHMARK_WORLD_BASE
from pgt_core.tasks import CRAFTER_TASKS

VIDEO_BENCH_WORLDS = BENCHMARK_WORLD_BASE + 2_700_000


def encode(npz: str) -> float:
    """One episode's video as the app makes it; when it was done (time.time(), comparable across processes)."""
    encode_mp4(iter_frames(Path(npz)), Path(npz).with_suffix(".mp4"), scale=1, fps=10)
    return time.time()


def rollout(args: argparse.Namespace, policy: torch.nn.Module, z: torch.Tensor, out: Path) -> list[str]:
    spec = {"task": {"id": 1, "name": args.task, "achievement": CRAFTER_TASKS[args.task].achievement,
                     "max_steps": CRAFTER_TASKS[args.task].max_steps, "description": ""},
            "z": z.tolist(), "seeds": list(range(VIDEO_BENCH_WORLDS, VIDEO_BENCH_WORLDS + args.episodes)),
            "batch_size": 32, "id_prefix": "v"}
    result = runners.run_rollout(spec, policy, out, "cpu", runners.Silent(), env_workers=args.env_workers).result
    return [e["id"] for e in result["trajectories"]]


def on_demand(args: argparse.Namespace, policy: torch.nn.Module, z: torch.Tensor, out: Path) -> dict[str, float]:
    start = time.time()
    ids = rollout(args, policy, z, out)
    labelable = time.time() - start
    first = build_label_pairs(ids, 2)[0]
    for tid in first:
        encode(str(out / f"{tid}.npz"))
    return {"labelable": labelable, "first pair on screen": time.time() - start}


def pooled(args: argparse.Namespace, policy: torch.nn.Module, z: torch.Tensor, out: Path) -> dict[str, float]:
    out.mkdir(parents=True)
    futures: dict[str, Future] = {}
    done = threading.Event()
    with ProcessPoolExecutor(args.pool, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(time.sleep, [0.0] * args.pool))  # processes up before the clock starts, as in a running app

        def watch() -> None:  # hand each episode to the pool as soon as the job has written it
            while True:
                finished = done.is_set()
                for path in sorted(out.glob("*.npz")):
                    if path.stem not in futures:
                        futures[path.stem] = pool.submit(encode, str(path))
                if finished:
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        start = time.time()
        watcher.start()
        ids = rollout(args, policy, z, out)
        labelable = time.time() - start
        done.set()
        watcher.join()
        first = build_label_pairs(ids, 2)[0]
        shown = max(labelable, *(futures[tid].result() - start for tid in first))
        last = max(f.result() for f in futures.values()) - start
    return {"labelable": labelable, "first pair on screen": shown, "every video encoded": last}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--task", default="eat_cow")
    ap.add_argument("--episodes", type=int, default=100)
    ap.add_argument("--pool", type=int, default=2, help="encoder processes beside the rollout")
    ap.add_argument("--env-workers", type=int, default=2)
    args = ap.parse_args()
    args.threads = torch.get_num_threads()  # torch's default, as the app's worker
    foundation, source = setup(args)
    z = foundation.prompt_latent(args.task)
    print(f"policy: {source}; {args.task}, {args.episodes} episodes, pool of {args.pool}, "
          f"{args.env_workers} environment processes, {args.threads} torch threads; {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="pgt-bench-video-") as tmp:
        rollout(argparse.Namespace(**{**vars(args), "episodes": 2}), foundation.policy, z, Path(tmp) / "warm")
        rows = {"on demand": on_demand(args, foundation.policy, z, Path(tmp) / "demand"),
                "pool": pooled(args, foundation.policy, z, Path(tmp) / "pool")}
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':10s} {'labelable':>10s} {'first pair on screen':>21s} {'every video encoded':>20s}")
    for name, r in rows.items():
        last = f"{r['every video encoded']:19.1f}s" if "every video encoded" in r else ""
        print(f"  {name:10s} {r['labelable']:9.1f}s {r['first pair on screen']:20.1f}s {last}")
    ratio = rows["pool"]["first pair on screen"] / rows["on demand"]["first pair on screen"]
    print(f"  first pair on screen, pool / on demand: {ratio:.2f}x")


if __name__ == "__main__":
    main()
