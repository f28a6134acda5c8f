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
def get_video(name: str, st: State) -> FileResponse:
    """Range requests work (seeking); a video never changes once made, so it is cached for a year."""
    if not name.endswith(".mp4"):
        raise Invalid(f"invalid video name {name!r}: expected <trajectory id>.mp4")
    traj_id = check_id(name[:-4], "trajectory id")
    st.store.trajectories.get(traj_id)
    return FileResponse(st.videos.get(traj_id), media_type="video/mp4",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
