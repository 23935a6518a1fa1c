"""What each budget of `longdoc eval retrieval` costs per question, at the catalog's prices.

Recall alone cannot choose a budget policy: a bigger budget can only add evidence, so the question is
what the extra tokens cost. The cost of one question is its packed context plus the fixed prompt
(rules + question) plus an answer of ANSWER_TOKENS, at the off-peak and the peak rate where the
provider has both: for a first question at the cache-miss price, and for a follow-up over the same
documents at the cache-hit price only where the documents were packed whole — then the prompt prefix
repeats byte for byte and DeepSeek bills it as a hit; a retrieved context differs per question, so a
follow-up pays the miss price again (weighted by the report's `whole_share`).
"""

from __future__ import annotations

from app.answer.llm import backend_for
from app.answer.prompts import RULES, documents_block
from app.config import Settings
from model.base import ModelError
from model.catalog import DEFAULT_MODEL, lookup
from retrieval.tokens import count_tokens

ANSWER_TOKENS = 500  # a cited answer of a few paragraphs; the same at every budget, so it only shifts the curve
QUESTION_TOKENS = 40


def _prompt_overhead(family: str) -> int:
    return count_tokens(RULES + "\n\n" + documents_block(""), family) + QUESTION_TOKENS + 8


def cost_model(settings: Settings):
    """The model the costs are for: the configured one when its price is known, else the default DeepSeek model."""
    try:
        b = backend_for(settings)
        info = getattr(b, "info", None)
        if info is not None and info.prices is not None:
            return info
    except ModelError:
        pass
    return lookup("deepseek", DEFAULT_MODEL["deepseek"], None, settings.catalog_file)


def cost_curve(report, settings: Settings) -> dict:
    """{"model", "answer_tokens", "methods": {method: {budget: {...USD per question...}}}} for the eval report."""
    info = cost_model(settings)
    sched = info.prices
    overhead = _prompt_overhead(info.tokenizer)
    rates = {"off_peak": sched.off_peak} if sched is not None else {}
    if sched is not None and not sched.flat:
        rates["peak"] = sched.peak
    out: dict = {"model": info.name, "provider": info.provider, "source": info.source, "read": info.read,
                 "answer_tokens": ANSWER_TOKENS, "prompt_overhead_tokens": overhead, "methods": {}}
    for method, row in report.methods.items():
        out["methods"][method] = {}
        for b, r in row.items():
            prompt = r["mean_tokens"] + overhead
            share = float(r.get("whole_share", 0.0))
            cell = {"prompt_tokens": round(prompt), "whole_share": share}
            for name, p in rates.items():
                miss = (prompt * p.input_cache_miss + ANSWER_TOKENS * p.output) / 1e6
                hit = (prompt * p.input_cache_hit + ANSWER_TOKENS * p.output) / 1e6
                cell[f"{name}_miss_usd"] = round(miss, 6)
                cell[f"{name}_hit_usd"] = round(share * hit + (1 - share) * miss, 6)  # a follow-up question
            out["methods"][method][b] = cell
    return out


__all__ = ["cost_curve", "cost_model", "ANSWER_TOKENS"]
