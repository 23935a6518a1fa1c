"""Review at scale (issue 23, item 4): one question asked of every document of a ~2,000-document library.

`python -m bench review [--source HOME] [--docs 2000] [--questions N]`. Builds (once, cached under
bench/.cache/review/) a library of `--docs` documents by replicating every document of an ingested store
(`--source`, default ../stores/cuad-review: the 190 CUAD contracts) — each replica a separate document with
its own id, the same chunk text and the originals' vectors with a small random perturbation (re-normalised),
as `bench retrieval` replicates; re-embedding 100K chunks on 2 cores would take hours and measure nothing
more. Then, in this process, for each question: `retrieval.review.retrieve` over the whole library (every
document's evidence), and the whole extractive `review` (cells, no cache). The first question is run cold —
a fresh store object and no vectors file beside the index: every chunk's vector read from Chroma — then warm
(the vectors file on disk, a fresh store object, as a new process sees it), then the rest in the same process.
Writes bench/results/review.json. Target: ≤ 30 s for all documents' retrieval on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "stores" / "cuad-review"
CACHE = ROOT / "bench" / ".cache" / "review"
RESULTS = ROOT / "bench" / "results" / "review.json"
TARGET_S = 30.0
QUESTIONS = [
    "Which contracts in the library can be terminated for convenience?",
    "Which contracts are governed by the laws of New York?",
    "Which agreements cap a party's liability?",
    "Which contracts restrict assignment without the other party's consent?",
    "Which agreements require a party to maintain insurance?",
]


def build(source: Path, n_docs: int):
    from ingest.store import open_store

    src = open_store(source)
    docs = sorted(src.documents(), key=lambda d: d.doc_id)
    if not docs:
        raise RuntimeError(f"no documents in {source}")
    key = hashlib.sha256("\n".join(d.doc_id for d in docs).encode()).hexdigest()[:10]
    home = CACHE / f"store-{n_docs}docs-{key}"
    store = open_store(home)
    if len(store.documents()) >= n_docs:
        return store, home
    idx = src.bm25_index()
    vecs = src.index_vectors()
    row = {cid: i for i, cid in enumerate(idx.ids)}
    have = {d.doc_id for d in store.documents()}
    rng = np.random.default_rng(23)
    t0 = time.perf_counter()
    base = [(d, src.chunks(d.doc_id)) for d in docs]
    batch: list = []

    def flush() -> None:
        # many replicas per write (the bench's own shortcut: one lock, one chunk upsert per few thousand chunks,
        # one registry upsert) — `add_document` per replica costs ~0.5 s of locking and registry round trips
        if not batch:
            return
        with store._write_lock():
            chunks = [c for _, cs, _ in batch for c in cs]
            emb = np.concatenate([v for _, _, v in batch])
            for k in range(0, len(chunks), store._batch):
                part = chunks[k: k + store._batch]
                store._chunks.upsert(ids=[c.chunk_id for c in part], embeddings=emb[k: k + store._batch],
                                     metadatas=[{**_chunk_meta(c, names[c.doc_id]), "text": c.text} for c in part])
            for doc, cs, _ in batch:
                doc.status = "ready"
                store._put_row(doc, "ready", cs)
        batch.clear()

    from ingest.store import _chunk_meta

    names: dict[str, str] = {}
    made = 0
    r = 0
    while made < n_docs:
        for d, cs in base:
            if made >= n_docs:
                break
            made += 1
            did = hashlib.sha256(f"{d.doc_id}:review-replica{r}".encode()).hexdigest()
            if did in have or not cs:
                continue
            v = np.stack([vecs[row[c.chunk_id]] for c in cs]).astype(np.float32)
            if r:
                v = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
            v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
            out = [replace(c, chunk_id=f"{did}:{c.ordinal:05d}", doc_id=did) for c in cs]
            doc = replace(d, doc_id=did, file=f"r{r:02d}-{d.file}", status="pending", chunks=len(out))
            names[did] = doc.file
            batch.append((doc, out, v))
            if sum(len(x[1]) for x in batch) >= 4000:
                flush()
        flush()
        r += 1
        print(f"  {made}/{n_docs} documents stored ({time.perf_counter() - t0:.0f} s)", flush=True)
    print("  building the BM25 index …", flush=True)
    store.refresh_bm25()
    return store, home


def run(argv: list[str]) -> dict:
    ap = argparse.ArgumentParser(prog="bench review")
    ap.add_argument("--source", type=Path, default=SOURCE, help="an ingested LONGDOC_HOME to replicate")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    args, _ = ap.parse_known_args(argv)
    from app.answer.review import review
    from app.config import load_settings
    from app.library import documents as library
    from ingest.store import open_store
    from retrieval.review import retrieve

    store, home = build(args.source.expanduser(), args.docs)
    n_docs, n_chunks = len(store.documents()), store.count_chunks()
    settings = load_settings(env={}, home=home)
    embedder = library.get_embedder_for(settings)
    embedder.encode(["warm-up"])  # the model's load is not the review's
    for f in (store._bm25_dir()).rglob("vectors-*.npy"):  # cold: every vector read from Chroma
        f.unlink()
    rows = []
    qs = QUESTIONS[: max(1, args.questions)]
    for i, q in enumerate(qs):
        for phase in (["cold", "warm"] if i == 0 else ["steady"]):
            library.forget_stores(settings)
            st = library.get_store(settings) if phase != "steady" else library.get_store(settings)
            t: dict = {}
            t0 = time.perf_counter()
            got = retrieve(st, embedder, q, None, timings=t)
            secs = time.perf_counter() - t0
            rows.append({"question": q, "phase": phase, "documents": len(got), "retrieval_s": round(secs, 2),
                         "stages_s": {k: round(v, 3) for k, v in t.items()}})
            print(f"  {phase:<6} retrieval for {len(got)} documents: {secs:.2f} s  {q}", flush=True)
    t0 = time.perf_counter()
    table = review(settings, [qs[0]], None, use_cache=False)
    review_s = time.perf_counter() - t0
    print(f"  extractive review of {len(table.rows)} documents (cells, no cache): {review_s:.2f} s", flush=True)
    steady = [r["retrieval_s"] for r in rows if r["phase"] != "cold"]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.platform(),
        "cpus": os.cpu_count(), "documents": n_docs, "chunks": n_chunks, "rows": rows,
        "cold_s": rows[0]["retrieval_s"], "warm_max_s": max(steady) if steady else None,
        "review_extractive_s": round(review_s, 2), "target_s": TARGET_S,
        "meets_target": rows[0]["retrieval_s"] <= TARGET_S,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    del open_store
    return result


if __name__ == "__main__":
    import sys

    run(sys.argv[1:])
