"""Labeling app: DuckDB store, HTTP API, Gradio UI, video encoding, worker and jobs."""
