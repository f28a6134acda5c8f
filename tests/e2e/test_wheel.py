"""`pip install .` (a wheel, not an editable install) gives a working app: pages, static files and the shipped
checkpoint are package data, and the console scripts exist."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile

import httpx

from tests.support.app_process import REPO_ROOT, free_port


def test_the_wheel_installs_and_serves_the_app(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(REPO_ROOT)], check=True, timeout=300)
    wheel = next(dist.glob("pgt_studio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "labeler/static/annotator/index.html" in names and "pgt_core/assets/crafter_foundation.pt" in names
    assert "tests/support/app_process.py" not in names  # the test harness stays out of the package

    venv = tmp_path / "venv"
    # the dependencies come from this interpreter's site-packages; the project itself only from the wheel
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    outside = tmp_path / "elsewhere"  # not the checkout: nothing may be found through the working directory
    outside.mkdir()
    where = subprocess.run([str(bin_dir / "python"), "-c",
                            "import labeler, pgt_core.policy.checkpoint as c; "
                            "print(labeler.__file__); print(c.DEFAULT_CHECKPOINT.is_file())"],
                           cwd=outside, capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert where[0].startswith(str(venv)) and where[1] == "True"
    for script in ("pgt-worker", "pgt-export"):
        assert subprocess.run([str(bin_dir / script), "--help"], cwd=outside, capture_output=True,
                              timeout=120).returncode == 0

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    log = open(tmp_path / "app.log", "wb")
    proc = subprocess.Popen([str(bin_dir / "pgt-studio"), "--no-worker", "--no-ui", "--no-bootstrap", "--port",
                             str(port), "--data-dir", str(tmp_path / "data"), "--log-level", "warning"],
                            cwd=outside, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()
            try:
                page = httpx.get(url + "/annotate", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "pgt-studio did not answer"
                time.sleep(0.3)
        assert page.status_code == 200 and "/static/annotator/" in page.text
        assert httpx.get(url + "/static/annotator/main.js").status_code == 200
        assert httpx.get(url + "/api/status").json()["schema_version"] >= 1
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
