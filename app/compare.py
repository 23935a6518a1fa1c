"""Compare: a documents × aspects matrix, each cell a short cited answer or "not found".

Extractive (no model): for each document and aspect, the best sentence of that document alone
(clause patterns + BM25 + the embedder on a short list). Generative: one JSON-mode call per
document asking all aspects at once, each answer checked against the passage its label names.
"""

from __future__ import annotations

import json
import re

from app import cite, extractive
from app.ask import backend, choose_documents, context_budget, doc_infos, dry_run_info, is_generative, run_model
from app.config import Settings
from app.printed_pages import with_printed_pages
from app.prompts import compare_messages
from app.results import EXTRACTIVE, GENERATIVE, NOT_FOUND, Cell, Citation, Matrix, sum_cost, sum_usage, usage_json
from model.base import ChatOptions

CELL_CHARS = 320
COMPARE_BUDGET = 24_000  # per document: enough for the clauses that matter, cheap enough to run per cell


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
    out = [a.strip() for a in items if a and a.strip()]
    return out or None


def _short(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1].rsplit(" ", 1)[0] + "…"


@with_printed_pages  # citations show the printed page number too (issue 12)
def compare(settings: Settings, *, docs: list[str] | None, aspects: list[str] | str | None = None,
            dry_run: bool = False, progress=None) -> Matrix:
    from app import library

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


def _parse_reply(text: str) -> dict:
    """The model's JSON object; tolerant of a fenced ```json block around it."""
    t = text.strip()
    m = re.search(r"\{.*\}", t, re.S)
    if not m:
        return {}
    try:
        data = json.loads(m.group(0))
    except ValueError:
        return {}
    got = data.get("aspects", data) if isinstance(data, dict) else {}
    return got if isinstance(got, dict) else {}


def _generative(settings, b, store, embedder, documents, aspects, infos, dry_run, progress) -> Matrix:
    from retrieval.pack import build_context, render_context

    size = min(context_budget(settings, b, None), COMPARE_BUDGET) if not settings.budget else settings.budget
    query = "; ".join(aspects)
    plans = []
    for i, d in enumerate(documents, 1):
        pk = build_context(store, embedder, query, doc_ids=[d.doc_id], budget=size)
        plans.append((i, d, pk, compare_messages(pk, aspects, rendered=render_context(pk))))
    if dry_run:
        info = dry_run_info(settings, b, [p[3] for p in plans], sum(p[2].tokens for p in plans), size, len(documents))
        return Matrix(aspects, infos, [], GENERATIVE, b.name, b.model, dry_run=info)
    cells, usages, costs = [], [], []
    for n, (i, d, pk, messages) in enumerate(plans):
        if progress:
            progress({"done": n, "total": len(plans), "stage": "asking", "doc": d.file})
        completion = run_model(b, messages, ChatOptions(stream=True, json_mode=True))
        usages.append(usage_json(completion.usage) if completion else {})
        costs.append(completion.cost_usd if completion else None)
        reply = _parse_reply(completion.text if completion else "")
        lower = {str(k).strip().lower(): v for k, v in reply.items()}
        for name in aspects:
            item = lower.get(name.lower()) or {}
            if isinstance(item, str):
                item = {"answer": item}
            answer = str(item.get("answer") or "").strip()
            if not answer or answer.lower().startswith(NOT_FOUND):
                cells.append(Cell(d.doc_id, d.file, name, NOT_FOUND, None, False))
                continue
            refs = cite.parse_bracket(str(item.get("label") or "")) or [r for _, _, rs in cite.find_citations(answer) for r in rs]
            citation = None
            if refs:
                ref = cite.Ref(i, refs[0].page_start, refs[0].page_end)  # the call saw one document: D1 → Di
                local = cite.resolve(cite.Ref(1, ref.page_start, ref.page_end), pk.passages)
                own = "\n".join(p.text for p in local)
                ok = bool(local) and cite.support(answer, own, embedder)[0]
                excerpt = cite.best_excerpt(answer, own) if local else ""
                citation = Citation(ref.label, d.doc_id, d.file, ref.page_start, ref.page_end,
                                    local[0].section if local else "", excerpt, ok,
                                    ocr=any(p.ocr for p in local))
            cells.append(Cell(d.doc_id, d.file, name, _short(cite.strip_labels(answer).strip()), citation, True))
    return Matrix(aspects, infos, cells, GENERATIVE, b.name, b.model, usage=sum_usage(usages), cost_usd=sum_cost(costs))
