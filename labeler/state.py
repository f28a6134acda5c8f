"""Everything one app instance holds: the store, artifacts, video cache, leases, bootstrap."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from labeler.artifacts import Artifacts
from labeler.bootstrap import Bootstrapper
from labeler.config import AppConfig
from labeler.ingest import load_trajectory
from labeler.scheduling import Leases
from labeler.store import Store
from labeler.video import VideoCache


@dataclass
class AppState:
    config: AppConfig
    store: Store
    artifacts: Artifacts
    videos: VideoCache
    leases: Leases
    bootstrapper: Bootstrapper
    schedule_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, config: AppConfig) -> "AppState":
        store = Store(config.db_path)
        artifacts = Artifacts(config.artifact_dir)
        videos = VideoCache(artifacts.root / "videos", lambda tid: load_trajectory(store, artifacts, tid).frames,
                            scale=config.video_scale, fps=config.video_fps)
        return cls(config=config, store=store, artifacts=artifacts, videos=videos,
                   leases=Leases(config.lease_s), bootstrapper=Bootstrapper(store, artifacts, videos, config))
