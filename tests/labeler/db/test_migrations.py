"""Migrations: applied once, in order, each atomically; a database made by the previous schema upgrades in place."""
from __future__ import annotations

import hashlib
import json
import stat

import duckdb
import pytest

from labeler.db.database import Database
from labeler.db.migrations import MIGRATIONS, Migration, migrate, schema_version
from labeler.db.store import Store


def test_migrations_apply_once_in_order(tmp_path):
    path = tmp_path / "m.duckdb"
    with Store(path) as s:
        assert s.schema_version() == MIGRATIONS[-1].version
    extra = Migration(MIGRATIONS[-1].version + 1, "add a column", ("ALTER TABLE tasks ADD COLUMN color TEXT",))
    with Store(path, migrations=(*MIGRATIONS, extra)) as s:
        assert s.schema_version() == extra.version
        assert migrate(s.db, (*MIGRATIONS, extra)) == []  # nothing left to apply
        assert "color" in s.tasks.create("t1", "collect_wood", 10)


def test_failed_migration_rolls_back(tmp_path):
    path = tmp_path / "m.duckdb"
    bad = Migration(MIGRATIONS[-1].version + 1, "broken", ("CREATE TABLE half (x INT)", "THIS IS NOT SQL"))
    with pytest.raises(duckdb.ParserException):
        Store(path, migrations=(*MIGRATIONS, bad))
    with Store(path) as s:
        assert s.schema_version() == MIGRATIONS[-1].version
        assert s.db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == 0


# What each shipped migration runs (its statements, whitespace aside), as the start of a sha256.
SHIPPED = {1: "912a82aa5fc450db", 2: "40e2484ef4ae67bd", 3: "758df202f39b8674", 4: "9b57669c2c03a698",
           5: "50e0557409b1bd24", 6: "8ebd68eb66e76f02", 7: "e9b18ea439df823b", 8: "785a93b0d3a225f5",
           9: "618e6809411ec28b", 10: "8657c9a40b0d5b0d", 11: "d7407503a2c99391",
           12: "12ec8862e79c6b4b"}


def statements_digest(migration: Migration) -> str:
    text = "\n".join(" ".join(stmt.split()) for stmt in migration.statements)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_shipped_migrations_never_change():
    """A database records only the version it reached, so a file migrated before an edit to a shipped migration
    would never get the edit: a change to the schema is a new migration. Once a migration ships, its digest
    goes into SHIPPED."""
    now = {m.version: statements_digest(m) for m in MIGRATIONS}
    edited = {v: now.get(v, "removed") for v, digest in SHIPPED.items() if now.get(v) != digest}
    assert not edited, f"shipped migrations were edited or removed: {edited}; add a new migration instead"
    unpinned = {v: d for v, d in now.items() if v not in SHIPPED}
    assert not unpinned, f"pin the new migrations once they ship: add {unpinned} to SHIPPED"


def test_the_pins_see_an_edit_but_not_a_reindent():
    first = MIGRATIONS[0]
    reindented = Migration(first.version, first.description,
                           tuple("  " + stmt.replace(" ", "\n   ") for stmt in first.statements))
    edited = Migration(first.version, first.description,
                       (*first.statements[:-1], first.statements[-1].replace("(task_id)", "(task_id, seed)")))
    assert statements_digest(reindented) == SHIPPED[1] != statements_digest(edited)


def test_versions_must_increase(tmp_path):
    db = Database(tmp_path / "v.duckdb")
    with pytest.raises(ValueError, match="increasing"):
        migrate(db, (MIGRATIONS[1], MIGRATIONS[0]))
    db.close()


def _previous_schema_file(path):
    """A file as the previous version of the app left it: migrations 1-2 only, round state in `round_state`,
    a bootstrap round still at the insert-time status 'open', quality tables created on first use."""
    db = Database(path)
    migrate(db, MIGRATIONS[:2])
    quality_ddl = next(m for m in MIGRATIONS if m.version == 3).statements  # what first use created, verbatim
    for stmt in quality_ddl:
        db.execute(stmt)
    db.execute("INSERT INTO tasks (name, achievement, max_steps) VALUES ('collect_wood', 'collect_wood', 15)")
    db.execute("INSERT INTO latents (task_id, vector, source) VALUES (1, ?, 'prompt')", [[0.5] * 512])
    db.execute("INSERT INTO rounds (task_id, latent_id, number) VALUES (1, 1, 1), (1, 1, 2)")  # status 'open'
    for i, tid in enumerate("abcd"):
        db.execute("""INSERT INTO trajectories (id, task_id, round_id, latent_id, seed, length, reward, success,
                        events, artifact) VALUES (?, 1, 1, 1, ?, 10, 0, false, '[]', ?)""", [tid, i, f"{tid}.npz"])
    db.execute("INSERT INTO pairs (task_id, round_id, traj_a, traj_b) VALUES (1, 1, 'a', 'b'), (1, 1, 'c', 'd')")
    db.execute("""INSERT INTO labels (submission_id, pair_id, annotator, choice, left_traj, right_traj, preferred)
                  VALUES ('sub-000001', 1, 'ann', 'left', 'a', 'b', 'a')""")
    db.execute("INSERT INTO jobs (kind, task_id, status) VALUES ('tune', 1, 'done')")
    db.execute("""INSERT INTO round_state (round_id, status, config, job_id, candidate_latent_id, result)
                  VALUES (2, 'review', ?, 1, 1, ?)""", [json.dumps({"epochs": 3}), json.dumps({"eval": {"rates": []}})])
    db.execute("INSERT INTO latent_promotions (task_id, latent_id, action, round_id) VALUES (1, 1, 'promote', 2)")
    db.execute("INSERT INTO quality_checks (pair_id, task_id, kind, expected) VALUES (1, 1, 'gold', 'a')")
    db.execute("""INSERT INTO adjudications (pair_id, task_id, round_id, decision, preferred, researcher)
                  VALUES (2, 1, 1, 'b', 'd', 'res')""")
    assert schema_version(db) == 2
    db.close()


def test_a_database_of_the_previous_schema_upgrades_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    _previous_schema_file(path)
    with Store(path) as s:
        assert s.schema_version() == MIGRATIONS[-1].version
        rounds = s.rounds.list(1)
        assert [(r["number"], r["status"]) for r in rounds] == [(1, "labelling"), (2, "review")]
        assert rounds[1]["config"] == {"epochs": 3} and rounds[1]["job_id"] == 1
        assert rounds[1]["candidate_latent_id"] == 1 and rounds[1]["result"] == {"eval": {"rates": []}}
        assert all(r["updated_at"] for r in rounds)
        assert s.db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'round_state'") == 0
        # nothing else was lost, and the upgraded file takes new writes
        assert s.labels.count() == 1 and s.quality.gold(1) == {1: "a"} and s.quality.decisions(1) == {2: "b"}
        assert s.latents.promotions(1)[0]["round_id"] == 2
        assert s.rounds.update(1, status="tuning")["status"] == "tuning"
        assert s.rounds.create(1)["number"] == 3


def test_the_database_file_is_private(tmp_path):
    path = tmp_path / "p.duckdb"
    with Store(path) as s:
        s.tasks.create("t", "collect_wood", 10)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
