"""What ask / summarize / compare hand to the CLI, the UI and the exporters.

Each result carries everything an export needs (title, date, documents with sha256 and page
counts, backend/model or "extractive", usage, cost, the sources list), so a file written from it
can be handed on without the app. Nothing here ever holds the API key.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any

EXTRACTIVE = "extractive"
GENERATIVE = "generative"
NOT_FOUND = "not found"
EXTRACTIVE_LABEL = "Extractive answer (no model configured)"
NOT_IN_DOCUMENTS = "Not in the documents: the selected documents do not appear to answer this question."


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Citation:
    """One `[D2 p.14]` label resolved to the stored passage it points at."""

    label: str  # "D2 p.14" (no brackets)
    doc_id: str
    file: str
    page_start: int
    page_end: int
    section: str
    text: str  # the passage (or sentence, for extractive answers) the label stands for
    verified: bool
    ocr: bool = False  # the cited text was read by OCR from a scanned page: shown as "p.4, OCR"
    # ---- printed page numbers (issue 12): the number printed on page_start / page_end ("" = unknown or
    # the same as the PDF page); the label and page_start/page_end stay PDF pages, which the model cites
    printed_start: str = ""
    printed_end: str = ""

    @property
    def printed_differs(self) -> bool:
        return bool(self.printed_start) and (self.printed_start, self.printed_end or self.printed_start) != (
            str(self.page_start), str(self.page_end))

    @property
    def pages(self) -> str:
        """"p.4" / "p.4–5", or "p. 487 (PDF p. 4)" where the page prints another number; ", OCR" when the
        text came from OCR — how citations are shown to people."""
        return pages_text(self.page_start, self.page_end, self.printed_start, self.printed_end) + (
            ", OCR" if self.ocr else "")

    @property
    def display_label(self) -> str:
        """"D2 p.14", or "D2 p. 487 (PDF p. 4)": the label as shown to people."""
        if not self.printed_differs:
            return self.label
        doc = self.label.split(" ", 1)[0]
        return f"{doc} {pages_text(self.page_start, self.page_end, self.printed_start, self.printed_end)}"

    def to_json(self) -> dict:
        return {**asdict(self), "pages_display": self.pages}


CLAUSE_MARK = "cl. "  # a "page" label that names a clause: ingest.docx.CLAUSE_PREFIX


def pages_text(a: int, b: int, printed_a: str = "", printed_b: str = "") -> str:
    """"p.4", "p.4–5", "p. 487 (PDF p. 4)", "pp. 487–488 (PDF pp. 4–5)", "p. ii (PDF p. 3)", and
    "PDF pp. 1–2" when only one of the two pages prints a number; "cl. 12.3" / "cl. 12.1 – cl. 12.3" for a
    Word file read without LibreOffice, whose "pages" are its clauses."""
    if CLAUSE_MARK in printed_a or CLAUSE_MARK in printed_b:  # a Word file read without a layout (ingest.docx)
        last = printed_b or printed_a
        return printed_a if a == b or printed_a == last else f"{printed_a} – {last}"
    pdf = f"p.{a}" if a == b else f"p.{a}–{b}"
    if a != b and bool(printed_a) != bool(printed_b):
        return f"PDF pp. {a}–{b}"  # one end prints a number, the other none: the PDF pages say it plainly
    printed_b = printed_b or printed_a
    if not printed_a or (printed_a, printed_b) == (str(a), str(b)):
        return pdf
    shown = f"p. {printed_a}" if a == b or printed_a == printed_b else f"pp. {printed_a}–{printed_b}"
    return f"{shown} (PDF {'p. ' + str(a) if a == b else f'pp. {a}–{b}'})"


@dataclass
class SentenceSupport:
    """One answer sentence and whether its cited passages back it."""

    text: str
    labels: list[str]  # citation labels the sentence carries ([] = uncited)
    supported: bool | None  # None = the sentence cites nothing, so there is nothing to verify
    method: str = ""  # "quote" | "overlap" | "embedding" | "extract" | "" (unsupported / uncited)
    score: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class DocInfo:
    """A document as exports list it: the sha256 is the doc_id."""

    doc_id: str
    file: str
    title: str
    pages: int
    domain: str = ""
    label: str = ""  # "D2" when the document was in the packed context

    @property
    def sha256(self) -> str:
        return self.doc_id

    def to_json(self) -> dict:
        return {**asdict(self), "sha256": self.doc_id}


@dataclass
class DryRun:
    """What a call would send and cost, computed without calling the model."""

    prompt_tokens: int
    packed_tokens: int
    budget: int
    documents: int
    prefix_cached_likely: bool
    estimated_cost_usd: float | None
    backend: str
    model: str | None
    max_output: int  # the max_tokens the call would send (the output cap, within the window)
    calls: int = 1
    message: str = ""
    cache_hit_tokens: int = 0  # prompt tokens expected at the cache-hit price (the documents' prefix, when seen)
    cache_miss_tokens: int = 0
    answer_tokens: int = 0  # the answer length the estimate assumes (LONGDOC_RESERVE_OUTPUT, within the cap)
    price_window: str | None = None  # "peak" | "off-peak" | "flat": the rate in force now
    other_window: str | None = None  # the other rate ("peak" / "off-peak"), None for a flat price list
    estimated_cost_other_usd: float | None = None  # the same calls at the other rate
    max_cost_usd: float | None = None  # every call using its whole output room, at the rate now
    thinking: bool = False
    context_window: int = 0
    tokenizer: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def coverage_json(coverage: list) -> list[dict]:
    """DocCoverage (retrieval) → the JSON the issue fixes, plus a few helpful extras."""
    out = []
    for c in coverage or []:
        out.append(
            {
                "doc_id": c.doc_id,
                "file": c.file,
                "pages_in_context": list(c.pages_in_context),
                "pages_total": c.pages_total,
                "tokens": c.tokens,
                "label": getattr(c, "label", ""),
                "whole": getattr(c, "whole", False),
                "vectors": getattr(c, "vectors", True),
            }
        )
    return out


def usage_json(usage: Any) -> dict:
    if usage is None:
        return {}
    if isinstance(usage, dict):
        return dict(usage)
    try:
        return asdict(usage)
    except TypeError:
        return {k: getattr(usage, k) for k in dir(usage) if k.endswith("tokens")}


def _add_usage(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, (int, float)):
            out[k] = out.get(k, 0) + v
    return out


def sum_usage(usages: list[dict]) -> dict:
    total: dict = {}
    for u in usages:
        total = _add_usage(total, u)
    return total


def sum_cost(costs: list[float | None]) -> float | None:
    """None (price unknown) wins: never report a partial sum as the total."""
    if any(c is None for c in costs):
        return None
    return round(sum(costs), 8)


@dataclass
class Answer:
    question: str
    answer: str
    mode: str  # "extractive" | "generative"
    backend: str
    model: str | None
    citations: list[Citation] = field(default_factory=list)
    reasoning: str = ""
    coverage: list = field(default_factory=list)  # list[DocCoverage]
    usage: dict = field(default_factory=dict)
    cost_usd: float | None = 0.0
    verified_share: float | None = None  # share of citing sentences whose passages back them
    sentences: list[SentenceSupport] = field(default_factory=list)
    incomplete: bool = False
    finish_reason: str | None = None
    rewritten_query: str | None = None
    not_found: bool = False
    documents: list[DocInfo] = field(default_factory=list)
    packed_tokens: int = 0
    context_mode: str = ""  # the packer's mode: "whole" | "retrieved" | "empty"
    created: str = field(default_factory=now_iso)
    dry_run: DryRun | None = None
    seconds: float = 0.0
    route: Any = None  # retrieval.route.Route: which documents were read and why (issue 16)
    review: Any = None  # app.answer.review.ReviewTable: a whole-library question answered by a review (issue 23)

    @property
    def title(self) -> str:
        return f"Answer: {self.question}"

    @property
    def unsupported(self) -> list[SentenceSupport]:
        return [s for s in self.sentences if s.supported is False]

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "backend": self.backend,
            "model": self.model,
            "citations": [c.to_json() for c in self.citations],
            "reasoning": self.reasoning,
            "coverage": coverage_json(self.coverage),
            "usage": dict(self.usage),
            "cost_usd": self.cost_usd,
            "verified_share": self.verified_share,
            "sentences": [s.to_json() for s in self.sentences],
            "incomplete": self.incomplete,
            "finish_reason": self.finish_reason,
            "rewritten_query": self.rewritten_query,
            "not_found": self.not_found,
            "documents": [d.to_json() for d in self.documents],
            "packed_tokens": self.packed_tokens,
            "context_mode": self.context_mode,
            "created": self.created,
            "dry_run": self.dry_run.to_json() if self.dry_run else None,
            "route": self.route.as_dict() if self.route is not None else None,
            **({"review": self.review.to_json()} if self.review is not None else {}),
        }


@dataclass
class SummarySection:
    """A heading of the summary (a document, a legal aspect, "Agreements and differences")."""

    heading: str
    text: str
    labels: list[str] = field(default_factory=list)
    doc_id: str | None = None


@dataclass
class Summary:
    style: str  # brief | legal | scientific | detailed
    summary: str  # the whole summary as Markdown-ish text with [D1 p.3] labels
    mode: str
    backend: str
    model: str | None
    strategy: str  # "one-pass" | "hierarchical" | "extractive"
    sections: list[SummarySection] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    coverage: list = field(default_factory=list)
    usage: dict = field(default_factory=dict)
    cost_usd: float | None = 0.0
    verified_share: float | None = None
    sentences: list[SentenceSupport] = field(default_factory=list)
    documents: list[DocInfo] = field(default_factory=list)
    incomplete: bool = False
    created: str = field(default_factory=now_iso)
    dry_run: DryRun | None = None
    calls: int = 0

    @property
    def title(self) -> str:
        names = ", ".join(d.title or d.file for d in self.documents[:3])
        more = f" and {len(self.documents) - 3} more" if len(self.documents) > 3 else ""
        return f"Summary ({self.style}): {names}{more}"

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "style": self.style,
            "summary": self.summary,
            "mode": self.mode,
            "backend": self.backend,
            "model": self.model,
            "strategy": self.strategy,
            "sections": [asdict(s) for s in self.sections],
            "citations": [c.to_json() for c in self.citations],
            "coverage": coverage_json(self.coverage),
            "usage": dict(self.usage),
            "cost_usd": self.cost_usd,
            "verified_share": self.verified_share,
            "sentences": [s.to_json() for s in self.sentences],
            "documents": [d.to_json() for d in self.documents],
            "incomplete": self.incomplete,
            "calls": self.calls,
            "created": self.created,
            "dry_run": self.dry_run.to_json() if self.dry_run else None,
        }


@dataclass
class Cell:
    """One document × aspect answer of the matrix."""

    doc_id: str
    file: str
    aspect: str
    answer: str  # short answer, or "not found"
    citation: Citation | None = None
    found: bool = True

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "file": self.file,
            "aspect": self.aspect,
            "answer": self.answer,
            "found": self.found,
            "label": self.citation.label if self.citation else None,
            "citation": self.citation.to_json() if self.citation else None,
        }


@dataclass
class Matrix:
    aspects: list[str]
    documents: list[DocInfo]
    cells: list[Cell]
    mode: str
    backend: str
    model: str | None
    usage: dict = field(default_factory=dict)
    cost_usd: float | None = 0.0
    created: str = field(default_factory=now_iso)
    dry_run: DryRun | None = None
    strategy: str = ""  # "one-pass" (every document in one call) | "per-document" | "" (extractive)

    @property
    def title(self) -> str:
        return f"Comparison of {len(self.documents)} documents on {len(self.aspects)} aspects"

    @property
    def citations(self) -> list[Citation]:
        seen, out = set(), []
        for c in self.cells:
            if c.citation and c.citation.label not in seen:
                seen.add(c.citation.label)
                out.append(c.citation)
        return out

    def cell(self, doc_id: str, aspect: str) -> Cell | None:
        for c in self.cells:
            if c.doc_id == doc_id and c.aspect == aspect:
                return c
        return None

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "aspects": list(self.aspects),
            "documents": [d.to_json() for d in self.documents],
            "cells": [c.to_json() for c in self.cells],
            "citations": [c.to_json() for c in self.citations],
            "mode": self.mode,
            "backend": self.backend,
            "model": self.model,
            "usage": dict(self.usage),
            "cost_usd": self.cost_usd,
            "created": self.created,
            "dry_run": self.dry_run.to_json() if self.dry_run else None,
            "strategy": self.strategy,
        }


def _as_is(text: str, /, **values: object) -> str:
    return text.format(**values) if values else text


def checked_note(result, words=_as_is) -> str:
    """What the citation check says, in words that do not overclaim: it checks that a quote is in the passage it
    cites (verbatim for extractive quotes, by wording for a model's sentences), not that the quote answers the
    question — so never "verified". "" when nothing was cited. Every face and export prints this one line
    (`words` translates it: the UI passes its catalog's `t`)."""
    share = getattr(result, "verified_share", None)
    if share is None:
        return ""
    if getattr(result, "mode", "") == "extractive":
        return words("quotes checked verbatim")
    return words("quotes checked verbatim: {share} of cited sentences found in their passages", share=f"{share:.0%}")

