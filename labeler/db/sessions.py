"""Logins: one-time codes (`login_codes`) and the sessions they open (`sessions`), for researchers and for
annotators a researcher invited by name.

Why: a long-lived token in a URL ends up in access logs, browser history and start banners. A login
code works once and expires within minutes; the session it opens is a random id in an HttpOnly
cookie, ended on the server at logout. Cookies are not scoped to a port, so a server on another
port of the same host receives the cookie too: an API request therefore also needs the session's
proof, a second secret the login page keeps in localStorage (which is scoped to the origin) and
sends in a header. The cookie alone only decides which page to show. Only SHA-256 hashes of codes,
ids and proofs are stored, so the database file gives none away.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from labeler.db.database import Database

CODE_TTL_S = 15 * 60
SESSION_TTL_S = 30 * 24 * 3600


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    role: str
    name: str | None  # an invited annotator's name


@dataclass(frozen=True)
class Opened:
    """A new session's two secrets: `sid` for the HttpOnly cookie, `proof` for the page to keep and send."""
    sid: str
    proof: str
    session: Session


class SessionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def new_code(self, role: str, ttl_s: float = CODE_TTL_S, name: str | None = None) -> str:
        code = secrets.token_urlsafe(18)
        self.db.execute("INSERT INTO login_codes (code_hash, role, expires_at, name) "
                        "VALUES (?, ?, now() + to_seconds(?), ?)", [_hash(code), role, float(ttl_s), name])
        return code

    def redeem(self, code: str, ttl_s: float = SESSION_TTL_S) -> Opened | None:
        """A fresh session for an unused, unexpired code, which is used up; None otherwise."""
        with self.db.lock:
            row = self.db.one("SELECT role, name FROM login_codes WHERE code_hash = ? AND used_at IS NULL "
                              "AND expires_at > now()", [_hash(code)])
            if row is None:
                return None
            self.db.execute("UPDATE login_codes SET used_at = now() WHERE code_hash = ?", [_hash(code)])
            sid, proof = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            self.db.execute("INSERT INTO sessions (id_hash, role, expires_at, name, proof_hash) "
                            "VALUES (?, ?, now() + to_seconds(?), ?, ?)",
                            [_hash(sid), row["role"], float(ttl_s), row["name"], _hash(proof)])
            return Opened(sid, proof, Session(row["role"], row["name"]))

    def lookup(self, sid: str | None) -> Session | None:
        """A live session (not ended, not expired) by its cookie alone: enough to choose a page, never for the API."""
        if not sid:
            return None
        row = self.db.one("SELECT role, name FROM sessions WHERE id_hash = ? AND ended_at IS NULL "
                          "AND expires_at > now()", [_hash(sid)])
        return Session(row["role"], row["name"]) if row else None

    def authenticate(self, sid: str | None, proof: str | None) -> Session | None:
        """A live session whose cookie and proof both match: what an API request needs."""
        if not sid or not proof:
            return None
        row = self.db.one("SELECT role, name FROM sessions WHERE id_hash = ? AND proof_hash = ? "
                          "AND ended_at IS NULL AND expires_at > now()", [_hash(sid), _hash(proof)])
        return Session(row["role"], row["name"]) if row else None

    def end(self, sid: str) -> None:
        self.db.execute("UPDATE sessions SET ended_at = now() WHERE id_hash = ? AND ended_at IS NULL", [_hash(sid)])
