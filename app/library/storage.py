"""What each matter holds on disk, what is safe to free, the per-matter quota, and a full disk said in one line.

Any editor can upload; without a bound, failed uploads and caches pile up until the disk is full, and a full disk
surfaced as "internal error (OSError)" or a Chroma compaction error. Here: `usage` sizes a matter by kind
(originals, uploads kept for library documents, failed uploads nothing points at, index, page cache, exports),
`purge` frees what no document needs, `check_quota` refuses an upload that would take a matter past
LONGDOC_MATTER_QUOTA, and `disk_full` turns ENOSPC (or SQLite's "database or disk is full") into one line.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from app.config import Settings
from app.errors import DiskFull, QuotaExceeded
from app.library import job_records
from app.library.stores import get_store
from ingest.disk import free_mb, is_disk_full

__all__ = ["DiskFull", "QuotaExceeded", "free_mb", "is_disk_full"]  # re-exported: callers ask here

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
          "t": 1024**4, "tb": 1024**4}
STAGING_KEEP_S = 3600  # an upload still being staged this recently may be in use


def parse_size(text: str | int | None) -> int:
    """'500MB', '2 GB', '1048576' → bytes; 0 for unset/0 (no quota)."""
    if text is None or text == "":
        return 0
    if isinstance(text, int):
        return max(0, text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"LONGDOC_MATTER_QUOTA: '{text}' is not a size (e.g. 500MB, 2GB, or bytes)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _size(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += (Path(root) / f).stat().st_size
            except OSError:
                continue
    return total


@dataclass
class MatterStorage:
    matter: str
    originals: int  # the library's copy of each ingested file (+ OCR word boxes)
    uploads: int  # uploaded files a library document or an unfinished job still uses
    failed_uploads: int  # uploaded files nothing points at (a failed or abandoned upload): safe to free
    index: int  # Chroma + BM25 (rebuilt from the documents only by re-ingesting: never freed here)
    page_cache: int  # rendered page images: safe to free (drawn again on demand)
    exports: int  # files written by exports
    quota: int  # bytes allowed (0 = no quota)

    @property
    def total(self) -> int:
        return self.originals + self.uploads + self.failed_uploads + self.index + self.page_cache + self.exports

    @property
    def freeable(self) -> int:
        return self.failed_uploads + self.page_cache

    def as_dict(self) -> dict:
        return {**asdict(self), "total": self.total, "freeable": self.freeable}


def _upload_folders(settings: Settings) -> list[Path]:
    root = Path(settings.uploads_dir)
    return [p for p in root.iterdir() if p.is_dir() and p.name != ".staging"] if root.is_dir() else []


def _in_use(settings: Settings) -> set[str]:
    """Hash prefixes (upload folder names) of the matter's documents and of its unfinished jobs' files."""
    used = {d.doc_id[:16] for d in get_store(settings).documents()}
    for row in job_records.records(settings).list(job_records.matter_of(settings)):
        if row.get("status") in job_records.ACTIVE:
            used.add(Path(str(row.get("path") or "")).parent.name)
    return used


def usage(settings: Settings) -> MatterStorage:
    used = _in_use(settings)
    kept = failed = 0
    for folder in _upload_folders(settings):
        if folder.name in used:
            kept += _size(folder)
        else:
            failed += _size(folder)
    failed += _size(Path(settings.uploads_dir) / ".staging")
    data = Path(settings.data_dir)
    return MatterStorage(
        matter=job_records.matter_of(settings), originals=_size(Path(settings.originals_dir)), uploads=kept,
        failed_uploads=failed, index=_size(Path(settings.chroma_dir)) + _size(data / "bm25"),
        page_cache=_size(Path(settings.pages_dir)), exports=_size(Path(settings.out_dir)),
        quota=parse_size(settings.matter_quota),
    )


def purge(settings: Settings) -> int:
    """Free failed and abandoned uploads and the page cache of this matter; returns the bytes freed."""
    used = _in_use(settings)
    freed = 0
    for folder in _upload_folders(settings):
        if folder.name not in used:
            freed += _size(folder)
            shutil.rmtree(folder, ignore_errors=True)
    staging = Path(settings.uploads_dir) / ".staging"
    if staging.is_dir():
        now = time.time()
        for d in staging.iterdir():
            if now - d.stat().st_mtime > STAGING_KEEP_S:
                freed += _size(d)
                shutil.rmtree(d, ignore_errors=True)
    pages = Path(settings.pages_dir)
    if pages.is_dir():
        freed += _size(pages)
        shutil.rmtree(pages, ignore_errors=True)
    return freed


def check_quota(settings: Settings, incoming: int) -> None:
    """Raise QuotaExceeded when `incoming` more bytes would take the matter past LONGDOC_MATTER_QUOTA."""
    quota = parse_size(settings.matter_quota)
    if not quota:
        return
    data = Path(settings.data_dir)
    held = _size(data)
    if held + incoming > quota:
        raise QuotaExceeded(
            f"matter '{settings.matter}' would hold {human(held + incoming)}, over its quota of {human(quota)} "
            f"(LONGDOC_MATTER_QUOTA): free space with `longdoc --matter {settings.matter} storage purge` "
            "or remove documents", hint="")


def disk_full(settings: Settings, doing: str) -> DiskFull:
    """The one line for a full disk: what could not be done, where, and how much is free."""
    home = Path(settings.home)
    return DiskFull(f"disk full: could not {doing} under {home} ({free_mb(home)} MB free); free space "
                    f"(`longdoc storage purge`, remove documents) or move LONGDOC_HOME to a larger disk", hint="")
