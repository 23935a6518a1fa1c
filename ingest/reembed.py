"""Re-embed a library with another embedder: new vectors for the stored chunks, one document at a time.

A library records which embedder made each document's vectors (the registry row's `embedder`); search refuses a
library whose vectors are not the asking embedder's (retrieval.search.check_embedder), and ingest refuses to add
another model's vectors to it. Switching a library to another embedder (MiniLM → multilingual-e5-small for
Chinese documents) is this explicit step: the chunks stay as stored (same ids, text and pages; BM25 and
whole-document packing are untouched), only the vectors and the profile vector are replaced.

Resumable: each document is switched on its own (vectors, then its row names the new embedder), so an
interrupted run leaves finished documents switched and the rest as they were, and the next run does only the
rest. Progress is reported per document (`progress(done, total, file)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.embed import embedder_id


@dataclass
class ReembedResult:
    embedder: str
    done: list[str] = field(default_factory=list)  # files re-embedded by this run
    already: int = 0  # documents whose vectors were already the embedder's
    chunks: int = 0


def pending(store, embedder) -> list:
    """The ready documents whose vectors another embedder made."""
    target = embedder_id(getattr(embedder, "name", ""))
    return [d for d in store.ready_documents() if embedder_id(d.embedder) != target]


def reembed(store, embedder, progress: Callable[[int, int, str], None] | None = None, step: int = 64) -> ReembedResult:
    """Re-embed every document of `store` not yet embedded by `embedder` (see the module docstring)."""
    import numpy as np

    from ingest.pipeline import profile_vector
    from ingest.profile import with_header

    target = embedder_id(getattr(embedder, "name", ""))
    todo = pending(store, embedder)
    out = ReembedResult(embedder=target, already=len(store.ready_documents()) - len(todo))
    for i, doc in enumerate(todo):
        if progress:
            progress(i, len(todo), doc.file)
        chunks = store.chunks(doc.doc_id)
        texts = [with_header(doc.chunk_header, c.text) for c in chunks]
        vecs = [embedder.encode(texts[k: k + step]) for k in range(0, len(texts), step)]
        emb = np.concatenate(vecs) if vecs else np.zeros((0, 0), dtype=np.float32)
        store.replace_vectors(doc, emb, target, profile_vector=profile_vector(doc.profile, doc.file, embedder))
        out.done.append(doc.file)
        out.chunks += len(chunks)
    if progress:
        progress(len(todo), len(todo), "")
    return out
