"""Make docs/annotator.png: the annotator view on real Crafter episodes, in headless Chromium.

    python docs/annotator_screenshot.py [--out docs/annotator.png]

Episodes come from the scripted demonstrator pursuing wood with different amounts of
noise (fast, slow, never), so the pair on screen shows what labeling looks like: two
episodes of one task, their achievement timelines and the shared controls.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgt_core.policy.demos import record_demo  # noqa: E402
from pgt_core.tasks import CRAFTER_TASKS  # noqa: E402

from labeler.artifacts import Artifacts  # noqa: E402
from labeler.config import AppConfig  # noqa: E402
from labeler.ingest import ingest_trajectory  # noqa: E402
from labeler.process import AppProcess  # noqa: E402
from labeler.scheduling import build_label_pairs  # noqa: E402
from labeler.store import Store  # noqa: E402

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def seed_crafter(data_dir: Path, seeds: list[int]) -> None:
    cfg = AppConfig(data_dir=data_dir)
    spec = CRAFTER_TASKS["collect_wood"]
    with Store(cfg.db_path) as store:
        task = store.create_task(spec.name, spec.achievement, spec.max_steps, spec.description)
        rnd = store.create_round(task["id"])
        ids = []
        for s in seeds:
            traj = record_demo(s, length=spec.max_steps, goals=("collect_wood",))
            ingest_trajectory(store, Artifacts(cfg.artifact_dir), traj, f"demo-{s}", task, rnd["id"])
            ids.append(f"demo-{s}")
        store.add_pairs(task["id"], build_label_pairs(ids, per_traj=2), rnd["id"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("annotator.png"))
    p.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15, 16])
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        seed_crafter(Path(tmp), args.seeds)
        with AppProcess(tmp, ["--no-bootstrap", "--no-worker"]) as app, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROME_ARGS)
            page = browser.new_page(viewport={"width": 1240, "height": 860})
            page.goto(app.url + "/?annotator=alice")
            page.wait_for_function("() => window.pgtAnnotator && window.pgtAnnotator.view.loaded", timeout=30_000)
            page.wait_for_function("() => window.pgtAnnotator.spare.loaded", timeout=30_000)
            page.keyboard.press("ArrowLeft")  # one label, so progress and the saved badge show
            page.wait_for_function("() => window.pgtAnnotator.view.loaded", timeout=30_000)
            page.wait_for_timeout(4500)  # let both episodes play a few seconds
            page.keyboard.press(" ")
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
