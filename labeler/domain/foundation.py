"""Which frozen foundation policy the app and its workers use, and loading it (the one loader).

The app names its policy by a *source*: the checkpoint's resolved path, or "untrained" when no
checkpoint exists (a loud warning; rollouts then look random). Jobs carry the source, so a worker
on another machine loads exactly what the app encoded its prompts with.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from labeler.files.artifacts import file_sha256
from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, Foundation, load_foundation

__all__ = ["UNTRAINED", "Foundation", "load", "policy_fingerprint", "policy_source"]

log = logging.getLogger(__name__)
UNTRAINED = "untrained"


def policy_source(checkpoint: str | Path | None = None) -> str:
    """The checkpoint's resolved path (default: the shipped one), or UNTRAINED when it does not exist."""
    if checkpoint is not None and str(checkpoint) == UNTRAINED:
        return UNTRAINED
    path = Path(checkpoint) if checkpoint else DEFAULT_CHECKPOINT
    if path.is_file():
        return str(path.resolve())
    _warn_untrained(str(path))
    return UNTRAINED


@functools.lru_cache(maxsize=None)
def _warn_untrained(path: str) -> None:
    log.warning("no foundation checkpoint at %s -- using an UNTRAINED policy; rollouts will look random", path)


def policy_fingerprint(source: str) -> str:
    """What identifies the policy's weights (episodes played by it are reused under this name): the checkpoint
    file's sha256, so a file replaced at the same path is a new policy; UNTRAINED for the seeded untrained one."""
    if source == UNTRAINED:
        return UNTRAINED
    info = Path(source).stat()
    return _sha256(str(source), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=8)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    return "sha256:" + file_sha256(Path(path))


@functools.lru_cache(maxsize=1)
def load(source: str) -> Foundation:
    """The foundation named by `source` (cached: the last one loaded stays in memory)."""
    return Foundation.untrained() if source == UNTRAINED else load_foundation(source)
