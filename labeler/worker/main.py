"""`python -m labeler.worker` (also `pgt-worker`): run a worker that claims jobs from the app.

    python -m labeler.worker --url http://127.0.0.1:7860 --token <worker token>
    python -m labeler.worker --url http://127.0.0.1:7860 --data-dir data   # reads data/tokens.json

The app starts one beside itself by default (`python app.py --no-worker` turns that off); start
more, e.g. on a machine with a GPU (reach the app through an SSH tunnel: the app listens on
loopback). The token comes from --token, $PGT_WORKER_TOKEN or the app's tokens.json; the
researcher view shows the full command.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
from pathlib import Path
from typing import Any

from labeler.files.tokens import Tokens
from labeler.worker.loop import KINDS, Worker

log = logging.getLogger("labeler.worker")


def default_env_workers(asked: int | None) -> int:
    """Two environment processes where there are two cores: Crafter steps there while the policy runs here."""
    if asked is not None:
        return max(0, asked)
    return 2 if (os.cpu_count() or 1) >= 2 else 0


def resolve_token(token: str | None, data_dir: Path | None) -> str:
    if token:
        return token
    if os.environ.get("PGT_WORKER_TOKEN"):
        return os.environ["PGT_WORKER_TOKEN"]
    if data_dir is not None:
        return Tokens.load_or_create(data_dir).worker
    raise SystemExit("no worker token: pass --token, set PGT_WORKER_TOKEN, or --data-dir of the app")


def install_signals(worker: Worker) -> None:
    """First SIGTERM/SIGINT: finish gracefully (hand the job back); second: exit at once."""

    def handler(signum: int, frame: Any) -> None:
        if worker.stopping.is_set():
            os._exit(128 + signum)
        log.info("signal %s: stopping (the running job goes back to the queue)", signum)
        worker.stopping.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:7860", help="the app's address")
    p.add_argument("--token", default=None, help="worker token (default: $PGT_WORKER_TOKEN or <data-dir>/tokens.json)")
    p.add_argument("--data-dir", type=Path, default=None, help="the app's data dir, to read tokens.json")
    p.add_argument("--name", default=None, help="worker name prefix (default: host name)")
    p.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS, help="job kinds to take")
    p.add_argument("--device", default="auto", help="auto (GPU when torch sees one), cpu, cuda, cuda:1, ...")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--checkpoint", default=None, help="foundation bundle (default: the one each job names)")
    p.add_argument("--work-dir", type=Path, default=None, help="scratch space for outputs and downloads")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between claims when idle")
    p.add_argument("--heartbeat", type=float, default=2.0, help="seconds between heartbeats")
    p.add_argument("--parent-pid", type=int, default=None, help="exit when this process is no longer our parent")
    p.add_argument("--max-jobs", type=int, default=0, help="exit after this many jobs (0: never)")
    p.add_argument("--env-workers", type=int, default=None,
                   help="processes that step environments beside the policy (default: 2 on machines with 2+ cores)")
    p.add_argument("--idle-exit", type=float, default=0.0, help="exit after this many idle seconds (0: never)")
    p.add_argument("--log-level", default="info")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the job log
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    worker = Worker(args.url, resolve_token(args.token, args.data_dir), name=args.name, kinds=tuple(args.kinds),
                    device=args.device, work_dir=args.work_dir, checkpoint=args.checkpoint, poll_s=args.poll,
                    heartbeat_s=args.heartbeat, parent_pid=args.parent_pid, max_jobs=args.max_jobs,
                    idle_exit_s=args.idle_exit, env_workers=default_env_workers(args.env_workers))
    install_signals(worker)
    return worker.run()
