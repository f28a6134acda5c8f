"""Everything at once: labels and pairs (JSONL + Parquet), chosen/rejected, latents and a manifest."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labeler.export.files import write_jsonl, write_parquet
from labeler.export.latents import latent_documents
from labeler.export.rows import LABEL_COLUMNS, PAIR_COLUMNS, chosen_rejected, label_rows, pair_rows
from labeler.export.sources import ExportSource


def export_all(source: ExportSource, out_dir: str | Path, task: str | int | None = None,
               parquet: bool = True) -> dict[str, Any]:
    """Write labels/pairs (JSONL + Parquet), chosen_rejected.jsonl, latents.jsonl and manifest.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = label_rows(source, task)
    pairs = pair_rows(source, task)
    pref = chosen_rejected(labels)
    latents = latent_documents(source, task)
    files = {
        "labels.jsonl": write_jsonl(labels, out / "labels.jsonl"),
        "pairs.jsonl": write_jsonl(pairs, out / "pairs.jsonl"),
        "chosen_rejected.jsonl": write_jsonl(pref, out / "chosen_rejected.jsonl"),
        "latents.jsonl": write_jsonl(latents, out / "latents.jsonl"),
    }
    if parquet:
        files["labels.parquet"] = write_parquet(labels, out / "labels.parquet", LABEL_COLUMNS)
        files["pairs.parquet"] = write_parquet(pairs, out / "pairs.parquet", PAIR_COLUMNS)
    manifest = {
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "source": getattr(source, "base_url", None) or str(getattr(getattr(source, "store", None), "path", "")),
        "task": task,
        "counts": {"labels": len(labels), "pairs": len(pairs), "chosen_rejected": len(pref), "latents": len(latents)},
        "files": sorted(files),
        "columns": {"labels": LABEL_COLUMNS, "pairs": PAIR_COLUMNS},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
