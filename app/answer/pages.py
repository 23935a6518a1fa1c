"""See the page: a document's PDF page as an image, the cited passage highlighted — for every face.

`page_image(settings, doc, page, highlight=…, span=(a, b))` renders from the library's own copy of the
PDF (ingest.originals; a library from before it is copied on first view when the source file is still
where it was ingested from), finds the passage's characters on the page (app.highlight on pdfium's
characters, or on Tesseract's words for an OCR'd page) and caches the PNG per (document, page, width,
highlight) under `settings.pages_dir`, beside a small JSON with the boxes, so a second view costs a
file read. `PageUnavailable` says why a page cannot be drawn (a text file, a protected PDF, the
original gone); the faces then show the text view instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.answer import page_render
from app.answer.cite import parse_bracket
from app.answer.highlight import locate
from app.answer.page_render import Box, RenderError, merge_line_boxes, page_text
from app.answer.printed_pages import citations_of
from app.answer.results import pages_text
from app.answer.session import choose_documents
from app.config import Settings
from app.errors import InvalidRequest, NoSuchDocument, NotFound, PageUnavailable
from app.library import documents as library
from ingest import originals
from ingest.page_labels import label_runs
from ingest.types import Document

MIN_WIDTH, MAX_WIDTH = 200, 4000
CACHE_VERSION = "3"  # bump when rendering or highlighting changes what a cached image shows
_TRIM_EVERY = 25
_writes = 0
_lock = threading.Lock()


@dataclass
class PageImage:
    doc_id: str
    file: str
    page: int  # PDF page, 1-based
    pages: int  # pages in the document
    label: str  # the number printed on the page ("" unknown)
    width: int
    height: int
    path: Path  # the cached PNG
    boxes: list[Box] = field(default_factory=list)  # highlighted boxes, fractions of the page
    highlight: bool = False  # a highlight was asked for
    found: bool = False  # … and located on this page
    method: str = ""  # exact | split | words | "" — how the passage was located
    ocr: bool = False  # the page's text (and boxes) came from OCR
    cached: bool = False
    seconds: float = 0.0

    @property
    def png(self) -> bytes:
        return self.path.read_bytes()

    @property
    def pages_display(self) -> str:
        return pages_text(self.page, self.page, self.label, self.label) + (", OCR" if self.ocr else "")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["path"] = str(self.path)
        d["pages_display"] = self.pages_display
        return d


# ---- which file ------------------------------------------------------------------------------


def find_document(settings: Settings, ref: str | Document) -> Document:
    if isinstance(ref, Document):
        return ref
    doc = library.get_store(settings).find_document(ref)
    if doc is None:
        raise NoSuchDocument(f"no document matches '{ref}' (use an id, an id prefix of 6+ characters, or a file name; see `longdoc docs`)")
    return doc


def original_pdf(settings: Settings, doc: Document) -> Path:
    """The library's copy of the document's PDF (made now from the ingested path if it is missing)."""
    kept = originals.original_path(settings.originals_dir, doc.doc_id)
    if kept.is_file():
        return kept
    if doc.page_labels_source == "docx-rendered":
        raise PageUnavailable("this Word file's rendered pages are missing from the library: remove the document "
                              "(`longdoc rm`) and add it again")
    if doc.page_labels_source == "docx-clauses" or doc.file.lower().endswith(".docx"):
        raise PageUnavailable(  # ingest.docx: a Word file has pages only when LibreOffice laid it out
            "this Word file has no page images: it was read without LibreOffice (not installed, or "
            "LONGDOC_DOCX_RENDER=off), so citations name clauses; to see its pages, install "
            "libreoffice-writer-nogui, remove the document (`longdoc rm`) and add it again")
    if not doc.file.lower().endswith(".pdf"):
        raise PageUnavailable("a text file has no page images")
    src = Path(doc.path) if doc.path else None
    if src is not None and src.is_file() and (not doc.bytes or src.stat().st_size == doc.bytes):
        got = originals.keep_original(settings.originals_dir, src, doc.doc_id)
        if got is not None:
            return got
    raise PageUnavailable(
        "the original PDF is no longer available (it was ingested before longdoc kept copies, and the file "
        "has moved or changed): ingest it again to see its pages"
    )


def original_name(doc: Document) -> str:
    """The file name to download `original_pdf` under: a Word file's page-view PDF is its LibreOffice
    rendering, so "supply.docx" downloads as "supply.pdf"."""
    if doc.file.lower().endswith(".pdf"):
        return doc.file
    return (doc.file.rsplit(".", 1)[0] or doc.file) + ".pdf"


def page_for_label(doc: Document, label: str) -> int:
    """The PDF page whose printed number is `label` ("487", "iv"); LookupError if none or several."""
    want = label.strip().lower()
    hits = [i + 1 for i, lab in enumerate(doc.page_labels) if lab.lower() == want]
    if not doc.page_labels and want.isdigit():
        hits = [int(want)] if 1 <= int(want) <= doc.pages else []
    if not hits:
        runs = label_runs(doc.page_labels)
        span = f" (its printed numbers: {runs})" if runs else " (no printed page numbers are known for it)"
        raise NotFound(f"no page of {doc.file} is numbered '{label}'{span}")
    if len(hits) > 1:
        raise NotFound(f"several pages of {doc.file} are numbered '{label}' (PDF pages "
                          f"{', '.join(map(str, hits))}): give the PDF page instead")
    return hits[0]


# ---- cache -----------------------------------------------------------------------------------


def _key(page: int, width: int, highlight: str | None, span: tuple[int, int] | None) -> str:
    h = hashlib.sha256(f"{CACHE_VERSION}|{highlight or ''}|{span or ''}".encode()).hexdigest()[:16]
    return f"{page:05d}-w{width}-{h}"


def _cache_dir(settings: Settings, doc_id: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", doc_id):
        raise PageUnavailable("not a library document")
    return Path(settings.pages_dir) / doc_id


def forget_document(settings: Settings, doc_id: str) -> None:
    """Drop a document's rendered pages (it was removed or replaced)."""
    library.forget_pages(settings, doc_id)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".page-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def trim_cache(settings: Settings, limit_mb: int | None = None) -> int:
    """Delete the least recently written page images until the cache fits its size; returns bytes freed."""
    limit = (settings.page_cache_mb if limit_mb is None else limit_mb) * 2**20
    files = []
    root = Path(settings.pages_dir)
    try:
        for d in root.iterdir():
            if d.is_dir():
                for f in d.iterdir():
                    try:
                        st = f.stat()
                    except OSError:
                        continue
                    files.append((st.st_mtime, st.st_size, f))
    except OSError:
        return 0
    total = sum(s for _, s, _ in files)
    freed = 0
    if total <= limit:
        return 0
    for _, size, f in sorted(files, key=lambda t: t[0]):
        if total - freed <= 0.9 * limit:
            break
        f.unlink(missing_ok=True)
        freed += size
    return freed


# ---- boxes of a passage --------------------------------------------------------------------------


def _ocr_text(words: list) -> tuple[str, list[tuple[int, int, int]]]:
    """OCR words as one text (a line break between lines) and each word's (start, end, index)."""
    parts, where, pos, prev_line = [], [], 0, None
    for i, w in enumerate(words):
        sep = "" if not parts else ("\n" if w[5] != prev_line else " ")
        parts.append(sep + str(w[4]))
        pos += len(sep)
        where.append((pos, pos + len(str(w[4])), i))
        pos += len(str(w[4]))
        prev_line = w[5]
    return "".join(parts), where


def _ocr_boxes(words: list, where: list[tuple[int, int, int]], spans: list[tuple[int, int]]) -> list[Box]:
    boxes = []
    for s, e in spans:
        for ws, we, i in where:
            if we > s and ws < e:
                w = words[i]
                boxes.append((float(w[0]), float(w[1]), float(w[2]), float(w[3])))
    return merge_line_boxes(boxes)


class _Source:
    """The pages of one open document: pdfium characters, or OCR words for scanned pages."""

    def __init__(self, settings: Settings, doc: Document, pdf):
        self.settings, self.doc, self.pdf = settings, doc, pdf
        self._words: dict[int, list] | None = None
        self._pages: dict[int, tuple] = {}

    def words(self) -> dict[int, list]:
        if self._words is None:
            self._words = originals.load_words(self.settings.originals_dir, self.doc.doc_id)
        return self._words

    def is_ocr(self, page: int) -> bool:
        return page in set(self.doc.ocr_pages)

    def text(self, page: int):
        """(text, boxes_for(spans)) of a page."""
        if page not in self._pages:
            if self.is_ocr(page):
                words = self.words().get(page) or []
                text, where = _ocr_text(words)
                self._pages[page] = (text, lambda spans, w=words, wh=where: _ocr_boxes(w, wh, spans))
            else:
                pt = page_text(self.pdf, page)
                self._pages[page] = (pt.text, pt.boxes)
        return self._pages[page]


def locate_boxes(src: _Source, page: int, quote: str, span: tuple[int, int] | None) -> tuple[list[Box], str]:
    """Boxes of `quote` on `page`, and how it was found; the passage may run over `span` (its pages)."""
    n = len(src.pdf)
    tries = []
    if span and span[0] <= page <= span[1]:
        tries.append(list(range(max(1, span[0]), min(n, span[1]) + 1)))
    tries += [[page], [page, page + 1], [page - 1, page]]
    seen = set()
    for pages in tries:
        pages = [p for p in pages if 1 <= p <= n]
        if not pages or tuple(pages) in seen:
            continue
        seen.add(tuple(pages))
        texts = [src.text(p)[0] for p in pages]
        found = locate(texts, quote)
        k = pages.index(page)
        if found.found:
            spans = found.spans.get(k)
            if not spans:
                return [], ""  # the passage lies on the other pages of its span
            return src.text(page)[1](spans), found.method
    return [], ""


# ---- the use case ------------------------------------------------------------------------------------


def page_image(
    settings: Settings,
    doc: str | Document,
    page: int,
    *,
    highlight: str | None = None,
    span: tuple[int, int] | None = None,
    width: int | None = None,
) -> PageImage:
    """PDF page `page` (1-based) of `doc` as a cached PNG, `highlight` (a passage of its text) marked.

    `span` = the passage's pages (a citation's page_start, page_end): a passage that runs onto the next
    page is found across them and each page shows its own part. Raises PageUnavailable (no image can be
    made: show the text instead) or LookupError (no such document or page).
    """
    t0 = time.perf_counter()
    d = find_document(settings, doc)
    width = max(MIN_WIDTH, min(MAX_WIDTH, int(width or settings.page_width)))
    if page < 1 or (d.pages and page > d.pages):
        raise NotFound(f"no page {page}: {d.file} has {d.pages} page{'s' if d.pages != 1 else ''}")
    highlight = (highlight or "").strip() or None
    base = _cache_dir(settings, d.doc_id) / _key(page, width, highlight, span)
    png, meta = base.with_suffix(".png"), base.with_suffix(".json")
    label = d.page_label(page)
    ocr = page in set(d.ocr_pages)
    if png.is_file() and meta.is_file():
        try:
            info = json.loads(meta.read_text())
            return PageImage(d.doc_id, d.file, page, d.pages, label, int(info["width"]), int(info["height"]), png,
                             [tuple(b) for b in info.get("boxes", [])], bool(highlight), bool(info.get("found")),
                             str(info.get("method", "")), ocr, True, time.perf_counter() - t0)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged entry is rendered again
    path = original_pdf(settings, d)
    try:
        pdf = page_render.open_pdf(str(path))
    except RenderError as e:
        raise PageUnavailable(str(e)) from None
    try:
        boxes: list[Box] = []
        method = ""
        if highlight:
            try:
                src = _Source(settings, d, pdf)
                # an extractive citation quotes several sentences joined by " … ", not in page order: each is
                # a passage of its own
                for piece in (q for q in highlight.split(" … ") if q.strip()):
                    got, how = locate_boxes(src, page, piece, span)
                    boxes += got
                    method = method or how
            except Exception:  # noqa: BLE001 - an unreadable text layer costs the highlight, not the page
                boxes, method = [], ""
        try:
            data, w, h = page_render.render_png(pdf, page, width, boxes)
        except RenderError as e:
            raise PageUnavailable(str(e)) from None
    finally:
        pdf.close()
    _write_atomic(png, data)
    _write_atomic(meta, json.dumps({"width": w, "height": h, "boxes": boxes, "found": bool(boxes),
                                    "method": method}).encode())
    global _writes
    with _lock:
        _writes += 1
        due = _writes % _TRIM_EVERY == 0
    if due:
        trim_cache(settings)
    return PageImage(d.doc_id, d.file, page, d.pages, label, w, h, png, boxes, bool(highlight), bool(boxes), method,
                     ocr, False, time.perf_counter() - t0)


def citation_view(settings: Settings, citation, page: int | None = None, width: int | None = None) -> PageImage:
    """The page of a citation (its first page unless `page` is given), its passage highlighted."""
    page = page or citation.page_start
    return page_image(settings, citation.doc_id, page, highlight=citation.text or None,
                      span=(citation.page_start, citation.page_end), width=width)


def passage_for_label(settings: Settings, label: str, docs: list[str] | None = None, doc: str | None = None):
    """A label as answers print it ("D2 p.14", "[D2 p.14–15]") → (document, cited page, (first, last) page
    of the passage, passage text): DN counts the documents as `ask` does (file-name order, of `docs` or the whole library) unless
    `doc` names the document; the passage is the text of the chunks that start on the cited pages,
    which is what the packer labelled that way."""
    refs = parse_bracket(label.strip().strip("[]"))
    if not refs:
        raise InvalidRequest(f"not a citation label: '{label}' (write it as an answer shows it, e.g. \"D2 p.14\")")
    ref = refs[0]
    if doc is not None:
        d = find_document(settings, doc)
    else:
        chosen = choose_documents(settings, docs)
        if not 1 <= ref.doc_index <= len(chosen):
            raise NotFound(f"no document D{ref.doc_index}: {len(chosen)} document(s) are chosen "
                              "(DN counts them in file-name order, as answers do; add --docs as you asked)")
        d = chosen[ref.doc_index - 1]
    store = library.get_store(settings)
    every = store.chunks(d.doc_id)
    chunks = [c for c in every if ref.page_start <= c.page_start <= ref.page_end]
    if not chunks:  # the model may cite a page inside a passage that starts earlier
        chunks = [c for c in every if c.page_start <= ref.page_start <= c.page_end]
    if not chunks:
        raise NotFound(f"{d.file} has no text on page {ref.page_start}")
    text = store.document_text(d.doc_id)[min(c.char_start for c in chunks): max(c.char_end for c in chunks)]
    first = min(ref.page_start, min(c.page_start for c in chunks))
    end = max(ref.page_end, max(c.page_end for c in chunks))
    return d, ref.page_start, (first, end), text


def requested_page(settings: Settings, doc: str | None = None, page: int | None = None, *, label: str | None = None,
                   highlight: str | None = None, citation: str | None = None, docs: list[str] | None = None,
                   width: int | None = None) -> PageImage:
    """A page as the faces ask for one (`longdoc page`, MCP's `page`): the document by id, prefix or file name;
    the page by PDF number or printed `label`; the highlight by a quote or by a `citation` label ("D2 p.14",
    whose passage is marked and whose page is the default). Raises ValueError for a request that does not
    add up, LookupError for what does not exist, PageUnavailable for a page that cannot be drawn."""
    if highlight and citation:
        raise InvalidRequest("give a highlight or a citation, not both")
    span = None
    if citation:
        d, first, span, highlight = passage_for_label(settings, citation, docs=[x for x in docs or [] if x.strip()] or None,
                                                      doc=doc)
        if page is None and label is None:
            page = first
    elif doc is None:
        raise InvalidRequest("name the document, or give a citation")
    else:
        d = find_document(settings, doc)
    if label is not None:
        if page is not None and not citation:
            raise InvalidRequest("give a page or a printed label, not both")
        page = page_for_label(d, label)
    if page is None:
        raise InvalidRequest("give the page (the PDF page, 1-based) or its printed label")
    return page_image(settings, d, page, highlight=highlight, span=span, width=width)


# ---- evidence for exports ------------------------------------------------------------------------

EVIDENCE_WIDTH = 1000
EVIDENCE_MAX_PAGES = 3  # per citation: a passage rarely runs over more; a bad label must not attach a book


@dataclass(frozen=True)
class Evidence:
    """One cited page for an export: a caption, and the PNG (None with a reason when none could be made)."""

    caption: str
    path: Path | None
    width: int = 0
    height: int = 0
    reason: str = ""


def evidence_pages(settings: Settings, result, width: int = EVIDENCE_WIDTH) -> list[Evidence]:
    """The highlighted page(s) of each citation of an Answer, Summary or Matrix, in citation order."""
    out: list[Evidence] = []
    seen: set[str] = set()
    for c in citations_of(result):
        if not c.doc_id or c.label in seen:
            continue
        seen.add(c.label)
        head = f"[{c.display_label}] {c.file}"
        last = min(c.page_end, c.page_start + EVIDENCE_MAX_PAGES - 1)
        shots: list[Evidence] = []
        first: PageImage | None = None
        try:
            for p in range(c.page_start, last + 1):
                img = citation_view(settings, c, page=p, width=width)
                first = first or img
                if img.found:
                    shots.append(Evidence(f"{head}, {img.pages_display}", img.path, img.width, img.height))
            if not shots and first is not None:
                shots.append(Evidence(f"{head}, {first.pages_display} (the passage could not be located on the "
                                      "page: shown unmarked)", first.path, first.width, first.height))
        except (PageUnavailable, LookupError) as e:
            shots = [Evidence(f"{head}, {c.pages}", None, reason=getattr(e, "reason", None) or str(e))]
        out.extend(shots)
    return out
