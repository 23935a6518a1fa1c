"""Ingest benchmark: longdoc's pipeline vs the naive LlamaIndex pipeline on the CUAD contracts.

`python -m bench ingest [--limit N] [--naive-limit N] [--workers N] [--skip-naive] [--backend B]`.
Prints a table and writes bench/results/ingest.json. Both pipelines use the same model
(all-MiniLM-L6-v2 from the same local folder) and the same chunk bound (254 word pieces of its own
tokenizer, 32 overlap). longdoc runs as `longdoc ingest` does (app settings: int8 ONNX embedding, one
text per run, DeepSeek token counts per chunk, parser processes); the naive pipeline is LlamaIndex's
defaults: one thread, per-page documents, torch fp32 embedding in batches of 10.

`--naive-limit N` (default 20; 0 = all) runs the naive pipeline (and longdoc again, for a same-files ratio) on the first N
files only, so a full-corpus run of longdoc does not wait an hour for the baseline.

`--worker-runs 1,2` (the default; "" skips them) also ingests the first `--worker-limit` files (default 20) as jobs:
a real redis-server and `chroma run` on loopback, N `longdoc worker` processes, `longdoc ingest --no-wait` to
submit, timed from submission until the last job ends, `--repeats` rounds (default 3). Between the worker runs the
same process measures the embedder alone (same backend, same threads, no parsing, no store) on the texts ingest
embeds for those files (each chunk behind its document header): on their full-window chunks (the issue's yardstick)
and on all of them. chunks/s of the pipeline ÷ chunks/s of the model alone, just before and after that run, is the
share of the embedder's own speed that ingest keeps (target ≥ 85 %); the summary is the median per worker count.
`--pdf-text` picks LONGDOC_PDF_TEXT for the worker runs (default pdfium, the app's default).
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


def _ours(files: list[Path], workers: int, home: Path, backend: str, batch: int) -> dict:
    from ingest.embed import LazyEmbedder
    from ingest.pipeline import IngestConfig, ingest_paths
    from ingest.store import open_store
    from retrieval.tokens import tokenizer_id, tokenizer_path

    events: list[dict] = []
    store = open_store(home)
    ctx = (str(tokenizer_path()), tokenizer_id())
    done = [0]

    def progress(e: dict) -> None:
        if e["event"] == "parsed":
            events.append(e)
        elif e["event"] == "result":
            done[0] += 1
            if done[0] % 10 == 0:
                print(f"  longdoc: {done[0]}/{len(files)} files ({time.perf_counter() - t0:.0f} s)", flush=True)

    with PeakRSS() as rss:
        t0 = time.perf_counter()
        embedder = LazyEmbedder("default", backend)
        cfg = IngestConfig(ocr="off", embed_batch=batch, context_tokenizer=ctx, text_first=False)
        results = ingest_paths(files, store=store, embedder=embedder, workers=workers, config=cfg, progress=progress)
        seconds = time.perf_counter() - t0
    ok = [r for r in results if r.status == "ingested"]
    pages = sum(r.pages for r in ok)
    chunks = sum(r.chunks for r in ok)
    chars = sum(e["chars"] for e in events)
    share = sum(e["chars"] * (e["share"] if e["share"] is not None else 1.0) for e in events) / max(1, chars)
    t0 = time.perf_counter()
    again = ingest_paths(files, store=open_store(home), embedder=LazyEmbedder("default", backend), workers=workers,
                         config=IngestConfig(ocr="off", context_tokenizer=ctx, text_first=False))
    reingest = time.perf_counter() - t0
    return {
        "embedder": f"all-MiniLM-L6-v2 · {embedder.load().backend} · batch {batch}",
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


def _worker_run(files: list[Path], n_workers: int, work: Path, redis_url: str, chroma_url: str,
                pdf_text: str = "pdfium", tag: int = 0) -> dict:
    """Ingest `files` as jobs through Redis with `n_workers` `longdoc worker` processes; time the lot."""
    import signal
    import subprocess
    import sys

    from app.config import load_settings
    from app.library import jobs

    longdoc = str(Path(sys.executable).parent / "longdoc")
    coll = f"bench_w{n_workers}_r{tag}_{int(time.time())}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false",
               LONGDOC_BROKER_URL=redis_url, LONGDOC_CHROMA_URL=chroma_url, LONGDOC_COLLECTION=coll, LONGDOC_OCR="off",
               LONGDOC_PDF_TEXT=pdf_text)
    folder = work / f"in_{coll}"
    folder.mkdir(parents=True)
    for f in files:
        os.symlink(f.resolve(), folder / f.name)
    procs = []
    try:
        for k in range(n_workers):
            log = open(work / f"{coll}_w{k}.log", "wb")
            procs.append(subprocess.Popen([longdoc, "worker"], env={**env, "LONGDOC_HOME": str(work / f"{coll}_w{k}")},
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(ROOT)))
            log.close()
        # workers load the embedder on their first job: warm them on a tiny file first, outside the timing
        warm = work / f"warm_{coll}"
        warm.mkdir()
        for k in range(n_workers):
            (warm / f"warm{k}.txt").write_text(f"Warm-up note {k}. The embedder loads before the timed run.\n")
        s = load_settings(env={**env, "LONGDOC_HOME": str(work / f"{coll}_sub")})
        ws = jobs.submit(s, [warm])
        jobs.wait(s, [j.id for j in ws], timeout_s=300)
        t0 = time.perf_counter()
        submitted = jobs.submit(s, [folder])
        done = jobs.wait(s, [j.id for j in submitted], timeout_s=3600)
        seconds = time.perf_counter() - t0
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    ok = [j for j in done if j.outcome in ("ingested", "replaced")]
    pages, chunks = sum(j.pages for j in ok), sum(j.chunks for j in ok)
    from ingest.store import open_store

    store = open_store(work / f"{coll}_reader", chroma_url=chroma_url, collection=coll)
    return {"workers": n_workers, "files": len(files), "ingested": len(ok), "pages": pages, "chunks": chunks,
            "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 2), "chunks_per_s": round(chunks / seconds, 2),
            "failed": [j.as_dict() for j in done if j.outcome not in ("ingested", "replaced")],
            "consistency": store.check_consistency()}


def _chunk_texts(files: list[Path], pdf_text: str) -> list[str]:
    """The texts ingest embeds for `files` — each chunk behind its document header, as the app's settings
    cut them (parsed and chunked here, nothing embedded or stored)."""
    from app.config import load_settings
    from ingest.embed import get_embedder
    from ingest.pipeline import parse_file
    from ingest.profile import with_header

    headers = load_settings(env={}).chunk_headers
    e = get_embedder("default", "onnx-int8")
    texts: list[str] = []
    for f in files:
        got = parse_file(str(f), None, "off", 5000, 200 * 2**20, e.tokenizer_file, e.max_tokens, 32, 600, 0,
                         chunk_headers=headers, text_engine=pdf_text)
        if not isinstance(got, tuple):
            texts.extend(with_header(got.header, c.text) for c in got.chunks)
    return texts


def _embedder_alone(texts: list[str], backend: str) -> dict:
    """chunks/s of the model alone (same backend and threads as ingest; no parsing, no store): on the
    full-window chunks (the model's limit on this CPU, the issue's yardstick) and on all the chunks of
    these files (the same work ingest does)."""
    from ingest.embed import get_embedder

    e = get_embedder("default", backend)
    e.encode(texts[:16])  # warm
    full = [t for t in texts if e.count_tokens(t) >= e.max_tokens - 16]
    t0 = time.perf_counter()
    e.encode(full, batch_size=8)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    e.encode(texts, batch_size=8)
    t_all = time.perf_counter() - t0
    return {"full_window_chunks": len(full), "full_window_chunks_per_s": round(len(full) / t_full, 2),
            "all_chunks": len(texts), "all_chunks_per_s": round(len(texts) / t_all, 2),
            "min_word_pieces": e.max_tokens - 16, "load_average": os.getloadavg()[0]}


def _worker_runs(files: list[Path], counts: list[int], backend: str, pdf_text: str = "pdfium",
                 repeats: int = 3) -> dict:
    """Worker runs interleaved with runs of the embedder alone, `repeats` rounds: each worker run is measured
    against the embedder's speed just before and just after it (a shared machine's speed drifts by tens of
    per cent within minutes), and the summary takes the median share per worker count."""
    from statistics import median

    from app.library.redis_server import start_redis_server
    from ingest.chroma_server import start_chroma_server, stop_process

    texts = _chunk_texts(files, pdf_text)
    alone = [_embedder_alone(texts, backend)]
    tmp = Path(tempfile.mkdtemp(prefix="longdoc-bench-workers-"))
    rows = []
    try:
        rproc, rurl = start_redis_server(tmp / "redis")
        cproc, curl = start_chroma_server(tmp / "chroma", tmp / "chroma.log", timeout_s=120)
        try:
            for r in range(max(1, repeats)):
                for n in counts:
                    print(f"  round {r + 1}/{repeats}: {n} worker(s) on {len(files)} files …", flush=True)
                    row = _worker_run(files, n, tmp, rurl, curl, pdf_text, tag=r)
                    row["round"] = r + 1
                    row["load_average"] = os.getloadavg()[0]
                    alone.append(_embedder_alone(texts, backend))
                    before, after = alone[-2], alone[-1]
                    full = (before["full_window_chunks_per_s"] + after["full_window_chunks_per_s"]) / 2
                    same = (before["all_chunks_per_s"] + after["all_chunks_per_s"]) / 2
                    row["embedder_full_window_chunks_per_s"] = round(full, 2)
                    row["embedder_same_chunks_per_s"] = round(same, 2)
                    row["share_of_embedder"] = round(row["chunks_per_s"] / full, 3) if full else None
                    row["share_of_embedder_same_chunks"] = round(row["chunks_per_s"] / same, 3) if same else None
                    rows.append(row)
        finally:
            stop_process(cproc)
            stop_process(rproc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {}
    for n in counts:
        mine = [r for r in rows if r["workers"] == n]
        shares = [r["share_of_embedder"] for r in mine if r["share_of_embedder"] is not None]
        summary[str(n)] = {
            "runs": len(mine), "median_share_of_embedder": round(median(shares), 3) if shares else None,
            "min_share": min(shares, default=None), "max_share": max(shares, default=None),
            "median_share_same_chunks": round(median(r["share_of_embedder_same_chunks"] for r in mine), 3),
            "median_pages_per_s": round(median(r["pages_per_s"] for r in mine), 2),
            "median_chunks_per_s": round(median(r["chunks_per_s"] for r in mine), 2),
        }
    full_speeds = [a["full_window_chunks_per_s"] for a in alone]
    return {"rows": rows, "summary": summary, "embedder_alone": alone,
            "embedder_full_window_chunks_per_s_range": [min(full_speeds), max(full_speeds)],
            "full_window_chunks": alone[0]["full_window_chunks"], "all_chunks": alone[0]["all_chunks"],
            "min_word_pieces": alone[0]["min_word_pieces"], "target_share": ">= 0.85", "pdf_text": pdf_text,
            "repeats": repeats}


def run(argv: list[str]) -> dict:
    ap = argparse.ArgumentParser(prog="bench ingest")
    ap.add_argument("--limit", type=int, default=0, help="first N contracts only (0 = all 190)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--naive-limit", type=int, default=20,
                    help="naive baseline (and a same-files longdoc run) on the first N files only (0 = all)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--corpus", type=Path, default=CUAD)
    ap.add_argument("--backend", default="onnx-int8", help="embedding backend for longdoc: onnx-int8 | torch")
    ap.add_argument("--batch", type=int, default=8, help="embedding batch for longdoc")
    ap.add_argument("--worker-runs", default="1,2", help="ingest as jobs with N `longdoc worker`s (\"\" = skip)")
    ap.add_argument("--worker-limit", type=int, default=20, help="files for the worker runs")
    ap.add_argument("--pdf-text", default="pdfium", choices=("pypdf", "pdfium"), help="LONGDOC_PDF_TEXT of the worker runs")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of worker runs, each between two runs of the embedder alone")
    ap.add_argument("--skip-batch", action="store_true", help="only the worker runs")
    args, _ = ap.parse_known_args(argv)
    files = sorted(p for p in args.corpus.iterdir() if p.suffix.lower() == ".pdf")
    if args.limit:
        files = files[: args.limit]
    subset = files[: args.naive_limit] if 0 < args.naive_limit < len(files) else None
    counts = [int(c) for c in args.worker_runs.split(",") if c.strip()]
    workers_out = (_worker_runs(files[: args.worker_limit] if args.worker_limit else files, counts, args.backend,
                                args.pdf_text, args.repeats) if counts else None)
    if workers_out:
        _print_workers(workers_out)
    if args.skip_batch:
        out = {"corpus": str(args.corpus), "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
               "worker_runs": workers_out}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / ("ingest_workers.json" if args.pdf_text == "pdfium" else f"ingest_workers_{args.pdf_text}.json")).write_text(json.dumps(out, indent=1))
        return out
    tmp = Path(tempfile.mkdtemp(prefix="longdoc-bench-"))
    ours_same = None
    try:
        ours = _ours(files, args.workers, tmp / "ours", args.backend, args.batch)
        naive = None
        if not args.skip_naive:
            if subset:
                ours_same = _ours(subset, args.workers, tmp / "ours_subset", args.backend, args.batch)
            naive = _naive(subset or files, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    same = ours_same or ours
    out = {
        "corpus": str(args.corpus), "files": len(files), "workers": args.workers, "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(), "ours": ours, "naive": naive,
        "naive_files": len(subset) if subset else (len(files) if naive else 0),
        "ours_on_naive_files": ours_same,
        "speedup_pages_per_s": round(same["pages_per_s"] / naive["pages_per_s"], 2) if naive and naive["pages_per_s"] else None,
        "targets": {"speedup": ">= 2", "pages_per_s": ">= 20", "peak_rss_mib": "<= 2560", "reingest_seconds": "<= 5"},
        "worker_runs": workers_out,
    }
    rows = [("", f"longdoc ({len(files)} files)", f"naive LlamaIndex ({out['naive_files']} files)")]
    for key, label in (("pages", "pages"), ("chunks", "chunks"), ("seconds", "seconds"), ("pages_per_s", "pages/s"),
                       ("chunks_per_s", "chunks/s"), ("share_embedded", "share of text embedded"),
                       ("peak_rss_mib", "peak RSS MiB (incl. workers)")):
        rows.append((label, str(ours[key]), str(naive[key]) if naive else "-"))
    rows.append(("re-ingest unchanged (s)", str(ours["reingest_seconds"]), "-"))
    if ours_same:
        rows.append((f"pages/s on the naive run's {len(subset)} files", str(ours_same["pages_per_s"]), str(naive["pages_per_s"])))
    rows.append(("speed-up (pages/s, same files)", str(out["speedup_pages_per_s"] or "-"), ""))
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(out, indent=1))
    return out


def _print_workers(w: dict) -> None:
    lo, hi = w["embedder_full_window_chunks_per_s_range"]
    print(f"LONGDOC_PDF_TEXT={w['pdf_text']}; embedder alone {lo}–{hi} chunks/s over the rounds on {w['full_window_chunks']} "
          f"full-window chunks (≥ {w['min_word_pieces']} word pieces), measured before and after each worker run")
    print(f"{'round':>5} {'workers':>7} {'files':>5} {'pages':>6} {'chunks':>6} {'sec':>7} {'pages/s':>8} {'chunks/s':>8} "
          f"{'embedder':>8} {'share (full window)':>19} {'share (same chunks)':>19}")
    for r in w["rows"]:
        print(f"{r['round']:>5} {r['workers']:>7} {r['files']:>5} {r['pages']:>6} {r['chunks']:>6} {r['seconds']:>7.1f} "
              f"{r['pages_per_s']:>8.2f} {r['chunks_per_s']:>8.2f} {r['embedder_full_window_chunks_per_s']:>8.2f} "
              f"{r['share_of_embedder']:>19.1%} {r['share_of_embedder_same_chunks']:>19.1%}")
    for n, m in w["summary"].items():
        print(f"median over {m['runs']} rounds, {n} worker(s): {m['median_pages_per_s']} pages/s, share of the embedder "
              f"{m['median_share_of_embedder']:.1%} (range {m['min_share']:.1%}–{m['max_share']:.1%}; target ≥ 85 %)")


if __name__ == "__main__":
    import sys

    run(sys.argv[1:])
