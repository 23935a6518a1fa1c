"""Read a file into a ParsedDocument: pypdf text per page (or .txt/.md), clean-up, structure.

Every failure a user can cause (not a PDF, encrypted, scanned, corrupt, too big) leaves this module
as an `IngestError(status, one-line message)`; no pypdf exception escapes, because the CLI and the
UI show the message and must never show a traceback.
"""

from __future__ import annotations

import hashlib
import logging
import re
import warnings
from pathlib import Path

from ingest.clean import clean_document
from ingest.docx import load_docx
from ingest.docx_package import WORD_SUFFIXES, looks_like_office
from ingest.letters import visible_chars
from ingest.page_labels import choose_page_labels, pdf_page_labels
from ingest.structure import detect_headings, guess_domain, guess_title
from ingest.types import DEFAULT_TEXT_ENGINE, FAILED, NEEDS_PASSWORD, NO_TEXT, IngestError, Page, ParsedDocument

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
PAGE_SEP = "\n\n"

# A page whose text layer holds fewer visible characters than this is "thin": a scan with at most a
# stamp line (the E.D. Mich. complaint carries ~70 characters of ECF stamp on every page image).
THIN_PAGE_CHARS = 100
# A document of at least this many pages is "no text layer" when this share of its pages is thin.
THIN_DOC_MIN_PAGES = 3
THIN_DOC_SHARE = 0.8

# pypdf reports recoverable oddities (bad xref, odd fonts: "Advanced encoding … not implemented")
# through `logging` at WARNING and ERROR level, and with no handler configured Python prints them to
# stderr. They are noise for a user who only wants the text; what really fails raises, and becomes
# an IngestError or a failed page here.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)


def sha256_file(path: str | Path) -> str:
    """Hash of the bytes: the document id, so identical bytes are recognised whatever the file name."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _visible(text: str) -> int:
    return visible_chars(text)


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split()) or type(exc).__name__
    return msg[:200]


def _sniff_not_pdf(head: bytes) -> str:
    """Why these first bytes are not a PDF, for the message."""
    if not head:
        return "empty file"
    low = head.lstrip()[:200].lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low or b"<body" in low:
        return "looks like HTML"
    if low.startswith(b"<?xml"):
        return "looks like XML"
    if head.startswith(b"PK\x03\x04"):
        return "looks like a ZIP/Office file"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        return "looks like an image"
    try:
        head.decode("utf-8")
        return "looks like plain text"
    except UnicodeDecodeError:
        return "no %PDF- header"


def _office_bytes(path: Path) -> bool:
    """Does the file start like a ZIP or OLE container (a Word file under another name)?"""
    try:
        with open(path, "rb") as f:
            return looks_like_office(f.read(8))
    except OSError:
        return False


def _read_text_file(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _ocr_module():
    """The OCR module if it exists and can run here; None otherwise (OCR is optional)."""
    try:
        from ingest import ocr as ocr_mod  # owned by another area; may be absent
    except Exception:  # noqa: BLE001 - any import problem simply means "no OCR"
        return None
    try:
        return ocr_mod if ocr_mod.ocr_available() else None
    except Exception:  # noqa: BLE001 - a broken OCR install means "no OCR", never a failed ingest
        return None


def _open_pdf(path: Path, password: str | None):
    """Open with pypdf and decrypt; map every failure to an IngestError."""
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, WrongPasswordError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(str(path), strict=False)
    except DependencyError as e:
        raise IngestError(FAILED, f"unreadable PDF: {_one_line(e)}") from None
    except (PdfReadError, WrongPasswordError, FileNotDecryptedError) as e:
        raise IngestError(FAILED, f"unreadable PDF: {_one_line(e)}") from None
    except RecursionError:
        raise IngestError(FAILED, "unreadable PDF: object structure too deeply nested") from None
    except MemoryError:
        raise IngestError(FAILED, "unreadable PDF: ran out of memory while opening") from None
    except Exception as e:  # noqa: BLE001 - pypdf raises many types on corrupt input
        raise IngestError(FAILED, f"unreadable PDF: {type(e).__name__}: {_one_line(e)}") from None

    try:
        encrypted = reader.is_encrypted
    except Exception as e:  # noqa: BLE001 - pypdf raises anything on a broken file: it becomes one failed outcome
        raise IngestError(FAILED, f"unreadable PDF: {_one_line(e)}") from None
    if encrypted:
        _decrypt(reader, password)
    return reader


def _password_used(reader, password: str | None) -> str | None:
    """The password that opened the file for pypdf (None for an unencrypted one; "" = the empty user password)."""
    try:
        if not reader.is_encrypted:
            return None
    except Exception:  # noqa: BLE001 - an unreadable encryption dictionary: treated as no password used
        return None
    return password or ""


def _decrypt(reader, password: str | None) -> None:
    from pypdf.errors import DependencyError

    def attempt(pw: str) -> bool:
        try:
            return bool(reader.decrypt(pw))
        except DependencyError as e:
            raise IngestError(FAILED, f"unreadable PDF: {_one_line(e)}") from None
        except NotImplementedError as e:
            raise IngestError(FAILED, f"unreadable PDF: unsupported encryption ({_one_line(e)})") from None
        except Exception:  # noqa: BLE001 - a malformed encryption dictionary reads as "not decrypted"
            return False

    if password and attempt(password):
        return
    # An empty user password opens transparently (permissions-only encryption); a batch-wide
    # --password must not break such files.
    if attempt(""):
        return
    if password:
        raise IngestError(NEEDS_PASSWORD, "wrong password")
    raise IngestError(NEEDS_PASSWORD, "needs a password (--password)")


def _page_has_image(page) -> bool:
    """A thin page that draws an image XObject is most likely a scanned page (cheap: no decoding)."""
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if not xobjects:
            return False
        for ref in xobjects.get_object().values():
            if ref.get_object().get("/Subtype") == "/Image":
                return True
    except Exception:  # noqa: BLE001 - odd resources: treat as no image
        return False
    return False


TEXT_ENGINES = ("pdfium", "pypdf")
# pdfium marks a hyphen it took for a line-end break with U+FFFE (0x02 in older builds) and joins the word;
# written back as "-\n" the clean-up decides, as for pypdf's text, whether the hyphen belongs to the word
_PDFIUM_FIXES = str.maketrans({"\ufffe": "-\n", "\x02": "-\n", "\r": None, "\x00": None})


def _pdfium_texts(path: Path, password: str | None, n: int) -> list[str | None] | None:
    """Each page's text by pdfium (C++, ~7× pypdf's speed on the CUAD contracts), None for a page it could
    not read; None for the whole file when pdfium cannot open it or counts other pages than pypdf (pypdf,
    which opened and decrypted it, then reads every page, so numbering never disagrees with the page view)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a dependency; pypdf reads alone without it
        return None
    try:
        doc = pdfium.PdfDocument(str(path), password=password or None)
    except Exception:  # noqa: BLE001 - any open failure: pypdf reads the pages
        return None
    try:
        if len(doc) != n:
            return None
        out: list[str | None] = []
        for i in range(n):
            try:
                page = doc[i]
                try:
                    tp = page.get_textpage()
                    try:
                        out.append(tp.get_text_range().translate(_PDFIUM_FIXES))
                    finally:
                        tp.close()
                finally:
                    page.close()
            except Exception:  # noqa: BLE001 - this page alone goes to pypdf
                out.append(None)
        return out
    finally:
        doc.close()


def _extract_pages(reader, max_pages: int, path: Path | None = None, password: str | None = None,
                   engine: str = DEFAULT_TEXT_ENGINE) -> tuple[list[str | None], dict, set[int]]:
    """Text of each page, None where extraction raised, and the thin pages that carry an image
    (scanned pages inside an otherwise digital document). Page by page: memory stays bounded.

    `engine` "pdfium" reads the text layer with pdfium and falls back to pypdf page by page where pdfium
    fails or finds next to nothing (pypdf then has its say and the fuller text wins); "pypdf" reads with
    pypdf alone (the engine every earlier library was built with)."""
    try:
        n = len(reader.pages)
    except Exception as e:  # noqa: BLE001 - broken page tree
        raise IngestError(FAILED, f"unreadable PDF: {_one_line(e)}") from None
    if n == 0:
        raise IngestError(FAILED, "unreadable PDF: it has no pages")
    if n > max_pages:
        raise IngestError(FAILED, f"too many pages ({n} > limit {max_pages}; raise --max-pages)")
    meta: dict = {}
    try:
        info = reader.metadata
        if info:
            for key in ("/Title", "/Author", "/Subject", "/Producer", "/Creator"):
                val = info.get(key)
                if val is not None:
                    meta[key.lstrip("/").lower()] = str(val)[:500]
    except Exception:  # noqa: BLE001 - unreadable metadata is not a reason to drop the text
        pass
    if engine not in TEXT_ENGINES:
        raise ValueError(f"unknown PDF text engine '{engine}': choose {' or '.join(TEXT_ENGINES)}")
    fast = _pdfium_texts(path, password, n) if engine == "pdfium" and path is not None else None
    out: list[str | None] = []
    imaged: set[int] = set()
    for i in range(n):
        page = None
        text = fast[i] if fast is not None else None
        if text is None or _is_thin(text):
            got = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    page = reader.pages[i]
                    # pypdf decodes some CJK fonts' UTF-16 with a NUL before every character ("\x00劳\x00动")
                    got = (page.extract_text() or "").replace("\x00", "")
            except RecursionError:
                got = None
            except MemoryError:
                got = None
            except Exception:  # noqa: BLE001 - one bad page must not lose the others
                got = None
            if got is None:
                text = None if text is None or not _visible(text) else text  # nothing readable: a damaged page
            elif text is None or _visible(got) > _visible(text):
                text = got
        if text is not None and _is_thin(text):
            try:
                page = page if page is not None else reader.pages[i]
            except Exception:  # noqa: BLE001 - an unreadable page object: no image check
                page = None
            if page is not None and _page_has_image(page):
                imaged.add(i + 1)
        out.append(text)
    return out, meta, imaged


def _is_thin(text: str | None) -> bool:
    return text is None or _visible(text) < THIN_PAGE_CHARS


def _stamp_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).lower())


def _textless(raw: list[str | None]) -> bool:
    """No usable text layer: nothing at all, or (on a longer document) thin pages almost everywhere
    whose little text is empty or one repeated stamp (digits aside) — a scan with an ECF line, not a
    slide deck with short but different text on each page."""
    good = [t for t in raw if t is not None]
    if not any(_visible(t) for t in good):
        return True
    if len(raw) >= THIN_DOC_MIN_PAGES:
        thin = [t for t in raw if _is_thin(t)]
        if len(thin) < THIN_DOC_SHARE * len(raw):
            return False
        keys = [_stamp_key(t) for t in thin if t and t.strip()]
        if not keys:
            return True
        most = max(keys.count(k) for k in set(keys))
        return most >= 0.5 * len(keys)
    return False


def _read_pdf(path: Path, password: str | None, ocr: str, max_pages: int, engine: str = DEFAULT_TEXT_ENGINE):
    with open(path, "rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise IngestError(FAILED, f"not a PDF ({_sniff_not_pdf(head)})")
    reader = _open_pdf(path, password)
    raw, meta, imaged = _extract_pages(reader, max_pages, path, _password_used(reader, password), engine)
    labels = pdf_page_labels(reader)
    del reader
    n = len(raw)
    failed = [i + 1 for i, t in enumerate(raw) if t is None]
    ocr_pages: list[int] = []
    words: dict[int, list] = {}

    textless = _textless(raw)
    if textless and len(failed) * 2 > n:
        # pages that raise are a damaged file, not a scan: OCR of garbage would only take time
        raise IngestError(FAILED, f"unreadable PDF: text extraction failed on {len(failed)} of {n} pages")
    if ocr != "off":
        if ocr == "force":
            candidates = list(range(1, n + 1))
        elif textless:
            candidates = [i + 1 for i, t in enumerate(raw) if _is_thin(t)]
        else:
            # some pages scanned (an exhibit, a signature page): OCR the thin pages that carry an image;
            # blank pages without images are left alone so digital documents pay nothing
            candidates = sorted(imaged)
        if candidates:
            mod = _ocr_module()
            if mod is not None:
                try:
                    got = mod.ocr_pdf_pages(str(path), candidates, password=password, words=words)
                except IngestError:
                    raise
                except Exception as e:  # noqa: BLE001 - OCR trouble keeps the no_text outcome
                    log.info("OCR failed on %s: %s", path, e)
                    got = {}
                for pno, text in (got or {}).items():
                    if not 1 <= pno <= n:
                        continue
                    cur = raw[pno - 1]
                    # force means the OCR text is used wherever OCR read something (a bad text layer
                    # can be long and still wrong); auto only fills thin pages.
                    if text and (ocr == "force" or _visible(text) > (_visible(cur) if cur else 0)):
                        raw[pno - 1] = text
                        ocr_pages.append(pno)
                        if pno in failed:
                            failed.remove(pno)
                textless = _textless(raw)

    if textless:
        if ocr == "off":
            raise IngestError(NO_TEXT, "no text layer — scanned? OCR is off (use --ocr auto)")
        if ocr_pages or _ocr_module() is not None:
            raise IngestError(NO_TEXT, "no text layer — scanned? OCR found no text either")
        raise IngestError(NO_TEXT, "no text layer — scanned? OCR not enabled (install tesseract or use --ocr)")
    meta["pdf_page_labels"] = labels
    meta["ocr_words"] = {p: words.get(p) or [] for p in ocr_pages}
    return raw, failed, sorted(ocr_pages), meta


def load_document(
    path: str | Path,
    *,
    password: str | None = None,
    ocr: str = "auto",
    max_pages: int = 5000,
    max_bytes: int = 200 * 2**20,
    text_engine: str = DEFAULT_TEXT_ENGINE,
    tables: bool = True,
    docx_render: str = "auto",
) -> ParsedDocument:
    """Parse, clean and structure one file. Raises IngestError for every user-caused failure.

    `tables`: find the tables of a digital PDF's ruled pages and write them as Markdown (ingest/tables.py).
    A Word file (by its name, or by its ZIP/OLE bytes under any other name) goes to ingest.docx;
    `docx_render` says whether LibreOffice may lay it out for page numbers ("auto") or not ("off")."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise IngestError(FAILED, f"cannot read file: {e.strerror or e}") from None
    if not path.is_file():
        raise IngestError(FAILED, "not a file")
    if size > max_bytes:
        raise IngestError(
            FAILED, f"file too big ({size / 2**20:.1f} MiB > limit {max_bytes / 2**20:.0f} MiB)"
        )
    try:
        doc_id = sha256_file(path)
    except OSError as e:
        raise IngestError(FAILED, f"cannot read file: {e.strerror or e}") from None

    suffix = path.suffix.lower()
    if suffix in WORD_SUFFIXES or suffix == ".doc" or (suffix not in TEXT_SUFFIXES and _office_bytes(path)):
        return load_docx(path, doc_id=doc_id, size=size, render=docx_render, max_pages=max_pages)
    meta: dict = {}
    failed: list[int] = []
    ocr_pages: list[int] = []
    if suffix in TEXT_SUFFIXES:
        if size == 0:
            raise IngestError(NO_TEXT, "empty text file")
        text = _read_text_file(path)
        # A form feed is the only page break plain text has.
        raw: list[str | None] = text.split("\f") if "\f" in text else [text]
        meta["format"] = "markdown" if path.suffix.lower() in (".md", ".markdown") else "text"
    else:
        try:
            raw, failed, ocr_pages, meta = _read_pdf(path, password, ocr, max_pages, text_engine)
        except IngestError:
            raise
        except RecursionError:
            raise IngestError(FAILED, "unreadable PDF: object structure too deeply nested") from None
        except Exception as e:  # noqa: BLE001 - last line of defence: never a traceback
            raise IngestError(FAILED, f"unreadable PDF: {type(e).__name__}: {_one_line(e)}") from None
        meta["format"] = "pdf"

    cleaned_doc = clean_document([t or "" for t in raw])
    cleaned, page_lines = list(cleaned_doc.pages), cleaned_doc.lines
    page_labels, labels_source = choose_page_labels(meta.pop("pdf_page_labels", None), cleaned_doc.furniture, len(cleaned))
    ocr_words = meta.pop("ocr_words", None) or {}
    found = (_tables_of(path, password, set(ocr_pages) | set(failed), cleaned)
             if tables and meta.get("format") == "pdf" else {})
    pages: list[Page] = []
    placed: list = []
    offset = 0
    ocr_set = set(ocr_pages)
    for i, t in enumerate(cleaned):
        if found.get(i + 1):
            from ingest.tables import place_tables  # reason: only pages with tables need it

            t, here = place_tables(t, found[i + 1])
            cleaned[i] = t
            for table, spans in here:
                table.spans = [(offset + s, offset + e) for s, e in spans]
                placed.append(table)
        pages.append(Page(number=i + 1, text=t, char_start=offset, ocr=(i + 1) in ocr_set))
        offset += len(t) + len(PAGE_SEP)
    full = PAGE_SEP.join(cleaned)
    if not full.strip():
        raise IngestError(NO_TEXT, "no text in the file")
    headings = tuple(detect_headings(full))
    domain = guess_domain(full, path.name)
    first_lines = next(("\n".join(lines) for lines in page_lines if any(ln.strip() for ln in lines)), "")
    title = guess_title(meta.get("title"), first_lines, path.name, headings, domain)
    return ParsedDocument(
        doc_id=doc_id,
        file=path.name,
        path=str(path),
        title=title,
        domain=domain,
        text=full,
        pages=tuple(pages),
        page_count=len(pages),
        failed_pages=tuple(failed),
        ocr_pages=tuple(sorted(ocr_set)),
        headings=headings,
        metadata={**meta, "bytes": size, "first_lines": first_lines},
        page_labels=page_labels,
        page_labels_source=labels_source,
        ocr_words=ocr_words,
        tables=tuple(placed),
    )


def _tables_of(path: Path, password: str | None, skip: set[int], texts: list[str]) -> dict:
    """The tables of the ruled pages (page → tables); none when anything goes wrong: text stays text."""
    try:
        from ingest.tables import find_tables  # reason: pdfplumber loads only for PDFs

        return find_tables(str(path), password, skip=skip, texts=texts)
    except Exception as e:  # noqa: BLE001 - tables are an improvement: a failure keeps the flattened text
        log.info("table extraction failed on %s: %s", path, e)
        return {}
