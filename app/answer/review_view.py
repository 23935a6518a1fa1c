"""Where a review cell's clause is: the words to highlight and the page they are on, for the page view.

A cell's evidence is a document's best passages for the question — at the default budget often several pages.
Its page view should open on the clause itself, not on a page-long passage: the words to mark are the model's
quote when it was verified, else the cell's answer (the extractive answer is the best sentence of the best
passage), and the page is that of the stored chunk of the evidence holding them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.answer.highlight import squash
from app.config import Settings
from app.library import documents as library


@dataclass(frozen=True)
class ClauseTarget:
    text: str  # the words to highlight (verbatim from the document)
    page: int
    page_end: int
    section: str = ""


def _words_of(cell) -> str:
    if cell.quote and cell.quote_verified:
        return cell.quote
    answer = (cell.answer or "").rstrip("…").strip()
    if cell.mode == "extractive" and answer and cell.evidence:
        return answer
    return ""


def clause_targets(settings: Settings, table) -> dict[tuple[str, str], ClauseTarget]:
    """Every cell's clause target, keyed by (doc_id, question); the chunks read in one batch."""
    store = library.get_store(settings)
    ids = list(dict.fromkeys(cid for r in table.rows for c in r.cells for e in c.evidence[:1]
                             for cid in (e.get("chunk_ids") or ())))
    chunks = {ch.chunk_id: ch for ch in store.get_chunks(ids)} if ids else {}
    out: dict[tuple[str, str], ClauseTarget] = {}
    for r in table.rows:
        for c in r.cells:
            if not c.evidence:
                continue
            e = c.evidence[0]
            page, end = int(e["page"]), int(e.get("page_end") or e["page"])
            words = _words_of(c)
            target = ClauseTarget(e.get("text") or "", page, end, e.get("section") or "")
            if words:
                needle = squash(words)[:120]
                holding = [ch for cid in (e.get("chunk_ids") or ()) if (ch := chunks.get(cid)) is not None
                           and needle and needle in squash(ch.text)]
                holding.sort(key=lambda ch: (ch.page_end - ch.page_start, ch.char_start))
                if holding:
                    ch = holding[0]
                    target = ClauseTarget(words, ch.page_start, ch.page_end, " › ".join(ch.section) or target.section)
                else:
                    target = ClauseTarget(words, page, end, target.section)
            out[(r.doc_id, c.question)] = target
    return out
