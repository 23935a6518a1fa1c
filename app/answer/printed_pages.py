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
from collections.abc import Callable

from app.answer.cite import find_citations
from app.answer.results import Answer, Citation, Matrix, Summary, pages_text
from app.library import documents as library
from ingest.docx import LABELS_CLAUSES, clause_page


def printed(doc, page: int) -> str:
    """The number printed on PDF page `page` of `doc` (a Document), "" when unknown."""
    label = doc.page_label(page) if doc is not None and hasattr(doc, "page_label") else ""
    return label or ""


def page_display(doc, a: int, b: int, ocr: bool = False) -> str:
    """How a page span of `doc` is shown: "p.4–5" or "pp. 487–488 (PDF pp. 4–5)" (", OCR" when scanned)."""
    return pages_text(a, b, printed(doc, a), printed(doc, b)) + (", OCR" if ocr else "")


def label_citation(c: Citation, doc) -> Citation:
    if doc is not None and c.doc_id and getattr(doc, "page_labels_source", "") == LABELS_CLAUSES and c.section:
        # a Word file read without LibreOffice: its "pages" are clauses, and the cited text's section names
        # the one clause it lies in, where the chunk's page range spans several
        hit = clause_page(doc.page_labels, c.section, c.page_start, c.page_end)
        if hit is not None:
            c.page_start = c.page_end = hit
    if doc is not None and c.doc_id:
        c.printed_start = printed(doc, c.page_start)
        c.printed_end = printed(doc, c.page_end)
    return c


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
    for c in cites:
        label_citation(c, docs.get(c.doc_id))
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
