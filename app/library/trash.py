"""Recently deleted documents: a deleted document's bytes are kept, per matter, so it can be restored.

Why: one click deleted two documents for good (issue 26). Deleting still takes the document out of the
store at once — its chunks, vectors and BM25 rows go, so no search, route or answer can see it — but its
file is moved to `<matter folder>/trash/<doc_id>/` with a small record beside it. Restoring submits that
file as an ingest job again (app/library/restore.py). An entry goes when the document is back in the
library, when `LONGDOC_TRASH_DAYS` have passed, or with its matter's folder when the matter is deleted.
The trash lies inside the matter's folder, so another matter never lists, restores or reads it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from app.config import Settings
from ingest.safety import safe_filename

TRASH = "trash"
_RECORD = "entry.json"


@dataclass(frozen=True)
class TrashEntry:
    """One deleted document as the Recently deleted list shows it."""

    doc_id: str
    file: str  # the document's file name
    title: str
    pages: int
    chunks: int
    deleted_at: float  # epoch seconds
    path: Path  # the kept file

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("path")  # never a path on the server's disk in what faces send out
        d["deleted_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.deleted_at))
        return d

    def expires_at(self, settings: Settings) -> float:
        return self.deleted_at + float(settings.trash_days) * 86400


def trash_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / TRASH


def _valid_id(doc_id: str) -> bool:
    return len(doc_id) == 64 and all(c in "0123456789abcdef" for c in doc_id)


def keep(settings: Settings, *, doc_id: str, file: str, title: str, pages: int, chunks: int,
         source: Path | None, move: bool = False) -> TrashEntry | None:
    """Keep a copy of the document's bytes (`source`) before it leaves the store; None when there is
    nothing to keep (no file anywhere) — the delete then cannot be undone, and says so."""
    if not _valid_id(doc_id) or source is None or not Path(source).is_file() or float(settings.trash_days) <= 0:
        return None
    folder = trash_dir(settings) / doc_id
    name = safe_filename(file) or f"{doc_id[:12]}.pdf"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    tmp = folder / f".{name}.part"
    if move:
        shutil.move(str(source), tmp)
    else:
        shutil.copyfile(source, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)
    entry = TrashEntry(doc_id, name, title, int(pages), int(chunks), time.time(), dest)
    record = {k: v for k, v in asdict(entry).items() if k != "path"}
    (folder / _RECORD).write_text(json.dumps(record), encoding="utf-8")
    return entry


def _read(folder: Path) -> TrashEntry | None:
    try:
        data = json.loads((folder / _RECORD).read_text(encoding="utf-8"))
        path = folder / data["file"]
        if not path.is_file():
            return None
        return TrashEntry(data["doc_id"], data["file"], data.get("title") or data["file"], int(data.get("pages", 0)),
                          int(data.get("chunks", 0)), float(data["deleted_at"]), path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def drop(settings: Settings, doc_id: str) -> None:
    """Forget one entry for good (restored, expired)."""
    if _valid_id(doc_id):
        shutil.rmtree(trash_dir(settings) / doc_id, ignore_errors=True)


def entries(settings: Settings, in_library: set[str] | frozenset[str] = frozenset(),
            now: float | None = None) -> list[TrashEntry]:
    """The matter's recently deleted documents, newest first. Entries past the retention period, and
    those whose document is back in the library (`in_library`), are removed on the way."""
    root = trash_dir(settings)
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    out = []
    for folder in root.iterdir():
        if not folder.is_dir() or not _valid_id(folder.name):
            continue
        e = _read(folder)
        if e is None:
            if not any(folder.glob(".*.part")) or time.time() - folder.stat().st_mtime > 3600:
                shutil.rmtree(folder, ignore_errors=True)  # a half-written entry (an interrupted delete)
            continue
        if e.doc_id in in_library or now >= e.expires_at(settings):
            drop(settings, e.doc_id)
            continue
        out.append(e)
    return sorted(out, key=lambda e: e.deleted_at, reverse=True)
