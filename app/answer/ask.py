"""Ask: one question over the chosen documents → a cited, verified Answer (generative or extractive).

The CLI and the UI both call `ask`; it never prints. Model failures propagate as `ModelError`s
(their message says what to do); a stream cut after text arrived comes back as an incomplete
Answer rather than an error, so the user keeps what was said.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from app.answer import cite, extractive, route_note, sweep
from app.answer.printed_pages import with_printed_pages
from app.answer.prompts import build_messages
from app.answer.results import (
    EXTRACTIVE,
    GENERATIVE,
    Answer,
    usage_json,
)
from app.answer.session import (
    backend,
    choose_documents,
    chunks_for,
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
from app.errors import InvalidRequest
from app.library import documents as library
from model.base import ContentDelta
from retrieval.pack import render_context
from retrieval.routed import plan_route, routed_context

# ---- follow-ups -----------------------------------------------------------------------------

_ANAPHORA = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she|his|her|same|above|former|latter)\b", re.I)


def rewrite_followup(question: str, history: list[dict] | None) -> str:
    """A standalone search query for a follow-up ("and when does it expire?"): borrow the last question.

    Only retrieval sees the rewrite; the model gets the history and the user's own words.
    """
    if not history:
        return question
    last = next((t.get("content") for t in reversed(history) if t.get("role") == "user" and t.get("content")), None)
    if not last:
        return question
    short = len(question.split()) <= 6
    if short or _ANAPHORA.search(question) or question.strip().lower().startswith(("and ", "what about", "how about")):
        return f"{last.strip()} {question.strip()}"
    return question


def wide_question(settings: Settings, store, embedder, question: str, documents, history) -> bool:
    """Answer by a review: the question selects among the documents ("which contracts …", "列出所有合同…"), names
    none of them, more than one is in scope, it is no follow-up and `settings.ask_review` is on."""
    if history or not settings.ask_review or len(documents) < 2 or not sweep.is_library_wide(question):
        return False
    return plan_route(store, embedder, question, docs=documents).mode == "library"


# ---- ask -------------------------------------------------------------------------------------


@with_printed_pages  # citations show the printed page number too (issue 12)
def ask(
    settings: Settings,
    question: str,
    *,
    docs: list[str] | None = None,
    budget: int | None = None,
    history: list[dict] | None = None,
    on_event: Callable | None = None,
    dry_run: bool = False,
) -> Answer:
    """`settings.thinking` decides the model's thinking mode (off by default, and sent off explicitly to
    models that think unless told not to); a face that asks for it passes `settings.replace(thinking=True)`."""
    question = (question or "").strip()
    if not question:
        raise InvalidRequest("the question is empty")
    started = time.monotonic()
    b = backend(settings)
    documents = choose_documents(settings, docs)
    store = library.get_store(settings)
    embedder = library.get_embedder_for(settings)
    query = rewrite_followup(question, history)
    if wide_question(settings, store, embedder, question, documents, history):  # issue 23
        return sweep.answer_by_review(settings, question, [d.doc_id for d in documents] if docs else None,
                                      on_event=on_event, dry_run=dry_run)
    size = context_budget(settings, b, budget)
    search_query = query
    if not is_generative(b):  # the extractive answerer only sees what is packed: add the clause vocabulary
        terms = " ".join(a.terms for a in extractive.aspects_in(query))
        search_query = f"{query}; {terms}" if terms else query
    # the route is read from the question (a follow-up borrows the last one); what is searched may add vocabulary
    packed = routed_context(
        store, embedder, query, doc_ids=[d.doc_id for d in documents], budget=size,
        rerank_model=settings.rerank_model, routing=settings.routing, search_query=search_query,
        tokenizer=tokenizer_of(b),
    )
    route = packed.route
    read = {c.doc_id for c in packed.coverage if c.tokens}
    infos = [i for i in doc_infos(documents, packed.coverage) if i.doc_id in read or len(documents) <= 50]
    common = dict(question=question, coverage=[c for c in packed.coverage if c.tokens or len(documents) <= 50],
                  documents=infos, packed_tokens=packed.tokens, context_mode=packed.mode,
                  rewritten_query=query if query != question else None, route=route)
    instruction = route_note.model_instruction(route, packed)
    asked = f"{question}\n\n{instruction}" if instruction else question

    if dry_run:
        calls = [build_messages(asked, packed, history, rendered=render_context(packed))] if is_generative(b) else []
        info = dry_run_info(settings, b, calls, packed.tokens, size, len(documents), packs=[packed])
        mode = GENERATIVE if is_generative(b) else EXTRACTIVE
        return Answer(answer="", mode=mode, backend=info.backend, model=info.model, cost_usd=0.0, dry_run=info, **common)

    if not is_generative(b):
        units = extractive.units_from_packed(packed, chunks_for(store, packed))
        ea = extractive.answer(query, units, embedder, by_document=route is not None and not (
            route.mode == "named" or len(read) <= 1))
        if route_note.should_ask_which(route):
            ea.text = route_note.which_document_line(route) + "\n\n" + ea.text
        if on_event is not None:
            on_event(ContentDelta(ea.text))
        return Answer(answer=ea.text, mode=EXTRACTIVE, backend="none", model=None, citations=ea.citations,
                      sentences=ea.sentences, verified_share=1.0 if ea.sentences else None,
                      not_found=not ea.found, cost_usd=0.0, seconds=time.monotonic() - started, **common)

    messages = build_messages(asked, packed, history, rendered=render_context(packed))
    completion = run_model(b, messages, options_for(settings, b, messages, packed), on_event)
    remember_prefix(settings, prefix_fingerprint(messages, b))
    text = completion.text if completion else ""
    check = cite.verify(text, packed, embedder)
    return Answer(
        answer=text,
        mode=GENERATIVE,
        backend=b.name,
        model=(completion.model if completion and completion.model else b.model),
        citations=check.citations,
        reasoning=completion.reasoning if completion else "",
        usage=usage_json(completion.usage) if completion else {},
        cost_usd=completion.cost_usd if completion else None,
        verified_share=check.verified_share,
        sentences=check.sentences,
        incomplete=bool(completion is None or completion.incomplete),
        finish_reason=completion.finish_reason if completion else None,
        not_found=bool(re.match(r"\W*not in the documents", text.strip(), re.I)),
        seconds=time.monotonic() - started,
        **common,
    )
