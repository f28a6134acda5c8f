"""GET /api/status [open]: is there anything to label yet, and how far the first-start bootstrap is."""
from __future__ import annotations

from fastapi import APIRouter

from labeler.http.deps import State
from labeler.http.schemas.tasks import Status

router = APIRouter(prefix="/api", tags=["status"])


@router.get("/status", response_model=Status)
def status(st: State) -> dict:
    ready = any(t["n_items"] > 0 for t in st.store.tasks.list())
    return {"ready": ready, "bootstrap": st.bootstrapper.status(),
            "schema_version": st.store.schema_version(), "labels_per_pair": st.config.labels_per_pair,
            "annotators": st.config.annotators}
