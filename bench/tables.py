"""Table questions (eval/tables/questions.jsonl) before and after table extraction, and its parse cost.

`python -m bench tables` — for each question: is the cell, with its row label and column header, inside
one chunk (strict: the Markdown row under its header; before, the flattened row and the header words in
one chunk), is it inside the context the app packs for the question at 4K / 16K tokens (its own ingest,
routed hybrid search and packer, the default embedder), and does the extractive answer at 4K contain the
value (and name the table). Before = `tables=False` (the flattened text layer), after = tables on.
`--speed N`: parse+chunk N CUAD contracts with tables off and on, interleaved, and report the ratio;
`--ingest N`: the same for the whole ingest (parse, embed, store), as `bench ingest` runs it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "tables" / "questions.jsonl"
DEV = (ROOT.parent / "shared" / "eval" / "dev").resolve()
CUAD = (ROOT.parent / "shared" / "corpus" / "cuad").resolve()
BUDGETS = (4_000, 16_000)


def _chunks(path: Path, tables: bool):
    from ingest.chunk import chunk_document
    from ingest.pdf import load_document

    doc = load_document(path, tables=tables, ocr="off")
    return doc, chunk_document(doc, lambda t: len(t.split()), 180, 16)


def _squash(t: str) -> str:
    return " ".join(t.replace("|", " ").split()).lower()


def _holds(text: str, q: dict, tables: bool) -> bool:
    """The cell with its row and column headers in this text."""
    if tables:
        from ingest.tables import markdown_tables

        for t in markdown_tables(text):
            if not any(_squash(q["column"]) in _squash(h) for h in t.header):
                continue
            ci = next(i for i, h in enumerate(t.header) if _squash(q["column"]) in _squash(h))
            for r in t.rows:
                if r and _squash(r[0]) == _squash(q["row"]) and ci < len(r) and r[ci] == q["value"]:
                    return True
        return False
    s = _squash(text)
    return _squash(q["row"]) + " " in s and _squash(q["value"]) in s and _squash(q["column"]) in s


def _library(home: Path, files: list[Path], tables: bool):
    """A store with `files` ingested as the app does (tables off or on), and its embedder."""
    from ingest.embed import get_embedder
    from ingest.pipeline import IngestConfig, ingest_paths
    from ingest.store import open_store

    store = open_store(home)
    embedder = get_embedder("default", "onnx-int8")
    ingest_paths(files, store=store, embedder=embedder, config=IngestConfig(text_first=False, ocr="off", tables=tables),
                 workers=0)
    return store, embedder


def quality(limit: int = 0, home: Path | None = None) -> dict:
    """Per question, through the app's own path: ingest, routed search + packer at 4K / 16K, the
    extractive answer at 4K (table_answer first, then the sentence ranker, as app/answer/ask.py does)."""
    import tempfile

    from app.answer import extractive
    from app.answer.table_answer import table_answer
    from retrieval.routed import routed_context

    qs = [json.loads(x) for x in QUESTIONS.read_text().splitlines() if x.strip()]
    qs = qs[:limit] if limit else qs
    files = sorted({DEV / q["file"] for q in qs})
    out: dict = {}
    with tempfile.TemporaryDirectory(dir=home) as tmp:
        for tables in (False, True):
            key = "after" if tables else "before"
            store, embedder = _library(Path(tmp) / key, files, tables)
            ids = {d.file: d.doc_id for d in store.documents()}
            tally = {"questions": len(qs), "in_a_chunk": 0, **{f"in_context_{b // 1000}k": 0 for b in BUDGETS},
                     "answer_has_value_4k": 0, "answer_names_table_4k": 0}
            for q in qs:
                did = ids[q["file"]]
                chunks = store.chunks(did)
                tally["in_a_chunk"] += any(_holds(c.text, q, tables) for c in chunks)
                for b in BUDGETS:
                    packed = routed_context(store, embedder, q["question"], doc_ids=[did], budget=b)
                    tally[f"in_context_{b // 1000}k"] += any(_holds(p.text, q, tables) for p in packed.passages)
                    if b == BUDGETS[0]:
                        by_id = {c.chunk_id: c for c in chunks}
                        ea = table_answer(q["question"], packed, by_id)
                        if ea is None:
                            ea = extractive.answer(q["question"], extractive.units_from_packed(packed, by_id), embedder)
                        tally["answer_has_value_4k"] += q["value"] in ea.text
                        tally["answer_names_table_4k"] += q["value"] in ea.text and q["table"] in ea.text
            out[key] = tally
    return out


def speed(n: int) -> dict:
    """Seconds to parse and chunk `n` CUAD contracts with tables off and on (alternating, two rounds)."""
    from ingest.types import IngestError

    files = sorted(p for p in CUAD.rglob("*") if p.suffix.lower() == ".pdf")[:n]
    secs = {False: 0.0, True: 0.0}
    pages = 0
    tables_found = 0
    for rnd in range(2):
        for f in files:
            for tables in ((False, True) if rnd == 0 else (True, False)):
                t0 = time.perf_counter()
                try:
                    doc, _ = _chunks(f, tables)
                except IngestError:
                    continue
                secs[tables] += time.perf_counter() - t0
                if tables and rnd == 0:
                    pages += doc.page_count
                    tables_found += len(doc.tables)
    return {"files": len(files), "pages": pages, "tables_found": tables_found,
            "seconds_off": round(secs[False], 2), "seconds_on": round(secs[True], 2),
            "ratio": round(secs[True] / secs[False], 3) if secs[False] else None}


def whole_ingest(n: int, rounds: int = 2) -> dict:
    """pages/s of the whole ingest (parse in 2 worker processes, embed, store) of `n` CUAD contracts as
    `bench ingest` runs it, tables off and on, alternating over `rounds` rounds, each in a fresh store."""
    import tempfile

    from ingest.embed import LazyEmbedder
    from ingest.pipeline import IngestConfig, ingest_paths
    from ingest.store import open_store
    from retrieval.tokens import tokenizer_id, tokenizer_path

    files = sorted(p for p in CUAD.iterdir() if p.suffix.lower() == ".pdf")[:n]
    ctx = (str(tokenizer_path()), tokenizer_id())
    embedder = LazyEmbedder("default", "onnx-int8")
    embedder.load().encode(["warm up"])
    secs = {False: [], True: []}
    pages = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for tables in ((False, True) if r % 2 == 0 else (True, False)):
                cfg = IngestConfig(ocr="off", context_tokenizer=ctx, text_first=False, tables=tables)
                t0 = time.perf_counter()
                res = ingest_paths(files, store=open_store(Path(tmp) / f"{r}-{tables}"), embedder=embedder,
                                   workers=2, config=cfg)
                secs[tables].append(time.perf_counter() - t0)
                pages[tables] = sum(x.pages for x in res if x.status == "ingested")
    off, on = sum(secs[False]), sum(secs[True])
    return {"files": len(files), "pages": pages[True], "rounds": rounds,
            "pages_per_s_off": round(pages[False] * rounds / off, 2), "pages_per_s_on": round(pages[True] * rounds / on, 2),
            "seconds_off": [round(x, 1) for x in secs[False]], "seconds_on": [round(x, 1) for x in secs[True]],
            "ratio": round(on / off, 3)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench tables")
    ap.add_argument("--limit", type=int, default=0, help="first N questions (0 = all)")
    ap.add_argument("--speed", type=int, default=0, help="also time parse+chunk of N CUAD contracts, tables off vs on")
    ap.add_argument("--ingest", type=int, default=0, help="also time the whole ingest of N CUAD contracts, off vs on")
    ap.add_argument("--skip-quality", action="store_true", help="only the timings")
    args = ap.parse_args(argv)
    res: dict = {}
    if not args.skip_quality:
        res["quality"] = quality(args.limit) if DEV.exists() else "no ../shared/eval/dev"
    if args.speed:
        res["speed"] = speed(args.speed)
    if args.ingest:
        res["ingest"] = whole_ingest(args.ingest)
    save(res)
    print(json.dumps(res, indent=2))


def save(res: dict) -> Path:
    """bench/results/tables.json, with the date, the machine and its load (parts not run this time are kept)."""
    import os
    import platform

    out = ROOT / "bench" / "results" / "tables.json"
    try:
        old = json.loads(out.read_text())
    except (OSError, ValueError):
        old = {}
    res = {**old, "date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
           "load_average_at_end": [round(x, 2) for x in os.getloadavg()], **res}
    out.write_text(json.dumps(res, indent=2) + "\n")
    return out


def run(argv: list[str]) -> dict:
    """`python -m bench tables …` (bench/__main__.py)."""
    main(argv)
    return {}


if __name__ == "__main__":
    main()
