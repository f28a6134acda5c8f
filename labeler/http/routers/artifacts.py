"""Artifacts (`<id>.npz` trajectory arrays, `<id>.mp4` videos): upload [worker], download [researcher|worker]."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from labeler.errors import Invalid
from labeler.http.auth import TOKEN_HOLDERS, WORKERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.trajectories import ArtifactStored
from labeler.http.state import AppState

router = APIRouter(prefix="/api/artifacts", tags=["artifacts"], responses=ERRORS)
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


async def store_upload(st: AppState, name: str, request: Request) -> dict:
    """Stream the request body into artifact `name` (checked before the body is read), atomically."""
    st.artifacts.path(name)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD_BYTES:
            raise Invalid(f"artifact larger than {MAX_UPLOAD_BYTES} bytes")
    st.artifacts.write(name, bytes(data))
    return {"name": name, "bytes": len(data)}


@router.put("/{name:path}", response_model=ArtifactStored, dependencies=WORKERS)
async def put_artifact(name: str, request: Request, st: State) -> dict:
    """Body: the file (`Trajectory.to_bytes()` for .npz)."""
    return await store_upload(st, name, request)


@router.get("/{name:path}", response_class=FileResponse, dependencies=TOKEN_HOLDERS,
            responses={200: {"content": {"application/octet-stream": {}, "video/mp4": {}},
                             "description": "the file"}})
def get_artifact(name: str, st: State) -> FileResponse:
    path = st.artifacts.existing(name)
    return FileResponse(path, media_type="video/mp4" if name.endswith(".mp4") else "application/octet-stream")
