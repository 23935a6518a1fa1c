"""The Anthropic /v1/messages backend against a real server on 127.0.0.1 speaking that protocol."""

from __future__ import annotations

import pytest
from fakeserver import Scenario

from model.anthropic_compat import AnthropicBackend
from model.base import AuthError, ChatOptions, ContentDelta, Finish, IncompleteError, ReasoningDelta, UsageEvent
from model.catalog import lookup
from model.pricing import Prices, PriceSchedule
from model.redact import Secret
from model.registry import make_backend
from model.retry import RetryPolicy

MSGS = [
    {"role": "system", "content": "Answer from the documents."},
    {"role": "user", "content": "Q1"},
    {"role": "assistant", "content": "A1", "reasoning_content": "secret thoughts"},
    {"role": "user", "content": "Q2"},
]


def make(fake, key, retries=2, model="deepseek-v3.2-exp", url="https://api.cometapi.com"):
    import dataclasses

    info = lookup("anthropic", model, url)
    info = dataclasses.replace(info, prices=PriceSchedule(Prices(0.028, 0.28, 0.42)))  # flat: exact costs below
    return AnthropicBackend(info=info, base_url=fake.url, api_key=Secret(key),
                            policy=RetryPolicy(max_retries=retries, timeout_s=5, base_s=0.01, cap_s=0.02))


def test_stream_with_thinking_blocks_usage_and_cost(fake, key):
    fake.push(Scenario(reasoning=["Look at ", "clause 9."], content=["Delaware", " law."]))
    events = list(make(fake, key).stream(MSGS, ChatOptions(thinking=True, max_tokens=3000)))
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["Look at ", "clause 9."]
    assert [e.text for e in events if isinstance(e, ContentDelta)] == ["Delaware", " law."]
    assert isinstance(events[-2], UsageEvent) and isinstance(events[-1], Finish)
    c = events[-1].completion
    assert c.text == "Delaware law." and c.reasoning == "Look at clause 9." and c.finish_reason == "stop"
    assert (c.usage.prompt_tokens, c.usage.cached_tokens, c.usage.uncached_tokens, c.usage.output_tokens) == (1000, 600, 400, 20)
    assert c.cost_usd == pytest.approx((600 * 0.028 + 400 * 0.28 + 20 * 0.42) / 1e6)
    req = fake.requests[-1]
    assert req["path"] == "/v1/messages" and req["headers"]["x-api-key"] == key
    body = req["json"]
    assert body["system"] == "Answer from the documents." and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert "secret thoughts" not in str(body["messages"])
    # a model without DeepSeek's switch (CometAPI's V3.2-Exp on this route): Anthropic's own thinking budget
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2999} and body["max_tokens"] == 3000


def test_non_stream_and_max_tokens_is_length(fake, key):
    fake.push(Scenario(finish_reason="length"))
    c = make(fake, key).complete(MSGS, ChatOptions(stream=False, temperature=0.1))
    assert c.text == "Hello, world." and c.finish_reason == "length" and c.incomplete
    assert fake.requests[-1]["json"]["temperature"] == 0.1


def test_stream_cut_keeps_partial(fake, key):
    fake.push(Scenario(kind="cut", cut_after=5))  # message_start, block start, ping, "Hello", ", "
    with pytest.raises(IncompleteError) as ei:
        make(fake, key).complete(MSGS)
    assert ei.value.partial.text == "Hello, " and ei.value.partial.incomplete


def test_retry_then_auth_error(fake, key):
    fake.push(Scenario(kind="status", status=529), Scenario())
    assert make(fake, key).complete(MSGS).text == "Hello, world."
    fake.push(Scenario(kind="status", status=401, body={"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}))
    with pytest.raises(AuthError, match="invalid API key"):
        make(fake, key).complete(MSGS)


def test_registry_builds_anthropic_backend_for_a_base_url(fake, key):
    b = make_backend("anthropic", None, None, key, timeout_s=5, max_retries=0)
    assert b.name == "anthropic" and b.model == "deepseek-flash" and b.base_url == "https://api.deepseek.com/anthropic"
    assert b.context_window == 1_048_576 and b.thinking_style == "switch"
    u = make_backend("anthropic", "some-model", fake.url, key, timeout_s=5, max_retries=0)
    assert u.context_window == 32_768 and u.prices is None  # a model the catalog does not know
    assert u.complete(MSGS).text == "Hello, world."
