"""The cost side of the budget curve: USD per question from the catalog's prices, peak and off-peak."""

from __future__ import annotations

import pytest

from app.answer.eval_costs import ANSWER_TOKENS, cost_curve
from app.config import load_settings
from retrieval.evaluate import EvalReport


def test_cost_per_question_follows_the_packed_tokens_not_the_budget(tmp_path):
    methods = {"longdoc": {"128000": {"evidence_recall": 1.0, "citation_precision": 1.0, "n": 3, "mean_tokens": 24_000.0,
                                      "whole_share": 1.0},
                           "1038336": {"evidence_recall": 1.0, "citation_precision": 1.0, "n": 3, "mean_tokens": 24_000.0,
                                       "whole_share": 1.0},
                           "16000": {"evidence_recall": 0.9, "citation_precision": 1.0, "n": 3, "mean_tokens": 13_700.0}}}
    report = EvalReport(set="x", questions=3, budgets=[16000, 128000, 1038336], methods=methods, unanswerable={})
    c = cost_curve(report, load_settings(env={}, dotenv=tmp_path / ".env"))
    assert c["model"] == "deepseek-flash" and c["read"] == "2026-12-01" and c["answer_tokens"] == ANSWER_TOKENS
    row = c["methods"]["longdoc"]
    assert row["128000"] == row["1038336"]  # whole documents stop packing when they end: same tokens, same cost
    p = row["128000"]["prompt_tokens"]
    assert p == 24_000 + c["prompt_overhead_tokens"]
    assert row["128000"]["off_peak_miss_usd"] == pytest.approx((p * 0.15 + ANSWER_TOKENS * 0.6) / 1e6, abs=1e-6)
    assert row["128000"]["peak_miss_usd"] == pytest.approx(2 * row["128000"]["off_peak_miss_usd"], rel=1e-3)
    assert row["128000"]["off_peak_hit_usd"] < row["128000"]["off_peak_miss_usd"] / 10  # a follow-up hits the cache
    assert row["16000"]["off_peak_miss_usd"] < row["128000"]["off_peak_miss_usd"]
    # a retrieved context (not whole) differs per question: a follow-up pays the miss price again
    assert row["16000"]["off_peak_hit_usd"] == row["16000"]["off_peak_miss_usd"]
