"""Search and pack by the route: the documents a question names, each listed item with its share of the budget.

`routed_context` is what every face asks for a question's context (CLI `context`/`ask`/`search`, the UI, the
evaluation): the route is computed over the documents in scope (the library or the user's selection), the
search runs inside the routed documents, and the PackedContext carries the route so the coverage report can
say which documents were read and why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from typing import Any

from ingest.types import Document
from retrieval.pack import hits_for_budget, pack
from retrieval.route import Candidate, Route, index_for, route
from retrieval.search import search
from retrieval.types import Hit, PackedContext

LIKELY = 3  # a question that names no document: the documents most of its passages come from, named


def scope_documents(store: Any, doc_ids: list[str] | None) -> list[Document]:
    docs = list(store.documents())
    if doc_ids is None:
        return docs
    want = set(doc_ids)
    return [d for d in docs if d.doc_id in want]


def plan_route(store: Any, embedder: Any, question: str, doc_ids: list[str] | None = None,
               docs: list[Document] | None = None) -> Route:
    """The route of `question` over the documents in scope (all ready documents when `doc_ids` is None)."""
    docs = docs if docs is not None else scope_documents(store, doc_ids)
    return route(question, index_for(store, docs, embedder), embedder)


def search_parts(rt: Route) -> list[str] | None:
    """What to search inside the routed documents: the question and its ask (inside one document the words
    that name it match every passage and rank none); None = the question as the search splits it."""
    ask_ok = rt.ask and rt.ask != rt.question and len(_content(rt.ask)) >= 2
    implicit = [it for it in rt.items if it.implicit]
    if rt.narrowed and implicit:
        # names found inside the question ("the Dynamex agreement"): the question without them
        names = {w.lower() for it in implicit for w in re.findall(r"[\w'’-]+", it.span)}
        rest = " ".join(w for w in rt.question.split() if re.sub(r"[^\w'’-]", "", w).lower() not in names)
        return [rt.question, rest] if len(_content(rest)) >= 2 else None
    if rt.narrowed and ask_ok:
        return [rt.question, rt.ask]
    return None


def routed_hits(store: Any, embedder: Any, rt: Route, *, k: int, doc_ids: list[str] | None, mode: str = "hybrid",
                rerank_model: str | None = None, timings: dict | None = None) -> tuple[list[Hit], list[str] | None]:
    """Hits for the route and the documents to pack: the named ones, or the whole scope."""
    if rt.mode == "listed":
        lists = []
        per = max(20, k // max(1, len(rt.items)))
        ask = rt.ask if rt.ask and rt.ask != rt.question and len(_content(rt.ask)) >= 2 else rt.question
        for it in rt.items:  # each item searched with the ask alone, in its own documents
            lists.append(search(store, embedder, ask, k=per, doc_ids=list(it.doc_ids), mode=mode,
                                rerank_model=rerank_model, timings=timings))
        return _interleave(lists), list(rt.doc_ids or ())
    scope = list(rt.doc_ids) if rt.doc_ids is not None else doc_ids
    hits = search(store, embedder, rt.question, k=k, doc_ids=scope, mode=mode, rerank_model=rerank_model,
                  timings=timings, parts=search_parts(rt))
    if soft(rt):
        # found by names inside the question, not pointed at: its hits first, then the whole scope's
        rest = search(store, embedder, rt.question, k=k, doc_ids=doc_ids, mode=mode, rerank_model=rerank_model,
                      timings=timings)
        seen = {h.chunk.chunk_id for h in hits}
        merged = hits + [h for h in rest if h.chunk.chunk_id not in seen]
        return [dataclasses.replace(h, rank=i) for i, h in enumerate(merged)], doc_ids
    return hits, scope


def route_share(rt: Route) -> float:
    """The part of the budget split evenly between the documents read: all of it for listed items."""
    return 1.0 if rt.mode == "listed" else 0.5


def soft(rt: Route) -> bool:
    """A route that reads its document first but hides nothing else (names found without a cue)."""
    return rt.mode == "named" and any(it.implicit for it in rt.items)


def _content(text: str) -> list[str]:
    from retrieval.route import _terms

    return _terms(text)


def _interleave(lists: list[list[Hit]]) -> list[Hit]:
    """One ranking from per-item rankings, round robin, so no item's tenth hit precedes another's first."""
    out: list[Hit] = []
    seen: set[str] = set()
    for r in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if r < len(lst) and lst[r].chunk.chunk_id not in seen:
                seen.add(lst[r].chunk.chunk_id)
                out.append(dataclasses.replace(lst[r], rank=len(out)))
    return out


def routed_context(
    store: Any,
    embedder: Any,
    question: str,
    *,
    doc_ids: list[str] | None = None,
    budget: int,
    mode: str = "hybrid",
    rerank_model: str | None = None,
    routing: bool = True,
    search_query: str | None = None,
    k: int | None = None,
    timings: dict[str, float] | None = None,
    tokenizer: str | None = None,
) -> PackedContext:
    """Route, search and pack in one call. `search_query` (default: the question) is what is searched — the
    extractive answerer adds its clause vocabulary; the route is always computed from the question itself."""
    if doc_ids is not None and not doc_ids:
        from retrieval.pack import DEFAULT_FAMILY

        return PackedContext(query=question, passages=[], tokens=0, budget=budget, mode="empty", coverage=[],
                             tokenizer=tokenizer or DEFAULT_FAMILY)
    k = k if k is not None else hits_for_budget(budget)
    with store.snapshot() if hasattr(store, "snapshot") else contextlib.nullcontext():
        t0 = time.perf_counter()
        docs = scope_documents(store, doc_ids)
        t1 = time.perf_counter()
        rt = plan_route(store, embedder, question, docs=docs) if routing else Route(question, question)
        if timings is not None:
            timings["scope"] = timings.get("scope", 0.0) + t1 - t0
            timings["route"] = timings.get("route", 0.0) + time.perf_counter() - t1
        q = search_query or question
        query_rt = dataclasses.replace(rt, question=q) if q != question else rt
        hits, scope = routed_hits(store, embedder, query_rt, k=k, doc_ids=doc_ids, mode=mode,
                                  rerank_model=rerank_model, timings=timings)
        packed = pack(question, store, hits, budget=budget, doc_ids=scope, timings=timings,
                      share=route_share(rt), fair=not soft(rt), tokenizer=tokenizer)
    packed.route = explain(rt, packed, hits, docs)
    return packed


def explain(rt: Route, packed: PackedContext, hits: list[Hit], docs: list[Document]) -> Route:
    """The route as the user should read it, with what packing did: for a question that names no document,
    which documents the passages came from (the most likely ones), and for every route, how much was read."""
    if rt.narrowed:
        return rt
    by_id = {d.doc_id: d for d in docs}
    tokens = {c.doc_id: c.tokens for c in packed.coverage if c.tokens}
    total = sum(tokens.values()) or 1
    best_rank: dict[str, int] = {}
    for h in hits:
        best_rank.setdefault(h.chunk.doc_id, h.rank)
    ranked = sorted(tokens, key=lambda d: (-tokens[d], best_rank.get(d, 10**9)))
    likely = tuple(
        Candidate(d, by_id[d].file if d in by_id else "", (by_id[d].title or by_id[d].file) if d in by_id else d,
                  round(tokens[d] / total, 3))
        for d in ranked[:LIKELY]
    )
    n = len(docs)
    if rt.mode == "library":
        if n <= 1:
            reason = rt.reason or "reading the only document in scope"
        else:
            top = "; ".join(f"{c.title} ({c.score:.0%} of the context)" for c in likely) or "none matched"
            lead = ("names no document" if not rt.deictic else
                    "refers to “" + _deixis(rt.question) + "” but names none")
            reason = (f"{lead}: searched all {n} documents in scope; the passages come mostly from {top}"
                      + (" — name the document (or select it) to read only that one" if rt.deictic else ""))
    else:
        reason = rt.reason
    return dataclasses.replace(rt, likely=likely, reason=reason)


def _deixis(question: str) -> str:
    from retrieval.route import _DEICTIC

    m = _DEICTIC.search(question)
    return m.group(0) if m else "the document"
