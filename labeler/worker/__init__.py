"""The background worker: a separate process that claims jobs from the app over HTTP and runs them.

Modules: `main` (the command line, `python -m labeler.worker` / `pgt-worker`), `loop` (claim, run,
heartbeat, report), `client` (the job protocol over HTTP), `runners` (what each job kind does),
`service` (the worker the app starts beside itself).
"""
