"""The installation's access database (matters, API tokens, UI users and their grants).

SQLite because several processes (CLI, API server, UI) read and write it at once and it must never
be half-written; one small file under LONGDOC_HOME, not per matter, since it says who sees which matter.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.config import Settings
from app.library.sqlite_tx import transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS matters (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready'          -- ready | deleting
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,                         -- shown by `token list`, used by `token revoke`
    hash TEXT NOT NULL UNIQUE,                   -- sha256 of the secret; the secret itself is never stored
    matter TEXT NOT NULL,                        -- a matter name, or '*' for every matter
    role TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    expires_at TEXT                              -- ISO UTC; NULL = does not expire
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password TEXT,                               -- scrypt hash; NULL for users who sign in through OIDC
    created_at TEXT NOT NULL,
    oidc_subject TEXT                            -- issuer|sub of the identity that first signed in as this user
);
CREATE TABLE IF NOT EXISTS grants (
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    matter TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (user, matter)
);
"""

_READY: set[str] = set()
_LOCK = threading.Lock()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def connect(settings: Settings, write: bool = True) -> Iterator[sqlite3.Connection]:
    """One short transaction (committed on success, rolled back on error); `write=False` for reads, which
    then never wait for a writer (WAL)."""
    path = Path(settings.access_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    if not path.exists():
        _READY.discard(key)  # a removed home folder: the schema is created again
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        if key not in _READY:
            with _LOCK:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                cols = {r[1] for r in conn.execute("PRAGMA table_info(users)")}
                if "oidc_subject" not in cols:  # a database from before subjects were bound
                    conn.execute("ALTER TABLE users ADD COLUMN oidc_subject TEXT")
                if "expires_at" not in {r[1] for r in conn.execute("PRAGMA table_info(tokens)")}:  # before expiry
                    conn.execute("ALTER TABLE tokens ADD COLUMN expires_at TEXT")
                _READY.add(key)
                try:
                    path.chmod(0o600)  # hashes only, but who may see which matter is nobody else's business
                except OSError:
                    pass
        with transaction(conn, write):
            yield conn
    finally:
        conn.close()


def exists(settings: Settings) -> bool:
    return Path(settings.access_db).is_file()
