"""Ingest benchmark: longdoc's pipeline vs the naive LlamaIndex pipeline on the CUAD contracts.

`python -m bench ingest [--limit N] [--workers N] [--skip-naive]`. Prints a table and writes
bench/results/ingest.json. Both pipelines use the same embedder (all-MiniLM-L6-v2 from the same local
folder) and the same chunk bound (254 word pieces of its own tokenizer, 32 overlap), so the speed
difference is the pipeline: process-parallel parsing + large embedding batches vs one thread,
per-page documents and LlamaIndex's default embedding batch of 10.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUAD = (ROOT.parent / "shared" / "corpus" / "cuad").resolve()
RESULTS = ROOT / "bench" / "results"


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (from /proc; no psutil needed)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            parents[int(d)] = int(parts[1])
            rss[int(d)] = int(parts[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    seen = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += rss.get(p, 0)
        stack.extend(c for c, pp in parents.items() if pp == p)
    return total


class PeakRSS:
    """Samples this process tree's RSS every 0.2 s while active."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self._stop.wait(0.2)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _tree_rss(os.getpid()))


def _ours(files: list[Path], workers: int, home: Path) -> dict:
    from ingest.embed import LazyEmbedder
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    events: list[dict] = []
    store = open_store(home)
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        results = ingest_paths(files, store=store, embedder=LazyEmbedder(), workers=workers, ocr="off",
                               progress=lambda e: events.append(e) if e["event"] == "parsed" else None)
        seconds = time.perf_counter() - t0
    ok = [r for r in results if r.status == "ingested"]
    pages = sum(r.pages for r in ok)
    chunks = sum(r.chunks for r in ok)
    chars = sum(e["chars"] for e in events)
    share = sum(e["chars"] * (e["share"] if e["share"] is not None else 1.0) for e in events) / max(1, chars)
    t0 = time.perf_counter()
    again = ingest_paths(files, store=open_store(home), embedder=LazyEmbedder(), workers=workers, ocr="off")
    reingest = time.perf_counter() - t0
    return {
        "files": len(files), "ingested": len(ok), "failed": [r.as_dict() for r in results if r.status != "ingested"],
        "pages": pages, "chunks": chunks, "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 2), "chunks_per_s": round(chunks / seconds, 2),
        "share_embedded": round(share, 6), "peak_rss_mib": round(rss.peak / 2**20),
        "reingest_seconds": round(reingest, 2), "reingest_unchanged": sum(r.status == "unchanged" for r in again),
        "consistency": store.check_consistency(),
    }


def _naive(files: list[Path], home: Path) -> dict:
    import chromadb
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from ingest.embed import default_model_path, load_token_counter, tokenizer_file

    count = load_token_counter(tokenizer_file("default"))
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_file("default"))
    tok.no_truncation()
    tok.no_padding()

    with PeakRSS() as rss:
        t0 = time.perf_counter()
        Settings.llm = None
        Settings.embed_model = HuggingFaceEmbedding(model_name=str(default_model_path()), device="cpu")
        splitter = SentenceSplitter(chunk_size=254, chunk_overlap=32,
                                    tokenizer=lambda s: tok.encode(s, add_special_tokens=False).ids)
        Settings.node_parser = splitter
        docs = SimpleDirectoryReader(input_files=[str(f) for f in files]).load_data()
        client = chromadb.PersistentClient(path=str(home / "naive_chroma"))
        col = client.get_or_create_collection("naive", embedding_function=None)
        ctx = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=col))
        index = VectorStoreIndex.from_documents(docs, storage_context=ctx, transformations=[splitter])
        seconds = time.perf_counter() - t0
    nodes = list(index.docstore.docs.values()) or []
    if not nodes:  # the Chroma vector store keeps the text; read it back from there
        got = col.get(include=["documents"])
        texts = got["documents"]
    else:
        texts = [n.get_content() for n in nodes]
    total = embedded = 0
    for t in texts:  # what the model actually sees: the first 254 word pieces of each chunk
        total += len(t)
        enc = tok.encode(t, add_special_tokens=False)
        embedded += len(t) if len(enc.ids) <= 254 else enc.offsets[253][1]
    from pypdf import PdfReader

    pages = sum(len(PdfReader(f).pages) for f in files)  # the same page count as ours
    return {
        "pages": pages, "chunks": len(texts), "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds, 2), "chunks_per_s": round(len(texts) / seconds, 2),
        "share_embedded": round(embedded / max(1, total), 6), "peak_rss_mib": round(rss.peak / 2**20),
        "max_chunk_word_pieces": max((count(t) for t in texts), default=0),
    }


def run(argv: list[str]) -> dict:
    ap = argparse.ArgumentParser(prog="bench ingest")
    ap.add_argument("--limit", type=int, default=0, help="first N contracts only (0 = all 190)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--corpus", type=Path, default=CUAD)
    args, _ = ap.parse_known_args(argv)
    files = sorted(p for p in args.corpus.iterdir() if p.suffix.lower() == ".pdf")
    if args.limit:
        files = files[: args.limit]
    tmp = Path(tempfile.mkdtemp(prefix="longdoc-bench-"))
    try:
        ours = _ours(files, args.workers, tmp / "ours")
        naive = None if args.skip_naive else _naive(files, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = {
        "corpus": str(args.corpus), "files": len(files), "workers": args.workers, "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(), "ours": ours, "naive": naive,
        "speedup_pages_per_s": round(ours["pages_per_s"] / naive["pages_per_s"], 2) if naive and naive["pages_per_s"] else None,
        "targets": {"speedup": ">= 2", "pages_per_s": ">= 20", "peak_rss_mib": "<= 2560", "reingest_seconds": "<= 5"},
    }
    rows = [("", "longdoc", "naive LlamaIndex")]
    for key, label in (("pages", "pages"), ("chunks", "chunks"), ("seconds", "seconds"), ("pages_per_s", "pages/s"),
                       ("chunks_per_s", "chunks/s"), ("share_embedded", "share of text embedded"),
                       ("peak_rss_mib", "peak RSS MiB (incl. workers)")):
        rows.append((label, str(ours[key]), str(naive[key]) if naive else "-"))
    rows.append(("re-ingest unchanged (s)", str(ours["reingest_seconds"]), "-"))
    rows.append(("speed-up (pages/s)", str(out["speedup_pages_per_s"] or "-"), ""))
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    import sys

    run(sys.argv[1:])
