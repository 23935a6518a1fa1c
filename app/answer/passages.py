"""Search and context as use cases: what `longdoc search` / `longdoc context`, the API and MCP return.

Kept out of the faces so each returns the same JSON for the same question: the ranked passages with
their pages and sections, or the packed context with its coverage report.
"""

from __future__ import annotations

from app.answer.cite import hit_section
from app.answer.printed_pages import page_display, printed
from app.answer.session import backend, tokenizer_of, window_budget
from app.config import Settings
from app.errors import InvalidRequest, NotFound, NothingToRead
from app.library import documents as library
from retrieval.pack import order_documents, page_label, render_context
from retrieval.routed import routed_context

SEARCH_MODES = ("hybrid", "dense", "bm25")


def default_budget(s: Settings) -> int:
    """Settings.budget, or the active model's window (the catalog's; the default model's when none is
    configured) minus the tokens kept back for the answer and the prompt — the budget policy of app.ask."""
    return window_budget(s, backend(s))


def context_tokenizer(s: Settings) -> str:
    """The tokenizer family the active model's budgets are counted in."""
    return tokenizer_of(backend(s))


def expand_commas(s: Settings, refs: list[str] | None) -> list[str] | None:
    """Refs may hold comma-separated lists; file names may contain commas, so a piece that is itself a
    whole ref is kept as given."""
    refs = [r.strip() for r in (refs or []) if r and r.strip()]
    if not refs:
        return None
    store = library.get_store(s)
    out: list[str] = []
    for r in refs:
        if "," in r and store.find_document(r) is None:
            out.extend(p.strip() for p in r.split(",") if p.strip())
        else:
            out.append(r)
    return out


def resolve(s: Settings, refs: list[str] | None):
    """(store, documents) for the refs; LookupError for an empty library or an unknown ref."""
    store = library.get_store(s)
    if not store.documents():
        raise NothingToRead("the library is empty — add documents with `longdoc ingest PATH`")
    return store, library.resolve_docs(s, expand_commas(s, refs))


def search_passages(s: Settings, query: str, docs: list[str] | None = None, k: int = 10, mode: str = "hybrid",
                    routing: bool | None = None) -> dict:
    """Ranked passages for `query` (dense + BM25 fused), as the JSON `longdoc search --json` prints; a query
    that names documents searches those, and "route" says which and why (None when not routed)."""
    query = (query or "").strip()
    if not query:
        raise InvalidRequest("the query is empty")
    if mode not in SEARCH_MODES:
        raise InvalidRequest(f"unknown search mode '{mode}': choose hybrid, dense or bm25")
    if not 1 <= int(k) <= 1000:
        raise InvalidRequest("k must be between 1 and 1000")
    store, documents = resolve(s, docs)
    rt, hits = library.routed_search(s, query, [d.doc_id for d in documents], k=k, mode=mode, routing=routing)
    index = {d.doc_id: i for i, d in enumerate(order_documents(documents), start=1)}
    by_id = {d.doc_id: d for d in documents}
    rows = []
    for h in hits:
        c = h.chunk
        rows.append(
            {
                "rank": h.rank + 1,
                "score": round(h.score, 6),
                "label": page_label(index.get(c.doc_id, 0), c.page_start, c.page_end),
                "doc_id": c.doc_id,
                "file": by_id[c.doc_id].file if c.doc_id in by_id else "",
                "pages": [c.page_start, c.page_end],
                # printed page numbers (issue 12): "" where unknown or the same as the PDF page
                "printed_pages": [printed(by_id.get(c.doc_id), c.page_start), printed(by_id.get(c.doc_id), c.page_end)],
                "pages_display": page_display(by_id.get(c.doc_id), c.page_start, c.page_end, c.ocr),
                "section": hit_section(query, c),  # where the sentence closest to the query lies
                "chunk_id": c.chunk_id,
                "dense_rank": None if h.dense_rank is None else h.dense_rank + 1,
                "bm25_rank": None if h.bm25_rank is None else h.bm25_rank + 1,
                "is_references": c.is_references,
                "text": c.text,
            }
        )
    return {"query": query, "mode": mode, "k": k, "route": rt.as_dict() if rt is not None else None, "hits": rows}


def packed_context(s: Settings, question: str, docs: list[str] | None = None, budget: int = 0,
                   routing: bool | None = None):
    """(packed, json) — the context a model would receive for `question`, its route (which documents were
    read and why) and its coverage report."""
    question = (question or "").strip()
    if not question:
        raise InvalidRequest("the question is empty")
    if budget and budget < 0:
        raise InvalidRequest("budget must be a positive number of tokens")
    size = budget or default_budget(s)
    store, documents = resolve(s, docs)
    embedder = library.get_embedder_for(s)
    packed = routed_context(store, embedder, question, doc_ids=[d.doc_id for d in documents], budget=size,
                            rerank_model=s.rerank_model, tokenizer=context_tokenizer(s),
                            routing=s.routing if routing is None else routing)
    text = render_context(packed)
    data = {
        "question": question,
        "budget": packed.budget,
        "tokens": packed.tokens,
        "tokenizer": packed.tokenizer,
        "mode": packed.mode,
        "route": packed.route.as_dict() if packed.route is not None else None,
        "passages": [
            {
                "label": p.label,
                "doc_id": p.doc_id,
                "file": p.file,
                "title": p.title,
                "pages": [p.page_start, p.page_end],
                "section": p.section,
                "chunk_ids": list(p.chunk_ids),
                "tokens": p.tokens,
                "text": p.text,
            }
            for p in packed.passages
        ],
        "coverage": [
            {
                "label": c.label,
                "doc_id": c.doc_id,
                "file": c.file,
                "pages_total": c.pages_total,
                "pages_in_context": c.pages_in_context,
                "pages_missing": c.pages_missing,
                "tokens": c.tokens,
                "whole": c.whole,
                "vectors": getattr(c, "vectors", True),  # False: its vectors are still being computed
            }
            for c in packed.coverage
        ],
        "context": text,
    }
    return packed, data


def page_text(s: Settings, ref: str, page: int) -> dict:
    """The text of page `page` of a document, stitched from the chunks on it (a chunk that crosses into
    the next page is included whole, so the edges may hold a few lines of a neighbour)."""
    doc = library.get_document(s, ref)
    if not 1 <= int(page) <= max(1, doc.pages):
        raise NotFound(f"{doc.file} has pages 1–{doc.pages}; there is no page {page}")
    store = library.get_store(s)
    parts: list[str] = []
    end = -1
    for c in store.chunks(doc.doc_id):
        if not c.page_start <= page <= c.page_end or c.char_end <= end:
            continue
        skip = max(0, end - c.char_start) if end >= 0 else 0
        parts.append(c.text[skip:])
        end = c.char_end
    return {"doc_id": doc.doc_id, "file": doc.file, "page": int(page), "pages": doc.pages, "text": "".join(parts)}
