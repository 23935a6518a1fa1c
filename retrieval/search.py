"""Hybrid search: dense (Chroma) + BM25, fused by reciprocal rank, references sections pushed down.

Fusion is hand-written (a dozen lines) rather than llama-index's QueryFusionRetriever: that class wants
both sides wrapped as llama-index retrievers and runs them through an asyncio loop, which costs more
than the whole fusion and would hide the per-side timings the benchmark reports.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from retrieval.types import Hit

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60  # the constant of Cormack et al. (2009); robust across collections, no tuning
REFERENCES_WEIGHT = 0.5  # bibliography chunks match every query term and answer none of them
MIN_DEPTH = 50  # each side contributes at least this many candidates to the fusion


_CLAUSE = re.compile(r"(?<=[;?!])\s+|(?<=[.])\s+(?=[A-Z(])|\n+")
MAX_PARTS = 4


def query_parts(query: str) -> list[str]:
    """The query, plus its clauses when it has several (a preamble naming the document, then the ask).

    Questions like "Consider the Promotion Agreement between X and Y; what is the governing law?" embed
    mostly as their preamble, which every chunk of that agreement matches; searching the clauses on
    their own as well (and fusing all rankings) lets the actual ask find its passage.
    """
    parts = [p.strip() for p in _CLAUSE.split(query) if p and len(p.split()) >= 3]
    if len(parts) <= 1:
        return [query]
    return [query] + parts[:MAX_PARTS]


class SearchError(ValueError):
    """A search the user asked for cannot run (bad mode, missing re-rank model): message is for people."""


def check_embedder(store, embedder) -> None:
    """SearchError when the library's vectors were made by another embedder than the one asking (their vectors
    would be compared as if they were one model's; MiniLM's and e5's even have the same width)."""
    from ingest.embed import embedder_id, mismatch_message

    name = getattr(embedder, "name", None)
    have = getattr(store, "embedders", None)
    if name is None or have is None:
        return
    mine = embedder_id(str(name))
    others = sorted(e for e in have() if e != mine)
    if others:
        raise SearchError(mismatch_message(others[0], mine))


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: sum of 1/(k + rank) over the lists a key appears in (rank is 1-based)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores


@lru_cache(maxsize=2)
def _cross_encoder(path: str) -> Any:
    from sentence_transformers import CrossEncoder

    return CrossEncoder(path, device="cpu", local_files_only=True)


def load_reranker(path: str) -> Any:
    """A sentence-transformers CrossEncoder from a local folder (offline: a hub name would hang)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise SearchError(f"re-rank model not found: {path} (rerank_model must be a local CrossEncoder folder)")
    if not p.is_dir() or not (p / "config.json").is_file():
        raise SearchError(f"cannot load re-rank model {path}: not a model folder (no config.json)")
    try:
        return _cross_encoder(str(p.resolve()))
    except Exception as exc:  # a folder that is not a model
        raise SearchError(f"cannot load re-rank model {path}: {exc}") from exc


def _position(chunk_id: str) -> tuple[str, int]:
    """(document id, ordinal) from a chunk id "<sha256>:<ordinal>" — the tie-break, without a read."""
    doc, _, ordinal = chunk_id.rpartition(":")
    return (doc, int(ordinal)) if ordinal.isdigit() else (chunk_id, 0)


def search(
    store: Any,
    embedder: Any,
    query: str,
    *,
    k: int = 50,
    doc_ids: list[str] | None = None,
    mode: str = "hybrid",
    rerank_model: str | None = None,
    timings: dict[str, float] | None = None,
    parts: list[str] | None = None,
) -> list[Hit]:
    """The `k` best chunks for `query`, fused from dense and BM25 rankings.

    `doc_ids` restricts both sides to those documents. `timings` (optional) receives seconds spent in
    each stage (embed, dense, bm25, fusion, rerank) for the benchmark. `parts` (optional) are the texts
    searched and fused instead of `query_parts(query)` — the router passes the question and its ask.
    """
    if mode not in MODES:
        raise SearchError(f"unknown search mode {mode!r} (choose {', '.join(MODES)})")
    query = (query or "").strip()
    if not query or k <= 0:
        return []
    reranker = load_reranker(rerank_model) if rerank_model else None
    if doc_ids is not None and not doc_ids:
        return []
    t = timings if timings is not None else {}
    depth = max(k, MIN_DEPTH)

    parts = [p for p in (parts or []) if p and p.strip()] or query_parts(query)
    dense_lists: list[list[tuple[str, float]]] = []
    sparse_lists: list[list[tuple[str, float]]] = []
    if mode in ("hybrid", "dense"):
        check_embedder(store, embedder)
        t0 = time.perf_counter()
        many = getattr(embedder, "encode_queries", None) or embedder.encode  # e5 embeds questions as "query: "
        vecs = many(parts) if len(parts) > 1 else [embedder.encode_query(parts[0])]
        t1 = time.perf_counter()
        dense_lists = store.dense_ids_many(list(vecs), depth, doc_ids)
        t2 = time.perf_counter()
        t["embed"] = t.get("embed", 0.0) + t1 - t0
        t["dense"] = t.get("dense", 0.0) + t2 - t1
    if mode in ("hybrid", "bm25"):
        t0 = time.perf_counter()
        sparse_lists = [store.bm25_ids(p, depth, doc_ids) for p in parts]
        t["bm25"] = t.get("bm25", 0.0) + time.perf_counter() - t0

    # fusion on ids: chunk rows are read only for the k that are returned
    t0 = time.perf_counter()
    dense = dense_lists[0] if dense_lists else []
    sparse = sparse_lists[0] if sparse_lists else []
    dense_info = {cid: (s, r) for r, (cid, s) in enumerate(dense)}
    bm25_info = {cid: (s, r) for r, (cid, s) in enumerate(sparse)}
    fused = rrf([[cid for cid, _ in lst] for lst in dense_lists + sparse_lists])
    for cid in store.references(list(fused)):
        fused[cid] *= REFERENCES_WEIGHT
    # ties (same fused score) break on document position so results are deterministic
    order = sorted(fused, key=lambda cid: (-fused[cid], *_position(cid)))
    head = order[: max(k, 20)] if reranker is not None else order[:k]
    chunks = {c.chunk_id: c for c in store.get_chunks(head)}
    t["fusion"] = t.get("fusion", 0.0) + time.perf_counter() - t0

    if reranker is not None and order:
        t0 = time.perf_counter()
        head = [cid for cid in order[: max(k, 20)] if cid in chunks]
        scores = reranker.predict([(query, chunks[cid].text) for cid in head], show_progress_bar=False)
        rerank_score = {cid: float(s) for cid, s in zip(head, scores)}
        head.sort(key=lambda cid: -rerank_score[cid])
        order = head + order[len(head):]
        floor = min(rerank_score.values())
        for cid in head:  # the re-ranker's scores replace the fused ones; the tail stays below
            fused[cid] = rerank_score[cid]
        for i, cid in enumerate(order[len(head):], start=1):
            fused[cid] = floor - i
        t["rerank"] = t.get("rerank", 0.0) + time.perf_counter() - t0

    hits = []
    for rank, cid in enumerate(cid for cid in order[:k] if cid in chunks):
        d = dense_info.get(cid)
        b = bm25_info.get(cid)
        hits.append(
            Hit(
                chunk=chunks[cid],
                score=fused[cid],
                rank=rank,
                dense_score=float(d[0]) if d else None,
                bm25_score=float(b[0]) if b else None,
                dense_rank=d[1] if d else None,
                bm25_rank=b[1] if b else None,
            )
        )
    return hits
