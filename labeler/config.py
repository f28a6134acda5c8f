"""Settings of one app instance (paths, scheduling, bootstrap, video), with defaults for a first start."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pgt_core.seeds import BOOTSTRAP_WORLD_BASE


class Service(Protocol):
    """Something the app runs beside itself, e.g. the local background worker.

    `start` is called once the server is up (so the service can reach it at `base_url`),
    `stop` on shutdown before the store closes.
    """

    def start(self, store: Any, data_dir: Path, base_url: str) -> None: ...

    def stop(self) -> None: ...


@dataclass
class AppConfig:
    data_dir: Path = Path("data")
    db_path: Path | None = None  # default: data_dir / "pgt.duckdb"
    artifact_dir: Path | None = None  # default: data_dir / "artifacts"
    base_url: str = "http://127.0.0.1:7860"  # where services reach this app
    labels_per_pair: int = 3  # k: how many different people label each pair
    annotators: str = "open"  # "open": people type a name; "invite": only invited names (a researcher's links)
    lease_s: float = 300.0  # how long a served pair is reserved for its annotator
    job_stale_s: float = 60.0  # a running job without heartbeat for this long is retried
    # first start: a default task with rollouts ready to label
    bootstrap: bool = True
    bootstrap_task: str = "collect_wood"
    bootstrap_episodes: int = 24
    bootstrap_batch_size: int = 8
    bootstrap_pairs_per_traj: int = 4
    bootstrap_seed: int = BOOTSTRAP_WORLD_BASE  # world seeds start here: a range of their own (pgt_core.seeds)
    checkpoint: Path | None = None  # foundation bundle; default: the shipped one
    video_scale: int = 1  # frames are encoded at their own size; pages upscale them (image-rendering: pixelated)
    video_fps: int = 10
    ui: bool = True  # mount the Gradio UI at /
    # the Host names it answers to (labeler.http.security.app_hosts; the command line always sets them);
    # None answers any, for an app driven in-process that no browser reaches
    allowed_hosts: frozenset[str] | None = None
    services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.db_path = Path(self.db_path) if self.db_path else self.data_dir / "pgt.duckdb"
        self.artifact_dir = Path(self.artifact_dir) if self.artifact_dir else self.data_dir / "artifacts"
        if self.labels_per_pair < 1:
            raise ValueError("labels_per_pair must be at least 1")
        if self.annotators not in ("open", "invite"):
            raise ValueError("annotators must be 'open' or 'invite'")
