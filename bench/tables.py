"""Table questions (eval/tables/questions.jsonl) before and after table extraction, and its parse cost.

`python -m bench tables` — for each question: is the cell, with its row label and column header, inside
one chunk (strict: the Markdown row under its header; before, the flattened row and the header words in
one chunk), is that chunk among the chunks a BM25 ranking packs into 4K / 16K tokens (a stand-in for
the app's packer: word count × 1.3 as tokens, no embedder), and does the extractive answer over that
packed text contain the value. Before = `tables=False` (the flattened text layer), after = tables on.
`--speed N`: parse+chunk N CUAD contracts with tables off and on, interleaved, and report the ratio.
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


def _tokens(text: str) -> int:
    return int(len(text.split()) * 1.3) + 1


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


def _packed(doc, chunks, question: str, budget: int):
    import bm25s

    from retrieval.types import PackedContext, Passage

    corpus = [c.text.lower().split() for c in chunks]
    r = bm25s.BM25()
    r.index(corpus, show_progress=False)
    scores = r.get_scores(question.lower().split())
    order = sorted(range(len(chunks)), key=lambda i: -scores[i])
    picked, used = [], 0
    for i in order:
        n = _tokens(chunks[i].text)
        if used + n > budget:
            continue
        picked.append(i)
        used += n
    ps = [Passage(doc.doc_id, 1, doc.file, doc.title, (chunks[i].chunk_id,), chunks[i].text, chunks[i].page_start,
                  chunks[i].page_end, chunks[i].char_start, chunks[i].char_end, chunks[i].section_path,
                  f"D1 p.{chunks[i].page_start}", _tokens(chunks[i].text)) for i in sorted(picked)]
    return PackedContext(question, ps, used, budget, "retrieved")


def quality(limit: int = 0) -> dict:
    from app.answer import extractive
    from app.answer.table_answer import table_answer

    qs = [json.loads(x) for x in QUESTIONS.read_text().splitlines() if x.strip()]
    qs = qs[:limit] if limit else qs
    cache: dict = {}
    out: dict = {}
    for tables in (False, True):
        key = "after" if tables else "before"
        tally = {"questions": len(qs), "in_a_chunk": 0, **{f"in_context_{b // 1000}k": 0 for b in BUDGETS},
                 "answer_has_value_4k": 0, "answer_names_table_4k": 0}
        for q in qs:
            ck = (q["file"], tables)
            if ck not in cache:
                cache[ck] = _chunks(DEV / q["file"], tables)
            doc, chunks = cache[ck]
            tally["in_a_chunk"] += any(_holds(c.text, q, tables) for c in chunks)
            for b in BUDGETS:
                packed = _packed(doc, chunks, q["question"], b)
                tally[f"in_context_{b // 1000}k"] += any(_holds(p.text, q, tables) for p in packed.passages)
                if b == BUDGETS[0]:
                    by_id = {c.chunk_id: c for c in chunks}
                    ea = table_answer(q["question"], packed, by_id)
                    if ea is None:
                        ea = extractive.answer(q["question"], extractive.units_from_packed(packed, by_id), None)
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench tables")
    ap.add_argument("--limit", type=int, default=0, help="first N questions (0 = all)")
    ap.add_argument("--speed", type=int, default=0, help="also time parse+chunk of N CUAD contracts, tables off vs on")
    args = ap.parse_args(argv)
    res = {"quality": quality(args.limit)} if DEV.exists() else {"quality": "no ../shared/eval/dev"}
    if args.speed:
        res["speed"] = speed(args.speed)
    print(json.dumps(res, indent=2))


def run(argv: list[str]) -> dict:
    """`python -m bench tables …` (bench/__main__.py)."""
    main(argv)
    return {}


if __name__ == "__main__":
    main()
