/* The quality report's parts (GET /api/quality/summary): headline numbers, agreement per round, the
 * annotator table and labels per hour. Each is a keyed list updated in place. */

import { h, KeyedList, set, text } from "../shared/dom.js";
import { duration, hour, int, num, pct } from "../shared/format.js";

const rate = (r) => (r && r.n ? `${pct(r.rate)} (${r.k}/${r.n})` : "–");
const significant = (p) => p !== null && p !== undefined && p < 0.05;

function stat() {
  const dt = h("dt");
  const dd = h("dd");
  return { el: h("div", { class: "pgt-stat" }, dt, dd), update([label, value]) { text(dt, label); text(dd, value); } };
}

/** A table row of plain cells: cells(item) -> [[text, className?], ...]; the first is a row header. */
function plainRow(cells) {
  let tds = null;
  const el = h("tr");
  return {
    el,
    update(item) {
      const values = cells(item);
      if (!tds) {
        tds = values.map((_, i) => (i === 0 ? h("th", { scope: "row" }) : h("td")));
        el.append(...tds);
      }
      values.forEach(([value, cls], i) => { text(tds[i], value); set(tds[i], { class: cls || null }); });
    },
  };
}

function hourBar(max) {
  const when = h("span");
  const bar = h("span", { class: "q-hour-bar", "aria-hidden": "true" });
  const n = h("span", { class: "pgt-num" });
  return {
    el: h("li", {}, when, h("span", {}, bar), n),
    update(x) {
      text(when, `${hour(x.hour)} · ${x.annotator}`);
      bar.style.width = `${(100 * x.n) / Math.max(1, max())}%`;
      text(n, x.n);
    },
  };
}

export class QualityReport {
  /** roundName(round id) -> how the researcher view names that round ("round 2"). */
  constructor({ stats, alpha, annotators, hourly, roundName }) {
    let maxHourly = 1;
    this.setMax = (m) => { maxHourly = m; };
    this.stats = new KeyedList(stats, { key: ([label]) => label, create: stat });
    this.alpha = new KeyedList(alpha, {
      key: (a) => a.round_id ?? "none",
      create: () => plainRow((a) => [[roundName(a.round_id)], [num(a.alpha), "pgt-num"], [a.n_pairs_multi, "pgt-num"], [a.n_labels, "pgt-num"]]),
      empty: h("tr", {}, h("td", { colspan: "4", class: "pgt-dim", text: "No pairs with two or more labels yet." })),
    });
    this.annotators = new KeyedList(annotators, {
      key: (a) => a.annotator,
      create: () => plainRow((a) => {
        const p = a.position_bias.p_value;
        return [[a.annotator], [a.n_labels, "pgt-num"], [a.n_skips, "pgt-num"], [rate(a.gold_accuracy)], [rate(a.self_consistency)],
          [rate(a.majority_agreement)], [pct(a.position_bias.left_rate), "pgt-num"], [num(p, 3), significant(p) ? "pgt-num pgt-warn" : "pgt-num"],
          [num(a.throughput.labels_per_hour, 0), "pgt-num"], [num(a.throughput.time_per_label_s.median, 1), "pgt-num"]];
      }),
      empty: h("tr", {}, h("td", { colspan: "10", class: "pgt-dim", text: "No labels yet." })),
    });
    this.hourly = new KeyedList(hourly, {
      key: (x) => `${x.hour}|${x.annotator}`,
      create: () => hourBar(() => maxHourly),
      empty: h("li", { class: "pgt-dim", text: "No labels yet." }),
    });
  }

  update(s) {
    const bias = s.position_bias;
    const t = s.throughput;
    this.stats.update([
      ["labels", int(s.n_labels)],
      ["alpha", num(s.alpha)],
      ["left rate", `${pct(bias.left_rate)}${significant(bias.p_value) ? ` (p=${num(bias.p_value, 3)})` : ""}`],
      ["labels / hour", num(t.labels_per_hour, 0)],
      ["median time / label", duration(t.time_per_label_s.median)],
      ["gold / repeat pairs", `${s.checks.gold} / ${s.checks.repeat}`],
      ["disputed pairs", String(s.disagreements.length)],
    ]);
    this.alpha.update(s.alpha_by_task_round);
    this.annotators.update(s.annotators);
    this.setMax(Math.max(1, ...s.hourly.map((x) => x.n)));
    this.hourly.update(s.hourly);
  }
}
