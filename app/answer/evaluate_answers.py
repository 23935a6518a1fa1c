"""`longdoc eval answers`: score answers (extractive, and generative when configured) on a question set.

An answer counts when it contains the expected answer text or the evidence passage (compared
letters-and-digits only, so spacing, hyphenation and punctuation do not matter; dates also in
their written forms), and its citation counts when it names a page that holds the evidence.
Unanswerable items (and clauses the contract lacks) count when the answer says "not in the documents".
The set's files are read from the library when it already holds them (same sha256); otherwise they are
ingested into their own data folder (`<home>/eval/<set name>`) so the user's library is untouched.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.answer.ask import ask
from app.answer.cite import squash
from app.answer.session import backend, is_generative
from app.config import Settings
from app.errors import EvalSetError
from app.library import documents as library
from ingest.pdf import sha256_file
from retrieval.evaluate import doc_text_from_chunks

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
NON_TEXT_ANSWERS = {"yes", "no", "not answerable", "none", ""}


@dataclass
class Item:
    id: str
    question: str
    docs: list[str]
    answers: list[str]
    evidence: list[str]
    evidence_pages: list[int]
    unanswerable: bool
    raw: dict = field(default_factory=dict)


def load_items(set_dir: Path) -> list[Item]:
    path = Path(set_dir) / "questions.jsonl"
    if not path.is_file():
        raise EvalSetError(f"{path} not found (an eval set is a folder of PDFs plus questions.jsonl)")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            docs = d["doc"] if isinstance(d["doc"], list) else [d["doc"]]
            answers = [a for a in [d.get("answer")] + list(d.get("answers") or []) if isinstance(a, str)]
            evidence = [e for e in d.get("evidence") or [] if isinstance(e, str) and e.strip()]
            pages = [int(p) for p in d.get("evidence_pages") or []]
            absent = (d.get("answer") or "").strip().lower() == "no" and not evidence and not pages
            items.append(Item(str(d.get("id") or f"q{n}"), str(d["question"]), [str(x) for x in docs], answers,
                              evidence, pages, d.get("answerable") is False or absent, d))
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalSetError(f"{path}:{n}: bad question line ({type(exc).__name__}: {exc})") from exc
    if not items:
        raise EvalSetError(f"{path} holds no questions")
    return items


def answer_forms(answer: str) -> list[str]:
    """The expected answer as it may be written: "6/27/2011" → "June 27, 2011", "27th day of June, 2011"."""
    forms = [answer]
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", answer)
    if m:
        mo, d, y = int(m.group(1)), int(m.group(2)), m.group(3)
        if 1 <= mo <= 12:
            name = MONTHS[mo - 1]
            forms += [f"{name} {d}, {y}", f"{d} day of {name}, {y}", f"{d}th day of {name}, {y}", f"{d} {name} {y}"]
    return forms


def judge(item: Item, ans, doc_ids: set[str], truth_pages: dict[str, set[int]]) -> dict:
    pool = ans.answer + " " + " ".join(c.text for c in ans.citations)
    hay = squash(pool)
    targets = [f for a in item.answers if a.strip().lower() not in NON_TEXT_ANSWERS for f in answer_forms(a)]
    text_ok = any(squash(t) and squash(t) in hay for t in targets)
    quoted = [squash(s.text) for s in ans.sentences] + [squash(c.text) for c in ans.citations]
    ev_ok = False
    for e in item.evidence:
        ne = squash(e)
        if ne[:80] and ne[:80] in hay:
            ev_ok = True
        elif any(len(q) >= 40 and q[:60] in ne for q in quoted):
            ev_ok = True
    has_truth = any(truth_pages.values())
    page_ok = any(
        c.doc_id in doc_ids and any(c.page_start <= p <= c.page_end for p in truth_pages.get(c.doc_id, ()))
        for c in ans.citations
    )
    return {
        "id": item.id,
        "mode": ans.mode,
        "unanswerable": item.unanswerable,
        "answer_ok": bool(text_ok or ev_ok),
        "judgeable": bool(targets or item.evidence),
        "page_ok": page_ok if has_truth else None,
        "refused": bool(ans.not_found),
        "seconds": round(ans.seconds, 3),
        "labels": [c.label for c in ans.citations],
    }


def evaluate_answers(settings: Settings, set_dir: Path, *, limit: int | None = None, generative: bool | None = None,
                     progress: Callable | None = None) -> dict:
    set_dir = Path(set_dir).expanduser()
    if not set_dir.is_dir():
        raise EvalSetError(f"{set_dir} is not a folder")
    items = load_items(set_dir)[: limit or None]
    files = sorted({f for it in items for f in it.docs})
    missing = [f for f in files if not (set_dir / f).is_file()]
    if missing:
        raise EvalSetError(f"{len(missing)} document(s) named in questions.jsonl are not in {set_dir}: {missing[0]}")

    ids = {f: sha256_file(set_dir / f) for f in files}
    main = library.get_store(settings)
    if all(main.get_document(i) is not None for i in ids.values()):
        es = settings  # the library already holds these exact files: no second copy
    else:
        # a scratch library inside the matter's folder (its own home: it holds no matters of its own)
        es = settings.replace(home=Path(settings.data_dir) / "eval" / set_dir.name, matter="default")
    store = library.get_store(es)
    todo = [set_dir / f for f in files if store.get_document(ids[f]) is None]
    if todo:
        if progress:
            progress({"done": 0, "total": len(todo), "stage": f"ingesting {len(todo)} documents"})
        library.ingest(es, todo)
    by_file = {f: store.get_document(i) for f, i in ids.items() if store.get_document(i) is not None}
    texts: dict[str, object] = {}

    modes = [("extractive", es.replace(backend="none"))]
    want_gen = is_generative(backend(settings)) if generative is None else generative
    if want_gen:
        if not is_generative(backend(settings)):
            raise EvalSetError("--generative needs a configured model (LONGDOC_BACKEND / an API key)")
        modes.append(("generative", es))
    rows, results = [], []
    total = len(items) * len(modes)
    done = 0
    for mode, ms in modes:
        for it in items:
            docs = [by_file[f] for f in it.docs if f in by_file]
            if progress:
                progress({"done": done, "total": total, "stage": f"{mode} {it.id}"})
            done += 1
            if not docs:
                results.append({"id": it.id, "mode": mode, "error": "document not ingested"})
                continue
            truth: dict[str, set[int]] = {}
            for d in docs:
                if d.doc_id not in texts:
                    texts[d.doc_id] = doc_text_from_chunks(d, store.chunks(d.doc_id))
                pages: set[int] = set(it.evidence_pages) if len(docs) == 1 else set()
                for e in it.evidence:
                    pages |= texts[d.doc_id].pages_of(e)
                truth[d.doc_id] = pages
            started = time.monotonic()
            ans = ask(ms, it.question, docs=[d.doc_id for d in docs])
            ans.seconds = time.monotonic() - started
            results.append(judge(it, ans, {d.doc_id for d in docs}, truth))
    for mode, _ in modes:
        rs = [r for r in results if r.get("mode") == mode and "error" not in r]
        ans_rs = [r for r in rs if not r["unanswerable"] and r["judgeable"]]
        page_rs = [r for r in rs if not r["unanswerable"] and r["page_ok"] is not None]
        neg = [r for r in rs if r["unanswerable"]]
        rows.append({
            "mode": mode,
            "answerable": len(ans_rs),
            "answer_ok": sum(r["answer_ok"] for r in ans_rs) / len(ans_rs) if ans_rs else 0.0,
            "with_pages": len(page_rs),
            "page_ok": sum(bool(r["page_ok"]) for r in page_rs) / len(page_rs) if page_rs else 0.0,
            "unanswerable": len(neg),
            "refused_ok": sum(r["refused"] for r in neg),
            "mean_seconds": sum(r["seconds"] for r in rs) / len(rs) if rs else 0.0,
        })
    notes = [
        "answer ok: the expected answer or the evidence passage is in the answer or its cited text "
        "(yes/no-only items without evidence are not judged here)",
        "cited page ok: a citation names a page that holds the evidence",
        "refused: unanswerable items (and clauses a contract lacks) answered 'not in the documents'",
    ]
    return {"set": str(set_dir), "questions": len(items), "modes": rows, "items": results, "notes": notes}
