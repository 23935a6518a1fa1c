"""The OpenAI-compatible backend against a real server on 127.0.0.1 that injects faults."""

from __future__ import annotations

import os
import time
from email.utils import formatdate

import pytest
from fakeserver import Scenario

from model.base import (
    AuthError,
    BadRequestError,
    BalanceError,
    ChatOptions,
    Completion,
    ConnectError,
    ContentDelta,
    Finish,
    IncompleteError,
    RateLimitError,
    ReasoningDelta,
    ServerError,
    TimeoutError_,
    UsageEvent,
)
from model.catalog import lookup
from model.openai_compat import OpenAICompatBackend
from model.pricing import Prices, PriceSchedule
from model.redact import Secret
from model.retry import RetryPolicy, parse_retry_after

MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
# a flat price list for exact cost assertions (the real Flash price depends on the hour: tests of that below)
FLAT = PriceSchedule(Prices(0.028, 0.28, 0.42, source="test"))


def make(fake, key, model="deepseek-flash", retries=3, timeout=5.0, total=None, sleeps=None, name="deepseek",
         provider="deepseek", flat=True):
    import dataclasses

    info = lookup(provider, model)
    if flat and info.prices is not None:
        info = dataclasses.replace(info, prices=FLAT)
    policy = RetryPolicy(max_retries=retries, timeout_s=timeout, total_s=total, base_s=0.01, cap_s=0.05)
    if sleeps is not None:
        def sleep(s):
            sleeps.append(s)
            time.sleep(min(s, 0.05))
        policy.sleep = sleep
    return OpenAICompatBackend(name=name, info=info, base_url=fake.url + "/v1", api_key=Secret(key), policy=policy)


def test_normal_stream_events_usage_and_cost(fake, key):
    b = make(fake, key)
    events = list(b.stream(MSGS, ChatOptions()))
    assert [e.text for e in events if isinstance(e, ContentDelta)] == ["Hello", ", ", "world", "."]
    assert isinstance(events[-1], Finish) and isinstance(events[-2], UsageEvent)
    c = events[-1].completion
    assert c.text == "Hello, world." and c.reasoning == "" and c.finish_reason == "stop" and not c.incomplete
    assert (c.usage.prompt_tokens, c.usage.cached_tokens, c.usage.uncached_tokens, c.usage.output_tokens) == (1000, 600, 400, 20)
    # 600 × 0.028 + 400 × 0.28 + 20 × 0.42 per 1M
    assert c.cost_usd == pytest.approx((600 * 0.028 + 400 * 0.28 + 20 * 0.42) / 1e6)
    req = fake.requests[-1]
    assert req["json"]["stream"] is True and req["json"]["stream_options"] == {"include_usage": True}
    assert req["json"]["max_tokens"] == 393216  # the 384K cap: DeepSeek's own default would cut answers short
    assert req["json"]["thinking"] == {"type": "disabled"}  # V4 thinks unless told not to
    assert "reasoning_effort" not in req["json"]
    assert req["headers"]["authorization"] == f"Bearer {key}"


def test_non_stream_call(fake, key):
    fake.push(Scenario(content=["All", " good"]))
    c = make(fake, key).complete(MSGS, ChatOptions(stream=False, temperature=0.2, json_mode=True))
    assert c.text == "All good" and c.usage.cached_tokens == 600
    req = fake.requests[-1]["json"]
    assert "stream" not in req and req["temperature"] == 0.2 and req["response_format"] == {"type": "json_object"}


def test_thinking_switch_keeps_reasoning_apart_and_strips_it_from_history(fake, key):
    fake.push(Scenario(reasoning=["Let me ", "think."], content=["42"], usage={
        "prompt_tokens": 50, "completion_tokens": 30, "prompt_cache_hit_tokens": 0, "prompt_cache_miss_tokens": 50,
        "completion_tokens_details": {"reasoning_tokens": 25}}))
    b = make(fake, key)
    history = MSGS + [{"role": "assistant", "content": "old", "reasoning_content": "old thoughts"},
                      {"role": "user", "content": "and?"}]
    events = list(b.stream(history, ChatOptions(thinking=True, temperature=0.7, effort="max")))
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["Let me ", "think."]
    c = events[-1].completion
    assert c.text == "42" and c.reasoning == "Let me think." and c.usage.reasoning_tokens == 25
    req = fake.requests[-1]["json"]
    assert req["model"] == "deepseek-flash"  # the same name: thinking is a request switch on V4
    assert req["thinking"] == {"type": "enabled"} and req["reasoning_effort"] == "max"
    assert "temperature" not in req and "top_p" not in req and "logprobs" not in req  # ignored while thinking
    assert req["max_tokens"] == 393216
    assert all("reasoning_content" not in m for m in req["messages"])


def test_vllm_reasoning_field_and_openai_cached_tokens(fake, key):
    fake.push(Scenario(reasoning=["hmm"], reasoning_field="reasoning", usage={
        "prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 64}}))
    c = make(fake, key, model="some-vllm-model", name="openai").complete(MSGS)
    assert c.reasoning == "hmm" and c.text == "Hello, world."
    assert (c.usage.cached_tokens, c.usage.uncached_tokens) == (64, 36)
    assert c.cost_usd is None  # unknown model: price unknown, never a made-up 0


def test_keepalive_comments_and_blank_lines_are_tolerated(fake, key):
    fake.push(Scenario(kind="keepalive"))
    c = make(fake, key).complete(MSGS)
    assert c.text == "Hello, world." and c.finish_reason == "stop"


@pytest.mark.parametrize("reason", ["length", "insufficient_system_resource"])
def test_incomplete_finish_reasons_are_surfaced(fake, key, reason):
    fake.push(Scenario(finish_reason=reason), Scenario(finish_reason=reason))
    c = make(fake, key).complete(MSGS)
    assert c.finish_reason == reason and c.incomplete
    c2 = make(fake, key).complete(MSGS, ChatOptions(stream=False))
    assert c2.finish_reason == reason and c2.incomplete


def test_stream_cut_midway_keeps_partial_text(fake, key):
    fake.push(Scenario(kind="cut", cut_after=3))  # role chunk, "Hello", ", " then the socket closes
    got = []
    with pytest.raises(IncompleteError) as ei:
        for ev in make(fake, key).stream(MSGS):
            got.append(ev)
    partial = ei.value.partial
    assert isinstance(partial, Completion) and partial.incomplete
    assert partial.text == "Hello, " and "".join(e.text for e in got if isinstance(e, ContentDelta)) == "Hello, "
    assert "incomplete" in str(ei.value)
    assert len(fake.requests) == 1  # never retried once text was shown


def test_stream_ending_without_finish_reason_is_incomplete(fake, key):
    fake.push(Scenario(finish_reason=""))
    with pytest.raises(IncompleteError) as ei:
        make(fake, key).complete(MSGS)
    assert ei.value.partial.text == "Hello, world." and ei.value.partial.incomplete


def test_error_event_inside_stream(fake, key):
    fake.push(Scenario(kind="error_event", cut_after=2))
    with pytest.raises(IncompleteError) as ei:
        make(fake, key).complete(MSGS)
    assert ei.value.partial.text == "Hello" and "upstream overloaded" in str(ei.value)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_status_is_retried(fake, key, status):
    fake.push(Scenario(kind="status", status=status), Scenario(kind="status", status=status))
    sleeps = []
    c = make(fake, key, sleeps=sleeps).complete(MSGS)
    assert c.text == "Hello, world." and len(fake.requests) == 3 and len(sleeps) == 2
    assert all(0 <= s <= 0.05 for s in sleeps)  # jittered back-off within the cap


def test_retry_after_seconds_and_http_date_are_honoured(fake, key):
    fake.push(Scenario(kind="status", status=429, headers={"Retry-After": "0.3"}))
    sleeps = []
    make(fake, key, sleeps=sleeps).complete(MSGS)
    assert sleeps == [pytest.approx(0.3)]
    fake.push(Scenario(kind="status", status=503, headers={"Retry-After": formatdate(time.time() + 2, usegmt=True)}))
    sleeps.clear()
    make(fake, key, sleeps=sleeps).complete(MSGS)
    assert 0.5 <= sleeps[0] <= 2.5


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after": "7"}) == 7
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0  # in the past
    assert parse_retry_after({"retry-after": "soon"}) is None and parse_retry_after({}) is None


def test_attempts_are_bounded(fake, key):
    fake.push(*[Scenario(kind="status", status=503) for _ in range(10)])
    with pytest.raises(ServerError) as ei:
        make(fake, key, retries=2, sleeps=[]).complete(MSGS)
    assert len(fake.requests) == 3 and "503" in str(ei.value) and "3 attempts" in str(ei.value)


def test_total_time_is_bounded_by_retry_after(fake, key):
    fake.push(*[Scenario(kind="status", status=429, headers={"Retry-After": "60"}) for _ in range(3)])
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as ei:
        make(fake, key, retries=5, timeout=2, total=5, sleeps=[]).complete(MSGS)
    assert time.monotonic() - t0 < 10 and "time budget" in str(ei.value) and len(fake.requests) == 1  # not 60 s


@pytest.mark.parametrize("status,cls,words", [
    (401, AuthError, "invalid API key"),
    (402, BalanceError, "insufficient balance"),
    (400, BadRequestError, "bad request: "),
    (422, BadRequestError, "bad request: "),
])
def test_client_errors_are_not_retried(fake, key, status, cls, words):
    fake.push(Scenario(kind="status", status=status, body={"error": {"message": "Invalid max_tokens value"}}))
    with pytest.raises(cls) as ei:
        make(fake, key).complete(MSGS)
    assert words in str(ei.value) and len(fake.requests) == 1 and not ei.value.retryable
    if status in (400, 422):
        assert "Invalid max_tokens value" in str(ei.value) and not fake.gets  # not an unknown model: no GET /models


def test_connection_errors_are_retried_then_reported(fake, key):
    fake.push(Scenario(kind="drop"), Scenario(kind="drop"))
    assert make(fake, key).complete(MSGS).text == "Hello, world."
    assert len(fake.requests) == 3
    dead = make(fake, key, retries=1, sleeps=[])
    dead._client = dead._client.with_options(base_url="http://127.0.0.1:9/v1")  # nothing listens on port 9
    with pytest.raises(ConnectError, match="cannot connect"):
        dead.complete(MSGS)


def test_hung_server_hits_the_timeout(fake, key):
    fake.push(Scenario(kind="hang", delay_s=8), Scenario(kind="hang", delay_s=8))
    t0 = time.monotonic()
    with pytest.raises(TimeoutError_) as ei:
        make(fake, key, retries=1, timeout=0.5, sleeps=[]).complete(MSGS)
    assert time.monotonic() - t0 < 5 and "timeout" in str(ei.value)  # 2 × 0.5 s, far below the 8 s hang


def test_server_hanging_mid_stream_times_out_with_partial(fake, key):
    fake.push(Scenario(kind="hang_mid", cut_after=2, delay_s=3))
    with pytest.raises(IncompleteError) as ei:
        make(fake, key, timeout=0.5).complete(MSGS)
    assert ei.value.partial.text == "Hello" and "timeout" in str(ei.value)


def test_break_before_first_byte_is_retried(fake, key):
    fake.push(Scenario(kind="cut", cut_after=0))
    c = make(fake, key, sleeps=[]).complete(MSGS)
    assert c.text == "Hello, world." and len(fake.requests) == 2


def test_estimate_cost_before_sending(fake, key):
    b = make(fake, key)
    est = b.estimate_cost(100_000, 2_000, cached_tokens=40_000)
    assert est == pytest.approx((40_000 * 0.028 + 60_000 * 0.28 + 2_000 * 0.42) / 1e6)
    assert b.estimate_cost(1000) == pytest.approx((1000 * 0.28 + 393216 * 0.42) / 1e6)


def test_thinking_on_a_self_hosted_server_uses_the_chat_template_switch(fake, key):
    from model.registry import make_backend

    b = make_backend("openai", "deepseek-ai/DeepSeek-V3.2-Exp", fake.url + "/v1", None, timeout_s=5, max_retries=0)
    assert b.prices is None and b.context_window == 163840 and b.tokenizer == "deepseek-v3"
    b.complete(MSGS, ChatOptions(thinking=True))
    req = fake.requests[-1]["json"]
    assert req["chat_template_kwargs"] == {"thinking": True, "enable_thinking": True}
    assert req["model"] == "deepseek-ai/DeepSeek-V3.2-Exp" and req["max_tokens"] == 16384
    b.complete(MSGS, ChatOptions(thinking=False))  # a known template: switched off explicitly too
    assert fake.requests[-1]["json"]["chat_template_kwargs"] == {"thinking": False, "enable_thinking": False}
    u = make_backend("openai", "my-own-model", fake.url + "/v1", None, timeout_s=5, max_retries=0)
    u.complete(MSGS, ChatOptions(thinking=False))  # a model we do not know: only asked when asked
    assert "chat_template_kwargs" not in fake.requests[-1]["json"] and "max_tokens" not in fake.requests[-1]["json"]


def test_cometapi_model_names_prices_and_thinking_twin():
    from model.registry import make_backend

    b = make_backend("openai", "deepseek-v3.2-exp", "https://api.cometapi.com/v1", "sk-cometkey-123456", timeout_s=5,
                     max_retries=0)
    assert b.model == "deepseek-v3.2-exp" and b.prices.input_cache_miss == 0.22 and b.prices.output == 0.35
    assert b.thinking_style == "twin" and b.tokenizer == "deepseek-v3"
    assert b.model_for(ChatOptions(thinking=True)) == "DeepSeek-V3.2-Exp-thinking"
    assert b.max_output_for(ChatOptions(thinking=True)) == 65536 and b.max_output_for(ChatOptions()) == 8192
    assert b.estimate_cost(1_000_000, 0) == pytest.approx(0.22)
    d = make_backend("openai", None, "https://api.cometapi.com/v1", "sk-cometkey-123456", timeout_s=5, max_retries=0)
    assert d.model == "deepseek-v4-flash" and d.thinking_style == "switch" and d.prices is None  # price not published


def test_catalog_overlay_overrides_and_adds_models(fake, key, tmp_path):
    import json

    from model.registry import make_backend

    f = tmp_path / "prices.json"  # the old prices.json shape still works
    f.write_text(json.dumps({"127.0.0.1/my-model": {"input": 1.0, "output": 2.0, "context_window": 4096, "max_output": 512}}))
    b = make_backend("openai", "my-model", fake.url + "/v1", None, timeout_s=5, max_retries=0, catalog_file=f)
    assert (b.context_window, b.max_output) == (4096, 512)
    c = b.complete(MSGS)
    assert c.cost_usd == pytest.approx((1000 * 1.0 + 20 * 2.0) / 1e6)  # no cache discount given → miss price
    g = tmp_path / "catalog.json"  # the catalog's own shape: a fact fixed as data
    g.write_text(json.dumps({"models": {"deepseek/deepseek-flash": {"context_window": 500000}}}))
    b2 = make_backend("deepseek", None, fake.url, key, timeout_s=5, max_retries=0, catalog_file=g)
    assert b2.model == "deepseek-flash" and b2.context_window == 500000 and b2.max_output == 393216
    f.write_text("{not json")
    os.utime(f, ns=(1, 1))  # a different mtime even on coarse-clock filesystems
    from model.base import ModelError

    with pytest.raises(ModelError, match="not valid JSON"):
        make_backend("openai", "my-model", fake.url + "/v1", None, timeout_s=5, max_retries=0, catalog_file=f)


def test_settings_thinking_and_effort_apply_to_every_call(fake, key):
    from app.answer.llm import backend_for
    from app.config import load_settings

    s = load_settings(env={"LONGDOC_BACKEND": "deepseek", "LONGDOC_BASE_URL": fake.url, "DEEPSEEK_API_KEY": key,
                           "LONGDOC_THINKING": "1", "LONGDOC_EFFORT": "HIGH"})
    b = backend_for(s)
    assert b.model == "deepseek-flash" and b.max_output == 393216
    fake.push(Scenario(reasoning=["r"]))
    c = b.complete(MSGS, ChatOptions(temperature=0.3))
    req = fake.requests[-1]["json"]
    assert c.reasoning == "r" and "temperature" not in req
    assert req["thinking"] == {"type": "enabled"} and req["reasoning_effort"] == "high"


def test_stream_without_usage_reports_usage_unknown(fake, key):
    fake.push(Scenario(usage={}))  # the server ignores stream_options.include_usage
    events = list(make(fake, key).stream(MSGS))
    c = events[-1].completion
    assert not any(isinstance(e, UsageEvent) for e in events)
    assert c.text == "Hello, world." and not c.usage.reported and c.cost_usd is None


def test_backoff_is_exponential_with_full_jitter_and_capped():
    import random

    p = RetryPolicy(base_s=0.5, cap_s=4.0, rng=random.Random(1))
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        waits = [p.backoff(attempt, None) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits) and max(waits) > ceiling * 0.8  # spread over the range
    assert p.backoff(5, 7.5) == 7.5  # Retry-After wins
