"""The artifact directory: trajectory arrays (.npz) and cached videos (.mp4), outside the database.

Why a separate directory: frames are megabytes per episode and videos are served as files (with
HTTP range requests for seeking); the database keeps only metadata and the name.

Every name that reaches this module may come from a URL, so names are checked against a strict
pattern and the resolved path must stay inside the root: `../x`, absolute paths, `a/b`, NUL bytes
and the like are refused with `Invalid`, never touched on disk.

Artifacts are write-once: an uploaded file is checked (a trajectory's structure and sizes, a
video's signature) before it appears under its name, and a name that exists keeps its content
(sending the same bytes again is fine; other bytes are a Conflict). So a trajectory, and the video
made from it, never change once registered. The directory and its files are private to the app's
user (0700 / 0600).
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from labeler.errors import Conflict, Invalid, NotFound, StorageUnavailable
from labeler.files.trajectory_file import inspect_trajectory
from pgt_core.atomic import atomic_path

ARTIFACT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(npz|mp4)$")
KINDS = {"npz": "trajectories", "mp4": "videos"}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Artifacts:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        for sub in KINDS.values():
            (self.root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.root / sub, 0o700)
        os.chmod(self.root, 0o700)

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

    @contextmanager
    def receive(self, name: str) -> Iterator[Path]:
        """Yield a private temporary file to write `name` into; on success it is checked and published once.

        Raises Invalid (the file is not what its name says), Conflict (the name holds other content) or
        StorageUnavailable (the disk refused it); the temporary file never outlives the block.
        """
        path = self.path(name)

        def same_content(tmp: Path) -> None:  # a resend of the stored bytes is fine; other bytes are not
            if file_sha256(tmp) != file_sha256(path):
                raise Conflict(f"artifact {name!r} exists with other content; artifacts never change")

        try:
            with atomic_path(path, mode=0o600, exclusive=True, if_exists=same_content) as tmp:
                yield tmp
                self._check(name, tmp)
        except OSError as exc:
            raise _storage_error(exc, name) from None

    @staticmethod
    def _check(name: str, tmp: Path) -> None:
        if name.endswith(".npz"):
            inspect_trajectory(tmp)
        else:
            with open(tmp, "rb") as f:
                head = f.read(12)
            if len(head) < 12 or head[4:8] != b"ftyp":
                raise Invalid(f"{name} is not an mp4 video")

    @staticmethod
    def trajectory_name(traj_id: str) -> str:
        return f"{traj_id}.npz"


def _storage_error(exc: OSError, name: str) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageUnavailable(f"cannot store {name}: the disk is full")
    if exc.errno == errno.EROFS:
        return StorageUnavailable(f"cannot store {name}: the disk is read-only", read_only=True)
    return exc
