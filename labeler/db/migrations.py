"""The DuckDB schema as an ordered list of migrations.

Why migrations and not `CREATE TABLE IF NOT EXISTS`: label databases outlive code
versions (people label for weeks), so every change to the schema is a new numbered step
that upgrades an existing file in place. `schema_version` records which steps ran.
Append new migrations at the end; never edit one that has shipped (tests pin their statements).

Conventions:
- integer ids come from sequences; trajectory ids are text (workers name them before
  registering, because the id is also the artifact file name);
- arrays and videos never enter the database: `trajectories.artifact` names a `.npz` file in
  the artifact directory and videos are cached there as `<trajectory id>.mp4`;
- `labels.choice` is what the annotator clicked *as shown* (left/right/tie/both_bad/skip),
  `left_traj`/`right_traj` record the order shown, and `preferred` resolves the click to
  a trajectory id (NULL for tie, both_bad and skip) so consumers never redo the mapping.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from labeler.db.database import Database
from pgt_core import LATENT_DIM


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "tasks, latents, rounds, trajectories, pairs, labels, jobs",
        (
            "CREATE SEQUENCE task_ids START 1",
            """CREATE TABLE tasks (
                id BIGINT PRIMARY KEY DEFAULT nextval('task_ids'),
                name TEXT NOT NULL UNIQUE,
                env TEXT NOT NULL DEFAULT 'crafter',
                achievement TEXT NOT NULL,
                max_steps INTEGER NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE SEQUENCE latent_ids START 1",
            f"""CREATE TABLE latents (
                id BIGINT PRIMARY KEY DEFAULT nextval('latent_ids'),
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                vector FLOAT[{LATENT_DIM}] NOT NULL,
                source TEXT NOT NULL,
                parent_id BIGINT,
                meta JSON,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE SEQUENCE round_ids START 1",
            """CREATE TABLE rounds (
                id BIGINT PRIMARY KEY DEFAULT nextval('round_ids'),
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                latent_id BIGINT REFERENCES latents(id),
                number INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'open',
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (task_id, number)
            )""",
            """CREATE TABLE trajectories (
                id TEXT PRIMARY KEY,
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                round_id BIGINT REFERENCES rounds(id),
                latent_id BIGINT REFERENCES latents(id),
                seed BIGINT NOT NULL,
                length INTEGER NOT NULL,
                reward DOUBLE NOT NULL,
                success BOOLEAN NOT NULL,
                events JSON NOT NULL,
                artifact TEXT NOT NULL,
                meta JSON,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE SEQUENCE pair_ids START 1",
            """CREATE TABLE pairs (
                id BIGINT PRIMARY KEY DEFAULT nextval('pair_ids'),
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                round_id BIGINT REFERENCES rounds(id),
                traj_a TEXT NOT NULL REFERENCES trajectories(id),
                traj_b TEXT NOT NULL REFERENCES trajectories(id),
                source TEXT NOT NULL DEFAULT 'human',
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (task_id, traj_a, traj_b),
                CHECK (traj_a < traj_b)
            )""",
            "CREATE SEQUENCE label_ids START 1",
            """CREATE TABLE labels (
                id BIGINT PRIMARY KEY DEFAULT nextval('label_ids'),
                submission_id TEXT NOT NULL UNIQUE,
                pair_id BIGINT NOT NULL REFERENCES pairs(id),
                annotator TEXT NOT NULL,
                choice TEXT NOT NULL CHECK (choice IN ('left', 'right', 'tie', 'both_bad', 'skip')),
                left_traj TEXT NOT NULL,
                right_traj TEXT NOT NULL,
                preferred TEXT,
                time_spent_ms INTEGER,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (pair_id, annotator)
            )""",
            "CREATE SEQUENCE job_ids START 1",
            """CREATE TABLE jobs (
                id BIGINT PRIMARY KEY DEFAULT nextval('job_ids'),
                kind TEXT NOT NULL,
                task_id BIGINT,
                payload JSON,
                status TEXT NOT NULL DEFAULT 'queued',
                worker TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL DEFAULT 3,
                progress DOUBLE NOT NULL DEFAULT 0,
                message TEXT,
                result JSON,
                error TEXT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                claimed_at TIMESTAMPTZ,
                heartbeat_at TIMESTAMPTZ,
                finished_at TIMESTAMPTZ
            )""",
            "CREATE INDEX labels_annotator ON labels (annotator)",
            "CREATE INDEX pairs_task ON pairs (task_id)",
            "CREATE INDEX trajectories_task ON trajectories (task_id)",
        ),
    ),
    # A task's active latent is the outcome of an append-only log of promotions and rollbacks
    # rather than a column on `tasks`, so every change of the active latent stays on record.
    # (round_state held rounds' mutable state while DuckDB refused UPDATEs of rows a foreign key
    # points at; migration 4 folds it into `rounds`.)
    Migration(
        2,
        "round_state, latent_promotions, job_logs",
        (
            """CREATE TABLE round_state (
                round_id BIGINT PRIMARY KEY,
                status TEXT NOT NULL,
                config JSON,
                job_id BIGINT,
                candidate_latent_id BIGINT,
                result JSON,
                error TEXT,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE SEQUENCE promotion_ids START 1",
            """CREATE TABLE latent_promotions (
                id BIGINT PRIMARY KEY DEFAULT nextval('promotion_ids'),
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                latent_id BIGINT NOT NULL REFERENCES latents(id),
                action TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
                round_id BIGINT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE SEQUENCE job_log_ids START 1",
            """CREATE TABLE job_logs (
                id BIGINT PRIMARY KEY DEFAULT nextval('job_log_ids'),
                job_id BIGINT NOT NULL,
                attempt INTEGER NOT NULL,
                worker TEXT,
                message TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE INDEX job_logs_job ON job_logs (job_id)",
        ),
    ),
    # Annotator quality: gold/repeat checks, alias trajectories of repeats, researchers' adjudications.
    # IF NOT EXISTS: databases of earlier versions may already hold these tables (they were once
    # created on first use of the quality routes).
    Migration(
        3,
        "quality_checks, trajectory_aliases, adjudications",
        (
            """CREATE TABLE IF NOT EXISTS quality_checks (
                pair_id BIGINT PRIMARY KEY,
                task_id BIGINT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('gold', 'repeat')),
                expected TEXT,
                original_pair_id BIGINT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            """CREATE TABLE IF NOT EXISTS trajectory_aliases (
                alias TEXT PRIMARY KEY,
                original TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE SEQUENCE IF NOT EXISTS adjudication_ids START 1",
            """CREATE TABLE IF NOT EXISTS adjudications (
                id BIGINT PRIMARY KEY DEFAULT nextval('adjudication_ids'),
                pair_id BIGINT NOT NULL,
                task_id BIGINT NOT NULL,
                round_id BIGINT,
                decision TEXT NOT NULL CHECK (decision IN ('a', 'b', 'tie', 'both_bad', 'discard')),
                preferred TEXT,
                researcher TEXT NOT NULL,
                note TEXT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE INDEX IF NOT EXISTS adjudications_task ON adjudications (task_id)",
        ),
    ),
    # Rounds get one status: `round_state` folds into `rounds` (DuckDB now updates rows that foreign
    # keys point at). Rounds that never left the insert-time default 'open' were labelling rounds.
    Migration(
        4,
        "rounds: one status; round_state folded in",
        (
            "ALTER TABLE rounds ADD COLUMN config JSON",
            "ALTER TABLE rounds ADD COLUMN job_id BIGINT",
            "ALTER TABLE rounds ADD COLUMN candidate_latent_id BIGINT",
            "ALTER TABLE rounds ADD COLUMN result JSON",
            "ALTER TABLE rounds ADD COLUMN error TEXT",
            "ALTER TABLE rounds ADD COLUMN updated_at TIMESTAMPTZ",
            """UPDATE rounds SET status = s.status, config = s.config, job_id = s.job_id,
                 candidate_latent_id = s.candidate_latent_id, result = s.result, error = s.error,
                 updated_at = s.updated_at
               FROM round_state s WHERE s.round_id = rounds.id""",
            "UPDATE rounds SET status = 'labelling' WHERE status = 'open'",
            "UPDATE rounds SET updated_at = created_at WHERE updated_at IS NULL",
            "DROP TABLE round_state",
        ),
    ),
    # A trajectory's file hash versions its media URLs, so browsers may cache a video for good.
    Migration(5, "trajectories.artifact_sha256", ("ALTER TABLE trajectories ADD COLUMN artifact_sha256 TEXT",)),
    # Each job attempt gets a random lease token (only its hash is stored): progress, results and failures
    # are taken from whoever holds it, not from whoever names the worker.
    Migration(6, "jobs.lease_hash", ("ALTER TABLE jobs ADD COLUMN lease_hash TEXT",)),
    # Researchers log in with a one-time code (a link) exchanged for a server-side session; the cookie
    # holds the session id, and only hashes of ids and codes are stored.
    Migration(
        7,
        "login_codes, sessions",
        (
            """CREATE TABLE login_codes (
                code_hash TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                expires_at TIMESTAMPTZ NOT NULL,
                used_at TIMESTAMPTZ
            )""",
            """CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                expires_at TIMESTAMPTZ NOT NULL,
                ended_at TIMESTAMPTZ
            )""",
        ),
    ),
    # Annotators invited by a researcher: the invite's code, and the session it opens, carry their name.
    Migration(8, "annotator invites: login_codes.name, sessions.name",
              ("ALTER TABLE login_codes ADD COLUMN name TEXT", "ALTER TABLE sessions ADD COLUMN name TEXT")),
    # The candidate's episodes (the next round's material) roll out in the background while it is reviewed.
    Migration(9, "rounds.rollout_job_id", ("ALTER TABLE rounds ADD COLUMN rollout_job_id BIGINT",)),
    # People-sized rounds. Tasks are blind by default (annotators see no reward marks unless `hints`) and
    # carry the researcher's instructions. Labels record the playback speed and can be undone (kept, marked),
    # so the app keeps one *live* label per (pair, person) itself and the table is rebuilt without the old
    # constraint (nothing references labels). Questions show one episode (per_episode) or K (best_of_k);
    # answers hold a grade, a best/worst pick or an order, with what was shown where.
    Migration(
        10,
        "task hints and instructions; labels: playback speed, undo; questions, answers",
        (
            "ALTER TABLE tasks ADD COLUMN hints BOOLEAN DEFAULT FALSE",
            "ALTER TABLE tasks ADD COLUMN instructions TEXT DEFAULT ''",
            "UPDATE tasks SET hints = FALSE, instructions = '' WHERE hints IS NULL",
            """CREATE TABLE labels_v10 (
                id BIGINT PRIMARY KEY DEFAULT nextval('label_ids'),
                submission_id TEXT NOT NULL UNIQUE,
                pair_id BIGINT NOT NULL REFERENCES pairs(id),
                annotator TEXT NOT NULL,
                choice TEXT NOT NULL CHECK (choice IN ('left', 'right', 'tie', 'both_bad', 'skip')),
                left_traj TEXT NOT NULL,
                right_traj TEXT NOT NULL,
                preferred TEXT,
                time_spent_ms INTEGER,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                playback_rate DOUBLE,
                undone_at TIMESTAMPTZ,
                undo_reason TEXT
            )""",
            """INSERT INTO labels_v10 (id, submission_id, pair_id, annotator, choice, left_traj, right_traj, preferred,
                 time_spent_ms, created_at)
               SELECT id, submission_id, pair_id, annotator, choice, left_traj, right_traj, preferred, time_spent_ms,
                 created_at FROM labels""",
            "DROP TABLE labels",
            "ALTER TABLE labels_v10 RENAME TO labels",
            "CREATE INDEX labels_annotator ON labels (annotator)",
            "CREATE INDEX labels_pair ON labels (pair_id)",
            "CREATE SEQUENCE question_ids START 1",
            """CREATE TABLE questions (
                id BIGINT PRIMARY KEY DEFAULT nextval('question_ids'),
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                round_id BIGINT REFERENCES rounds(id),
                mode TEXT NOT NULL CHECK (mode IN ('per_episode', 'best_of_k')),
                episodes JSON NOT NULL,
                source TEXT NOT NULL DEFAULT 'round',
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE INDEX questions_task ON questions (task_id)",
            "CREATE SEQUENCE answer_ids START 1",
            """CREATE TABLE answers (
                id BIGINT PRIMARY KEY DEFAULT nextval('answer_ids'),
                submission_id TEXT NOT NULL UNIQUE,
                question_id BIGINT NOT NULL REFERENCES questions(id),
                annotator TEXT NOT NULL,
                answer JSON NOT NULL,
                shown JSON NOT NULL,
                playback_rate DOUBLE,
                time_spent_ms INTEGER,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                undone_at TIMESTAMPTZ,
                undo_reason TEXT
            )""",
            "CREATE INDEX answers_question ON answers (question_id)",
        ),
    ),
    # Cookies are not port-scoped, so a session cookie alone authenticates no API request: each session
    # also has a proof the login page keeps in localStorage (origin-scoped) and sends in a header; its hash.
    Migration(11, "sessions.proof_hash", ("ALTER TABLE sessions ADD COLUMN proof_hash TEXT",)),
    # A latent's evaluation on fixed seeds is played once and reused (labeler.domain.evaluations); the start
    # latent's is played while people label, so jobs get a priority: that one runs only when nothing else waits.
    Migration(
        12,
        "evaluations; jobs.priority",
        (
            """CREATE TABLE evaluations (
                fingerprint TEXT PRIMARY KEY,
                task_id BIGINT NOT NULL REFERENCES tasks(id),
                latent_id BIGINT NOT NULL,
                job_id BIGINT,
                meta JSON NOT NULL,
                result JSON NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "ALTER TABLE jobs ADD COLUMN priority INTEGER DEFAULT 0",
            "UPDATE jobs SET priority = 0 WHERE priority IS NULL",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply, in order and each in its own transaction, the migrations the file lacks; returns their versions."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be strictly increasing, got {versions}")
    applied: list[int] = []
    with db.lock:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                   "version INTEGER PRIMARY KEY, description TEXT, applied_at TIMESTAMPTZ DEFAULT now())")
        current = schema_version(db)
        for m in migrations:
            if m.version <= current:
                continue
            with db.transaction():
                for stmt in m.statements:
                    db.execute(stmt)
                db.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)",
                           [m.version, m.description])
            applied.append(m.version)
    return applied


def schema_version(db: Database) -> int:
    return int(db.scalar("SELECT coalesce(max(version), 0) FROM schema_version") or 0)
