"""Review: every document × every question, one cited cell each — the due-diligence grid (issue 23).

`review(settings, questions, doc_ids)` answers each question for each document from that document alone:
`retrieval.review.retrieve` finds each document's passages for a question (all documents at once), then

- without a model, the extractive verdict: the best passage is the evidence, its best sentence the answer,
  and the verdict says only what retrieval can honestly tell — "yes" when the best passage carries the
  question's own terms and means much the same, "unclear" otherwise (retrieval cannot prove an absence:
  a weak best passage is "unclear", never a confident "no"), with the evidence strength as `confidence`;
- with a model, one short JSON-mode call per document for all its open questions (its passages for each,
  numbered): verdict, a few words, the quote and the passage it comes from. Every quote is checked verbatim
  (whitespace, hyphenation, case and quotes aside) against the passages the model was given; a quote not
  found there marks the cell unverified and lowers its confidence.

Cells are cached on disk under the matter's data folder by (document digest — the doc_id is the sha256 of
its bytes —, question, model, retrieval version): each cell is written as soon as it is computed, so adding
a question or a document computes only what is new, and a run killed midway and started again computes only
the missing cells. Calls run concurrently in a bounded thread pool.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.answer import stance
from app.answer.cite import split_sentences
from app.answer.results import usage_json
from app.answer.session import backend as backend_for
from app.answer.session import run_model
from app.config import Settings
from app.errors import ReviewError
from app.library import documents as library
from model.base import AuthError, BalanceError, ChatOptions, ModelError
from retrieval.evaluate import normalize, normalize_with_map
from retrieval.review import (
    DEFAULT_BUDGET,
    VERSION,
    DocEvidence,
    EvidencePassage,
    ask_of,
    content_of,
    coverage,
    passage_texts,
    retrieve,
)
from retrieval.tokens import count_tokens

VERDICTS = ("yes", "no", "unclear")
EXTRACTIVE = "extractive"
GENERATIVE = "generative"
CELL_VERSION = "review-cell-1"
ANSWER_CHARS = 160
DEFAULT_CONCURRENCY = 16  # calls in flight at once (DeepSeek allows far more; a laptop's sockets do not need more)
CALL_SECONDS_GUESS = 6.0  # per call, before any call was measured here (a short JSON reply, no thinking)
OUTPUT_TOKENS_PER_QUESTION = 90  # a verdict, a few words, a quote: what a reply costs per question
# extractive verdict: one sentence of the best passage holds every content term of the question, and the passage
# means about the same (cosine). On the CUAD review set's library-wide questions such "yes" cells are in a
# contract CUAD annotates for the clause 70 % of the time (a looser rule, 52 %); everything else is "unclear".
YES_COVER = 1.0
YES_DENSE = 0.45


@dataclass
class ReviewCell:
    doc_id: str
    doc: str  # file name
    question: str
    verdict: str  # yes | no | unclear
    answer: str
    evidence: list[dict]  # [{"text", "page", "page_end", "chunk_ids", "char_start", "char_end", "rank"}], best first
    confidence: float
    mode: str = EXTRACTIVE
    model: str = ""
    quote: str = ""
    quote_page: int | None = None
    quote_verified: bool | None = None  # None: no quote (extractive cells quote their evidence itself)
    usage: dict = field(default_factory=dict)
    cost_usd: float | None = 0.0
    cached: bool = False
    error: str = ""

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("doc_id"), d.pop("doc")
        return d


@dataclass
class ReviewRow:
    doc: str
    doc_id: str
    title: str
    cells: list[ReviewCell]

    def to_json(self) -> dict:
        return {"doc": self.doc, "doc_id": self.doc_id, "title": self.title, "cells": [c.to_json() for c in self.cells]}


@dataclass
class ReviewEstimate:
    """What a run would do, before it runs: cells, calls, tokens, price now and at the other rate, time."""

    documents: int
    questions: int
    cells: int
    cells_cached: int
    calls: int
    prompt_tokens: int
    output_tokens: int
    backend: str
    model: str | None
    price_window: str | None
    cost_now_usd: float | None
    other_window: str | None
    cost_other_usd: float | None
    seconds_expected: float
    seconds_per_call: float
    concurrency: int
    retrieval_seconds: float
    note: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class ReviewTable:
    questions: list[str]
    rows: list[ReviewRow]
    mode: str
    backend: str
    model: str | None
    computed: int = 0  # cells computed by this run
    cached: int = 0  # cells read from the cache
    complete: bool = True  # False when stopped before every cell was computed (a limit, an interrupt)
    seconds: float = 0.0
    retrieval_seconds: float = 0.0
    usage: dict = field(default_factory=dict)
    cost_usd: float | None = 0.0
    estimate: ReviewEstimate | None = None

    def to_json(self) -> dict:
        out = {"questions": list(self.questions), "rows": [r.to_json() for r in self.rows], "mode": self.mode,
               "backend": self.backend, "model": self.model, "computed": self.computed, "cached": self.cached,
               "complete": self.complete, "seconds": round(self.seconds, 3),
               "retrieval_seconds": round(self.retrieval_seconds, 3), "usage": self.usage, "cost_usd": self.cost_usd}
        if self.estimate is not None:
            out["dry_run"] = self.estimate.to_json()
        return out

    def cell(self, doc_id: str, question: str) -> ReviewCell | None:
        for r in self.rows:
            if r.doc_id == doc_id:
                for c in r.cells:
                    if c.question == question:
                        return c
        return None


# ---- the cell cache ------------------------------------------------------------------------------------------

def cache_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "review"


def _model_key(b) -> str:
    return f"{b.name}:{b.model}" if getattr(b, "is_configured", False) else EXTRACTIVE


def cell_key(doc_id: str, question: str, model_key: str, size: str, version: str = "") -> str:
    """The cache key of a cell: the document's digest (its doc_id is the sha256 of its bytes) and the ingest that
    made its chunks (`version`: re-ingested, its evidence may differ), the question, the model, the evidence size."""
    raw = "\x00".join([doc_id, version, question.strip(), model_key, VERSION, CELL_VERSION, str(size)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class CellCache:
    """One JSON file per cell under <data>/review/cells/<key[:2]>/<key>.json, written atomically."""

    def __init__(self, root: Path):
        self.root = Path(root) / "cells"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, data: dict) -> None:
        """The cell without its evidence texts (chunk ids and offsets say where they are: read back from the
        store), so a library's cache stays a few KB a cell, not the 16K tokens of evidence each shows."""
        data = {**data, "evidence": [{k: v for k, v in e.items() if k != "text"} for e in data.get("evidence", [])]}
        p = self._path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_name(f".{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, p)
        except OSError:
            pass  # a read-only data folder: the run works, it only forgets


def _call_stats_path(settings: Settings) -> Path:
    return cache_dir(settings) / "calls.json"


def measured_call_seconds(settings: Settings, model_key: str) -> float | None:
    try:
        got = json.loads(_call_stats_path(settings).read_text()).get(model_key)
        return float(got["seconds"]) / max(1, int(got["calls"])) if got else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember_calls(settings: Settings, model_key: str, seconds: list[float]) -> None:
    if not seconds:
        return
    p = _call_stats_path(settings)
    try:
        data = json.loads(p.read_text()) if p.is_file() else {}
    except (OSError, ValueError):
        data = {}
    got = data.get(model_key) or {"calls": 0, "seconds": 0.0}
    got = {"calls": int(got["calls"]) + len(seconds), "seconds": float(got["seconds"]) + sum(seconds)}
    data[model_key] = got
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".calls.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, p)
    except OSError:
        pass


# ---- evidence as cells show it -------------------------------------------------------------------------------

def _evidence_json(passages: list[EvidencePassage]) -> list[dict]:
    return [{"text": p.text, "page": p.page_start, "page_end": p.page_end, "chunk_ids": list(p.chunk_ids),
             "char_start": p.char_start, "char_end": p.char_end, "section": p.section, "rank": p.rank,
             "tokens": p.tokens}
            for p in passages]


def _best_sentence(text: str, terms: tuple[str, ...]) -> str:
    """The sentence of `text` holding most of the question's terms (a heading alone is joined to what follows)."""
    sents = [" ".join(s.split()) for s in split_sentences(text) if s.strip()] or [" ".join(text.split())]
    score = [coverage(terms, s) if terms else 0.0 for s in sents]
    best = max(range(len(sents)), key=lambda i: (score[i] + (0.01 if len(sents[i]) >= 60 else 0.0), -i))
    s = sents[best]
    if len(s) < 60 and best + 1 < len(sents):  # "Section 16.11 Governing Law." — the clause is the next sentence
        s = f"{s} {sents[best + 1]}"
    return s if len(s) <= ANSWER_CHARS else s[: ANSWER_CHARS - 1].rsplit(" ", 1)[0] + "…"


def extractive_verdict(ev: DocEvidence) -> tuple[str, float]:
    """(verdict, confidence) from retrieval alone. The confidence is the evidence strength (0–1): the share of
    the question's content terms the best passage holds and how close its meaning is. "yes" needs one sentence
    holding every term and a close meaning;
    anything weaker is "unclear" — the best passage of a document without the clause is still *a* passage,
    and an absence cannot be read off a ranking, so the extractive review never answers a confident "no". Nor is it
    "yes" where the sentences holding the terms state the opposite (app/answer/stance.py: a termination for cause
    for "for convenience", a non-exclusive grant for "exclusivity")."""
    if not ev.passages:
        return "unclear", 0.0
    dense = max(0.0, min(1.0, (ev.dense - 0.2) / 0.5))
    strength = round(0.5 * ev.cover + 0.5 * dense, 3)
    if ev.sentence_cover >= YES_COVER and ev.dense >= YES_DENSE:
        holding = [x for x in split_sentences(ev.passages[0].text) if coverage(ev.terms, x) >= YES_COVER]
        if stance.states_opposite(ev.question, holding) is None:  # not a for-cause clause for "for convenience"
            return "yes", strength
    return "unclear", strength


def extractive_cell(d, question: str, ev: DocEvidence | None) -> ReviewCell:
    if ev is None or not ev.passages:
        return ReviewCell(d.doc_id, d.file, question, "unclear", "no passage found", [], 0.0)
    verdict, conf = extractive_verdict(ev)
    answer = _best_sentence(ev.passages[0].text, ev.terms)
    return ReviewCell(d.doc_id, d.file, question, verdict, answer, _evidence_json(ev.passages), conf,
                      mode=EXTRACTIVE, model="", cost_usd=0.0)


# ---- the model call: one document, its open questions --------------------------------------------------------

SYSTEM = (
    "You review one document for a lawyer. Each question comes with numbered passages from that document; "
    "answer each question only from its passages. Reply with one JSON object and nothing else:\n"
    '{"answers": [{"q": <question number>, "verdict": "yes" | "no" | "unclear", "answer": "<a few words>", '
    '"quote": "<the sentence from a passage that supports the verdict, copied exactly>", '
    '"passage": <passage number>}]}\n'
    '"yes": the passages show the document has what the question asks; "no": they show it does not; '
    '"unclear": the passages do not settle it (then quote nothing). Never invent a quote.'
)


def _passage_label(n: int, p: EvidencePassage) -> str:
    pages = f"p.{p.page_start}" if p.page_end == p.page_start else f"p.{p.page_start}–{p.page_end}"
    return f"P{n} {pages}"


CALL_BUDGET = 2 * DEFAULT_BUDGET  # passages in one document's call (its questions' evidence, each passage once)


def document_messages(d, items: list[tuple[str, DocEvidence | None]], call_budget: int = CALL_BUDGET, store: Any = None
                      ) -> tuple[list[dict], list[EvidencePassage]]:
    """The messages of one document's call and the passages in it, numbered from 1 in document order.

    The questions' evidence overlaps (the same chunks, in passages cut differently per question): the call reads
    each chunk once — the union of every question's chunks, joined into runs of contiguous chunks — and past
    `call_budget` tokens the chunks no question ranks high are left out. Each question lists the passages that
    hold its evidence, best first. Without a `store` the questions' own passages are used (overlaps repeated)."""
    rank: dict[str, int] = {}
    tokens: dict[str, float] = {}
    pages: dict[str, tuple[int, int]] = {}
    for _, ev in items:
        for p in (ev.passages if ev else []):
            for cid, cp in zip(p.chunk_ids, p.chunk_pages or [(p.char_start, p.page_start)] * len(p.chunk_ids)):
                rank[cid] = min(rank.get(cid, p.rank), p.rank)
                tokens[cid] = p.tokens / max(1, len(p.chunk_ids))
                pages[cid] = cp
    chosen, used = [], 0.0
    for cid in sorted(rank, key=lambda c: (rank[c], _ordinal(c))):
        if chosen and used + tokens[cid] > call_budget:
            continue
        chosen.append(cid)
        used += tokens[cid]
    passages = _runs(d.doc_id, sorted(chosen, key=_ordinal), rank, tokens, pages, store) if store is not None else None
    if passages is None:  # no store to read chunk texts from: the questions' passages as they are
        seen: dict[tuple, EvidencePassage] = {}
        for _, ev in items:
            for p in (ev.passages if ev else []):
                if set(p.chunk_ids) & set(chosen):
                    seen.setdefault((p.char_start, p.char_end), p)
        passages = [seen[k] for k in sorted(seen)]
    holder = {cid: n for n, p in enumerate(passages, 1) for cid in p.chunk_ids}
    lines = [f"Document: {d.file}" + (f" — {d.title}" if d.title and d.title != d.file else ""), "", "Passages:"]
    for n, p in enumerate(passages, 1):
        lines += [f"[{_passage_label(n, p)}]", p.text.strip(), ""]
    lines.append("Questions:")
    for qn, (q, ev) in enumerate(items, 1):
        nums = list(dict.fromkeys(holder[cid] for p in (ev.passages if ev else []) for cid in p.chunk_ids if cid in holder))
        use = ", ".join(f"P{x}" for x in nums) or "none"
        lines.append(f"Q{qn}. {q} (passages, best first: {use})")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}], passages


def _ordinal(cid: str) -> int:
    tail = cid.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def _runs(doc_id: str, cids: list[str], rank: dict, tokens: dict, pages: dict, store) -> list[EvidencePassage] | None:
    """Contiguous chunk ids joined into passages (texts read from the store, overlaps once)."""
    runs: list[list[str]] = []
    for cid in cids:
        if runs and _ordinal(cid) == _ordinal(runs[-1][-1]) + 1:
            runs[-1].append(cid)
        else:
            runs.append([cid])
    texts = passage_texts(store, [tuple(r) for r in runs])
    if any(t is None for t in texts):
        return None
    out = []
    for r, text in zip(runs, texts):
        cp = tuple(pages[c] for c in r)
        out.append(EvidencePassage(doc_id, tuple(r), text, cp[0][1], cp[-1][1], cp[0][0], cp[0][0] + len(text), "",
                                   0.0, min(rank[c] for c in r), cp, int(sum(tokens[c] for c in r))))
    return out


def _json_object(text: str) -> dict:
    m = re.search(r"\{.*\}", (text or "").strip(), re.S)
    if not m:
        return {}
    try:
        data = json.loads(m.group(0))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _answers_by_q(text: str, n: int) -> dict[int, dict]:
    data = _json_object(text)
    got = data.get("answers", data.get("results", []))
    out: dict[int, dict] = {}
    if isinstance(got, dict):  # {"Q1": {...}} or {"1": {...}}
        got = [{**v, "q": k} for k, v in got.items() if isinstance(v, dict)]
    if isinstance(got, list):
        for i, a in enumerate(got, 1):
            if not isinstance(a, dict):
                continue
            m = re.search(r"\d+", str(a.get("q", i)))
            q = int(m.group(0)) if m else i
            if 1 <= q <= n and q not in out:
                out[q] = a
    return out


def locate_quote(quote: str, passages: list[EvidencePassage]) -> tuple[EvidencePassage | None, int | None]:
    """The passage holding `quote` verbatim (normalised for whitespace, hyphenation, case, quotes) and the page
    where it starts; (None, None) when no passage holds it."""
    n = normalize(quote)
    if len(n) < 8:
        return None, None
    for p in passages:
        norm, where = normalize_with_map(p.text)
        at = norm.find(n)
        if at >= 0:
            return p, p.page_at(where[at])
    return None, None


def model_cells(d, items: list[tuple[str, DocEvidence | None]], completion, passages: list[EvidencePassage],
                model_key: str) -> list[ReviewCell]:
    text = completion.text if completion is not None else ""
    answers = _answers_by_q(text, len(items))
    share = 1.0 / max(1, len(items))
    usage = usage_json(completion.usage) if completion is not None else {}
    cost = completion.cost_usd * share if completion is not None and completion.cost_usd is not None else None
    cells = []
    for qn, (q, ev) in enumerate(items, 1):
        a = answers.get(qn, {})
        verdict = str(a.get("verdict", "")).strip().lower()
        verdict = verdict if verdict in VERDICTS else "unclear"
        answer = " ".join(str(a.get("answer") or "").split())[:ANSWER_CHARS]
        quote = " ".join(str(a.get("quote") or "").split())
        own = list(ev.passages) if ev else []
        holder, page = locate_quote(quote, own) if quote else (None, None)
        if holder is None and quote:
            holder, page = locate_quote(quote, passages)  # from another question's passage of the same document
        verified = None if not quote else holder is not None
        evidence = own
        if holder is not None:
            evidence = [holder] + [p for p in own if p is not holder]
        conf = {"yes": 0.85, "no": 0.75, "unclear": 0.4}[verdict]
        if verified is False:
            conf = 0.3
        if not a:
            conf = 0.0
        cells.append(ReviewCell(d.doc_id, d.file, q, verdict, answer or (verdict if a else "no reply"),
                                _evidence_json(evidence), conf, mode=GENERATIVE, model=model_key, quote=quote,
                                quote_page=page, quote_verified=verified,
                                usage={k: (v * share if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                                       for k, v in usage.items()},
                                cost_usd=cost, error="" if a else "the model's reply held no answer to this question"))
    return cells


# ---- the use case --------------------------------------------------------------------------------------------

def _cell_from_json(d, data: dict) -> ReviewCell:
    fields = {k: v for k, v in data.items() if k in ReviewCell.__dataclass_fields__ and k not in ("doc_id", "doc")}
    return ReviewCell(doc_id=d.doc_id, doc=d.file, **{**fields, "cached": True})


def _documents(settings: Settings, doc_ids: list[str] | None):
    docs = library.resolve_docs(settings, list(doc_ids) if doc_ids else None)
    return sorted(docs, key=lambda d: (d.file.lower(), d.doc_id))


def review(settings: Settings, questions: list[str], doc_ids: list[str] | None = None, *,
           budget: int = DEFAULT_BUDGET, k: int | None = None,
           dry_run: bool = False, progress: Callable[[dict], None] | None = None, limit: int | None = None,
           concurrency: int = DEFAULT_CONCURRENCY, backend: Any = None, use_cache: bool = True,
           timings: dict | None = None, cancel: Callable[[], bool] | None = None) -> ReviewTable:
    """The review table of `questions` × documents (`doc_ids`: ids, id prefixes or file names; None = the
    library). `limit` stops after that many new cells (the rest stay to compute: `complete` is False).
    `budget`: evidence tokens per cell (a document's best passages up to that much; `k` chunks instead when given).
    `progress` receives {"done", "total", "doc", "stage"} as documents complete. `use_cache=False` neither
    reads nor writes cached cells (an evaluation measuring the computation itself). `cancel`, asked before each
    document's cells are computed, stops the run when it returns True (a review job stopped on request: the
    cells done so far are kept and cached, `complete` is False)."""
    qs = [q.strip() for q in questions if q and q.strip()]
    qs = list(dict.fromkeys(qs))
    if not qs:
        raise ReviewError("a review needs at least one question")
    t_start = time.perf_counter()
    b = backend if backend is not None else backend_for(settings)
    generative = bool(getattr(b, "is_configured", False))
    mkey = _model_key(b)
    docs = _documents(settings, doc_ids)
    if not docs:
        raise ReviewError("the library is empty: add documents with `longdoc ingest PATH` first")
    store = library.get_store(settings)
    embedder = library.get_embedder_for(settings)
    cache = CellCache(cache_dir(settings))
    all_scope = doc_ids is None
    size = f"k{int(k)}" if k else f"t{int(budget)}"

    # 1. what the cache already holds (evidence texts read back from the store in one batch)
    cells: dict[tuple[str, str], ReviewCell] = {}
    missing: dict[str, list[str]] = {}  # question -> doc_ids to compute
    held: list[tuple[Any, str, dict]] = []
    for q in qs:
        for d in docs:
            got = cache.get(cell_key(d.doc_id, q, mkey, size, d.ingested_at)) if use_cache else None
            if got is not None:
                held.append((d, q, got))
            else:
                missing.setdefault(q, []).append(d.doc_id)
    spans = [tuple(e.get("chunk_ids") or ()) for _, _, got in held for e in got.get("evidence", [])]
    texts = iter(passage_texts(store, spans))
    for d, q, got in held:
        evidence = [{**e, "text": next(texts)} for e in got.get("evidence", [])]
        if any(e["text"] is None for e in evidence):  # its chunks changed: compute it again
            missing.setdefault(q, []).append(d.doc_id)
            continue
        cells[(d.doc_id, q)] = _cell_from_json(d, {**got, "evidence": evidence})
    n_cached = len(cells)

    # 2. retrieval for the missing cells (every document of a question at once)
    t0 = time.perf_counter()
    found: dict[tuple[str, str], DocEvidence] = {}
    for q, ids in missing.items():
        scope = None if all_scope and len(ids) == len(docs) else ids
        for did, ev in retrieve(store, embedder, q, scope, k=k, budget=budget, timings=timings).items():
            found[(did, q)] = ev
    t_retrieval = time.perf_counter() - t0
    missing_sets = {q: set(ids) for q, ids in missing.items()}
    todo_docs = [d for d in docs if any(d.doc_id in ids for ids in missing_sets.values())]

    def items_of(d) -> list[tuple[str, DocEvidence | None]]:
        return [(q, found.get((d.doc_id, q))) for q in qs if d.doc_id in missing_sets.get(q, ())]

    if dry_run:
        est = _estimate(settings, b, docs, qs, todo_docs, items_of, n_cached, t_retrieval, concurrency, mkey, store)
        return _table(qs, docs, cells, b, generative, 0, n_cached, False, t_start, t_retrieval, est)

    computed = 0
    stopped = False
    lock = threading.Lock()
    total = len(todo_docs)
    done_docs = 0

    def record(d, new: list[ReviewCell]) -> None:
        nonlocal computed, done_docs
        with lock:
            for c in new:
                cells[(d.doc_id, c.question)] = c
                if not c.error and use_cache:
                    cache.put(cell_key(d.doc_id, c.question, mkey, size, d.ingested_at), c.to_json())
                computed += 1
            done_docs += 1
            if progress:
                progress({"done": done_docs, "total": total, "doc": d.file, "stage": "review"})

    if not generative:
        for d in todo_docs:
            if cancel is not None and cancel():
                stopped = True
                break
            its = items_of(d)
            if limit is not None and computed + len(its) > limit:
                its = its[: max(0, limit - computed)]
                stopped = True
            if its:
                record(d, [extractive_cell(d, q, ev) for q, ev in its])
            if stopped:
                break
    else:
        stopped = _run_calls(settings, b, todo_docs, items_of, record, limit, concurrency, mkey, store, cancel)
        computed = sum(1 for key in cells if not cells[key].cached)

    # 3. the table, in document order
    usage: dict[str, float] = {}
    cost: float | None = 0.0
    for c in cells.values():
        if c.cached or c.error:  # a failed call: nothing known to add
            continue
        for key_, v in (c.usage or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                usage[key_] = usage.get(key_, 0) + v
        if c.cost_usd is None:
            cost = None
        elif cost is not None:
            cost += c.cost_usd
    complete = not stopped and all((d.doc_id, q) in cells for d in docs for q in qs)
    table = _table(qs, docs, cells, b, generative, computed, n_cached, complete, t_start, t_retrieval, None)
    table.usage = {k_: round(v, 3) if isinstance(v, float) else v for k_, v in usage.items()}
    table.cost_usd = round(cost, 6) if cost is not None else None
    return table


def _table(qs, docs, cells, b, generative, computed, n_cached, complete, t_start, t_retrieval, est) -> ReviewTable:
    rows = []
    for d in docs:
        row = [cells[(d.doc_id, q)] for q in qs if (d.doc_id, q) in cells]
        if row or est is not None:
            rows.append(ReviewRow(d.file, d.doc_id, d.title or d.file, row))
    return ReviewTable(qs, rows, GENERATIVE if generative else EXTRACTIVE, getattr(b, "name", "none"),
                       getattr(b, "model", None), computed=computed, cached=n_cached, complete=complete,
                       seconds=time.perf_counter() - t_start, retrieval_seconds=t_retrieval, estimate=est)


def _options(settings: Settings, b, n_questions: int):
    room = 200 + 160 * n_questions
    cap = getattr(b, "max_output", 0) or room
    return ChatOptions(stream=True, thinking=bool(settings.thinking), effort=settings.effort, json_mode=True,
                       max_tokens=min(room, int(cap)) if not settings.thinking else None)


def _run_calls(settings, b, todo_docs, items_of, record, limit, concurrency, mkey, store, cancel=None) -> bool:
    """One call per document with open questions, `concurrency` at a time; each document's cells recorded as
    its call returns. Returns True when stopped early by `limit` or `cancel`. A key or balance error stops the run."""
    stop = threading.Event()
    seconds: list[float] = []
    planned = 0
    jobs = []
    stopped = False
    cancelled: list = []
    for d in todo_docs:
        its = items_of(d)
        if limit is not None and planned + len(its) > limit:
            its = its[: max(0, limit - planned)]
            stopped = True
        if its:
            jobs.append((d, its))
            planned += len(its)
        if stopped:
            break

    def one(d, its):
        if not stop.is_set() and cancel is not None and cancel():
            stop.set()
            cancelled.append(d)
        if stop.is_set():
            return d, its, None, None, "stopped"
        messages, passages = document_messages(d, its, store=store)
        t0 = time.perf_counter()
        try:
            completion = run_model(b, messages, _options(settings, b, len(its)))
        except (AuthError, BalanceError):
            stop.set()
            raise
        except ModelError as e:
            return d, its, None, passages, str(e)
        seconds.append(time.perf_counter() - t0)
        return d, its, completion, passages, ""

    fatal: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, min(int(concurrency), len(jobs) or 1))) as pool:
        pending = {pool.submit(one, d, its) for d, its in jobs}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                try:
                    d, its, completion, passages, err = f.result()
                except BaseException as e:  # noqa: BLE001 - a key or balance error: the run stops, cells so far stay
                    fatal = fatal or e
                    continue
                if err == "stopped":
                    continue
                if err:
                    record(d, [ReviewCell(d.doc_id, d.file, q, "unclear", "", _evidence_json(ev.passages if ev else []),
                                          0.0, mode=GENERATIVE, model=mkey, cost_usd=None, error=err) for q, ev in its])
                    continue
                record(d, model_cells(d, its, completion, passages, mkey))
    _remember_calls(settings, mkey, seconds)
    if fatal is not None:
        raise fatal
    return stopped or bool(cancelled)


def _estimate(settings, b, docs, qs, todo_docs, items_of, n_cached, t_retrieval, concurrency, mkey,
              store=None) -> ReviewEstimate:
    generative = bool(getattr(b, "is_configured", False))
    cells = len(docs) * len(qs)
    if not generative:
        return ReviewEstimate(len(docs), len(qs), cells, n_cached, 0, 0, 0, "none", None, None, 0.0, None, 0.0,
                              round(t_retrieval, 2), 0.0, 0, round(t_retrieval, 2),
                              note="no model configured — extractive verdicts from retrieval, $0")
    family = getattr(b, "tokenizer", None) or "deepseek-v4"
    prompt = 0
    out = 0
    calls = 0
    for d in todo_docs:
        its = items_of(d)
        if not its:
            continue
        messages, _ = document_messages(d, its, store=store)
        prompt += sum(count_tokens(m["content"], family) + 4 for m in messages)
        out += OUTPUT_TOKENS_PER_QUESTION * len(its)
        calls += 1
    sched = getattr(b, "schedule", None)
    window = sched.window() if sched is not None else None
    other = sched.other() if sched is not None else None

    def cost(prices) -> float | None:
        if prices is None:
            return None
        # the system prompt repeats in every call: after the first, DeepSeek serves it from its prefix cache
        sys_tokens = count_tokens(SYSTEM, family) + 4
        hit = sys_tokens * max(0, calls - 1)
        return round((hit * prices.input_cache_hit + (prompt - hit) * prices.input_cache_miss
                      + out * prices.output) / 1_000_000, 6)

    per_call = measured_call_seconds(settings, mkey)
    measured = per_call is not None
    per_call = per_call if per_call is not None else CALL_SECONDS_GUESS
    conc = max(1, min(int(concurrency), calls or 1))
    seconds = t_retrieval + (-(-calls // conc)) * per_call
    note = ("time from calls measured here" if measured else
            f"time assumes {CALL_SECONDS_GUESS:.0f} s a call (none measured here yet)")
    return ReviewEstimate(len(docs), len(qs), cells, n_cached, calls, prompt, out, b.name, b.model, window,
                          cost(sched.at()) if sched is not None else None, other[0] if other else None,
                          cost(other[1]) if other else None, round(seconds, 1), round(per_call, 2), conc,
                          round(t_retrieval, 2), note=note)


# ---- exports --------------------------------------------------------------------------------------------------

EXPORTS = (".json", ".csv", ".md", ".xlsx", ".docx")


def _grid_text(c: ReviewCell) -> str:
    page = f" (p.{c.evidence[0]['page']})" if c.evidence else ""
    return f"{c.verdict.upper()}: {c.answer}{page}"


def long_rows(table: ReviewTable) -> list[list]:
    head = ["document", "doc_id", "question", "verdict", "answer", "confidence", "page", "quote", "quote verified",
            "evidence", "mode", "model", "cost_usd"]
    rows: list[list] = [head]
    for r in table.rows:
        for c in r.cells:
            ev = c.evidence[0] if c.evidence else {}
            rows.append([r.doc, r.doc_id, c.question, c.verdict, c.answer, c.confidence, ev.get("page", ""),
                         c.quote, "" if c.quote_verified is None else ("yes" if c.quote_verified else "NO"),
                         " … ".join(" ".join(e["text"].split()) for e in c.evidence), c.mode, c.model,
                         "" if c.cost_usd is None else c.cost_usd])
    return rows


def export(table: ReviewTable, path: str | Path) -> Path:
    """The table as JSON, CSV (one row per cell), Markdown, XLSX (the grid, then every cell's evidence) or DOCX."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in EXPORTS:
        raise ReviewError(f"cannot export to {p.name}: use one of {', '.join(EXPORTS)}")
    p.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".json":
        p.write_text(json.dumps(table.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    elif ext == ".csv":
        with open(p, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(long_rows(table))
    elif ext == ".md":
        p.write_text(to_markdown(table), encoding="utf-8")
    elif ext == ".xlsx":
        _xlsx(table, p)
    else:
        _docx(table, p)
    return p


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(table: ReviewTable) -> str:
    lines = ["| document | " + " | ".join(_md(q) for q in table.questions) + " |",
             "|---|" + "---|" * len(table.questions)]
    for r in table.rows:
        by_q = {c.question: c for c in r.cells}
        lines.append(f"| {_md(r.doc)} | " + " | ".join(_md(_grid_text(by_q[q])) if q in by_q else "" for q in table.questions) + " |")
    lines += ["", "## Evidence", ""]
    for r in table.rows:
        for c in r.cells:
            if c.evidence:
                e = c.evidence[0]
                lines.append(f"- **{_md(r.doc)}** — {_md(c.question)} — {c.verdict} (p.{e['page']}): "
                             f"“{_md(c.quote or e['text'][:600])}”")
    return "\n".join(lines) + "\n"


def _xlsx(table: ReviewTable, p: Path) -> None:
    from openpyxl import Workbook  # openpyxl: only for a .xlsx export
    from openpyxl.styles import Alignment, Font  # ditto

    wb = Workbook()
    ws = wb.active
    ws.title = "review"
    ws.append(["document", *table.questions])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in table.rows:
        by_q = {c.question: c for c in r.cells}
        ws.append([r.doc, *[_grid_text(by_q[q]) if q in by_q else "" for q in table.questions]])
    for col in ws.columns:
        for cell in col:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 40
    ev = wb.create_sheet("evidence")
    for row in long_rows(table):
        ev.append([str(x)[:32000] if isinstance(x, str) else x for x in row])
    wb.save(p)


def _docx(table: ReviewTable, p: Path) -> None:
    from docx import Document as Docx  # python-docx: only for a .docx export

    doc = Docx()
    doc.add_heading("Review", level=1)
    t = doc.add_table(rows=1, cols=1 + len(table.questions))
    t.style = "Table Grid"
    for i, h in enumerate(["document", *table.questions]):
        t.rows[0].cells[i].text = h
    for r in table.rows:
        by_q = {c.question: c for c in r.cells}
        cells = t.add_row().cells
        cells[0].text = r.doc
        for i, q in enumerate(table.questions, 1):
            cells[i].text = _grid_text(by_q[q]) if q in by_q else ""
    doc.add_heading("Evidence", level=2)
    for r in table.rows:
        for c in r.cells:
            if c.evidence:
                e = c.evidence[0]
                doc.add_paragraph(f"{r.doc} — {c.question} — {c.verdict} (p.{e['page']}): "
                                  f"“{c.quote or ' '.join(e['text'].split())[:1200]}”")
    doc.save(str(p))


__all__ = ["ReviewCell", "ReviewRow", "ReviewTable", "ReviewEstimate", "ReviewError", "review", "export",
           "extractive_verdict", "locate_quote", "document_messages", "cell_key", "CellCache", "ask_of", "content_of"]
