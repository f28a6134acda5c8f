"""A logged-in researcher visits a page served from another port of 127.0.0.1 (same site, other origin), with
the Gradio UI mounted: its form post and its JSON fetches (with or without an Authorization header) change
nothing and read nothing, and it cannot read the session's proof. The server on that port receives the
session cookie (cookies are not port-scoped), yet replayed from a script with a forged Origin the cookie
alone opens nothing. Real Chromium."""
from __future__ import annotations

import http.server
import threading
from functools import partial

import httpx
import pytest

from labeler.files.tokens import Tokens
from tests.support.app_process import AppProcess, free_port
from tests.support.studio import login_url
from tests.support.synthetic import seed_data_dir

pytestmark = pytest.mark.browser

EVIL = """<!doctype html><html><body>
<form id="f" method="POST" action="{app}/api/researcher/latents/{z1}/promote"></form>
<script>
  window.results = {{proof: String(localStorage.getItem("pgt-proof"))}};
  const app = "{app}";
  async function probe(name, url, init) {{
    try {{
      const r = await fetch(url, {{credentials: "include", ...init}});
      window.results[name] = "status " + r.status + " " + (await r.text()).slice(0, 200);
    }} catch (e) {{ window.results[name] = "blocked: " + e; }}
  }}
  Promise.all([
    probe("create", app + "/api/latents", {{method: "POST", headers: {{"content-type": "application/json"}},
          body: JSON.stringify({{task_id: {task}, vector: Array(512).fill(0.3), source: "evil"}})}}),
    probe("basic", app + "/api/latents", {{method: "POST",
          headers: {{"content-type": "application/json", "authorization": "Basic eDp4"}},
          body: JSON.stringify({{task_id: {task}, vector: Array(512).fill(0.4), source: "evil"}})}}),
    probe("simple", app + "/api/researcher/latents/{z1}/promote", {{method: "POST", mode: "no-cors"}}),
    probe("read", app + "/api/researcher/worker-command", {{}}),
  ]).then(() => {{ window.done = true; }});
</script></body></html>"""


class Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves the attacker's page and keeps the Cookie headers the visiting browser sent."""
    cookies: list[str] = []

    def do_GET(self) -> None:
        if self.headers.get("cookie"):
            self.cookies.append(self.headers["cookie"])
        super().do_GET()


def serve(directory: str, port: int) -> tuple[http.server.ThreadingHTTPServer, list[str]]:
    handler = type("Recording", (Recorder,), {"cookies": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler.cookies


def test_a_page_on_another_port_cannot_act_with_the_researchers_login(browser, tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=2, per_traj=1, length=4)
    app = AppProcess(tmp_path, ["--no-bootstrap", "--no-worker", "--checkpoint", str(tmp_path / "none.pt")],
                     startup_timeout=180).start()  # the Gradio UI is mounted (its CORS answers localhost)
    researcher = {"Authorization": f"Bearer {Tokens.load_or_create(tmp_path).researcher}"}
    evil_server = None
    try:
        api = httpx.Client(base_url=app.url, headers=researcher, timeout=30)
        z0 = api.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [0.0] * 512, "source": "prompt"})
        z1 = api.post("/api/latents", json={"task_id": seeded["task_id"], "vector": [1.0] * 512, "source": "tuned",
                                            "parent_id": z0.json()["id"]}).json()
        site = tmp_path / "evil"
        site.mkdir()
        (site / "index.html").write_text(EVIL.format(app=app.url, z1=z1["id"], task=seeded["task_id"]))
        evil_port = free_port()
        evil_server, received = serve(str(site), evil_port)

        context = browser.new_context()
        page = context.new_page()
        page.goto(login_url(app.url, tmp_path))
        page.wait_for_url(app.url + "/researcher")
        proof = page.evaluate("localStorage.getItem('pgt-proof')")
        own = f"{{headers: {{'X-PGT-Proof': {proof!r}}}}}"
        assert page.evaluate(f"fetch('/api/session', {own}).then(r => r.json())")["role"] == "researcher"

        evil = context.new_page()
        evil.goto(f"http://127.0.0.1:{evil_port}/index.html")
        evil.wait_for_function("window.done === true", timeout=30_000)
        results = evil.evaluate("window.results")
        assert "worker" not in results["read"] and "PGT_WORKER_TOKEN" not in results["read"], results
        assert not results["create"].startswith("status 2") and not results["basic"].startswith("status 2"), results
        assert results["proof"] == "null"  # localStorage is the app origin's alone
        with evil.expect_navigation():
            evil.evaluate("document.getElementById('f').submit()")
        assert evil.url.endswith("/promote") and "may not act" in evil.content()

        # the other port's server got the cookie; a script replays it, forging the app's own origin
        stolen = next(c.split("pgt_session=", 1)[1].split(";")[0] for c in received if "pgt_session=" in c)
        forged = {"origin": app.url, "sec-fetch-site": "same-origin", "cookie": f"pgt_session={stolen}"}
        with httpx.Client(base_url=app.url, timeout=30) as script:
            assert script.get("/api/researcher/worker-command", headers=forged).status_code == 403
            assert script.post("/api/latents", headers=forged, json={"task_id": seeded["task_id"],
                                                                      "vector": [0.5] * 512}).status_code == 403
            with_proof = script.get("/api/researcher/worker-command", headers={**forged, "x-pgt-proof": proof})
            assert with_proof.status_code == 200  # what the proof adds: only the app's own pages hold it

        latents = api.get(f"/api/tasks/{seeded['task_id']}/latents").json()
        assert [lat["source"] for lat in latents] == ["prompt", "tuned"]  # nothing created
        overview = api.get("/api/researcher/overview").json()
        active = next(t for t in overview["tasks"] if t["id"] == seeded["task_id"])["active_latent_id"]
        assert active == z0.json()["id"]  # nothing promoted
        # the researcher's own page still can
        promoted = page.evaluate(f"fetch('/api/researcher/latents/{z1['id']}/promote', "
                                 f"{{method: 'POST', headers: {{'X-PGT-Proof': {proof!r}}}}}).then(r => r.status)")
        assert promoted == 200
        context.close()
    finally:
        if evil_server is not None:
            evil_server.shutdown()
        app.stop()
