"""The library as the CLI and the UI see it: Settings in, store / embedder / ingest results out.

Stores and embedders are expensive to open (Chroma, torch), so they are cached per process: one
store per (matter folder, chroma_url, matter collection), one embedder per model name. The store of a
matter other than the default opens only once the matter exists (app.matters), so a typo in
`--matter` is an error, not a new library.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from app.config import Settings
from ingest.embed import Embedder, LazyEmbedder, get_embedder
from ingest.pipeline import IngestConfig, ingest_paths
from ingest.store import Store, open_store
from ingest.types import Document, IngestResult
from retrieval.tokens import tokenizer_id, tokenizer_path

_STORES: dict[tuple, Store] = {}
_LOCK = threading.Lock()


def _key(settings: Settings) -> tuple:
    return (str(Path(settings.data_dir).expanduser().resolve()), settings.chroma_url or "", settings.collection)


def get_store(settings: Settings, check: bool = True) -> Store:
    key = _key(settings)
    with _LOCK:
        st = _STORES.get(key)
    if st is not None:
        return st
    if check and not settings.is_default_matter:
        from app import matters

        matters.require(settings)
    with _LOCK:
        st = _STORES.get(key)
        if st is None:
            st = _STORES[key] = open_store(Path(key[0]), settings.chroma_url, settings.collection)
        return st


def forget_stores(settings: Settings | None = None) -> None:
    """Drop cached stores: all of them (tests that delete a home folder), or one matter's (renamed, deleted)."""
    with _LOCK:
        if settings is None:
            _STORES.clear()
        else:
            st = _STORES.pop(_key(settings), None)
    if settings is not None and st is not None and st.embedded:
        try:  # release the embedded Chroma of that folder (before it is moved or deleted)
            st.client.close()
        except Exception:  # noqa: BLE001 - older chromadb without close(), or already released
            pass


def get_embedder_for(settings: Settings) -> Embedder:
    return get_embedder(settings.embedder or "default", settings.embed_backend)


_EMBEDDERS: dict[tuple, LazyEmbedder] = {}


def embedder_for(settings: Settings) -> LazyEmbedder:
    """The embedder ingest uses, loaded on first use and kept for the process (a worker's jobs share it)."""
    key = (settings.embedder or "default", settings.embed_backend)
    with _LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = _EMBEDDERS[key] = LazyEmbedder(*key)
        return emb


def ingest_config(settings: Settings) -> IngestConfig:
    return IngestConfig(
        ocr=settings.ocr,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        max_pages=settings.max_pages,
        max_bytes=int(settings.max_file_mb) * 2**20,
        file_timeout_s=settings.file_timeout_s,
        embed_batch=settings.embed_batch,
        context_tokenizer=(str(tokenizer_path()), tokenizer_id()),
        originals_dir=settings.originals_dir,
    )


def ingest(
    settings: Settings,
    paths: list[Path | str],
    password: str | None = None,
    progress: Callable[[dict], None] | None = None,
) -> list[IngestResult]:
    """Ingest here and now, in this process (tests, benchmarks, scripts). The faces submit jobs instead
    (app/jobs.py), which a worker runs with the same pipeline."""
    cfg = ingest_config(settings)
    results = ingest_paths(
        [Path(p) for p in paths],
        store=get_store(settings),
        embedder=LazyEmbedder(settings.embedder or "default", settings.embed_backend),
        password=password,
        workers=settings.workers,
        ocr=cfg.ocr,
        chunk_tokens=cfg.chunk_tokens,
        chunk_overlap=cfg.chunk_overlap,
        max_pages=cfg.max_pages,
        max_bytes=cfg.max_bytes,
        file_timeout_s=cfg.file_timeout_s,
        progress=progress,
        embed_batch=cfg.embed_batch,
        context_tokenizer=cfg.context_tokenizer,
        originals_dir=cfg.originals_dir,
    )
    prune_originals(settings)
    return results


def prune_originals(settings: Settings) -> None:
    """Drop the kept PDFs and rendered pages of documents no longer in the library (replaced, removed).
    Best effort: a copy left behind costs disk, never a result."""
    from app.pages import forget_document
    from ingest import originals

    try:
        keep = {d.doc_id for d in get_store(settings).all_rows()}
        for doc_id in originals.prune(settings.originals_dir, keep):
            forget_document(settings, doc_id)
    except Exception:  # noqa: BLE001 - a store that cannot be listed right now: pruned next time
        pass


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


# ---- one document (API, MCP) --------------------------------------------------------------------


def get_document(settings: Settings, ref: str) -> Document:
    """The ready document named by `ref` (id, id prefix of 6+, file name); LookupError otherwise."""
    return _find(get_store(settings), ref)


def delete_document(settings: Settings, ref: str) -> Document:
    """Remove a document from the library and its uploaded copy (content-addressed: nothing else uses it)."""
    from app import uploads

    doc = remove(settings, ref)
    uploads.forget(settings, doc.doc_id)
    return doc


def document_json(doc: Document) -> dict:
    """A document as the API and MCP show it: without its path on the server's disk."""
    import dataclasses

    data = dataclasses.asdict(doc)
    data.pop("path", None)
    return data
