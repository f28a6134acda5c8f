"""Atomic file writes: a reader (or a process that crashes mid-write) sees the old file or the new one, never half.

The one implementation in the project: pgt_core saves trajectories, checkpoints and results
with it, and the app writes artifacts, videos, tokens and exports with it. The temporary file
gets a unique name in the target's own folder (so the final rename stays on one file system and
two writers never share a temporary file), and is removed whether the write succeeds or fails.

Two ways to publish: replace (the default; the last writer wins) and exclusive (write-once names:
the first writer wins and an existing file is never touched, e.g. uploaded artifacts, or the
tokens two processes may create at the same moment).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def atomic_path(path: str | Path, mode: int | None = None, *, exclusive: bool = False,
                if_exists: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds it becomes `path` in one step.

    mode: file permissions for the result (e.g. 0o600); default: mkstemp's 0o600 widened by the umask
    to what a plain `open()` would give.
    exclusive: publish with a hard link, which fails if `path` exists (never replacing it): then
    `if_exists(tmp)` decides while the new content is still at hand (raise to refuse it, return to keep
    the existing file), or FileExistsError is raised without it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode if mode is not None else _default_mode())
        if not exclusive:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            if if_exists is None:
                raise
            if_exists(tmp)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes | str, mode: int | None = None, *, exclusive: bool = False) -> Path:
    """Write `data` (bytes, or text as UTF-8) to `path` atomically; returns the path.

    exclusive: FileExistsError if `path` exists, which keeps its content (see `atomic_path`)."""
    path = Path(path)
    with atomic_path(path, mode, exclusive=exclusive) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
