"""Telling a full disk from other failures, wherever it surfaces: ENOSPC from a write, SQLite's "database or disk
is full", or Chroma's compaction error with the OS's "No space left on device" inside. Lives in ingest/ because the
store's writes are where it happens first; the app's faces turn it into one line (app/storage.py)."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")


def is_disk_full(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and "disk i/o error" in text:
            return True
        if any(w in text for w in _WORDS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def free_mb(path: Path) -> int:
    """Free space on the file system holding `path` (or its nearest existing parent), in MB."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free // (1024 * 1024)
