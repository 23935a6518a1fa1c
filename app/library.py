"""The library as the CLI and the UI see it: Settings in, store / embedder / ingest results out.

Stores and embedders are expensive to open (Chroma, torch), so they are cached per process: one
store per (home, chroma_url, collection), one embedder per model name.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Callable

from app.config import Settings
from ingest.embed import Embedder, LazyEmbedder, get_embedder
from ingest.pipeline import ingest_paths
from ingest.store import Store, open_store
from ingest.types import Document, IngestResult
from retrieval.tokens import tokenizer_id, tokenizer_path

_STORES: dict[tuple, Store] = {}
_LOCK = threading.Lock()


def get_store(settings: Settings) -> Store:
    key = (str(Path(settings.home).expanduser().resolve()), settings.chroma_url or "", settings.collection)
    with _LOCK:
        st = _STORES.get(key)
        if st is None:
            st = _STORES[key] = open_store(Path(key[0]), settings.chroma_url, settings.collection)
        return st


def forget_stores() -> None:
    """Drop cached stores (tests that delete a home folder; a UI that switches data folders)."""
    with _LOCK:
        _STORES.clear()


def get_embedder_for(settings: Settings) -> Embedder:
    return get_embedder(settings.embedder or "default", settings.embed_backend)


def ingest(
    settings: Settings,
    paths: list[Path | str],
    password: str | None = None,
    progress: Callable[[dict], None] | None = None,
) -> list[IngestResult]:
    return ingest_paths(
        [Path(p) for p in paths],
        store=get_store(settings),
        embedder=LazyEmbedder(settings.embedder or "default", settings.embed_backend),
        password=password,
        workers=settings.workers,
        ocr=settings.ocr,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        max_pages=settings.max_pages,
        max_bytes=int(settings.max_file_mb) * 2**20,
        file_timeout_s=settings.file_timeout_s,
        progress=progress,
        embed_batch=settings.embed_batch,
        context_tokenizer=(str(tokenizer_path()), tokenizer_id()),
        chunk_headers=settings.chunk_headers,
    )


def list_documents(settings: Settings) -> list[Document]:
    return get_store(settings).documents()


def _find(store: Store, ref: str) -> Document:
    doc = store.find_document(ref)
    if doc is None:
        raise LookupError(f"no document matches '{ref}' (use an id, an id prefix of 6+ characters, or a file name; see `longdoc docs`)")
    return doc


def remove(settings: Settings, ref: str) -> Document:
    store = get_store(settings)
    doc = _find(store, ref)
    store.remove_document(doc.doc_id)
    store.refresh_bm25()
    return doc


def resolve_docs(settings: Settings, refs: list[str] | None) -> list[Document]:
    """Documents named by ids, id prefixes or file names; None or [] means the whole library."""
    store = get_store(settings)
    if not refs:
        return store.documents()
    out: list[Document] = []
    for ref in refs:
        d = _find(store, ref)
        if all(d.doc_id != o.doc_id for o in out):
            out.append(d)
    return out


def routed_search(settings: Settings, query: str, doc_ids: list[str] | None, *, k: int = 10, mode: str = "hybrid",
                  routing: bool | None = None):
    """Ranked passages for `query`, inside the documents it names when it names some: (route, hits).

    The CLI's `search` and the UI's Search both call this, so both show the same route."""
    from retrieval.routed import plan_route, routed_hits, scope_documents

    store = get_store(settings)
    embedder = get_embedder_for(settings)
    use = settings.routing if routing is None else routing
    with store.snapshot():
        docs = scope_documents(store, doc_ids)
        if not use or len(docs) <= 1:
            from retrieval.search import search

            return None, search(store, embedder, query, k=k, doc_ids=doc_ids, mode=mode,
                                rerank_model=settings.rerank_model)
        rt = plan_route(store, embedder, query, docs=docs)
        hits, _ = routed_hits(store, embedder, rt, k=k, doc_ids=doc_ids, mode=mode, rerank_model=settings.rerank_model)
        hits = sorted(hits, key=lambda h: h.rank)[:k]
        if not rt.narrowed and not rt.reason:
            rt = dataclasses.replace(rt, reason=f"names no document: searched all {len(docs)} documents in scope")
        return rt, hits


# ---- the library's profiles: filter and sort (issue 16) --------------------------------------------------
SORTS = ("file", "title", "date", "ingested", "pages", "type")


def profile_row(d: Document) -> dict:
    """One document as the library lists it: the registry row plus its profile's display fields."""
    p = d.profile
    return {
        "doc_id": d.doc_id,
        "file": d.file,
        "title": d.title or p.title or d.file,
        "domain": d.domain,
        "type": p.doc_type or d.domain,
        "parties": p.parties or p.authors,
        "date": p.date,
        "court": p.court,
        "case_number": p.case_number,
        "pages": d.pages,
        "chunks": d.chunks,
        "ingested_at": d.ingested_at,
        "profile": p.present,
    }


def filter_documents(docs: list[Document], text: str = "", domains: list[str] | None = None,
                     sort: str = "file", descending: bool = False) -> list[Document]:
    """Documents whose title, type, parties/authors, aliases, court, case number, dates or file name hold
    every word of `text` (case-insensitive), of the given domains, sorted by `sort`."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (choose {', '.join(SORTS)})")
    words = [w for w in (text or "").lower().split() if w]
    out = []
    for d in docs:
        if domains and d.domain not in domains:
            continue
        if words:
            p = d.profile
            hay = " ".join([d.title, d.file, d.domain, p.title, p.doc_type, p.court, p.case_number, *p.parties,
                            *p.authors, *p.aliases, *p.dates, *p.identifiers]).lower()
            if not all(w in hay for w in words):
                continue
        out.append(d)
    keys = {
        "file": lambda d: (d.file.lower(), d.doc_id),
        "title": lambda d: ((d.title or d.file).lower(), d.file.lower()),
        "date": lambda d: (d.profile.date or "", d.file.lower()),
        "ingested": lambda d: (d.ingested_at, d.file.lower()),
        "pages": lambda d: (d.pages, d.file.lower()),
        "type": lambda d: ((d.profile.doc_type or d.domain).lower(), d.file.lower()),
    }
    return sorted(out, key=keys[sort], reverse=descending)


def find_documents(settings: Settings, query: str, docs: list[Document] | None = None, k: int = 20) -> list[Document]:
    """Documents ranked by their profiles' match to `query` (BM25 + dense over profiles), best first."""
    from retrieval.route import index_for, search_profiles

    store = get_store(settings)
    docs = store.documents() if docs is None else docs
    embedder = get_embedder_for(settings)
    idx = index_for(store, docs, embedder)
    by_id = {d.doc_id: d for d in idx.docs}
    return [by_id[c.doc_id] for c in search_profiles(idx, query, embedder, k=k)]
