"""Whole-library questions in ask: "which contracts …", "list every …", "所有合同…" — answered by a review.

A question that names no document and asks *which of the documents* have something cannot be answered from
one global top-k pack: the library's best forty passages hold the clause of only a fraction of the documents
that have it (issue 23). Such a question is a review with one column: every document in scope is asked it
from its own passages, and the answer is the table plus a short synthesis — counted and listed from the cells
without a model, or one short model call over the cells with one.

`is_library_wide` reads the *kind* of question — a selection or enumeration over the documents as a set
(which / list every / all … that / how many / any of …; 哪些, 所有, 每份, 列出 …) — not any clause vocabulary.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from app.answer.results import EXTRACTIVE, GENERATIVE, Answer, Citation, DryRun, usage_json
from app.answer.review import DEFAULT_BUDGET, ReviewTable, review
from app.answer.session import backend as backend_for
from app.answer.session import is_generative, run_model
from app.config import Settings
from model.base import ChatOptions, ContentDelta

# a plural "documents" noun: what a library holds
_DOCS = (r"(?:contracts?|agreements?|documents?|docs|files|leases|licen[cs]es|deals|filings|papers|articles|cases|"
         r"opinions|decisions|judgments|reports|amendments|policies|NDAs|MSAs|SOWs|instruments|exhibits)")
_W = r"(?:(?!(?:of|in|on|the|this|that|to|under|for|is|are|does|do|by|at)\b)[\w-]+\s+)"  # a modifier: "supply", "New York"
_EN = re.compile(
    r"\b(?:"
    rf"which\s+(?:of\s+(?:the|our|my|these|those)\s+)?{_W}{{0,2}}{_DOCS}\b"  # which (of our) (supply) contracts
    rf"|what\s+(?:of\s+(?:the|our|my|these|those)\s+)?{_W}{{0,2}}(?:contracts|agreements|documents|files|leases|deals)\b"
    rf"|(?:list|name|show|find|identify|enumerate|give\s+me)\s+(?:me\s+)?(?:all|every|each|any)\s+(?:of\s+)?(?:the\s+|our\s+)?{_W}{{0,2}}{_DOCS}\b"  # list every …
    rf"|(?:list|name|show|find|identify)\s+(?:the\s+)?{_W}{{0,2}}{_DOCS}\s+(?:that|which|with|where|whose|in\s+which)\b"
    rf"|all\s+(?:the\s+|of\s+the\s+|our\s+)?{_W}{{0,2}}{_DOCS}\s+(?:that|which|with|where|whose|in\s+which|governed|containing)\b"
    rf"|(?:every|each)\s+{_W}{{0,2}}{_DOCS}\s+(?:that|which|with|where|whose)\b"
    rf"|how\s+many\s+(?:of\s+(?:the|our|these)\s+)?{_W}{{0,2}}{_DOCS}\b"
    rf"|(?:do|does|are|is)\s+(?:any|none)\s+(?:of\s+(?:the|our|these|those)\s+)?{_W}{{0,2}}{_DOCS}\b"
    rf"|in\s+(?:which|how\s+many)\s+(?:of\s+(?:the|our)\s+)?{_W}{{0,2}}{_DOCS}\b"
    r")", re.I)
_ZH_DOCS = r"(?:合同|协议|合约|文件|文档|协定|案件|判决|论文|报告|租约|许可)"
_ZH = re.compile(
    rf"(?:哪些|哪几份|哪几个)[^，。？?本该此]{{0,12}}{_ZH_DOCS}"
    rf"|(?:所有|全部)(?:的)?[^，。？?本该此]{{0,6}}{_ZH_DOCS}"
    rf"|(?:每一?份|每一?个|各份|各个|各)(?:{_ZH_DOCS})"
    rf"|(?:列出|列举|找出)[^，。？?本该此]{{0,12}}{_ZH_DOCS}"
    rf"|多少(?:份|个)[^，。？?本该此]{{0,6}}{_ZH_DOCS}")


# "this contract", "本合同": the question is about one document, whatever else it enumerates
_ONE = re.compile(r"\b(?:this|that)\s+(?:document|contract|agreement|lease|licen[cs]e|paper|file|case|opinion|report)\b|"
                  r"(?:本|该|此|这份|这个)(?:合同|协议|文件|文档|案件|论文|报告)", re.I)


def is_library_wide(question: str) -> bool:
    """True when the question selects or enumerates among the documents as a set (not one document's fact)."""
    q = " ".join((question or "").split())
    if _ONE.search(q):
        return False
    return bool(_EN.search(q) or _ZH.search(q))


# ---- the answer -------------------------------------------------------------------------------------------

SYNTH_SYSTEM = (
    "You write a short synthesis of a document review for a lawyer: a table of documents, each with a verdict "
    "(yes / no / unclear) on the question, a few words and a quote. In at most five sentences, in the language of "
    "the question: how many documents have it, name them, note what differs. Use only the table. Name documents "
    "exactly as written."
)
MAX_CELLS_IN_SYNTHESIS = 400


def _cells(table: ReviewTable) -> list[tuple[str, object]]:
    return [(r.doc, c) for r in table.rows for c in r.cells]


def extractive_synthesis(question: str, table: ReviewTable) -> str:
    """Counted and listed from the cells: the documents whose evidence holds the question's clause, then the rest."""
    cells = _cells(table)
    yes = [doc for doc, c in cells if c.verdict == "yes"]
    no = [doc for doc, c in cells if c.verdict == "no"]
    unclear = len(cells) - len(yes) - len(no)
    lines = [f"Reviewed {len(cells)} document{'s' if len(cells) != 1 else ''} for: {question}"]
    if yes:
        lines.append(f"{len(yes)} answer yes: " + "; ".join(yes) + ".")
    else:
        lines.append("None answers a clear yes.")
    if no:
        lines.append(f"{len(no)} answer no: " + "; ".join(no) + ".")
    if unclear:
        lines.append(f"{unclear} unclear (the best passage of each is in the table: check it).")
    return "\n".join(lines)


def _synthesis_messages(question: str, table: ReviewTable) -> list[dict]:
    rows = []
    for doc, c in _cells(table)[:MAX_CELLS_IN_SYNTHESIS]:
        page = f" (p.{c.evidence[0]['page']})" if c.evidence else ""
        quote = " ".join((c.quote or "").split())[:240]
        rows.append(f"- {doc}: {c.verdict}{page} — {c.answer}" + (f" — “{quote}”" if quote else ""))
    return [{"role": "system", "content": SYNTH_SYSTEM},
            {"role": "user", "content": f"Question: {question}\n\nReview table:\n" + "\n".join(rows)}]


def citations_of(table: ReviewTable) -> list[Citation]:
    """One citation per "yes" cell: its best passage, so each listed document opens its page."""
    out = []
    for i, r in enumerate(table.rows, 1):
        for c in r.cells:
            if c.verdict != "yes" or not c.evidence:
                continue
            e = c.evidence[0]
            pages = f"p.{e['page']}" if e.get("page_end", e["page"]) == e["page"] else f"p.{e['page']}–{e['page_end']}"
            out.append(Citation(f"D{i} {pages}", r.doc_id, r.doc, int(e["page"]), int(e.get("page_end") or e["page"]),
                                e.get("section") or "", e.get("text") or "", True))
    return out


SYNTH_OUTPUT = 400  # the synthesis call's output cap


def _dry_run(question: str, table: ReviewTable, generative: bool) -> DryRun:
    """The review's estimate as ask's dry run reports it (the synthesis call counted, its price left out)."""
    e = table.estimate
    return DryRun(e.prompt_tokens, e.prompt_tokens, DEFAULT_BUDGET, e.documents, False, e.cost_now_usd, e.backend,
                  e.model, e.output_tokens, calls=e.calls + (1 if generative else 0),
                  message=(f"a whole-library question: a review of {e.documents} documents, {e.cells - e.cells_cached} "
                           f"cells to compute, ~{e.seconds_expected:.0f} s" + (f" ({e.note})" if e.note else "")),
                  answer_tokens=e.output_tokens, price_window=e.price_window, other_window=e.other_window,
                  estimated_cost_other_usd=e.cost_other_usd)


def answer_by_review(settings: Settings, question: str, doc_ids: list[str] | None, *,
                     on_event: Callable | None = None, progress: Callable[[dict], None] | None = None,
                     dry_run: bool = False) -> Answer:
    """The Answer of a whole-library question: its review table (`answer.review`) and a short synthesis; with
    `dry_run`, the review's estimate and nothing computed."""
    started = time.monotonic()
    b = backend_for(settings)
    if dry_run:
        table = review(settings, [question], doc_ids, dry_run=True)
        info = _dry_run(question, table, is_generative(b))
        return Answer(question=question, answer="", mode=GENERATIVE if is_generative(b) else EXTRACTIVE,
                      backend=info.backend, model=info.model, cost_usd=0.0, dry_run=info, review=table,
                      context_mode="review")
    table = review(settings, [question], doc_ids, progress=progress)
    usage = dict(table.usage)
    cost = table.cost_usd
    if is_generative(b) and _cells(table):
        completion = run_model(b, _synthesis_messages(question, table),
                               ChatOptions(stream=True, thinking=False, max_tokens=SYNTH_OUTPUT), on_event)
        text = (completion.text if completion else "").strip() or extractive_synthesis(question, table)
        if completion is not None:
            for k, v in usage_json(completion.usage).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    usage[k] = usage.get(k, 0) + v
            cost = None if cost is None or completion.cost_usd is None else cost + completion.cost_usd
        mode, model = GENERATIVE, b.model
    else:
        text = extractive_synthesis(question, table)
        if on_event is not None:
            on_event(ContentDelta(text))
        mode, model = EXTRACTIVE, None
    return Answer(question=question, answer=text, mode=mode, backend=getattr(b, "name", "none") if mode == GENERATIVE
                  else "none", model=model, citations=citations_of(table), usage=usage, cost_usd=cost,
                  seconds=time.monotonic() - started, review=table, context_mode="review")
