"""`pgt-studio` (or `python app.py`): start PGT Studio, `[--host 127.0.0.1] [--port 7860] [--data-dir data/]`.

Opens (or creates) the DuckDB store under --data-dir, serves the annotator at / and the
HTTP API at /api. On a first start it creates the default Crafter task and rolls out
episodes to label in the background (the page shows a progress bar meanwhile).
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

import uvicorn

from labeler.api_client import ApiClient, AppUnreachable
from labeler.config import AppConfig, Service
from labeler.files.tokens import RESEARCHER, Tokens
from labeler.http.app import create_app
from labeler.http.routers.session import login_path
from labeler.http.security import WILDCARD_BINDS, app_hosts
from pgt_core.atomic import write_atomic

LOGIN_LINK_FILE = "login-link"
# Requests that pages and workers repeat every second or two: left out of the access log at level info.
POLLED = re.compile(r"^/api/(status|jobs/claim|jobs/\d+/(heartbeat|progress)|tasks/\d+/progress"
                    r"|researcher/(overview|tasks/\d+))(\?|$)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME[:PORT]",
                   help="a Host name the app also answers to, e.g. a reverse proxy's or an SSH tunnel's other "
                        "local port (repeatable; it always answers to --host and the loopback names at --port)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="DuckDB file and artifacts live here")
    p.add_argument("--labels-per-pair", type=int, default=3, help="k: how many people label each pair")
    p.add_argument("--annotators", choices=("open", "invite"), default="open",
                   help="open: anyone types a name; invite: only people with a researcher's invite link label")
    p.add_argument("--bootstrap-task", default="collect_wood", help="the default task made on first start")
    p.add_argument("--bootstrap-episodes", type=int, default=24, help="episodes rolled out on first start")
    p.add_argument("--no-bootstrap", action="store_true", help="do not create the default task and rollouts")
    p.add_argument("--checkpoint", type=Path, default=None, help="foundation bundle (default: the shipped one)")
    p.add_argument("--no-ui", action="store_true", help="serve only the API and /annotate, not the Gradio page")
    p.add_argument("--no-worker", action="store_true", help="do not start a background worker beside the app")
    p.add_argument("--worker-device", default="auto", help="the local worker's device: auto (GPU if any), cpu, cuda")
    p.add_argument("--worker-threads", type=int, default=0, help="the local worker's torch CPU threads (0: default)")
    p.add_argument("--worker-env-workers", type=int, default=None,
                   help="processes stepping environments for the local worker (default: 2 with 2+ cores, 0: none)")
    p.add_argument("--job-stale-s", type=float, default=60.0,
                   help="a job whose worker sent no heartbeat for this long is retried elsewhere")
    p.add_argument("--log-level", default="info",
                   help="info leaves out the repeated polls (status, job claims, heartbeats); debug shows all")
    p.add_argument("--login-link", action="store_true",
                   help="print a new one-time researcher login link from the app running at --host/--port, and exit")
    return p.parse_args(argv)


def build_services(args: argparse.Namespace, config: AppConfig) -> list[Service]:
    """Processes that run beside the app: the background worker, unless --no-worker."""
    if args.no_worker:
        return []
    from labeler.worker.service import LocalWorker

    return [LocalWorker(device=args.worker_device, threads=args.worker_threads, env_workers=args.worker_env_workers)]


def config_from_args(args: argparse.Namespace) -> AppConfig:
    here = "127.0.0.1" if args.host in WILDCARD_BINDS else args.host  # where this machine reaches the app
    return AppConfig(
        data_dir=args.data_dir,
        base_url=f"http://{here}:{args.port}",
        labels_per_pair=args.labels_per_pair,
        annotators=args.annotators,
        bootstrap=not args.no_bootstrap,
        bootstrap_task=args.bootstrap_task,
        bootstrap_episodes=args.bootstrap_episodes,
        checkpoint=args.checkpoint,
        ui=not args.no_ui,
        job_stale_s=args.job_stale_s,
        allowed_hosts=app_hosts(args.host, args.port, args.allowed_host),
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_from_args(args)
    if args.login_link:
        raise SystemExit(print_login_link(config))
    config.services.extend(build_services(args, config))
    app = create_app(config)
    base = config.base_url
    print(f"PGT Studio: {base}/  (data in {config.data_dir})", flush=True)
    announce_login(base + login_path(app.state.pgt.store.sessions.new_code(RESEARCHER)), config.data_dir)
    if args.log_level.lower() != "debug":
        quiet_polls()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, timeout_graceful_shutdown=5)


def announce_login(url: str, data_dir: Path) -> None:
    """The researcher's one-time login link: shown on an interactive terminal, else only written to a private
    file, so that no log (a service's journal, a redirected stdout) ever holds a credential."""
    path = Path(data_dir) / LOGIN_LINK_FILE
    write_atomic(path, url + "\n", mode=0o600)
    if sys.stderr.isatty():
        print(f"Researcher login (one-time, 15 minutes): {url}", file=sys.stderr, flush=True)
    else:
        print(f"Researcher login: the one-time link is in {path} (or run: pgt-studio --login-link)", flush=True)


def print_login_link(config: AppConfig) -> int:
    """Ask the running app (with the researcher token from the data dir) for a fresh one-time login link."""
    api = ApiClient(config.base_url, token=Tokens.load_or_create(config.data_dir).researcher)
    try:
        link = api.post("/api/session/links")
    except AppUnreachable:
        print(f"no PGT Studio answers at {config.base_url}; start it first (it writes a link when it starts)",
              file=sys.stderr)
        return 1
    finally:
        api.close()
    print(config.base_url + link["url"])
    return 0


class _QuietPolls(logging.Filter):
    """Drop the access-log lines of requests that pages and workers repeat every second or two."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        path = str(args[2]) if len(args) > 2 else ""
        return not POLLED.match(path)


def quiet_polls() -> None:
    logging.getLogger("uvicorn.access").addFilter(_QuietPolls())
