"""Compare: a documents × aspects matrix, each cell a short cited answer or "not found".

Extractive (no model): for each document and aspect, the best sentence of that document alone
(clause patterns + BM25 + the embedder on a short list). Generative: when the chosen documents fit
the model's window whole, one JSON-mode call reads them all and fills the whole matrix (a 1M window
holds dozens of contracts); otherwise one call per document with its best passages for the aspects.
Every answer is checked against the passage its label names.
"""

from __future__ import annotations

import json
import re

from app.answer import cite, extractive
from app.answer.printed_pages import with_printed_pages
from app.answer.prompts import compare_all_messages, compare_messages
from app.answer.results import (
    EXTRACTIVE,
    GENERATIVE,
    NOT_FOUND,
    Cell,
    Citation,
    Matrix,
    sum_cost,
    sum_usage,
    usage_json,
)
from app.answer.session import (
    backend,
    choose_documents,
    context_budget,
    doc_infos,
    dry_run_info,
    is_generative,
    options_for,
    prefix_fingerprint,
    remember_prefix,
    run_model,
    tokenizer_of,
)
from app.config import Settings
from app.library import documents as library
from retrieval.pack import build_context, render_context

CELL_CHARS = 320
COMPARE_BUDGET = 24_000  # per document when they do not fit one window: the clauses that matter, cheap per call


def default_aspects(documents) -> list[str]:
    """The aspect set of the documents' domain (contracts, papers, opinions); mixed sets are merged."""
    out: list[str] = []
    for d in documents:
        for a in extractive.DEFAULT_COMPARE.get(d.domain, extractive.DEFAULT_COMPARE["contract"]):
            if a not in out:
                out.append(a)
    return out


def parse_aspects(text: str | list[str] | None) -> list[str] | None:
    if text is None:
        return None
    items = text if isinstance(text, list) else text.split(",")
    out: dict[str, str] = {}  # an aspect named twice is one column
    for a in items:
        if a and a.strip():
            out.setdefault(a.strip().lower(), a.strip())
    return list(out.values()) or None


def _short(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1].rsplit(" ", 1)[0] + "…"


@with_printed_pages  # citations show the printed page number too (issue 12)
def compare(settings: Settings, *, docs: list[str] | None, aspects: list[str] | str | None = None,
            dry_run: bool = False, progress=None) -> Matrix:
    b = backend(settings)
    documents = choose_documents(settings, docs)
    aspects = parse_aspects(aspects) or default_aspects(documents)
    store = library.get_store(settings)
    embedder = library.get_embedder_for(settings)
    infos = doc_infos(documents)
    if not is_generative(b):
        if dry_run:
            return Matrix(aspects, infos, [], EXTRACTIVE, "none", None,
                          dry_run=dry_run_info(settings, b, [], 0, 0, len(documents)))
        cells = []
        for i, d in enumerate(documents, 1):
            if progress:
                progress({"done": i - 1, "total": len(documents), "stage": "reading", "doc": d.file})
            units = extractive.units_from_chunks(store.chunks(d.doc_id), i, d.file, d.title)
            for name in aspects:
                r = extractive.best_for_aspect(units, extractive.aspect(name), embedder, k=1)
                if r.found and r.units:
                    u = r.units[0]
                    c = Citation(u.label, u.doc_id, u.file, u.page_start, u.page_end, u.section, u.text, True,
                                 ocr=u.ocr)
                    cells.append(Cell(d.doc_id, d.file, name, _short(u.text), c, True))
                else:
                    cells.append(Cell(d.doc_id, d.file, name, NOT_FOUND, None, False))
        return Matrix(aspects, infos, cells, EXTRACTIVE, "none", None, usage={}, cost_usd=0.0)
    return _generative(settings, b, store, embedder, documents, aspects, infos, dry_run, progress)


def _json_object(text: str) -> dict:
    """The outermost {...} of a model's reply (fenced or with prose around it) as a dict; {} when none parses."""
    m = re.search(r"\{.*\}", text.strip(), re.S)
    if not m:
        return {}
    try:
        data = json.loads(m.group(0))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _parse_reply(text: str) -> dict:
    """The model's JSON object; tolerant of a fenced ```json block around it."""
    data = _json_object(text)
    got = data.get("aspects", data)
    return got if isinstance(got, dict) else {}


def _cells_from(reply: dict, d, i: int, aspects: list[str], passages, local_index: int, embedder) -> list[Cell]:
    """One document's cells from a parsed reply; `local_index` is the D-number the call gave it."""
    cells = []
    lower = {str(k).strip().lower(): v for k, v in reply.items()}
    for name in aspects:
        item = lower.get(name.lower()) or {}
        if isinstance(item, str):
            item = {"answer": item}
        if not isinstance(item, dict):
            item = {}
        answer = str(item.get("answer") or "").strip()
        if not answer or answer.lower().startswith(NOT_FOUND):
            cells.append(Cell(d.doc_id, d.file, name, NOT_FOUND, None, False))
            continue
        refs = cite.parse_bracket(str(item.get("label") or "")) or [r for _, _, rs in cite.find_citations(answer) for r in rs]
        citation = None
        if refs:
            ref = cite.Ref(i, refs[0].page_start, refs[0].page_end)  # shown with the global D-number
            local = cite.resolve(cite.Ref(local_index, ref.page_start, ref.page_end), passages)
            own = "\n".join(p.text for p in local)
            ok = bool(local) and cite.support(answer, own, embedder)[0]
            excerpt, section = cite.cited_excerpt(answer, local)
            citation = Citation(ref.label, d.doc_id, d.file, ref.page_start, ref.page_end, section, excerpt, ok,
                                ocr=any(p.ocr for p in local))
        cells.append(Cell(d.doc_id, d.file, name, _short(cite.strip_labels(answer).strip()), citation, True))
    return cells


def _parse_all(text: str, n_docs: int) -> dict[int, dict]:
    """The single-pass reply {"documents": {"D1": {aspect: {...}}, …}} → {1: {aspect: {...}}, …}."""
    data = _json_object(text)
    docs = data.get("documents", data)
    out: dict[int, dict] = {}
    if isinstance(docs, dict):
        for k, v in docs.items():
            g = re.match(r"\s*D?(\d+)\s*$", str(k))
            if g and isinstance(v, dict):
                out[int(g.group(1))] = v.get("aspects", v) if isinstance(v.get("aspects"), dict) else v
    return {k: v for k, v in out.items() if 1 <= k <= n_docs}


def _generative(settings, b, store, embedder, documents, aspects, infos, dry_run, progress) -> Matrix:
    family = tokenizer_of(b)
    window_budget = context_budget(settings, b, None)
    query = "; ".join(aspects)
    # 1. one call over every chosen document when they all fit the model's window whole
    if len(documents) > 1:
        whole = build_context(store, embedder, query, doc_ids=[d.doc_id for d in documents], budget=window_budget,
                              tokenizer=family)
        if whole.mode == "whole":
            messages = compare_all_messages(whole, aspects, len(documents), rendered=render_context(whole))
            if dry_run:
                info = dry_run_info(settings, b, [messages], whole.tokens, window_budget, len(documents), packs=[whole])
                return Matrix(aspects, infos, [], GENERATIVE, b.name, b.model, dry_run=info, strategy="one-pass")
            if progress:
                progress({"done": 0, "total": 1, "stage": "asking", "doc": "all documents"})
            completion = run_model(b, messages, options_for(settings, b, messages, whole, json_mode=True))
            remember_prefix(settings, prefix_fingerprint(messages, b))
            replies = _parse_all(completion.text if completion else "", len(documents))
            cells = []
            for i, d in enumerate(documents, 1):
                cells += _cells_from(replies.get(i, {}), d, i, aspects, whole.passages, i, embedder)
            return Matrix(aspects, infos, cells, GENERATIVE, b.name, b.model,
                          usage=usage_json(completion.usage) if completion else {},
                          cost_usd=completion.cost_usd if completion else None, strategy="one-pass")
    # 2. too much for one window (or one document): one call per document, its best passages for the aspects
    size = min(window_budget, COMPARE_BUDGET) if not settings.budget else settings.budget
    if len(documents) == 1:
        size = window_budget  # a single document is read whole when it fits
    plans = []
    for i, d in enumerate(documents, 1):
        pk = build_context(store, embedder, query, doc_ids=[d.doc_id], budget=size, tokenizer=family)
        plans.append((i, d, pk, compare_messages(pk, aspects, rendered=render_context(pk))))
    if dry_run:
        info = dry_run_info(settings, b, [p[3] for p in plans], sum(p[2].tokens for p in plans), size, len(documents),
                            packs=[p[2] for p in plans])
        return Matrix(aspects, infos, [], GENERATIVE, b.name, b.model, dry_run=info,
                      strategy="one-pass" if len(plans) == 1 else "per-document")
    cells, usages, costs = [], [], []
    for n, (i, d, pk, messages) in enumerate(plans):
        if progress:
            progress({"done": n, "total": len(plans), "stage": "asking", "doc": d.file})
        completion = run_model(b, messages, options_for(settings, b, messages, pk, json_mode=True))
        usages.append(usage_json(completion.usage) if completion else {})
        costs.append(completion.cost_usd if completion else None)
        reply = _parse_reply(completion.text if completion else "")
        cells += _cells_from(reply, d, i, aspects, pk.passages, 1, embedder)  # the call saw one document: D1 → Di
    return Matrix(aspects, infos, cells, GENERATIVE, b.name, b.model, usage=sum_usage(usages), cost_usd=sum_cost(costs),
                  strategy="one-pass" if len(plans) == 1 else "per-document")
