"""Everything one app instance holds, wired together once: the composition root of the app."""
from __future__ import annotations

from dataclasses import dataclass, field

from labeler.config import AppConfig
from labeler.db.store import Store
from labeler.domain import foundation
from labeler.domain.annotating import Annotating
from labeler.domain.bootstrap import Bootstrapper
from labeler.domain.latents import LatentLibrary
from labeler.domain.leases import Leases
from labeler.domain.round_jobs import RoundJobs
from labeler.domain.round_views import RoundViews
from labeler.domain.rounds import Rounds
from labeler.domain.workers_seen import WorkersSeen
from labeler.files.artifacts import Artifacts
from labeler.files.tokens import Tokens
from labeler.files.trajectory_file import iter_frames
from labeler.files.video import VideoCache


@dataclass
class AppState:
    config: AppConfig
    store: Store
    artifacts: Artifacts
    videos: VideoCache
    leases: Leases
    annotating: Annotating
    bootstrapper: Bootstrapper
    tokens: Tokens
    policy_source: str
    library: LatentLibrary
    rounds: Rounds
    views: RoundViews
    workers: WorkersSeen = field(default_factory=WorkersSeen)

    @classmethod
    def open(cls, config: AppConfig) -> "AppState":
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.data_dir.chmod(0o700)  # labels, tokens and sessions: the app's user only
        store = Store(config.db_path)
        artifacts = Artifacts(config.artifact_dir)
        videos = VideoCache(artifacts.root / "videos",
                            lambda tid: iter_frames(artifacts.existing(store.trajectories.get(tid)["artifact"])),
                            scale=config.video_scale, fps=config.video_fps)
        source = foundation.policy_source(config.checkpoint)
        library = LatentLibrary(store)
        jobs = RoundJobs(store, library, source)
        leases = Leases(config.lease_s)
        return cls(config=config, store=store, artifacts=artifacts, videos=videos, leases=leases,
                   annotating=Annotating(store, leases, config.labels_per_pair),
                   bootstrapper=Bootstrapper(store, artifacts, videos, config),
                   tokens=Tokens.load_or_create(config.data_dir), policy_source=source, library=library,
                   rounds=Rounds(store, artifacts, library, jobs), views=RoundViews(store, library))

    def foundation(self) -> foundation.Foundation:
        return foundation.load(self.policy_source)
