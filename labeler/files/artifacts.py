"""The artifact directory: trajectory arrays (.npz) and cached videos (.mp4), outside the database.

Why a separate directory: frames are megabytes per episode and videos are served as files
(with HTTP range requests for seeking); the database keeps only metadata and the name.

Every name that reaches this module may come from a URL, so names are checked against a
strict pattern and the resolved path must stay inside the root: `../x`, absolute paths,
`a/b`, NUL bytes and the like are refused with `Invalid`, never touched on disk.
"""
from __future__ import annotations

import re
from pathlib import Path

from labeler.errors import Invalid, NotFound
from pgt_core.atomic import write_atomic

ARTIFACT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(npz|mp4)$")
KINDS = {"npz": "trajectories", "mp4": "videos"}


class Artifacts:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        for sub in KINDS.values():
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """Where artifact `name` (e.g. 'abc123.npz') lives; raises Invalid for anything else."""
        if not isinstance(name, str) or not ARTIFACT_RE.match(name):
            raise Invalid(
                f"invalid artifact name {name!r}: expected <id>.npz or <id>.mp4 with an id of 1-64 characters "
                "from A-Z a-z 0-9 _ -"
            )
        folder = self.root / KINDS[name.rsplit(".", 1)[1]]
        path = (folder / name).resolve()
        if path.parent != folder:  # belt and braces: the pattern already excludes separators
            raise Invalid(f"artifact name {name!r} escapes the artifact directory")
        return path

    def existing(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise NotFound(f"no artifact named {name!r}")
        return path

    def write(self, name: str, data: bytes) -> Path:
        """Atomic write: readers see the old file or the whole new one, never half."""
        return write_atomic(self.path(name), data)

    @staticmethod
    def trajectory_name(traj_id: str) -> str:
        return f"{traj_id}.npz"
