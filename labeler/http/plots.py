"""Small SVG line charts for the researcher view: success rate and DPO metrics per round and epoch.

Why SVG strings made here: the app serves loopback/offline users, so no plotting library or
CDN on the page; the charts are plain markup the page inserts, and they are testable here
without a browser.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pgt_core.stats import success_rate

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


@dataclass
class Series:
    name: str
    xs: Sequence[float]
    ys: Sequence[float | None]  # None leaves a gap
    intervals: Sequence[tuple[float, float] | None] | None = None  # an error bar (low, high) per point, if any


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        return [lo]
    step = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(step))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= step), default=step)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.3g}"


def line_chart(title: str, series: Sequence[Series], x_label: str = "", y_range: tuple[float, float] | None = None,
               width: int = 380, height: int = 210, percent: bool = False) -> str:
    """One chart; points are drawn as dots joined by lines, so a single round still shows."""
    m = {"l": 46, "r": 10, "t": 40, "b": 34}
    pw, ph = width - m["l"] - m["r"], height - m["t"] - m["b"]
    pts = [(x, y) for s in series for x, y in zip(s.xs, s.ys, strict=True) if y is not None and math.isfinite(y)]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pgt-chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
           f'<text x="{m["l"]}" y="16" class="title" font-size="13" font-weight="600">{html.escape(title)}</text>']
    if not pts:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" fill="#888">'
                   "no data yet</text></svg>")
        return "".join(out)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    if x0 == x1:  # one round: centre it, and only its own (integer) tick is labelled
        x0, x1 = x0 - 0.5, x1 + 0.5
    y0, y1 = y_range if y_range else (min(ys), max(ys))
    if y0 == y1:
        y0, y1 = y0 - 0.5, y1 + 0.5
    sx = lambda x: m["l"] + (x - x0) / (x1 - x0) * pw  # noqa: E731
    sy = lambda y: m["t"] + (1 - (y - y0) / (y1 - y0)) * ph  # noqa: E731
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{m["l"]}" x2="{m["l"] + pw}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" stroke="#e5e7eb"/>'
                   f'<text x="{m["l"] - 6}" y="{sy(t) + 4:.1f}" text-anchor="end" font-size="10" fill="#555">'
                   f'{_fmt(t * 100) + "%" if percent else _fmt(t)}</text>')
    for t in _ticks(x0, x1):
        if t == int(t) or x1 - x0 > 4:
            out.append(f'<text x="{sx(t):.1f}" y="{m["t"] + ph + 14}" text-anchor="middle" font-size="10" '
                       f'fill="#555">{_fmt(t)}</text>')
    out.append(f'<line x1="{m["l"]}" x2="{m["l"]}" y1="{m["t"]}" y2="{m["t"] + ph}" stroke="#9ca3af"/>'
               f'<line x1="{m["l"]}" x2="{m["l"] + pw}" y1="{m["t"] + ph}" y2="{m["t"] + ph}" stroke="#9ca3af"/>'
               f'<text x="{m["l"] + pw / 2}" y="{height - 4}" text-anchor="middle" font-size="11" fill="#444">'
               f'{html.escape(x_label)}</text>')
    # Error bars first, under every series' lines and dots, and transparent to the pointer: no dot is hidden.
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        for x, y, bar in zip(s.xs, s.ys, s.intervals or [None] * len(s.xs), strict=True):
            if bar is None or y is None or not math.isfinite(y):
                continue
            lo, hi, cx = sy(bar[0]), sy(bar[1]), sx(x)
            out.append(f'<g class="interval" stroke="{color}" stroke-width="1.2" opacity="0.7" pointer-events="none">'
                       f"<title>{html.escape(s.name)}: {_fmt(bar[0] * 100) + '%' if percent else _fmt(bar[0])} to "
                       f"{_fmt(bar[1] * 100) + '%' if percent else _fmt(bar[1])}</title>"
                       f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{lo:.1f}" y2="{hi:.1f}"/>'
                       f'<line x1="{cx - 4:.1f}" x2="{cx + 4:.1f}" y1="{lo:.1f}" y2="{lo:.1f}"/>'
                       f'<line x1="{cx - 4:.1f}" x2="{cx + 4:.1f}" y1="{hi:.1f}" y2="{hi:.1f}"/></g>')
    legend_x = float(m["l"])
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        segs, cur = [], []
        for x, y in zip(s.xs, s.ys, strict=True):
            if y is None or not math.isfinite(y):
                segs, cur = segs + [cur] if cur else segs, []
                continue
            cur.append((sx(x), sy(y)))
        if cur:
            segs.append(cur)
        for seg in segs:
            if len(seg) > 1:
                out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                           + " ".join(f"{a:.1f},{b:.1f}" for a, b in seg) + '"/>')
            out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>' for a, b in seg]
        out.append(f'<rect x="{legend_x:.0f}" y="24" width="10" height="10" fill="{color}"/>'
                   f'<text x="{legend_x + 14:.0f}" y="33" font-size="11" fill="#333">{html.escape(s.name)}</text>')
        legend_x += 26 + 6.2 * len(s.name)
    out.append("</svg>")
    return "".join(out)


def _get(d: Mapping[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(d, Mapping):
            return None
        d = d.get(key)
    return d


def task_plots(rounds: Sequence[Mapping[str, Any]], round_id: int | None = None) -> dict[str, str]:
    """Per-round success and DPO metrics, and the per-epoch loss of one round (default: the latest tuned)."""
    nums = [r["number"] for r in rounds]

    def rate(r: Mapping[str, Any], role: str) -> float | None:
        for item in _get(r, "result", "eval", "rates") or []:
            if item["role"] == role:
                return item["success_rate"]
        return None

    def interval(r: Mapping[str, Any], role: str) -> tuple[float, float] | None:
        """The rate's 95% Wilson interval over its evaluation episodes."""
        for item in _get(r, "result", "eval", "rates") or []:
            if item["role"] == role and item.get("success") is not None:
                bounds = success_rate(item["success"]).interval
                return bounds.low, bounds.high
        return None

    def success(name: str, role: str) -> Series:
        return Series(name, nums, [rate(r, role) for r in rounds], [interval(r, role) for r in rounds])

    def best(r: Mapping[str, Any], part: str, key: str) -> float | None:
        if key == "loss":
            return _get(r, "result", "tune", "best", "train_loss" if part == "train" else "val_loss")
        return _get(r, "result", "tune", "best", part, key)

    charts = {
        "success": line_chart("Success rate on fixed seeds (bars: 95% CI)", [
            success("z0 (prompt)", "prompt"),
            # A round that starts from z0 (round 1) has no start dot of its own: it would sit on z0's and hide it.
            success("round start", "base"),
            success("tuned", "candidate")], "round", (0.0, 1.0), percent=True),
    }
    for key, title in (("loss", "DPO loss (best epoch)"), ("margin", "Reward margin (best epoch)"),
                       ("accuracy", "Preference accuracy (best epoch)")):
        charts[key] = line_chart(title, [Series("train", nums, [best(r, "train", key) for r in rounds]),
                                         Series("held-out", nums, [best(r, "val", key) for r in rounds])],
                                 "round", (0.0, 1.0) if key == "accuracy" else None, percent=key == "accuracy")
    tuned = [r for r in rounds if _get(r, "result", "tune", "history")]
    chosen = next((r for r in tuned if r["id"] == round_id), tuned[-1] if tuned else None)
    history = _get(chosen, "result", "tune", "history") or []
    epochs = [h["epoch"] for h in history]
    charts["epochs"] = line_chart(
        f"Round {chosen['number']}: loss per epoch" if chosen else "Loss per epoch",
        [Series("train", epochs, [h["train_loss"] for h in history]),
         Series("held-out", epochs, [h["val_loss"] for h in history])], "epoch")
    return charts
