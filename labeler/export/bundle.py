"""Everything at once: labels, pairs and answers (JSONL + Parquet), chosen/rejected, what tuning reads, latents
and a manifest."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labeler.export.files import write_jsonl, write_parquet
from labeler.export.latents import latent_documents
from labeler.export.rows import (
    ANSWER_COLUMNS,
    LABEL_COLUMNS,
    PAIR_COLUMNS,
    TUNING_PAIR_COLUMNS,
    answer_rows,
    chosen_rejected,
    label_rows,
    pair_rows,
    tuning_pair_rows,
)
from labeler.export.sources import ExportSource


def export_all(source: ExportSource, out_dir: str | Path, task: str | int | None = None,
               parquet: bool = True) -> dict[str, Any]:
    """Write labels/pairs/answers (JSONL + Parquet), chosen_rejected.jsonl (live labels), tuning_pairs.jsonl,
    latents.jsonl and manifest.json. Undone labels and answers stay in, marked `undone_at`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = label_rows(source, task)
    pairs = pair_rows(source, task)
    answers = answer_rows(source, task)
    tuning = tuning_pair_rows(source, task)
    pref = chosen_rejected(labels)
    latents = latent_documents(source, task)
    files = {
        "labels.jsonl": write_jsonl(labels, out / "labels.jsonl"),
        "pairs.jsonl": write_jsonl(pairs, out / "pairs.jsonl"),
        "chosen_rejected.jsonl": write_jsonl(pref, out / "chosen_rejected.jsonl"),
        "latents.jsonl": write_jsonl(latents, out / "latents.jsonl"),
        "answers.jsonl": write_jsonl(answers, out / "answers.jsonl"),
        "tuning_pairs.jsonl": write_jsonl(tuning, out / "tuning_pairs.jsonl"),
    }
    if parquet:
        files["labels.parquet"] = write_parquet(labels, out / "labels.parquet", LABEL_COLUMNS)
        files["pairs.parquet"] = write_parquet(pairs, out / "pairs.parquet", PAIR_COLUMNS)
        files["answers.parquet"] = write_parquet(answers, out / "answers.parquet", ANSWER_COLUMNS)
    manifest = {
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "source": getattr(source, "base_url", None) or str(getattr(getattr(source, "store", None), "path", "")),
        "task": task,
        "counts": {"labels": len(labels), "pairs": len(pairs), "chosen_rejected": len(pref), "latents": len(latents),
                   "answers": len(answers), "tuning_pairs": len(tuning)},
        "files": sorted(files),
        "columns": {"labels": LABEL_COLUMNS, "pairs": PAIR_COLUMNS, "answers": ANSWER_COLUMNS,
                    "tuning_pairs": TUNING_PAIR_COLUMNS},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
