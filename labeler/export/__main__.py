"""`python -m labeler.export` (also `pgt-export`): export from a data directory or a running app, or import latents."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

from labeler.export.bundle import export_all
from labeler.export.latents import import_latent, read_latent_documents
from labeler.export.sources import close_source, open_source


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m labeler.export", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default="data", help="the app's data directory (holds pgt.duckdb)")
    p.add_argument("--url", help="export from a running app at this URL instead of the file")
    p.add_argument("--app-url", default="http://127.0.0.1:7860", help="where to find the app if it holds the file")
    p.add_argument("--token", help="researcher token for the app (default: $PGT_RESEARCHER_TOKEN)")
    p.add_argument("--out", default="exports", help="output directory")
    p.add_argument("--task", help="only this task (name or id)")
    p.add_argument("--no-parquet", action="store_true", help="JSONL only")
    p.add_argument("--import-latents", metavar="FILE", help="import latents from .json/.jsonl/.npy instead")
    p.add_argument("--into-task", help="with --import-latents: the task to attach them to")
    args = p.parse_args(argv)
    source = open_source(args.data_dir, args.url, args.app_url, args.token)
    try:
        if args.import_latents:
            for doc in read_latent_documents(args.import_latents):
                row = import_latent(source, doc, task=args.into_task)
                print(f"imported latent {row['id']} into task {row['task_id']}")
            return 0
        manifest = export_all(source, args.out, task=args.task, parquet=not args.no_parquet)
    finally:
        close_source(source)
    print(json.dumps({"out": str(Path(args.out).resolve()), **manifest["counts"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
