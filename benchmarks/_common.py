"""Shared by the PGT core benchmarks: the foundation to measure and the thread setting."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation  # noqa: E402
from pgt_core.tasks import CRAFTER_TASKS  # noqa: E402


def add_common_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--checkpoint", default=None, help="foundation bundle (default: shipped, else untrained)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = fair on a shared machine)")
    ap.add_argument("--task", default="collect_wood")


def setup(args: argparse.Namespace) -> tuple[Foundation, str]:
    """Set threads and load the foundation: the given or shipped checkpoint, else an untrained one."""
    torch.set_num_threads(args.threads)
    path = Path(args.checkpoint) if args.checkpoint else DEFAULT_CHECKPOINT
    if path.exists():
        return load_foundation(path), str(path)
    if args.checkpoint:
        raise SystemExit(f"checkpoint {path} not found")
    return Foundation.untrained(tasks=list(CRAFTER_TASKS)), "untrained (no shipped checkpoint yet)"
