"""The model call every use case shares — a session: which backend the settings name, how much context it can
take (budgets, answer room), the options of a call, a dry run's estimate, the prompt-prefix cache note, and
running the call while forwarding its events.

Ask, summarize, compare and describe all call these; before this module they borrowed them from `ask`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from app.answer.llm import backend_for, effective_window
from app.answer.results import DocInfo, DryRun
from app.config import Settings
from app.errors import NothingToRead
from app.library import documents as library
from model.base import ChatOptions, Finish, IncompleteError
from retrieval.pack import render_context
from retrieval.tokens import count_tokens

EXTRACTIVE_BUDGET = 24_000  # the extractive answerer reads the best passages, not whole libraries
PREFIX_FILE = "last_prefix.json"


def backend(settings: Settings):
    return backend_for(settings)


def is_generative(b) -> bool:
    return bool(getattr(b, "is_configured", False))


def choose_documents(settings: Settings, docs: list[str] | None):
    """The ready documents to read, in the packer's order (sorted by file name, then id)."""
    chosen = library.resolve_docs(settings, list(docs) if docs else None)
    if not chosen:
        raise NothingToRead("the library is empty: add documents with `longdoc ingest PATH` first")
    return sorted(chosen, key=lambda d: (d.file.lower(), d.doc_id))


def model_window(b) -> int:
    """The window the model really has: the catalog's, or less where a self-hosted server says so."""
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
    cap = b.max_output_for(ChatOptions(thinking=thinking)) if hasattr(b, "max_output_for") else b.max_output
    return max(1, min(int(cap), model_window(b) - int(prompt_tokens)))


def options_for(settings: Settings, b, messages: list[dict], packed, *, json_mode: bool = False) -> ChatOptions:
    """The call options: thinking and effort from the settings (a face that asks for thinking passes
    `settings.replace(thinking=True)`), max_tokens within the window."""
    prompt = prompt_tokens(messages, packed, tokenizer_of(b))
    on = bool(settings.thinking)
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
    return sum(count_tokens(m["content"], family) + 4 for m in messages)


def prompt_tokens(messages: list[dict], packed=None, family: str | None = None) -> int:
    """Tokens of a prompt without re-tokenising its packed context (1M tokens would take seconds):
    the context's count is the packer's (an upper bound), the rest — rules, question, history — is counted."""
    if packed is None or not packed.passages:
        return count_prompt_tokens(messages, family)
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
                 packs: list | None = None) -> DryRun:
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
    on = bool(settings.thinking)
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
