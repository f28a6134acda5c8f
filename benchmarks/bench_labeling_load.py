"""Load benchmark: N simulated annotators x M labels each through the app's HTTP interface.

    python benchmarks/bench_labeling_load.py [--annotators 50] [--labels 200] [--retry-rate 0.05]

Starts the real app (`app.py`) in a child process on a free loopback port with a temporary
data directory seeded with synthetic trajectories and pairs (no rollouts), then runs the
annotators concurrently: each asks for its next pair and submits a label, and now and then
resends a label under the same submission id, as a client does after a lost response
(annotators send no token, like people in the browser). At the end it checks every
acknowledged label against the API (with the researcher token) and, after stopping the
app, against the DuckDB file itself. Prints labels/s, latency percentiles and the lost and
duplicated counts; exits 1 unless both are 0.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labeler.config import AppConfig  # noqa: E402
from labeler.db.store import Store  # noqa: E402
from labeler.files.tokens import Tokens  # noqa: E402
from tests.support.app_process import AppProcess  # noqa: E402
from tests.support.synthetic import seed_data_dir  # noqa: E402

CHOICES = ["left", "right", "tie", "both_bad", "skip"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


async def call(client: aiohttp.ClientSession, method: str, path: str, out: dict, **kw) -> tuple[int, dict]:
    """One request, retried (at most 5 times) on connection errors, as the browser client does.

    Retrying a POST /api/labels is safe: the same submission id never writes twice.
    """
    for attempt in range(5):
        try:
            async with client.request(method, path, **kw) as r:
                return r.status, await r.json()
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError):
            out["transport_retries"] += 1
            await asyncio.sleep(0.1 * 2 ** attempt)
    raise RuntimeError(f"{method} {path}: no answer after 5 attempts")


async def annotator(client: aiohttp.ClientSession, name: str, task_id: int, n: int, retry_rate: float,
                    rng: random.Random, out: dict) -> None:
    for _ in range(n):  # bounded: at most n labels
        t0 = time.perf_counter()
        status, res = await call(client, "GET", "/api/pairs/next", out,
                                 params={"task_id": task_id, "annotator": name})
        if status != 200:
            out["errors"].append(f"next: {status} {res}")
            return
        pair = res["pair"]
        t1 = time.perf_counter()
        out["next_ms"].append(1000 * (t1 - t0))
        if pair is None:
            out["starved"] += 1
            return
        body = {"submission_id": str(uuid.uuid4()), "pair_id": pair["id"], "annotator": name,
                "choice": rng.choice(CHOICES), "left_traj": pair["left"]["id"], "right_traj": pair["right"]["id"],
                "time_spent_ms": rng.randint(500, 5000)}
        status, res = await call(client, "POST", "/api/labels", out, json=body)
        t2 = time.perf_counter()
        out["label_ms"].append(1000 * (t2 - t1))
        out["cycle_ms"].append(1000 * (t2 - t0))
        if status not in (200, 201):  # 200 = a transport retry found it already stored
            out["errors"].append(f"label: {status} {res}")
            continue
        out["acked"][body["submission_id"]] = (pair["id"], name, body["choice"])
        if rng.random() < retry_rate:  # a retry after a "lost" response must not write twice
            status, res = await call(client, "POST", "/api/labels", out, json=body)
            out["retries"] += 1
            if status != 200 or res["created"]:
                out["errors"].append(f"retry: {status} {res}")


async def run(url: str, task_id: int, annotators: int, labels: int, retry_rate: float, seed: int,
              researcher_token: str) -> dict:
    out = {"next_ms": [], "label_ms": [], "cycle_ms": [], "acked": {}, "errors": [], "starved": 0, "retries": 0,
           "transport_retries": 0}
    conn = aiohttp.TCPConnector(limit=annotators)
    async with aiohttp.ClientSession(url, connector=conn, timeout=aiohttp.ClientTimeout(total=60)) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(annotator(client, f"sim-{i:03d}", task_id, labels, retry_rate,
                                         random.Random(seed * 1000 + i), out) for i in range(annotators)))
        out["wall_s"] = time.perf_counter() - t0
        rows, after = [], 0
        while True:  # page through every stored label
            status, page = await call(client, "GET", "/api/labels", out,
                                      params={"task_id": task_id, "after_id": after, "limit": 10_000},
                                      headers={"Authorization": f"Bearer {researcher_token}"})
            if status != 200:
                raise RuntimeError(f"GET /api/labels: {status} {page}")
            if not page:
                break
            rows.extend(page)
            after = page[-1]["id"]
        out["api_rows"] = rows
    return out


def check(acked: dict, rows: list[dict]) -> tuple[int, int]:
    """(lost, duplicated): acknowledged labels missing or different; rows beyond one per label."""
    by_sub: dict[str, list[dict]] = {}
    for r in rows:
        by_sub.setdefault(r["submission_id"], []).append(r)
    lost = sum(1 for sub, want in acked.items()
               if not any((r["pair_id"], r["annotator"], r["choice"]) == want for r in by_sub.get(sub, [])))
    pairs_people = [(r["pair_id"], r["annotator"]) for r in rows]
    duplicated = (len(rows) - len(by_sub)) + (len(pairs_people) - len(set(pairs_people))) \
        + sum(1 for sub in by_sub if sub not in acked)
    return lost, duplicated


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--annotators", type=int, default=50)
    p.add_argument("--labels", type=int, default=200, help="labels per annotator")
    p.add_argument("--pairs", type=int, default=500, help="pairs in the synthetic task")
    p.add_argument("--retry-rate", type=float, default=0.05, help="share of labels resent (idempotency check)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-ui", action="store_true", help="start the app without the Gradio page")
    args = p.parse_args()

    wanted = args.annotators * args.labels
    if args.pairs < args.labels:
        p.error("--pairs must be at least --labels (nobody labels a pair twice)")
    k = max(1, math.ceil(1.25 * wanted / args.pairs))  # enough capacity that nobody runs dry
    n_traj = max(4, math.ceil(math.sqrt(2 * args.pairs)) + 2)
    per_traj = math.ceil(2 * args.pairs / n_traj)
    with tempfile.TemporaryDirectory(prefix="pgt-bench-") as tmp:
        seeded = seed_data_dir(tmp, n_traj=n_traj, per_traj=per_traj, length=4, seed=args.seed)
        print(f"seeded {len(seeded['trajectories'])} trajectories, {len(seeded['pair_ids'])} pairs; k={k}", flush=True)
        extra = ["--no-bootstrap", "--no-worker", "--labels-per-pair", str(k)] + (["--no-ui"] if args.no_ui else [])
        app = AppProcess(tmp, extra).start()
        try:
            token = Tokens.load_or_create(tmp).researcher
            out = asyncio.run(run(app.url, seeded["task_id"], args.annotators, args.labels, args.retry_rate, args.seed,
                                  token))
        finally:
            code = app.stop()
        with Store(AppConfig(data_dir=Path(tmp)).db_path) as store:
            db_rows = store.labels.list(task_id=seeded["task_id"], limit=10 * wanted + 10)

    acked = out["acked"]
    lost_api, dup_api = check(acked, out["api_rows"])
    lost_db, dup_db = check(acked, db_rows)
    lost, dup = max(lost_api, lost_db), max(dup_api, dup_db)
    print(f"annotators={args.annotators} labels_each={args.labels} wall={out['wall_s']:.1f}s app_exit={code}")
    print(f"labels acknowledged: {len(acked)} / {wanted}   deliberate resends: {out['retries']}   "
          f"transport retries: {out['transport_retries']}   errors: {len(out['errors'])}   starved: {out['starved']}")
    print(f"throughput: {len(acked) / out['wall_s']:.0f} labels/s")
    timed = (("label_ms", "POST /api/labels"), ("next_ms", "GET /api/pairs/next"), ("cycle_ms", "next+label"))
    for key, title in timed:
        v = out[key]
        print(f"latency {title:22s} p50 {statistics.median(v):6.1f} ms   p95 {pct(v, 0.95):6.1f} ms   "
              f"p99 {pct(v, 0.99):6.1f} ms")
    print(f"rows via API: {len(out['api_rows'])}   rows in DuckDB: {len(db_rows)}")
    print(f"lost: {lost}   duplicated: {dup}")
    for e in out["errors"][:5]:
        print("error:", e)
    return 0 if lost == 0 and dup == 0 and not out["errors"] and len(acked) == wanted else 1


if __name__ == "__main__":
    sys.exit(main())
