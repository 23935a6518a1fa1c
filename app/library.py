"""The library as the CLI and the UI see it: Settings in, store / embedder / ingest results out.

Stores and embedders are expensive to open (Chroma, torch), so they are cached per process: one
store per (home, chroma_url, collection), one embedder per model name.
"""

from __future__ import annotations

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
    results = ingest_paths(
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
        originals_dir=settings.originals_dir,
    )
    _prune_originals(settings)
    return results


def _prune_originals(settings: Settings) -> None:
    """Drop the kept PDFs and rendered pages of documents no longer in the library (replaced, removed)."""
    from app.pages import forget_document
    from ingest import originals

    keep = {d.doc_id for d in get_store(settings).all_rows()}
    for doc_id in originals.prune(settings.originals_dir, keep):
        forget_document(settings, doc_id)


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
    _prune_originals(settings)
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
