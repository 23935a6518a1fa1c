"""Extractive answer latency after load: `python -m bench answers [--home DIR] [--limit N]`.

Compares longdoc's extractive answerer (BM25 + clause patterns over the packed sentences, the
embedder only on a short candidate list) with the naive alternative in the same run: embed every
sentence of the packed context and rank by cosine. Target: ≤ 2 s per answer on the samples.
Writes bench/results/answers.json.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Which law governs these agreements?",
    "What is the governing law for this contract?",
    "When does the Promotion Agreement expire?",
    "Is there a cap on liability?",
    "Can either party terminate for convenience, and with how much notice?",
    "What audit rights does each party have?",
    "Who are the parties to the Strategic Alliance Agreement?",
    "What did the Supreme Court hold about the Red River Compact?",
]


def _home(argv: list[str]) -> Path:
    if "--home" in argv:
        return Path(argv[argv.index("--home") + 1])
    return ROOT / "bench" / ".cache" / "answers_home"


def run(argv: list[str]) -> dict:
    from app.answer.ask import ask
    from app.answer.extractive import answer, units_from_packed
    from app.answer.session import chunks_for
    from app.config import load_settings
    from app.library import documents as library
    from retrieval.pack import build_context

    limit = int(argv[argv.index("--limit") + 1]) if "--limit" in argv else len(QUESTIONS)
    questions = QUESTIONS[:limit]
    settings = load_settings(env={}, home=_home(argv), backend="none")
    t0 = time.monotonic()
    if not library.list_documents(settings):
        library.ingest(settings, [ROOT / "data" / "samples"])
    store, embedder = library.get_store(settings), library.get_embedder_for(settings)
    ask(settings, "warm-up question about the term")  # load the embedder, tokenizer and store once
    load_s = time.monotonic() - t0

    rows = []
    for q in questions:
        t = time.monotonic()
        ans = ask(settings, q)
        total = time.monotonic() - t
        packed = build_context(store, embedder, q, budget=16_000)
        units = units_from_packed(packed, chunks_for(store, packed))
        t = time.monotonic()
        answer(q, units, embedder)
        ours = time.monotonic() - t
        t = time.monotonic()  # naive: embed every sentence, rank by cosine
        vecs = np.asarray(embedder.encode([u.text for u in units]), dtype=np.float32)
        qv = np.asarray(embedder.encode_query(q), dtype=np.float32).reshape(-1)
        _ = np.argsort(-(vecs @ qv))[:3]
        naive = time.monotonic() - t
        rows.append({"question": q, "ask_s": round(total, 3), "answerer_s": round(ours, 3), "naive_s": round(naive, 3),
                     "sentences": len(units), "found": not ans.not_found, "top": ans.citations[0].label if ans.citations else None})

    print(f"{'question':60} {'ask s':>7} {'ours s':>7} {'naive s':>8} {'sents':>6}  top")
    for r in rows:
        print(f"{r['question'][:60]:60} {r['ask_s']:7.2f} {r['answerer_s']:7.2f} {r['naive_s']:8.2f} {r['sentences']:6d}  {r['top']}")
    summary = {
        "load_s": round(load_s, 2),
        "ask_median_s": round(statistics.median(r["ask_s"] for r in rows), 3),
        "ask_max_s": round(max(r["ask_s"] for r in rows), 3),
        "answerer_median_s": round(statistics.median(r["answerer_s"] for r in rows), 3),
        "naive_median_s": round(statistics.median(r["naive_s"] for r in rows), 3),
        "target_s": 2.0,
    }
    print(f"\nload {summary['load_s']} s · ask median {summary['ask_median_s']} s (max {summary['ask_max_s']} s) · "
          f"answerer median {summary['answerer_median_s']} s vs naive all-sentence embedding {summary['naive_median_s']} s")
    out = {"bench": "answers", "rows": rows, "summary": summary}
    path = ROOT / "bench" / "results" / "answers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    return out
