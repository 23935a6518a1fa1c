"""The library's own copy of each ingested PDF, and the OCR word boxes read from it.

Why a copy: the page view renders the real page, and a lawyer's source folder moves, gets renamed or
is emptied after ingest (UI uploads are temporary by design). The copy is content-addressed —
`<sha256>.pdf`, the document id — so identical bytes are stored once, a replaced version is a new
file, and a file can be checked against its id. It is written to a temporary name while hashed and
renamed only when the hash matches, so a file that changed during ingest leaves no wrong copy.
The word boxes Tesseract reported at OCR time lie beside it (`<sha256>.words.json`), because OCR is
the expensive step and the page view needs them to highlight a scanned page.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

PDF_SUFFIX = ".pdf"
WORDS_SUFFIX = ".words.json"


def original_path(folder: Path, doc_id: str) -> Path:
    return Path(folder) / f"{doc_id}{PDF_SUFFIX}"


def words_path(folder: Path, doc_id: str) -> Path:
    return Path(folder) / f"{doc_id}{WORDS_SUFFIX}"


def is_pdf(path: Path) -> bool:
    """Does the file start like a PDF (the `%PDF-` header within its first KiB, as ingest.pdf checks)?"""
    try:
        with open(path, "rb") as f:
            return b"%PDF-" in f.read(1024)
    except OSError:
        return False


def _valid_id(doc_id: str) -> bool:
    return len(doc_id) == 64 and all(c in "0123456789abcdef" for c in doc_id)


def keep_original(folder: Path, src: Path, doc_id: str) -> Path | None:
    """Copy `src` to `<folder>/<doc_id>.pdf` unless it is there already; None when the bytes no longer
    hash to `doc_id` (the file changed since it was hashed) or the copy cannot be written."""
    if not _valid_id(doc_id):
        return None
    dst = original_path(folder, doc_id)
    if dst.is_file():
        return dst
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".copy-", suffix=PDF_SUFFIX, dir=str(folder))
    except OSError:
        return None
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
                out.write(block)
        if h.hexdigest() != doc_id:
            raise OSError("changed while copying")
        os.chmod(tmp, 0o600)
        os.replace(tmp, dst)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return None
    return dst


def keep_rendered(folder: Path | None, pdf: Path, doc_id: str) -> Path | None:
    """Move a Word file's LibreOffice rendering (ingest.docx_render) in as `<doc_id>.pdf` — the id is the
    .docx's hash, so it is not checked against the PDF's bytes — and remove its temporary folder."""
    tmp_root = Path(pdf).parent.parent
    try:
        if folder is None or not _valid_id(doc_id) or not Path(pdf).is_file():
            return None
        dst = original_path(folder, doc_id)
        if dst.is_file():
            return dst
        Path(folder).mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".copy-", suffix=PDF_SUFFIX, dir=str(folder))
        try:
            with os.fdopen(fd, "wb") as out, open(pdf, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    out.write(block)
            os.chmod(tmp, 0o600)
            os.replace(tmp, dst)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return None
        return dst
    except OSError:
        return None
    finally:
        if tmp_root.name.startswith("longdoc-docx-"):
            import shutil  # reason: only Word renderings need a folder removed

            shutil.rmtree(tmp_root, ignore_errors=True)


def save_words(folder: Path, doc_id: str, words: dict[int, list]) -> None:
    """The OCR'd pages' word boxes (page → [[x0, y0, x1, y1, text, line], …])."""
    if not words or not _valid_id(doc_id):
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    dst = words_path(folder, doc_id)
    fd, tmp = tempfile.mkstemp(prefix=".words-", suffix=".json", dir=str(folder))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({str(k): v for k, v in words.items()}, f, separators=(",", ":"))
        os.replace(tmp, dst)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def load_words(folder: Path, doc_id: str) -> dict[int, list]:
    try:
        data = json.loads(words_path(folder, doc_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {int(k): v for k, v in data.items() if str(k).isdigit()}


def remove(folder: Path, doc_id: str) -> None:
    for p in (original_path(folder, doc_id), words_path(folder, doc_id)):
        p.unlink(missing_ok=True)


def prune(folder: Path, keep: set[str]) -> list[str]:
    """Remove the copies of documents no longer in the library; returns their ids."""
    gone: list[str] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return gone
    for p in entries:
        name = p.name
        doc_id = name.split(".", 1)[0]
        if not _valid_id(doc_id) or doc_id in keep:
            continue
        if name.endswith(PDF_SUFFIX) or name.endswith(WORDS_SUFFIX):
            p.unlink(missing_ok=True)
            gone.append(doc_id)
    return sorted(set(gone))
