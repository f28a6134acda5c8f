"""Artifacts (`<id>.npz` trajectory arrays, `<id>.mp4` videos): download [researcher|worker].

Workers upload trajectories only for a job they hold (PUT /api/jobs/{id}/artifacts/..., labeler.http.routers.jobs),
and never videos: the app makes every video itself from its trajectory, so what annotators watch (and their
browsers cache for good) is what the episode holds.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from labeler.errors import Invalid, TooLarge
from labeler.http.auth import TOKEN_HOLDERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.state import AppState

router = APIRouter(prefix="/api/artifacts", tags=["artifacts"], responses=ERRORS)
MAX_UPLOAD_BYTES = 256 * 1024 * 1024  # compressed; what a file may expand to is labeler.files.trajectory_file


async def store_upload(st: AppState, name: str, request: Request) -> dict:
    """Stream the request body to disk (the name is checked before the body is read, the size while it
    arrives), then check the file and publish it under `name` (write-once; labeler.files.artifacts)."""
    if not name.endswith(".npz"):
        raise Invalid(f"{name!r}: only trajectories (<id>.npz) are uploaded; the app makes their videos itself")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"the artifact is {declared} bytes; the limit is {MAX_UPLOAD_BYTES}")
    size = 0
    with st.artifacts.receive(name) as tmp, open(tmp, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise TooLarge(f"the artifact is larger than the limit of {MAX_UPLOAD_BYTES} bytes")
            out.write(chunk)
        out.close()
    return {"name": name, "bytes": size}


@router.get("/{name:path}", response_class=FileResponse, dependencies=TOKEN_HOLDERS,
            responses={200: {"content": {"application/octet-stream": {}, "video/mp4": {}},
                             "description": "the file"}})
def get_artifact(name: str, st: State) -> FileResponse:
    path = st.artifacts.existing(name)
    return FileResponse(path, media_type="video/mp4" if name.endswith(".mp4") else "application/octet-stream")
