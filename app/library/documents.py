"""The documents of a matter: ingest here and now, list, find, filter, remove, search with routing.

The stores and embedders they live in are opened (and cached) by `app.library.stores`. The page cache
(`settings.pages_dir`) is the library's too: removing a document drops its pages here (`forget_pages`).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from app.config import Settings
from app.errors import InvalidRequest, NoSuchDocument
from app.library import trash, uploads

# the stores documents live in, named here too: every use case reaches the library through this module
from app.library.stores import embedder_for as embedder_for
from app.library.stores import forget_stores as forget_stores
from app.library.stores import get_embedder_for as get_embedder_for
from app.library.stores import get_store as get_store
from ingest import originals
from ingest.docx import LABELS_CLAUSES
from ingest.docx_render import RENDER_MODES
from ingest.embed import LazyEmbedder
from ingest.pdf import TEXT_ENGINES, sha256_file
from ingest.pipeline import IngestConfig, ingest_paths
from ingest.store import Store
from ingest.types import Document, IngestResult
from retrieval.route import index_for, search_profiles
from retrieval.routed import plan_route, routed_hits, scope_documents
from retrieval.search import search
from retrieval.tokens import tokenizer_id, tokenizer_path


def ingest_config(settings: Settings) -> IngestConfig:
    if settings.pdf_text not in TEXT_ENGINES:
        raise InvalidRequest(f"LONGDOC_PDF_TEXT must be {' or '.join(TEXT_ENGINES)} (got '{settings.pdf_text}')")
    if settings.docx_render not in RENDER_MODES:
        raise InvalidRequest(f"LONGDOC_DOCX_RENDER must be {' or '.join(RENDER_MODES)} (got '{settings.docx_render}')")
    return IngestConfig(
        ocr=settings.ocr,
        text_engine=settings.pdf_text,
        tables=settings.tables,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        max_pages=settings.max_pages,
        max_bytes=int(settings.max_file_mb) * 2**20,
        file_timeout_s=settings.file_timeout_s,
        embed_batch=settings.embed_batch,
        context_tokenizer=(str(tokenizer_path()), tokenizer_id()),
        chunk_headers=settings.chunk_headers,
        originals_dir=settings.originals_dir,
        docx_render=settings.docx_render,
    )


def ingest(
    settings: Settings,
    paths: list[Path | str],
    password: str | None = None,
    progress: Callable[[dict], None] | None = None,
) -> list[IngestResult]:
    """Ingest here and now, in this process (tests, benchmarks, scripts). The faces submit jobs instead
    (app/library/jobs.py), which a worker runs with the same pipeline."""
    results = ingest_paths(
        [Path(p) for p in paths],
        store=get_store(settings),
        embedder=LazyEmbedder(settings.embedder or "default", settings.embed_backend),
        config=dataclasses.replace(ingest_config(settings), text_first=False),  # one write per file: nobody reads mid-batch
        password=password,
        workers=settings.workers,
        progress=progress,
    )
    prune_originals(settings)
    return results


def prune_originals(settings: Settings) -> None:
    """Drop the kept PDFs and rendered pages of documents no longer in the library (replaced, removed).
    Best effort: a copy left behind costs disk, never a result."""
    try:
        keep = {d.doc_id for d in get_store(settings).all_rows()}
        for doc_id in originals.prune(settings.originals_dir, keep):
            forget_pages(settings, doc_id)
    except Exception:  # noqa: BLE001 - a store that cannot be listed right now: pruned next time
        pass


def forget_pages(settings: Settings, doc_id: str) -> None:
    """Drop a document's rendered pages (it was removed or replaced): the page cache is the library's
    (`settings.pages_dir/<doc_id>`); app.answer.pages fills it."""
    if re.fullmatch(r"[0-9a-f]{64}", doc_id):
        shutil.rmtree(Path(settings.pages_dir) / doc_id, ignore_errors=True)


def list_documents(settings: Settings) -> list[Document]:
    return get_store(settings).documents()


def _find(store: Store, ref: str) -> Document:
    doc = store.find_document(ref)
    if doc is None:
        raise NoSuchDocument(f"no document matches '{ref}' (use an id, an id prefix of 6+ characters, or a file name; see `longdoc docs`)")
    return doc


def remove(settings: Settings, ref: str) -> Document:
    store = get_store(settings)
    doc = _find(store, ref)
    store.remove_document(doc.doc_id)
    store.refresh_bm25()
    prune_originals(settings)
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
    store = get_store(settings)
    embedder = get_embedder_for(settings)
    use = settings.routing if routing is None else routing
    with store.snapshot():
        docs = scope_documents(store, doc_ids)
        if not use or len(docs) <= 1:
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


def page_unit(d: Document) -> str:
    """What a document's "pages" are: "clauses" for a Word file read without LibreOffice (each numbered
    clause is a "page", cited "cl. 12.3"), "pages" for everything else."""
    return "clauses" if d.page_labels_source == LABELS_CLAUSES else "pages"


def page_count(d: Document) -> str:
    """"28 pages" / "28 clauses" — how lists show a document's length."""
    return f"{d.pages} {page_unit(d)}"


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
        "page_unit": page_unit(d),
        "chunks": d.chunks,
        "ingested_at": d.ingested_at,
        "profile": p.present,
    }


def filter_documents(docs: list[Document], text: str = "", domains: list[str] | None = None,
                     sort: str = "file", descending: bool = False) -> list[Document]:
    """Documents whose title, type, parties/authors, aliases, court, case number, dates or file name hold
    every word of `text` (case-insensitive), of the given domains, sorted by `sort`."""
    if sort not in SORTS:
        raise InvalidRequest(f"unknown sort {sort!r} (choose {', '.join(SORTS)})")
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
    store = get_store(settings)
    docs = store.documents() if docs is None else docs
    embedder = get_embedder_for(settings)
    idx = index_for(store, docs, embedder)
    by_id = {d.doc_id: d for d in idx.docs}
    return [by_id[c.doc_id] for c in search_profiles(idx, query, embedder, k=k)]


# ---- one document (API, MCP) --------------------------------------------------------------------


def get_document(settings: Settings, ref: str) -> Document:
    """The ready document named by `ref` (id, id prefix of 6+, file name); LookupError otherwise."""
    return _find(get_store(settings), ref)


def delete_document(settings: Settings, ref: str) -> Document:
    """Remove a document from the library — its chunks, vectors and BM25 rows go at once, so nothing searches
    it — keeping its bytes in the matter's trash for `LONGDOC_TRASH_DAYS` (`restore` brings it back).
    Every face deletes through here, so every face's delete can be undone."""
    store = get_store(settings)
    doc = _find(store, ref)
    trash.keep(settings, doc_id=doc.doc_id, file=doc.file, title=doc.title or doc.file, pages=doc.pages,
               chunks=doc.chunks, source=_bytes_of(settings, doc))
    remove(settings, doc.doc_id)
    uploads.forget(settings, doc.doc_id)
    return doc


def _bytes_of(settings: Settings, doc: Document) -> Path | None:
    """Where the document's own bytes are: the library's copy of a PDF, the kept upload, or its source file
    (only when that still hashes to the document: a source folder changes after ingest)."""
    kept = originals.original_path(settings.originals_dir, doc.doc_id)
    if kept.is_file():
        return kept
    up = uploads.kept_path(settings, doc.doc_id, doc.file)
    if up is not None:
        return up
    src = Path(doc.path) if getattr(doc, "path", None) else None
    try:
        if src is not None and src.is_file() and sha256_file(src) == doc.doc_id:
            return src
    except OSError:
        pass
    return None


def recently_deleted(settings: Settings) -> list[trash.TrashEntry]:
    """This matter's deleted documents that can still be restored, newest first."""
    return trash.entries(settings, in_library={d.doc_id for d in get_store(settings).all_rows()})


def find_deleted(settings: Settings, ref: str) -> trash.TrashEntry:
    """A recently deleted document by id, id prefix (6+ characters) or file name; NoSuchDocument otherwise."""
    ref = (ref or "").strip()
    for e in recently_deleted(settings):
        if e.doc_id == ref or (len(ref) >= 6 and e.doc_id.startswith(ref)) or e.file == ref:
            return e
    raise NoSuchDocument(f"no recently deleted document matches '{ref}' (see `longdoc restore` for the list; "
                         f"deleted documents are kept {settings.trash_days:g} days)")


def document_json(doc: Document) -> dict:
    """A document as the API and MCP show it: without its path on the server's disk."""
    data = dataclasses.asdict(doc)
    data.pop("path", None)
    data["page_unit"] = page_unit(doc)  # "clauses": `pages` counts a clause-paged Word file's clauses
    return data
