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


def model_window(b) -> int:
    """The window the model really has: the catalog's, or less where a self-hosted server says so."""
    from app.llm import effective_window

    return effective_window(b)


def window_budget(settings: Settings, b) -> int:
    """The default budget policy: LONGDOC_BUDGET, else the active model's whole window minus the answer and
    prompt reserves (no model: the default model's window, which is what `longdoc context` shows).

    Chosen from `longdoc eval retrieval` (README, "Budget policy"): recall only grows with the budget,
    and the cost follows what is packed, not the budget — whole documents stop packing when they end."""
    if settings.budget:
        return int(settings.budget)
    return max(2_000, model_window(b) - settings.reserve_output - settings.reserve_prompt)


def context_budget(settings: Settings, b, budget: int | None) -> int:
    """The budget of one call: the command's `budget`, else the policy (`window_budget`); the extractive
    answerer reads the best passages only (EXTRACTIVE_BUDGET), not whole libraries."""
    if budget:
        return int(budget)
    if settings.budget:
        return int(settings.budget)
    if not is_generative(b):
        return EXTRACTIVE_BUDGET
    return window_budget(settings, b)


def tokenizer_of(b) -> str:
    """The tokenizer family that counts this backend's budgets (the catalog's; NoModel: the default)."""
    return getattr(b, "tokenizer", None) or "deepseek-v4"


def answer_room(settings: Settings, b, prompt_tokens: int, thinking: bool = False) -> int:
    """max_tokens for a call: the output cap, but never more than the window leaves after the prompt."""
    from model.base import ChatOptions

    cap = b.max_output_for(ChatOptions(thinking=thinking)) if hasattr(b, "max_output_for") else b.max_output
    return max(1, min(int(cap), model_window(b) - int(prompt_tokens)))


def options_for(settings: Settings, b, messages: list[dict], packed, *, thinking: bool = False,
                json_mode: bool = False) -> "ChatOptions":
    """The call options: thinking and effort from the command (or settings), max_tokens within the window."""
    prompt = prompt_tokens(messages, packed, tokenizer_of(b))
    on = bool(thinking or settings.thinking)
    return ChatOptions(stream=True, thinking=on, effort=settings.effort, json_mode=json_mode,
                       max_tokens=answer_room(settings, b, prompt, on))


def doc_infos(documents, coverage=None) -> list[DocInfo]:
    labels = {c.doc_id: c.label for c in (coverage or [])}
    return [
        DocInfo(d.doc_id, d.file, d.title, d.pages, d.domain, labels.get(d.doc_id, f"D{i}"))
        for i, d in enumerate(documents, 1)
    ]


def chunks_for(store, packed) -> dict:
    ids = [cid for p in packed.passages for cid in p.chunk_ids]
    return {c.chunk_id: c for c in store.get_chunks(ids)} if ids else {}


def count_prompt_tokens(messages: list[dict], family: str | None = None) -> int:
    from retrieval.tokens import count_tokens

    return sum(count_tokens(m["content"], family) + 4 for m in messages)


def prompt_tokens(messages: list[dict], packed=None, family: str | None = None) -> int:
    """Tokens of a prompt without re-tokenising its packed context (1M tokens would take seconds):
    the context's count is the packer's (an upper bound), the rest — rules, question, history — is counted."""
    if packed is None or not packed.passages:
        return count_prompt_tokens(messages, family)
    from retrieval.pack import render_context
    from retrieval.tokens import count_tokens

    rendered = render_context(packed)
    total = 0
    for m in messages:
        content = m["content"]
        if rendered and rendered in content:
            total += count_tokens(content.replace(rendered, ""), family) + packed.tokens + 2  # +2: the joins
        else:
            total += count_tokens(content, family)
        total += 4
    return total


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


def dry_run_info(settings: Settings, b, calls: list[list[dict]], packed_tokens: int, budget: int, n_docs: int,
                 packs: list | None = None, thinking: bool = False) -> DryRun:
    """Token counts and cost estimates of the calls that would be made, without making them.

    `packs[i]` is the packed context inside `calls[i]` (its count is reused rather than re-tokenised).
    The estimate assumes an answer of `reserve_output` tokens (capped by the model); `max_cost_usd`
    assumes every call uses its whole output room. Both at the rate in force now, and at the other rate."""
    family = tokenizer_of(b)
    packs = list(packs or []) + [None] * (len(calls) - len(packs or []))
    counts = [prompt_tokens(m, pk, family) for m, pk in zip(calls, packs)]
    prompt = sum(counts)
    if not is_generative(b):
        return DryRun(prompt, packed_tokens, budget, n_docs, False, 0.0, "none", None, 0, len(calls),
                      "no model configured — extractive, $0", tokenizer=family)
    on = bool(thinking or settings.thinking)
    cached_likely = bool(calls) and prefix_seen(settings, prefix_fingerprint(calls[0], b))
    cached = prompt_tokens(calls[0][:1], packs[0], family) if cached_likely else 0
    answer = min(int(settings.reserve_output), int(b.max_output)) if b.max_output else int(settings.reserve_output)
    rooms = [answer_room(settings, b, n, on) for n in counts]
    sched = getattr(b, "schedule", None)
    window = sched.window() if sched is not None else None
    other = sched.other() if sched is not None else None

    def total(prices, out_tokens) -> float | None:
        acc = 0.0
        for i, n in enumerate(counts):
            est = b.estimate_cost(n, out_tokens(i), cached if i == 0 else 0, prices=prices)
            if est is None:
                return None
            acc += est
        return round(acc, 6)

    now_prices = sched.at() if sched is not None else None
    est_now = total(now_prices, lambda i: min(answer, rooms[i])) if now_prices else None
    est_other = total(other[1], lambda i: min(answer, rooms[i])) if other else None
    max_now = total(now_prices, lambda i: rooms[i]) if now_prices else None
    hit = cached
    return DryRun(prompt, packed_tokens, budget, n_docs, cached_likely, est_now,
                  b.name, b.model, max(rooms) if rooms else b.max_output, len(calls),
                  "prefix likely cached (same documents as the last call)" if cached_likely else "",
                  cache_hit_tokens=hit, cache_miss_tokens=prompt - hit, answer_tokens=answer,
                  price_window=window, other_window=other[0] if other else None,
                  estimated_cost_other_usd=est_other, max_cost_usd=max_now, thinking=on,
                  context_window=model_window(b), tokenizer=family)


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
    """`thinking` asks for the model's thinking mode for this question (else settings.thinking decides:
    off by default, and sent off explicitly to models that think unless told not to)."""
    from app import library, route_note
    from retrieval.pack import render_context
    from retrieval.routed import routed_context

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
        info = dry_run_info(settings, b, calls, packed.tokens, size, len(documents), packs=[packed], thinking=thinking)
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
    completion = run_model(b, messages, options_for(settings, b, messages, packed, thinking=thinking), on_event)
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
