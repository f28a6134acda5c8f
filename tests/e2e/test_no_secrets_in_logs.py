"""No log line, at any level, holds a credential: tokens, the login code, session ids and proofs or job leases."""
from __future__ import annotations

import httpx

from labeler.files.tokens import Tokens
from tests.support.app_process import AppProcess
from tests.support.synthetic import seed_data_dir, synthetic_trajectory


def test_the_logs_hold_no_secret(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=2, per_traj=1, length=4)
    app = AppProcess(tmp_path, ["--no-bootstrap", "--no-ui", "--checkpoint", str(tmp_path / "none.pt"),
                                "--log-level", "debug"], startup_timeout=180)  # given last, debug wins
    app.start()
    tokens = Tokens.load_or_create(tmp_path)
    secrets = [tokens.researcher, tokens.worker]
    try:
        link = (tmp_path / "login-link").read_text().strip()
        code = link.split("#code=")[1]
        secrets.append(code)
        browser = httpx.Client(base_url=app.url, timeout=30, headers={"origin": app.url})
        opened = browser.post("/api/session", json={"code": code})
        assert opened.status_code == 200
        secrets += [browser.cookies["pgt_session"], opened.json()["proof"]]
        browser.headers["x-pgt-proof"] = opened.json()["proof"]
        assert browser.get("/researcher").status_code == 200
        assert browser.get("/api/researcher/overview").status_code == 200
        assert browser.post("/api/session/logout").status_code == 200

        w = httpx.Client(base_url=app.url, timeout=30, headers={"Authorization": f"Bearer {tokens.worker}"})
        r = httpx.Client(base_url=app.url, timeout=30, headers={"Authorization": f"Bearer {tokens.researcher}"})
        r.post("/api/jobs", json={"kind": "rollout", "task_id": seeded["task_id"], "payload": {}})
        claimed = w.post("/api/jobs/claim", json={"worker": "probe", "kinds": ["rollout"]}).json()
        if claimed["job"] is not None:  # the app's own worker may have taken it; then we only probe with ours
            lease = claimed["lease"]
            secrets.append(lease)
            w.post(f"/api/jobs/{claimed['job']['id']}/heartbeat", json={"worker": "probe", "lease": lease})
            w.put(f"/api/jobs/{claimed['job']['id']}/artifacts/probe-1.npz",
                  content=synthetic_trajectory(1, 4).to_bytes(), headers={"x-pgt-lease": lease})
            w.post(f"/api/jobs/{claimed['job']['id']}/fail",
                   json={"worker": "probe", "lease": lease, "error": "probe", "retry": False})
        r.get("/api/researcher/worker-command")
    finally:
        app.stop()
    logs = (tmp_path / "app.log").read_text(errors="replace")
    worker_log = tmp_path / "worker.log"
    if worker_log.exists():
        logs += worker_log.read_text(errors="replace")
    assert "GET /api/researcher/overview" in logs  # the access log is really there, at debug level
    leaked = [s[:6] + "..." for s in secrets if s in logs]
    assert leaked == []
