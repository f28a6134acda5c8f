"""Atomic file writes: a reader (or a process that crashes mid-write) sees the old file or the new one, never half.

The one implementation in the project: pgt_core saves trajectories, checkpoints and results
with it, and the app writes artifacts, videos, tokens and exports with it. The temporary file
gets a unique name in the target's own folder (so the final rename stays on one file system and
two writers never share a temporary file), and is removed if the write fails.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds it replaces `path` in one rename.

    mode: file permissions for the result (e.g. 0o600); default: mkstemp's 0o600 widened by the umask
    to what a plain `open()` would give.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode if mode is not None else _default_mode())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: bytes | str, mode: int | None = None) -> Path:
    """Write `data` (bytes, or text as UTF-8) to `path` atomically; returns the path."""
    path = Path(path)
    with atomic_path(path, mode) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
