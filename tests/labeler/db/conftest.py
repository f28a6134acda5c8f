from __future__ import annotations

import pytest

from labeler.db.store import Store
from tests.support.db_rows import add_trajs


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "t.duckdb") as s:
        yield s


@pytest.fixture
def pair(store):
    task = store.tasks.create("collect_wood", "collect_wood", 100)
    add_trajs(store, task["id"], ["a", "b", "c"])
    return store.pairs.add(task["id"], [("b", "a"), ("a", "c")])[0]
