"""Run the app in a child process on a free loopback port (tests, the load benchmark, screenshots).

Why a real process: the app owns the DuckDB file, so anything checking the database
afterwards must stop the app first (SIGTERM -> clean shutdown -> CHECKPOINT), exactly
as in production.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """`with AppProcess(data_dir, ["--no-ui"]) as app: httpx.get(app.url + "/api/status")`."""

    def __init__(self, data_dir: str | Path, args: Sequence[str] = (), port: int | None = None,
                 startup_timeout: float = 90.0, log_path: str | Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.log_path = Path(log_path) if log_path else self.data_dir / "app.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "AppProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--log-level", "warning", *self.args],
            cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}; log:\n{self.log()}")
            try:
                if httpx.get(self.url + "/api/status", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"app did not answer within {self.startup_timeout}s; log:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (clean shutdown: the store checkpoints), SIGKILL only if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def __enter__(self) -> "AppProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
