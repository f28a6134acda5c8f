"""The researcher's start page [researcher].

  GET /api/researcher/overview         tasks, workers, achievements, shipped prompts, defaults, policy
  GET /api/researcher/worker-command   how to start a worker against this app
"""
from __future__ import annotations

from fastapi import APIRouter

from labeler.domain.round_config import RoundConfig
from labeler.http.auth import RESEARCHERS
from labeler.http.deps import State
from labeler.http.schemas.common import ERRORS
from labeler.http.schemas.overview import Overview, WorkerCommand
from pgt_core.envs.crafter_env import ACHIEVEMENTS
from pgt_core.tasks import CRAFTER_TASKS

router = APIRouter(prefix="/api/researcher", tags=["overview"], dependencies=RESEARCHERS, responses=ERRORS)


@router.get("/overview", response_model=Overview)
def overview(st: State) -> dict:
    st.rounds.reconcile()
    tasks = []
    for t in st.store.tasks.list():
        rs = st.store.rounds.list(t["id"])
        tasks.append({**t, "active_latent_id": st.library.active_id(t["id"]),
                      "round": rs[-1]["number"] if rs else None, "status": rs[-1]["status"] if rs else None})
    return {"tasks": tasks, "workers": st.workers.recent(), "achievements": list(ACHIEVEMENTS),
            "prompts": sorted(st.foundation().prompts), "presets": {k: v.max_steps for k, v in CRAFTER_TASKS.items()},
            "defaults": RoundConfig().to_dict(), "policy": st.policy_source}


@router.get("/worker-command", response_model=WorkerCommand)
def worker_command(st: State) -> dict:
    url = st.config.base_url
    port = url.rsplit(":", 1)[-1]
    return {"command": f"PGT_WORKER_TOKEN={st.tokens.worker} python -m labeler.worker --url {url}",
            "note": "the app listens on loopback: from another machine, forward the port first, "
                    f"e.g. ssh -N -L {port}:127.0.0.1:{port} <this host>"}
