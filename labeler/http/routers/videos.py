"""GET /api/videos/<id>.mp4 [open]: an episode's H.264 video, encoded on first request, then cached."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from labeler.errors import Invalid
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.identifiers import check_id

router = APIRouter(prefix="/api/videos", tags=["videos"], responses=ERRORS)


@router.get("/{name:path}", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}}, "description": "H.264 mp4"}})
def get_video(name: str, st: State, v: str | None = None) -> FileResponse:
    """Range requests work (seeking). With the version the episode views link (`?v=`, the trajectory file's
    hash) the answer may be cached for good; without it, or with a stale one, it must be revalidated."""
    if not name.endswith(".mp4"):
        raise Invalid(f"invalid video name {name!r}: expected <trajectory id>.mp4")
    traj_id = check_id(name[:-4], "trajectory id")
    version = (st.store.trajectories.get(traj_id).get("artifact_sha256") or "")[:16]
    current = bool(version) and v == version
    return FileResponse(st.videos.get(traj_id), media_type="video/mp4",
                        headers={"Cache-Control": "private, max-age=31536000, immutable" if current else "no-cache"})
