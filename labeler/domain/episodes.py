"""How an episode is shown to a person: its video and length, and (where allowed) its outcome.

The one view of a trajectory for every page (the annotator's pairs, the review, adjudication).
"""
from __future__ import annotations

from typing import Any, Mapping


def video_url(traj_id: str, version: str | None = None) -> str:
    """The video's URL, versioned by its trajectory file's hash so that it can be cached for good."""
    return f"/api/videos/{traj_id}.mp4" + (f"?v={version[:16]}" if version else "")


def episode_view(traj: Mapping[str, Any], *, outcome: bool = True) -> dict[str, Any]:
    """`outcome` adds reward, success, events, seed and latent (what researchers and hinted tasks see)."""
    view: dict[str, Any] = {"id": traj["id"], "video_url": video_url(traj["id"], traj.get("artifact_sha256")),
                            "length": traj["length"]}
    if outcome:
        view.update({"reward": traj["reward"], "success": traj["success"], "events": traj["events"],
                     "seed": traj.get("seed"), "latent_id": traj.get("latent_id")})
    return view
