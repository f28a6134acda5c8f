"""The DuckDB store: one connection owned by the app, numbered migrations, one repository per table group.

`Store` (labeler.db.store) is what the rest of the app holds; its attributes are the
repositories (`store.tasks`, `store.labels`, ...), each the only module that writes SQL for its tables.
"""
