"""Printed page numbers on citations: "p. 487 (PDF p. 4)" wherever a page prints its own number.

Which label the model cites: the PDF page. The packed context labels passages `[D2 p.4]` by PDF page —
unique, numeric, and what the verifier (app.cite) resolves exactly to the passage; printed numbers repeat
(a slip opinion's syllabus and opinion both have a page 3) and need not be numbers at all ("xiv").
So the model and the verifier never see printed numbers, and after verification each citation is
given the numbers printed on its pages from the document's page labels (ingest.page_labels): nothing is
re-mapped by guess, and a lawyer sees the number to cite next to the page to open.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from app.answer.cite import find_citations, squash
from app.answer.results import Answer, Citation, Matrix, Summary, pages_text
from app.library import documents as library
from ingest import originals
from ingest.docx import LABELS_CLAUSES, LABELS_RENDERED, clause_page
from ingest.docx_render import pdf_page_texts


def printed(doc, page: int) -> str:
    """The number printed on PDF page `page` of `doc` (a Document), "" when unknown."""
    label = doc.page_label(page) if doc is not None and hasattr(doc, "page_label") else ""
    return label or ""


def page_display(doc, a: int, b: int, ocr: bool = False) -> str:
    """How a page span of `doc` is shown: "p.4–5" or "pp. 487–488 (PDF pp. 4–5)" (", OCR" when scanned)."""
    return pages_text(a, b, printed(doc, a), printed(doc, b)) + (", OCR" if ocr else "")


def label_citation(c: Citation, doc) -> Citation:
    if doc is not None and c.doc_id:
        c.printed_start = printed(doc, c.page_start)
        c.printed_end = printed(doc, c.page_end)
    return c


def _narrow_to_clauses(c: Citation, doc, chunks: list) -> None:
    """A Word file read without LibreOffice: its "pages" are its clauses, and a chunk spans several. Each
    quoted sentence of the citation is found in its chunk, the section in force there names its clause,
    and the citation is narrowed to the clauses its sentences lie in ("cl. 12.3", not "cl. 9 – cl. 12.3")."""
    if c.page_start == c.page_end or not c.text:
        return
    found: list[int] = []
    for piece in (p for p in c.text.split(" … ") if p.strip()):
        words = piece.split()
        head = re.compile(r"\s+".join(re.escape(w) for w in words[:10]))
        tail = re.compile(r"\s+".join(re.escape(w) for w in words[-10:]))
        placed = False
        for ch in chunks:
            if ch.page_end < c.page_start or ch.page_start > c.page_end:
                continue
            m = head.search(ch.text)
            e = tail.search(ch.text, m.start()) if m else None
            if m and e:
                ends = [clause_page(doc.page_labels, ch.section_at(ch.char_start + at), c.page_start, c.page_end)
                        for at in (m.start(), e.start())]
                if None in ends:
                    return  # a sentence outside any numbered clause: keep the chunk's range
                found += ends
                placed = True
                break
        if not placed:
            return  # a sentence not placed (it runs over two chunks): keep the chunk's range, right if wide
    if found:
        c.page_start, c.page_end = min(found), max(found)


def _narrow_to_rendered(c: Citation, texts: list[str]) -> None:
    """A Word file laid out by LibreOffice: a chunk's page range is wider than its quoted sentences (the
    layout came after the text was cut), so each sentence is looked for on the rendered pages of the range
    and the citation narrowed to the pages that print it ("p.5", where the chunk spans p.4–5)."""
    if c.page_start == c.page_end or not c.text or not texts:
        return
    pages = {n: squash(texts[n - 1]) for n in range(c.page_start, c.page_end + 1) if 1 <= n <= len(texts)}
    found: list[int] = []
    for piece in (p for p in c.text.split(" … ") if p.strip()):
        q = squash(piece)
        head, tail = q[:40], q[-40:]
        first = next((n for n, t in pages.items() if head and head in t), None)
        last = next((n for n, t in reversed(pages.items()) if tail and tail in t), None)
        if first is None or last is None:
            return  # not found as printed (a table, a page break mid-sentence): keep the chunk's range
        found += [first, last]
    if found:
        c.page_start, c.page_end = min(found), max(found)


def citations_of(result) -> list[Citation]:
    if isinstance(result, Matrix):
        return [c.citation for c in result.cells if c.citation is not None]
    return list(getattr(result, "citations", None) or [])


def attach(settings, result):
    """Fill in the printed page numbers of every citation of an Answer, Summary or Matrix (in place)."""
    cites = citations_of(result)
    if not cites:
        return result

    store = library.get_store(settings)
    docs = {d.doc_id: d for d in store.documents()}
    chunks: dict[str, list] = {}
    rendered: dict[str, list[str]] = {}
    for c in cites:
        doc = docs.get(c.doc_id)
        if doc is not None and doc.page_labels_source == LABELS_CLAUSES:
            if c.doc_id not in chunks:
                chunks[c.doc_id] = store.chunks(c.doc_id)
            _narrow_to_clauses(c, doc, chunks[c.doc_id])
        elif doc is not None and doc.page_labels_source == LABELS_RENDERED and c.page_start != c.page_end:
            if c.doc_id not in rendered:
                pdf = originals.original_path(settings.originals_dir, c.doc_id)
                rendered[c.doc_id] = pdf_page_texts(pdf) if pdf.is_file() else []
            _narrow_to_rendered(c, rendered[c.doc_id])
        label_citation(c, doc)
    return result


def with_printed_pages(fn: Callable) -> Callable:
    """Decorate a use case `fn(settings, …) -> Answer | Summary | Matrix` so its citations carry printed pages."""

    @functools.wraps(fn)
    def wrapper(settings, *args, **kwargs):
        result = fn(settings, *args, **kwargs)
        if isinstance(result, (Answer, Summary, Matrix)):
            attach(settings, result)
        return result

    return wrapper


def display_text(text: str, citations: list[Citation]) -> str:
    """`text` with each `[D2 p.4]` label shown as people cite it: `[D2 p. 487 (PDF p. 4)]` where the page
    prints another number; labels without a citation (or without printed numbers) are left as written."""
    by_label = {c.label: c for c in citations or [] if c.printed_differs}
    if not by_label or not text:
        return text
    out, last = [], 0
    for start, end, refs in find_citations(text):
        if not any(r.label in by_label for r in refs):
            continue
        shown = "; ".join(by_label[r.label].display_label if r.label in by_label else r.label for r in refs)
        out.append(text[last:start])
        out.append(f"[{shown}]")
        last = end
    out.append(text[last:])
    return "".join(out)
