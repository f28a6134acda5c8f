"""`pip install .` (a wheel, not an editable install) gives a working app: pages, static files, the Gradio UI and
the shipped checkpoint are package data, and the console scripts exist.

The wheel is built from a clean copy of the source, never in the checkout: building in place writes build/ and
*.egg-info there, and a stale build/lib would carry modules deleted since into the wheel."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from tests.support.app_process import REPO_ROOT, free_port

NOT_SOURCE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".venv",
                                    "data", "runs", "artifacts")


def clean_copy(dest: Path) -> Path:
    """The files git sees in the working tree (tracked, or new and not ignored), or without git everything
    but build outputs and caches."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            capture_output=True, timeout=60)
    if listed.returncode != 0:  # not a git checkout (e.g. an unpacked source archive)
        return Path(shutil.copytree(REPO_ROOT, dest, ignore=NOT_SOURCE))
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is gone from the copy too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_the_wheel_installs_and_serves_the_app(tmp_path):
    source, dist = clean_copy(tmp_path / "source"), tmp_path / "dist"
    assert not (source / "build").exists() and not list(source.glob("*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(source)], check=True, timeout=300)
    wheel = next(dist.glob("pgt_studio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "labeler/static/annotator/index.html" in names and "pgt_core/assets/crafter_foundation.pt" in names
    assert "tests/support/app_process.py" not in names  # the test harness stays out of the package
    modules = {n for n in names if n.endswith(".py")}
    assert modules and modules <= {p.relative_to(source).as_posix() for p in source.rglob("*.py")}  # nothing stale

    venv = tmp_path / "venv"
    # the dependencies come from this interpreter's site-packages; the project itself only from the wheel, which
    # this interpreter's pip installs there (a venv of its own pip costs seconds)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    bin_dir = venv / "bin"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300)
    outside = tmp_path / "elsewhere"  # not the checkout: nothing may be found through the working directory
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    port = free_port()
    log = open(tmp_path / "app.log", "wb")
    # with the Gradio UI at /, the way the README starts it (only without the worker and the first-start rollouts);
    # it starts while the checks below run
    proc = subprocess.Popen([str(bin_dir / "pgt-studio"), "--no-worker", "--no-bootstrap", "--port",
                             str(port), "--data-dir", str(tmp_path / "data"), "--log-level", "warning"],
                            cwd=outside, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        where = subprocess.run([str(bin_dir / "python"), "-c",
                                "import labeler, pgt_core.policy.checkpoint as c; "
                                "print(labeler.__file__); print(c.DEFAULT_CHECKPOINT.is_file())"],
                               cwd=outside, env=env, capture_output=True, text=True, check=True,
                               timeout=120).stdout.split()
        assert where[0].startswith(str(venv)) and where[1] == "True"
        for script in ("pgt-worker", "pgt-export"):
            assert subprocess.run([str(bin_dir / script), "--help"], cwd=outside, env=env, capture_output=True,
                                  timeout=120).returncode == 0

        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
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
        ui = httpx.get(url + "/", timeout=30)
        assert ui.status_code == 200 and "gradio" in ui.text.lower()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
