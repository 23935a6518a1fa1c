"""Is this file a Word document we may open? One-line reasons for everything else, before any XML is parsed.

Why a gate of its own: a .docx is a ZIP, and a ZIP is where a small upload can become gigabytes
(a zip bomb) — so the declared sizes are checked before python-docx inflates a byte. A Word file
saved with a password is not a ZIP at all but an OLE container holding an `EncryptedPackage`
stream, and so is a Word 97–2003 `.doc`; both get their own message instead of "not a PDF".
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingest.types import FAILED, IngestError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
WORD_SUFFIXES = (".docx", ".docm", ".dotx", ".dotm")
# What one Word file may inflate to, whatever its size on disk: real contracts with images stay far below;
# a zip bomb (a few KiB declaring gigabytes) is refused before a byte is inflated.
MAX_UNCOMPRESSED = 512 * 2**20
MAX_RATIO = 200  # an entry inflating more than 200× and past 10 MiB is a bomb, not XML
_RATIO_FLOOR = 10 * 2**20
MAX_ENTRIES = 10_000


def looks_like_office(head: bytes) -> bool:
    """Do these first bytes start a ZIP (OOXML, ODF) or an OLE container (.doc, encrypted .docx)?"""
    return head.startswith((ZIP_MAGIC, OLE_MAGIC))


def _ole_kind(path: Path) -> str:
    """Encrypted OOXML and legacy .doc/.xls/.ppt share the OLE container; the stream names tell them apart."""
    try:
        with open(path, "rb") as f:
            data = f.read(4 * 2**20)
    except OSError:
        return "ole"
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return "encrypted"
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data:
        return "xls"
    if "PowerPoint Document".encode("utf-16-le") in data:
        return "ppt"
    return "ole"


def check_word_file(path: Path, max_uncompressed: int = MAX_UNCOMPRESSED) -> None:
    """Raise IngestError with a one-line reason unless `path` is an unencrypted, sanely sized .docx."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise IngestError(FAILED, f"cannot read file: {e.strerror or e}") from None
    if head.startswith(OLE_MAGIC):
        kind = _ole_kind(path)
        if kind == "encrypted":
            # FAILED, not needs_password: a password would not help, longdoc does not decrypt Word files
            raise IngestError(FAILED, "encrypted Word file: save it without a password (File → Info → "
                                      "Protect Document) and add it again")
        if kind == "doc":
            raise IngestError(FAILED, "a Word 97–2003 .doc file: open it in Word or LibreOffice and save it as "
                                      ".docx or PDF")
        if kind in ("xls", "ppt"):
            raise IngestError(FAILED, f"an old Office file (.{kind}), not a Word document: save it as PDF")
        raise IngestError(FAILED, "an old Office (OLE) file, not a .docx: save it as .docx or PDF")
    if not head.startswith(ZIP_MAGIC):
        raise IngestError(FAILED, "not a Word file (no ZIP header): is it really a .docx?")
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise IngestError(FAILED, f"unreadable Word file (damaged ZIP: {' '.join(str(e).split())[:120]})") from None
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        if "xl/workbook.xml" in names:
            raise IngestError(FAILED, "an Excel workbook (.xlsx), not a Word document: save it as PDF")
        if "ppt/presentation.xml" in names:
            raise IngestError(FAILED, "a PowerPoint file (.pptx), not a Word document: save it as PDF")
        if "content.xml" in names and "mimetype" in names:
            raise IngestError(FAILED, "an OpenDocument file (.odt/.ods), not a .docx: save it as .docx or PDF")
        raise IngestError(FAILED, "a ZIP archive without a Word document inside (no word/document.xml)")
    if len(infos) > MAX_ENTRIES:
        raise IngestError(FAILED, f"refused: the .docx holds {len(infos)} parts (limit {MAX_ENTRIES}) — a zip bomb?")
    total = sum(max(0, i.file_size) for i in infos)
    if total > max_uncompressed:
        raise IngestError(FAILED, f"refused: the .docx would expand to {total / 2**20:.0f} MiB "
                                  f"(limit {max_uncompressed / 2**20:.0f} MiB) — a zip bomb?")
    for i in infos:
        if i.file_size > _RATIO_FLOOR and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise IngestError(FAILED, f"refused: {i.filename} expands {i.file_size // max(1, i.compress_size)}× "
                                      "— a zip bomb?")
        if i.flag_bits & 0x1:
            raise IngestError(FAILED, "encrypted Word file (ZIP encryption): save it without a password")
