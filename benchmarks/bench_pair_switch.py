"""How long the annotator takes to put the next pair on screen: prefetched vs fetched on demand.

    python benchmarks/bench_pair_switch.py [--switches 12] [--length 100]

Starts the real app on a temporary synthetic task and opens the annotator (/annotate) in headless
Chromium. Both sides are measured in the same page and run, the way a person meets them:
- prefetched: a label key press, after the next pair was fetched and decoded in the hidden set
  (what every label but the first is), until the new videos are on screen and a frame was painted;
- on demand: a new annotator name (the page restarts with nothing prefetched) until the first pair
  is on screen and painted: /api/pairs/next, both videos downloaded, decoded and shown.
The timing lives in the page (performance.now() around a keydown / change and two animation frames
after the set became visible), measured by a script this benchmark adds, not by the app.
Prints median and p95 of each and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.app_process import AppProcess  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.synthetic import seed_data_dir  # noqa: E402

# Marks the moment of a user action, then the second animation frame after a hidden set of videos
# came on screen (the first frame with it painted). Benchmark code, injected into the page.
PROBE = """
window.__switch = { start: null, times: [] };
const mark = () => { window.__switch.start = performance.now(); };
document.addEventListener("keydown", mark, true);
document.addEventListener("change", mark, true);
new MutationObserver((changes) => {
  for (const c of changes) {
    if (c.attributeName !== "aria-hidden" || c.target.hasAttribute("aria-hidden")) continue;
    const t0 = window.__switch.start;
    if (t0 === null) continue;
    window.__switch.start = null;
    requestAnimationFrame(() => requestAnimationFrame(() => window.__switch.times.push(performance.now() - t0)));
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-hidden"] });
"""
ALL_DECODED = "() => [...document.querySelectorAll('video')].filter(v => v.readyState >= 2).length === 4"


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--switches", type=int, default=12, help="switches measured on each side")
    ap.add_argument("--length", type=int, default=100, help="steps per synthetic episode (video length)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    n = args.switches
    with tempfile.TemporaryDirectory(prefix="pgt-bench-") as tmp:
        # enough pairs for every annotator: n names x (1 + n labels) each, one label per pair and person
        seed_data_dir(tmp, n_traj=max(8, 2 * n + 4), per_traj=2, length=args.length)
        with AppProcess(tmp, ["--no-bootstrap", "--no-worker", "--no-ui", "--labels-per-pair", "1000"]) as app, \
                sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(PROBE)
            page.goto(app.url + "/annotate")
            name = page.get_by_label("Annotator")
            name.wait_for()
            page.get_by_text("Enter your name (top left) to start labeling.").wait_for(timeout=30_000)
            cold, warm = [], []
            for k in range(n):
                before = page.evaluate("window.__switch.times.length")
                name.fill(f"bench-{k}")
                name.press("Enter")  # change: restart with nothing prefetched
                page.wait_for_function(f"window.__switch.times.length > {before}", timeout=60_000)
                cold.append(page.evaluate("window.__switch.times.at(-1)"))
                page.wait_for_function(ALL_DECODED, timeout=60_000)  # the next pair is ready in the hidden set
                page.wait_for_timeout(300)
                before = page.evaluate("window.__switch.times.length")
                page.keyboard.press("ArrowLeft")
                page.wait_for_function(f"window.__switch.times.length > {before}", timeout=60_000)
                warm.append(page.evaluate("window.__switch.times.at(-1)"))
            browser.close()

    print(f"{n} switches each, {args.length}-step episodes ({args.length + 1} frames, 4x upscaled H.264)")
    print(f"prefetched (label key):  median {statistics.median(warm):7.1f} ms   p95 {p95(warm):7.1f} ms")
    print(f"on demand (new name):    median {statistics.median(cold):7.1f} ms   p95 {p95(cold):7.1f} ms")
    print(f"on demand / prefetched:  {statistics.median(cold) / max(1e-9, statistics.median(warm)):.1f}x (medians)")


if __name__ == "__main__":
    main()
