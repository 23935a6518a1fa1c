"""Ask: one question over the chosen documents → a cited, verified Answer (generative or extractive).

The CLI and the UI both call `ask`; it never prints. Model failures propagate as `ModelError`s
(their message says what to do); a stream cut after text arrived comes back as an incomplete
Answer rather than an error, so the user keeps what was said.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Callable

from app import cite, extractive
from app.config import Settings
from app.printed_pages import with_printed_pages
from app.prompts import build_messages
from app.results import (
    EXTRACTIVE,
    GENERATIVE,
    Answer,
    DocInfo,
    DryRun,
    usage_json,
)
from model.base import ChatOptions, ContentDelta, Finish, IncompleteError

EXTRACTIVE_BUDGET = 24_000  # the extractive answerer reads the best passages, not whole libraries
PREFIX_FILE = "last_prefix.json"


class NothingToRead(LookupError):
    """No ready documents to answer from (empty library or an empty selection)."""


# ---- shared plumbing (summarize and compare use these too) --------------------------------


def backend(settings: Settings):
    from app.llm import backend_for

    return backend_for(settings)


def is_generative(b) -> bool:
    return bool(getattr(b, "is_configured", False))


def choose_documents(settings: Settings, docs: list[str] | None):
    """The ready documents to read, in the packer's order (sorted by file name, then id)."""
    from app import library

    chosen = library.resolve_docs(settings, list(docs) if docs else None)
    if not chosen:
        raise NothingToRead("the library is empty: add documents with `longdoc ingest PATH` first")
    return sorted(chosen, key=lambda d: (d.file.lower(), d.doc_id))


def context_budget(settings: Settings, b, budget: int | None) -> int:
    if budget:
        return int(budget)
    if settings.budget:
        return int(settings.budget)
    if not is_generative(b):
        return EXTRACTIVE_BUDGET
    return max(2_000, int(b.context_window) - settings.reserve_output - settings.reserve_prompt)


def doc_infos(documents, coverage=None) -> list[DocInfo]:
    labels = {c.doc_id: c.label for c in (coverage or [])}
    return [
        DocInfo(d.doc_id, d.file, d.title, d.pages, d.domain, labels.get(d.doc_id, f"D{i}"))
        for i, d in enumerate(documents, 1)
    ]


def chunks_for(store, packed) -> dict:
    ids = [cid for p in packed.passages for cid in p.chunk_ids]
    return {c.chunk_id: c for c in store.get_chunks(ids)} if ids else {}


def count_prompt_tokens(messages: list[dict]) -> int:
    from retrieval.tokens import count_tokens

    return sum(count_tokens(m["content"]) + 4 for m in messages)


def prefix_fingerprint(messages: list[dict], b) -> str:
    """What the provider's prefix cache keys on: backend, model and the system message bytes."""
    h = hashlib.sha256()
    h.update(f"{getattr(b, 'name', '')}|{getattr(b, 'model', '')}|".encode())
    h.update(messages[0]["content"].encode("utf-8", "replace"))
    return h.hexdigest()


def _prefix_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / PREFIX_FILE


def prefix_seen(settings: Settings, fingerprint: str) -> bool:
    try:
        data = json.loads(_prefix_path(settings).read_text())
    except (OSError, ValueError):
        return False
    return data.get("fingerprint") == fingerprint


def remember_prefix(settings: Settings, fingerprint: str) -> None:
    """A small file in the data folder, so `--dry-run` can tell whether the next call likely hits the cache."""
    path = _prefix_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": fingerprint, "at": time.time()}))
        tmp.replace(path)
    except OSError:
        pass  # a read-only data folder only costs the cache hint


def dry_run_info(settings: Settings, b, calls: list[list[dict]], packed_tokens: int, budget: int, n_docs: int) -> DryRun:
    """Token count and cost estimate of the calls that would be made, without making them."""
    counts = [count_prompt_tokens(m) for m in calls]
    prompt = sum(counts)
    if not is_generative(b):
        return DryRun(prompt, packed_tokens, budget, n_docs, False, 0.0, "none", None, 0, len(calls),
                      "no model configured — extractive, $0")
    cached_likely = bool(calls) and prefix_seen(settings, prefix_fingerprint(calls[0], b))
    cached = count_prompt_tokens(calls[0][:1]) if cached_likely else 0
    total = 0.0
    for i, n in enumerate(counts):
        est = b.estimate_cost(n, b.max_output, cached if i == 0 else 0)
        if est is None:
            total = None
            break
        total += est
    return DryRun(prompt, packed_tokens, budget, n_docs, cached_likely, None if total is None else round(total, 6),
                  b.name, b.model, b.max_output, len(calls),
                  "prefix likely cached (same documents as the last call)" if cached_likely else "")


def run_model(b, messages: list[dict], options: ChatOptions, on_event: Callable | None = None):
    """Stream one call, forwarding events; a cut stream returns its partial completion."""
    completion = None
    try:
        for ev in b.stream(messages, options):
            if on_event is not None:
                on_event(ev)
            if isinstance(ev, Finish):
                completion = ev.completion
    except IncompleteError as e:
        completion = e.partial
        if on_event is not None:
            on_event(Finish(completion))
    return completion


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


# ---- ask -------------------------------------------------------------------------------------


@with_printed_pages  # citations show the printed page number too (issue 12)
def ask(
    settings: Settings,
    question: str,
    *,
    docs: list[str] | None = None,
    budget: int | None = None,
    thinking: bool = False,
    history: list[dict] | None = None,
    on_event: Callable | None = None,
    dry_run: bool = False,
) -> Answer:
    from app import library
    from retrieval.pack import build_context, render_context

    question = (question or "").strip()
    if not question:
        raise ValueError("the question is empty")
    started = time.monotonic()
    b = backend(settings)
    documents = choose_documents(settings, docs)
    store = library.get_store(settings)
    embedder = library.get_embedder_for(settings)
    query = rewrite_followup(question, history)
    size = context_budget(settings, b, budget)
    search_query = query
    if not is_generative(b):  # the extractive answerer only sees what is packed: add the clause vocabulary
        terms = " ".join(a.terms for a in extractive.aspects_in(query))
        search_query = f"{query}; {terms}" if terms else query
    packed = build_context(
        store, embedder, search_query, doc_ids=[d.doc_id for d in documents], budget=size,
        rerank_model=settings.rerank_model,
    )
    infos = doc_infos(documents, packed.coverage)
    common = dict(question=question, coverage=packed.coverage, documents=infos, packed_tokens=packed.tokens,
                  context_mode=packed.mode, rewritten_query=query if query != question else None)

    if dry_run:
        calls = [build_messages(question, packed, history, rendered=render_context(packed))] if is_generative(b) else []
        info = dry_run_info(settings, b, calls, packed.tokens, size, len(documents))
        mode = GENERATIVE if is_generative(b) else EXTRACTIVE
        return Answer(answer="", mode=mode, backend=info.backend, model=info.model, cost_usd=0.0, dry_run=info, **common)

    if not is_generative(b):
        units = extractive.units_from_packed(packed, chunks_for(store, packed))
        ea = extractive.answer(query, units, embedder)
        if on_event is not None:
            on_event(ContentDelta(ea.text))
        return Answer(answer=ea.text, mode=EXTRACTIVE, backend="none", model=None, citations=ea.citations,
                      sentences=ea.sentences, verified_share=1.0 if ea.sentences else None,
                      not_found=not ea.found, cost_usd=0.0, seconds=time.monotonic() - started, **common)

    messages = build_messages(question, packed, history, rendered=render_context(packed))
    completion = run_model(b, messages, ChatOptions(stream=True, thinking=thinking), on_event)
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
