"""`longdoc eval review`: how much of an annotated review set a review finds, and what it says wrongly.

For a question set like ../shared/eval/review-cuad (questions.jsonl; `kind: cross-doc` questions list every
document that has the clause, with one clause of each in `evidence`, same order):

- recall: the share of annotated (document, clause) pairs whose clause lies in that cell's evidence (matched
  with the evidence harness's normalisation: whitespace, hyphenation, case, quotes, ligatures);
- false positives: cells whose verdict is "yes" although their evidence holds no annotated clause (for a
  library-wide question, any "yes" of a document the set does not list), as a count and a share of the
  "yes" cells;
- verdicts: of the annotated pairs, how many cells say yes / no / unclear; and for the documents without
  the clause, the same (what a reader of the grid sees);
- tokens and cost per document, and the time taken.

Named single-document questions ("Consider the X between Y; …") are reviewed in their one document; their
recall is the share of each question's evidence strings found, averaged over questions (as `eval retrieval`
scores a packed context).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.answer.review import DEFAULT_BUDGET, review
from app.config import Settings
from app.library import documents as library
from retrieval.evaluate import EvalError, load_questions, normalize


def _found(evidence: str, cell) -> bool:
    n = normalize(evidence)
    if not n or cell is None:
        return False
    return any(n in normalize(e["text"]) for e in cell.evidence)


def run_review_eval(settings: Settings, set_dir: Path, *, budget: int | None = None, k: int | None = None, limit: int = 0,
                    kinds: tuple[str, ...] = ("cross-doc", "single-doc"), backend: Any = None,
                    concurrency: int = 16, progress: Callable[[str], None] | None = None) -> dict:
    budget = int(budget or DEFAULT_BUDGET)
    questions = load_questions(Path(set_dir))
    raw = {}
    for line in (Path(set_dir) / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            raw[str(d.get("id"))] = d
    store = library.get_store(settings)
    docs = store.documents()
    by_file = {d.file: d for d in docs}
    if not docs:
        raise EvalError(f"the store at {settings.home} holds no documents: ingest the set's corpus first")
    cross = [q for q in questions if q.kind == "cross-doc" and "cross-doc" in kinds]
    single = [q for q in questions if q.kind != "cross-doc" and "single-doc" in kinds]
    if limit:
        cross, single = cross[:limit], single[:limit]
    report: dict = {"set": str(set_dir), "store": str(settings.home), "documents": len(docs), "budget": budget, "k": k,
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}

    def evidence_tokens(table) -> int:
        return sum(e.get("tokens", 0) for r in table.rows for c in r.cells for e in c.evidence)

    def usage_of(table) -> tuple[int, float | None]:
        toks = int(sum(v for kk, v in (table.usage or {}).items() if kk in ("prompt_tokens", "output_tokens")))
        return toks, table.cost_usd

    # ---- library-wide questions: one review of every document per question
    rows = []
    t0 = time.perf_counter()
    tot = {"pairs": 0, "found": 0, "yes": 0, "fp": 0, "cells": 0, "tokens": 0, "cost": 0.0, "seconds": 0.0,
           "verdict_on_pairs": {"yes": 0, "no": 0, "unclear": 0}, "verdict_off_pairs": {"yes": 0, "no": 0, "unclear": 0},
           "missing_docs": 0, "evidence_tokens": 0}
    for n, q in enumerate(cross, 1):
        if progress:
            progress(f"library-wide {n}/{len(cross)}: {q.question}")
        t1 = time.perf_counter()
        table = review(settings, [q.question], None, budget=budget, k=k, backend=backend, use_cache=False, concurrency=concurrency)
        secs = time.perf_counter() - t1
        annotated = {}
        for f, ev in zip(q.docs, q.evidence):
            annotated.setdefault(f, []).append(ev)
        found = 0
        missing_docs = 0
        yes = fp = 0
        on = {"yes": 0, "no": 0, "unclear": 0}
        off = {"yes": 0, "no": 0, "unclear": 0}
        cells = {r.doc: r.cells[0] for r in table.rows if r.cells}
        for f, evs in annotated.items():
            if f not in by_file:
                missing_docs += 1
                continue
            c = cells.get(f)
            if c is not None and any(_found(e, c) for e in evs):
                found += 1
        for f, c in cells.items():
            has = f in annotated and any(_found(e, c) for e in annotated[f])
            (on if f in annotated else off)[c.verdict] = (on if f in annotated else off).get(c.verdict, 0) + 1
            if c.verdict == "yes":
                yes += 1
                if not has:
                    fp += 1
        pairs = len([f for f in annotated if f in by_file])
        toks, cost = usage_of(table)
        tot["evidence_tokens"] += evidence_tokens(table)
        rows.append({"id": q.id, "category": raw.get(q.id, {}).get("category", ""), "question": q.question,
                     "pairs": pairs, "found": found, "recall": round(found / pairs, 4) if pairs else None,
                     "yes": yes, "false_positives": fp, "fp_share_of_yes": round(fp / yes, 4) if yes else 0.0,
                     "verdicts_annotated": on, "verdicts_other": off, "seconds": round(secs, 2),
                     "retrieval_seconds": round(table.retrieval_seconds, 2), "tokens": toks, "cost_usd": cost,
                     "missing_docs": missing_docs})
        tot["pairs"] += pairs
        tot["found"] += found
        tot["yes"] += yes
        tot["fp"] += fp
        tot["cells"] += len(cells)
        tot["tokens"] += toks
        tot["missing_docs"] += missing_docs
        tot["cost"] = None if cost is None or tot["cost"] is None else tot["cost"] + cost
        tot["seconds"] += secs
        for v in on:
            tot["verdict_on_pairs"][v] += on[v]
            tot["verdict_off_pairs"][v] += off[v]
    if cross:
        report["cross_doc"] = {
            "questions": len(cross), "pairs": tot["pairs"], "found": tot["found"],
            "recall": round(tot["found"] / tot["pairs"], 4) if tot["pairs"] else None,
            "yes_cells": tot["yes"], "false_positives": tot["fp"],
            "fp_share_of_yes": round(tot["fp"] / tot["yes"], 4) if tot["yes"] else 0.0,
            "fp_share_of_cells": round(tot["fp"] / tot["cells"], 4) if tot["cells"] else 0.0,
            "verdicts_annotated": tot["verdict_on_pairs"], "verdicts_other": tot["verdict_off_pairs"],
            "tokens_per_document": round(tot["tokens"] / max(1, tot["cells"]), 1),
            "evidence_tokens_per_cell": round(tot["evidence_tokens"] / max(1, tot["cells"]), 1),
            "cost_per_document_usd": None if tot["cost"] is None else round(tot["cost"] / max(1, tot["cells"]), 8),
            "cost_usd": None if tot["cost"] is None else round(tot["cost"], 6),
            "seconds": round(tot["seconds"], 2), "annotated_documents_not_in_store": tot["missing_docs"],
            "rows": rows}

    # ---- named single-document questions: each reviewed in its own document
    if single:
        srows = []
        recall_sum = 0.0
        n_ev = 0
        yes = fp = 0
        toks_all = 0
        cost_all: float | None = 0.0
        t1 = time.perf_counter()
        # one review per document for all of its questions (as a user reviews one contract for several clauses)
        by_doc: dict[str, list] = {}
        for q in single:
            by_doc.setdefault(q.docs[0], []).append(q)
        for n, (f, qs) in enumerate(by_doc.items(), 1):
            if progress and (n % 20 == 0 or n == len(by_doc)):
                progress(f"named {n}/{len(by_doc)} documents")
            d = by_file.get(f)
            if d is None:
                for q in qs:
                    srows.append({"id": q.id, "recall": 0.0, "missing": True})
                    n_ev += 1
                continue
            table = review(settings, [q.question for q in qs], [d.doc_id], budget=budget, k=k, backend=backend, use_cache=False,
                           concurrency=concurrency)
            toks, cost = usage_of(table)
            toks_all += toks
            cost_all = None if cost is None or cost_all is None else cost_all + cost
            for q in qs:
                c = table.cell(d.doc_id, q.question)
                evs = [e for e in q.evidence if e.strip()]
                got = sum(1 for e in evs if _found(e, c))
                r = got / len(evs) if evs else 0.0
                recall_sum += r
                n_ev += 1
                if c is not None and c.verdict == "yes":
                    yes += 1
                    if got == 0:
                        fp += 1
                srows.append({"id": q.id, "category": raw.get(q.id, {}).get("category", ""), "recall": round(r, 4),
                              "verdict": c.verdict if c else None})
        report["single_doc"] = {
            "questions": len(single), "recall": round(recall_sum / max(1, n_ev), 4),
            "all_found": sum(1 for r in srows if r.get("recall") == 1.0),
            "yes_cells": yes, "false_positives": fp, "fp_share_of_yes": round(fp / yes, 4) if yes else 0.0,
            "tokens_per_document": round(toks_all / max(1, len(by_doc)), 1),
            "cost_usd": None if cost_all is None else round(cost_all, 6),
            "seconds": round(time.perf_counter() - t1, 2), "rows": srows}
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report
