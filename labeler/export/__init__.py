"""Export labels and pairs with full provenance (JSONL, Parquet, chosen/rejected) and move latents in and out.

Why full provenance in every row: a preference dataset outlives the app that collected it. Each
label row says which task and round it belongs to, which latent and world/sample seeds produced
each rollout, who labelled it, which rollout was shown on the left, and when -- enough to re-run
the rollouts, audit annotators, or train another method on it.

Sources: the functions read through a small store-like interface (`ExportSource`), so the same
code exports from the DuckDB file (`StoreSource`, only while the app is *not* running: DuckDB
admits one process per file) or from a running app over HTTP (`HttpSource`).

    python -m labeler.export --data-dir data --out exports/           # the file, or the app if it holds it
    python -m labeler.export --url http://127.0.0.1:7860 --out exports/ --task collect_wood
    python -m labeler.export --data-dir data --import-latents exports/latents.jsonl

Modules: `sources` (what is read), `rows` (row schemas), `files` (JSONL and Parquet writers),
`latents` (latent documents), `bundle` (everything at once), `__main__` (the command line).
"""
