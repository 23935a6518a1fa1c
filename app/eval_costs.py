"""What each budget of `longdoc eval retrieval` costs per question, at the catalog's prices.

Recall alone cannot choose a budget policy: a bigger budget can only add evidence, so the question is
what the extra tokens cost. The cost of one question is its packed context plus the fixed prompt
(rules + question), at the cache-miss price (a first question over these documents) and at the
cache-hit price (a follow-up over the same documents: DeepSeek bills the repeated prefix as a hit),
plus an answer of ANSWER_TOKENS, at the off-peak and the peak rate where the provider has both.
"""

from __future__ import annotations

from app.config import Settings

ANSWER_TOKENS = 500  # a cited answer of a few paragraphs; the same at every budget, so it only shifts the curve
QUESTION_TOKENS = 40


def _prompt_overhead(family: str) -> int:
    from app.prompts import RULES, documents_block
    from retrieval.tokens import count_tokens

    return count_tokens(RULES + "\n\n" + documents_block(""), family) + QUESTION_TOKENS + 8


def cost_model(settings: Settings):
    """The model the costs are for: the configured one when its price is known, else the default DeepSeek model."""
    from model.catalog import DEFAULT_MODEL, lookup

    from app.llm import backend_for
    from model.base import ModelError

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
            cell = {"prompt_tokens": round(prompt)}
            for name, p in rates.items():
                cell[f"{name}_miss_usd"] = round((prompt * p.input_cache_miss + ANSWER_TOKENS * p.output) / 1e6, 6)
                cell[f"{name}_hit_usd"] = round((prompt * p.input_cache_hit + ANSWER_TOKENS * p.output) / 1e6, 6)
            out["methods"][method][b] = cell
    return out


__all__ = ["cost_curve", "cost_model", "ANSWER_TOKENS"]
