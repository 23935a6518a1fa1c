"""Files that arrive as bytes (browser uploads, stdin) on their way into the library.

Why a module of its own: an upload is untrusted on three counts — its name (path traversal, control
characters), its size, and whether we already have it — and each session must not see another's
half-written file. So bytes are first written into a private staging folder
(`uploads/.staging/<session>/`), hashed and size-checked while they stream in, and only when complete
moved (one atomic rename) into `uploads/<sha256[:16]>/<name>` and ingested from there — content-
addressed, so two sessions uploading the same bytes converge on one file, different bytes under one
name never overwrite each other, and the path the library records stays valid.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.config import Settings
from app.errors import QuotaExceeded, UploadError
from app.library.storage import check_quota, disk_full, is_disk_full
from app.library.stores import get_store
from ingest.docx_package import check_word_file
from ingest.safety import ensure_inside, safe_filename
from ingest.types import IngestError

ACCEPTED_SUFFIXES = (".pdf", ".txt", ".md", ".docx")
# Office files we cannot read, each with what to do instead of a bare "not accepted"
OFFICE_ADVICE = {
    ".doc": "a Word 97–2003 .doc file: save it as .docx or PDF and upload that",
    ".docm": "a macro-enabled Word file (.docm): save it as .docx or PDF",
    ".rtf": "an RTF file: save it as .docx or PDF",
    ".odt": "an OpenDocument text (.odt): save it as .docx or PDF",
    ".xlsx": "an Excel workbook: save it as PDF", ".xls": "an Excel workbook: save it as PDF",
    ".pptx": "a PowerPoint file: save it as PDF", ".ppt": "a PowerPoint file: save it as PDF",
}
STAGING = ".staging"
_BLOCK = 1 << 20


@dataclass(frozen=True)
class StagedFile:
    """One upload, written completely into the session's staging folder."""

    name: str  # sanitised file name (what the library will list)
    original_name: str  # as the browser sent it (shown, never used as a path)
    path: Path
    sha256: str  # = the doc_id the library will give it
    size: int
    duplicate_of: str | None = None  # name of an earlier file in the same batch with identical bytes


def new_session_id() -> str:
    return uuid.uuid4().hex[:16]


def staging_dir(settings: Settings, session: str) -> Path:
    """The private folder of one UI session (or one CLI run)."""
    name = safe_filename(session) or "session"
    return ensure_inside(Path(settings.uploads_dir), Path(settings.uploads_dir) / STAGING / name)


def max_bytes(settings: Settings) -> int:
    return int(settings.max_file_mb) * 2**20


def _check_name(original: str) -> str:
    name = safe_filename(original)
    if not name:
        raise UploadError(original or "(no name)", "the file name is empty after removing unsafe characters")
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        advice = OFFICE_ADVICE.get(Path(name).suffix.lower())
        raise UploadError(name, advice or "not a PDF, Word (.docx), .txt or .md file", status=415)
    return name


def _check_word(name: str, path: Path) -> None:
    """A Word upload that cannot be read (encrypted, a .doc renamed, a damaged ZIP, a zip bomb) is refused at
    the door with its one-line reason, before a job is queued for it; only the ZIP directory is read."""
    try:
        check_word_file(path)
    except IngestError as e:
        raise UploadError(name, e.message, status=422) from None


def stage(
    settings: Settings,
    session: str,
    name: str,
    data: bytes | BinaryIO,
    *,
    seen: dict[str, str] | None = None,
) -> StagedFile:
    """Write one upload into the session's staging folder, refusing it if too big or empty.

    `seen` maps sha256 → name for the files already staged in this batch; a repeat is still returned
    (marked `duplicate_of`) but not written twice. Nothing is left behind when the upload is refused.
    """
    clean = _check_name(name)
    limit = max_bytes(settings)
    folder = staging_dir(settings, session)
    folder.mkdir(parents=True, exist_ok=True)
    target = ensure_inside(folder, folder / clean)
    tmp = ensure_inside(folder, folder / f".part-{uuid.uuid4().hex[:8]}")
    digest = hashlib.sha256()
    size = 0
    stream = _as_stream(data)
    try:
        with open(tmp, "wb") as out:
            while True:
                block = stream.read(_BLOCK)
                if not block:
                    break
                size += len(block)
                if size > limit:
                    raise UploadError(
                        clean, f"too large: over the {settings.max_file_mb} MB limit per file (setting max_file_mb)",
                        status=413,
                    )
                digest.update(block)
                out.write(block)
        if size == 0:
            raise UploadError(clean, "empty file")
        try:
            check_quota(settings, size)
        except QuotaExceeded as e:
            raise UploadError(clean, e.message, status=413) from None
        if clean.lower().endswith(".docx"):
            _check_word(clean, tmp)
        sha = digest.hexdigest()
        if seen is not None and sha in seen:
            tmp.unlink(missing_ok=True)
            earlier = seen[sha]
            return StagedFile(clean, name, folder / earlier, sha, size, duplicate_of=earlier)
        # two different uploads with the same name in one batch keep both: prefix the later one
        if target.exists() and _sha256(target) != sha:
            target = ensure_inside(folder, folder / f"{sha[:8]}-{clean}")
            clean = target.name
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if is_disk_full(e):
            raise UploadError(clean, disk_full(settings, "store the upload").message, status=507) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if seen is not None:
        seen[sha] = clean
    return StagedFile(clean, name, target, sha, size)


def stage_many(
    settings: Settings, session: str, files: Iterable[tuple[str, bytes | BinaryIO]]
) -> tuple[list[StagedFile], list[UploadError]]:
    """Stage a batch; refused files come back as errors, the rest go on."""
    seen: dict[str, str] = {}
    staged: list[StagedFile] = []
    refused: list[UploadError] = []
    for name, data in files:
        try:
            staged.append(stage(settings, session, name, data, seen=seen))
        except UploadError as e:
            refused.append(e)
    return staged, refused


def keep(settings: Settings, staged: StagedFile) -> Path:
    """Move a complete upload out of staging into the shared, content-addressed uploads folder."""
    root = Path(settings.uploads_dir)
    dest_dir = ensure_inside(root, root / staged.sha256[:16])
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = ensure_inside(root, dest_dir / staged.name)
    if staged.path.exists() and staged.path != dest:
        os.replace(staged.path, dest)
    return dest


def kept_path(settings: Settings, sha256: str, name: str) -> Path | None:
    """Where `keep` put the upload with these bytes and this (sanitised) name, if it is still there."""
    root = Path(settings.uploads_dir)
    if len(sha256) < 16 or not all(c in "0123456789abcdef" for c in sha256) or not safe_filename(name):
        return None
    path = ensure_inside(root, root / sha256[:16] / safe_filename(name))
    return path if path.is_file() else None


def forget(settings: Settings, sha256: str) -> None:
    """Remove the kept copy of a document that left the library (its folder is named by its hash)."""
    root = Path(settings.uploads_dir)
    if len(sha256) >= 16 and all(c in "0123456789abcdef" for c in sha256):
        shutil.rmtree(ensure_inside(root, root / sha256[:16]), ignore_errors=True)


def forget_failed(settings: Settings, path: Path) -> bool:
    """Remove the kept upload at `path` after its ingest failed, unless a document of the library has those bytes.
    Only paths inside the matter's uploads folder qualify; True when something was removed."""
    root = Path(settings.uploads_dir).resolve()
    try:
        folder = Path(path).resolve().parent
        folder.relative_to(root)
    except (OSError, ValueError):
        return False
    if folder.parent != root or folder.name == STAGING:
        return False
    if any(d.doc_id.startswith(folder.name) for d in get_store(settings).documents()):
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def discard(settings: Settings, session: str) -> None:
    """Remove a session's staging folder (abandoned uploads, failed files nobody retried)."""
    shutil.rmtree(staging_dir(settings, session), ignore_errors=True)


def clean_stale(settings: Settings, older_than_s: float = 24 * 3600) -> int:
    """Delete staging folders of sessions idle for longer than `older_than_s`; returns how many."""
    root = Path(settings.uploads_dir) / STAGING
    if not root.is_dir():
        return 0
    now = time.time()
    removed = 0
    for d in root.iterdir():
        try:
            if d.is_dir() and now - d.stat().st_mtime > older_than_s:
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def _as_stream(data: bytes | BinaryIO):
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(data))
    if hasattr(data, "seek"):
        try:
            data.seek(0)
        except (OSError, ValueError):
            pass
    return data


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()
