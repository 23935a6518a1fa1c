"""Summaries by style, chosen by size: one pass when the documents fit, else map (per document) → reduce.

With a model: when the chosen documents fit the budget the whole text goes in one call (the cheap
long-context path, cache-friendly); otherwise each document is summarised on its own (whole, or
its best passages for the style when even one document is too big) and a synthesis call merges
them. The map-reduce is our own rather than llama-index's TreeSummarize because every partial
summary must keep its page labels, which are renumbered to the global D-numbers and verified; a
generic tree summariser would repack and lose them. Without a model: extractive summaries
(central, non-redundant sentences; per legal or scientific aspect for those styles).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from app.answer import chinese_aspects, cite, extractive
from app.answer.printed_pages import with_printed_pages
from app.answer.prompts import STYLE_TASKS, build_messages, synthesis_messages
from app.answer.results import (
    EXTRACTIVE,
    GENERATIVE,
    SentenceSupport,
    Summary,
    SummarySection,
    sum_cost,
    sum_usage,
    usage_json,
)
from app.answer.session import (
    backend,
    choose_documents,
    context_budget,
    count_prompt_tokens,
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
from app.errors import InvalidRequest
from app.library import documents as library
from retrieval.pack import build_context, render_context
from retrieval.types import DocCoverage, PackedContext

STYLES = tuple(STYLE_TASKS)
STYLE_QUERIES = {
    "brief": "main purpose, parties, key terms, findings and conclusions",
    "legal": "parties effective date term renewal obligations payment termination liability indemnification governing law",
    "scientific": "research question method data results limitations",
    "detailed": "main points of each section",
}
BRIEF_SENTENCES = 4
BRIEF_CONTRACT_ASPECTS = ("parties", "term and renewal", "payment", "termination", "governing law")
DETAILED_SECTIONS = 14


def _progress(progress: Callable | None, done: int, total: int, stage: str, doc: str = "") -> None:
    if progress is not None:
        progress({"done": done, "total": total, "stage": stage, "doc": doc})


def _relabel(text: str, index: int) -> str:
    """Per-document calls label their only document D1: renumber to the document's global index."""
    return re.sub(r"\bD1(?=\s*,?\s*p)", f"D{index}", text)


def _relabel_packed(packed: PackedContext, index: int) -> PackedContext:
    passages = [dataclasses.replace(p, doc_index=index, label=_relabel(p.label, index)) for p in packed.passages]
    coverage = [dataclasses.replace(c, label=f"D{index}") for c in packed.coverage]
    return dataclasses.replace(packed, passages=passages, coverage=coverage)


def _merge(packs: list[PackedContext], budget: int) -> PackedContext:
    return PackedContext(
        query="",
        passages=[p for pk in packs for p in pk.passages],
        tokens=sum(pk.tokens for pk in packs),
        budget=budget,
        mode="whole" if all(pk.mode == "whole" for pk in packs) else "retrieved",
        coverage=[c for pk in packs for c in pk.coverage],
    )


@with_printed_pages  # citations show the printed page number too (issue 12)
def summarize(
    settings: Settings,
    *,
    docs: list[str] | None = None,
    style: str = "brief",
    budget: int | None = None,
    progress: Callable | None = None,
    dry_run: bool = False,
) -> Summary:
    if style not in STYLE_TASKS:
        raise InvalidRequest(f"unknown style '{style}' (choose {', '.join(STYLES)})")

    b = backend(settings)
    documents = choose_documents(settings, docs)
    store = library.get_store(settings)
    if not is_generative(b):
        if dry_run:
            info = dry_run_info(settings, b, [], 0, 0, len(documents))
            return Summary(style, "", EXTRACTIVE, "none", None, "extractive", documents=doc_infos(documents), dry_run=info)
        return _extractive(settings, store, documents, style, progress)
    return _generative(settings, b, store, library.get_embedder_for(settings), documents, style, budget, progress, dry_run)


# ---- generative ------------------------------------------------------------------------------


def _generative(settings, b, store, embedder, documents, style, budget, progress, dry_run) -> Summary:
    size = context_budget(settings, b, budget)
    ids = [d.doc_id for d in documents]
    query = STYLE_QUERIES[style]
    infos = doc_infos(documents)
    total = len(documents) + 1
    _progress(progress, 0, total, "packing")
    family = tokenizer_of(b)
    packed = build_context(store, embedder, query, doc_ids=ids, budget=size, tokenizer=family)
    one_pass = packed.mode == "whole" or len(documents) == 1  # the chosen documents fit the window: one call
    if one_pass:
        messages = build_messages("", packed, style=style, rendered=render_context(packed))
        if dry_run:
            info = dry_run_info(settings, b, [messages], packed.tokens, size, len(documents), packs=[packed])
            return Summary(style, "", GENERATIVE, b.name, b.model, "one-pass", documents=doc_infos(documents, packed.coverage),
                           coverage=packed.coverage, dry_run=info)
        _progress(progress, 0, 1, "summarizing", "all documents")
        completion = run_model(b, messages, options_for(settings, b, messages, packed))
        remember_prefix(settings, prefix_fingerprint(messages, b))
        _progress(progress, 1, 1, "done")
        text = completion.text if completion else ""
        check = cite.verify(text, packed, embedder)
        return Summary(
            style, text, GENERATIVE, b.name, b.model, "one-pass",
            citations=check.citations, coverage=packed.coverage,
            usage=usage_json(completion.usage) if completion else {},
            cost_usd=completion.cost_usd if completion else None,
            verified_share=check.verified_share, sentences=check.sentences,
            documents=doc_infos(documents, packed.coverage), incomplete=bool(completion is None or completion.incomplete),
            calls=1,
        )

    # hierarchical: one call per document, then a synthesis
    packs, calls, partials = [], [], []
    for i, d in enumerate(documents, 1):
        _progress(progress, i - 1, total, "packing", d.file)
        pk = build_context(store, embedder, query, doc_ids=[d.doc_id], budget=size, tokenizer=family)
        packs.append(_relabel_packed(pk, i))
        calls.append((i, d, pk, build_messages("", pk, style=style, rendered=render_context(pk))))
    merged = _merge(packs, size)
    if dry_run:
        synth = synthesis_messages([(d.file, "x" * 2000) for d in documents], style)  # placeholder-sized partials
        info = dry_run_info(settings, b, [c[3] for c in calls] + [synth], merged.tokens, size, len(documents),
                            packs=[c[2] for c in calls])
        return Summary(style, "", GENERATIVE, b.name, b.model, "hierarchical", documents=infos,
                       coverage=merged.coverage, dry_run=info)
    usages, costs, incomplete = [], [], False
    for n, (i, d, pk, messages) in enumerate(calls):
        _progress(progress, n, total, "summarizing", d.file)
        completion = run_model(b, messages, options_for(settings, b, messages, pk))
        text = _relabel(completion.text if completion else "", i)
        partials.append((f"D{i} {d.file}", text))
        usages.append(usage_json(completion.usage) if completion else {})
        costs.append(completion.cost_usd if completion else None)
        incomplete |= bool(completion is None or completion.incomplete)
    _progress(progress, len(calls), total, "synthesis")
    synth = synthesis_messages(partials, style)
    completion = run_model(b, synth, options_for(settings, b, synth, None))
    usages.append(usage_json(completion.usage) if completion else {})
    costs.append(completion.cost_usd if completion else None)
    text = completion.text if completion else ""
    _progress(progress, total, total, "done")
    check = cite.verify(text, merged, embedder)
    sections = [SummarySection(name, t) for name, t in partials]
    return Summary(
        style, text, GENERATIVE, b.name, b.model, "hierarchical",
        sections=sections, citations=check.citations, coverage=merged.coverage,
        usage=sum_usage(usages), cost_usd=sum_cost(costs), verified_share=check.verified_share,
        sentences=check.sentences, documents=doc_infos(documents, merged.coverage),
        incomplete=incomplete or bool(completion is None or completion.incomplete), calls=len(calls) + 1,
    )


# ---- extractive ------------------------------------------------------------------------------


def _aspects_for(style: str, domain: str) -> list[extractive.Aspect]:
    if style == "legal":
        return extractive.LEGAL_ASPECTS[:9]
    if style == "scientific":
        return extractive.SCIENTIFIC_ASPECTS
    return []


def _line(units: list[extractive.Unit]) -> str:
    return " ".join(f"{u.text} [{u.label}]" for u in units)


def _doc_sections(style: str, d, units: list[extractive.Unit]) -> tuple[list[SummarySection], list]:
    """The sections of one document's extractive summary, and the units quoted."""
    used: list[extractive.Unit] = []
    sections: list[SummarySection] = []
    if style == "brief" and d.domain == "contract":
        # a contract's gist is who, how long, what is paid, how it ends, which law: one clause each
        picked = []
        zh = chinese_aspects.is_chinese_document(units)
        for name in BRIEF_CONTRACT_ASPECTS:
            a = extractive.aspect(name)
            r = extractive.best_for_aspect(units, chinese_aspects.bilingual(a) if zh else a, None, k=1)
            if r.found and r.units and r.units[0] not in picked:
                picked.append(r.units[0])
        picked.sort(key=lambda u: u.order)
        used += picked
        sections.append(SummarySection(d.title or d.file, _line(picked), [u.label for u in picked], d.doc_id))
    elif style == "brief":
        # papers and opinions front-load their gist (abstract, syllabus): centrality with a position prior
        picked = extractive.central(units, BRIEF_SENTENCES, position_weight=0.6)
        used += picked
        sections.append(SummarySection(d.title or d.file, _line(picked), [u.label for u in picked], d.doc_id))
    elif style in ("legal", "scientific"):
        aspects = _aspects_for(style, d.domain)
        zh = style == "legal" and chinese_aspects.is_chinese_document(units)
        if zh:  # 适用法律, 付款, 违约责任 … are worded otherwise in Chinese contracts, and 争议解决 joins them
            aspects = chinese_aspects.legal_aspects(aspects)
        for a in aspects:
            name = chinese_aspects.heading(a) if zh else a.name.capitalize()
            r = extractive.best_for_aspect(units, a, None, k=a.k)
            if r.found and r.units:
                used += r.units
                sections.append(SummarySection(name, _line(r.units), [u.label for u in r.units], d.doc_id))
            else:
                sections.append(SummarySection(name, "not stated (no sentence found)", [], d.doc_id))
    else:  # detailed: the central sentences of each top-level section, in reading order
        groups: dict[str, list[extractive.Unit]] = {}
        for u in units:
            groups.setdefault((u.section.split(" > ")[0] or "Text").strip(), []).append(u)
        names = list(groups)
        if len(names) > DETAILED_SECTIONS:  # keep the largest sections, in document order
            keep = set(sorted(names, key=lambda n: -len(groups[n]))[:DETAILED_SECTIONS])
            names = [n for n in names if n in keep]
        for name in names:
            picked = extractive.central(groups[name], 2 if len(groups[name]) > 6 else 1)
            used += picked
            sections.append(SummarySection(name, _line(picked), [u.label for u in picked], d.doc_id))
    return sections, used


def _agreements(documents, units_by_doc, index) -> SummarySection:
    """Extractive 'agreements and differences': which aspects every document states, which only some do."""
    domains = {d.domain for d in documents}
    aspects = []
    for dom in ("contract", "paper", "court opinion"):
        if dom in domains:
            aspects += extractive.ASPECTS_BY_DOMAIN[dom]
    if not aspects:
        aspects = extractive.LEGAL_ASPECTS[:9]
    everyone, some, lines = [], [], []
    for a in aspects:
        found = {}
        for d in documents:
            r = extractive.best_for_aspect(units_by_doc[d.doc_id], a, None, k=1)
            if r.found and r.units:
                found[d.doc_id] = r.units[0]
        if len(found) == len(documents):
            everyone.append(a.name)
            lines.append(f"- {a.name.capitalize()}: " + "; ".join(f"{u.text} [{u.label}]" for u in found.values()))
        elif found:
            missing = ", ".join(f"D{index[d.doc_id]}" for d in documents if d.doc_id not in found)
            some.append(f"{a.name} (not found in {missing})")
    text = []
    text.append("All documents address: " + (", ".join(everyone) if everyone else "none of the standard aspects") + ".")
    if some:
        text.append("Only some address: " + "; ".join(some) + ".")
    text += lines
    return SummarySection("Agreements and differences", "\n".join(text))


def _extractive(settings, store, documents, style, progress) -> Summary:
    total = len(documents) + (1 if len(documents) > 1 else 0)
    sections: list[SummarySection] = []
    used: list[extractive.Unit] = []
    units_by_doc: dict[str, list] = {}
    coverage = []
    index = {}
    for i, d in enumerate(documents, 1):
        _progress(progress, i - 1, total, "reading", d.file)
        index[d.doc_id] = i
        chunks = store.chunks(d.doc_id)
        units = extractive.units_from_chunks(chunks, i, d.file, d.title)
        units_by_doc[d.doc_id] = units
        pages = sorted({p for c in chunks for p in range(c.page_start, c.page_end + 1)})
        coverage.append(DocCoverage(d.doc_id, d.file, d.title, f"D{i}", d.pages, pages, 0, True))
        doc_sections, doc_used = _doc_sections(style, d, units)
        used += doc_used
        if len(documents) > 1:
            sections.append(SummarySection(f"D{i} — {d.title or d.file}", "", [], d.doc_id))
        sections += doc_sections
    if len(documents) > 1:
        _progress(progress, len(documents), total, "comparing")
        sections.append(_agreements(documents, units_by_doc, index))
    _progress(progress, total, total, "done")
    how = {"legal": "the sentence that states each legal aspect", "scientific": "the sentence that states each aspect",
           "detailed": "the central sentences of each section"}.get(style, "key sentences")
    label = f"Extractive summary (no model configured): {how}, quoted from the documents."
    body = [label, ""]
    for s in sections:
        if not s.text:
            body += [f"## {s.heading}", ""]
        elif style in ("legal", "scientific"):
            body += [f"**{s.heading}:** {s.text}", ""]
        else:
            body += [f"### {s.heading}" if len(documents) == 1 or s.heading.startswith("Agreements") else f"**{s.heading}**", s.text, ""]
    seen, uniq = set(), []
    for u in used:
        if (u.doc_id, u.text) not in seen:
            seen.add((u.doc_id, u.text))
            uniq.append(u)
    return Summary(
        style, "\n".join(body).strip() + "\n", EXTRACTIVE, "none", None, "extractive",
        sections=sections, citations=extractive.citations_for(uniq), coverage=coverage,
        usage={}, cost_usd=0.0, verified_share=1.0 if uniq else None,
        sentences=[SentenceSupport(u.text, [u.label], True, "extract") for u in uniq],
        documents=doc_infos(documents, coverage),
    )


__all__ = ["summarize", "STYLES", "count_prompt_tokens"]
