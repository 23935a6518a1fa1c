"""One short SQLite transaction on an autocommit connection: BEGIN (IMMEDIATE for a writer, so two writers
queue at the start instead of failing half-way), COMMIT on success, ROLLBACK on any error — shared by the
access database and the local job records."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


@contextlib.contextmanager
def transaction(con: sqlite3.Connection, write: bool) -> Iterator[sqlite3.Connection]:
    con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
