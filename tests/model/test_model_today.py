"""The providers as they are today (DeepSeek V4 names and thinking switch, CometAPI's V3.2-Exp twins, vLLM's
chat-template switch), against real HTTP servers on 127.0.0.1 that behave like them (fakeserver personas)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from fakeserver import FakeLLMServer

from model.base import ChatOptions, ContentDelta, ReasoningDelta, RetiredModelError, UnknownModelError, Usage
from model.catalog import lookup
from model.registry import make_backend

MSGS = [{"role": "system", "content": "Answer from the documents."}, {"role": "user", "content": "Which law governs?"}]
KEY = "sk-test-SECRETKEY-0123456789abcdef"


@pytest.fixture(scope="module")
def deepseek():
    s = FakeLLMServer(persona="deepseek").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cometapi():
    s = FakeLLMServer(persona="cometapi").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def vllm():
    s = FakeLLMServer(persona="vllm", max_model_len=65536).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _clean(request):
    for name in ("deepseek", "cometapi", "vllm"):
        if name in request.fixturenames:
            s = request.getfixturevalue(name)
            s.queue.clear(), s.requests.clear(), s.gets.clear()


def ds(server, **kw):
    return make_backend("deepseek", kw.pop("model", None), server.url, KEY, timeout_s=10, max_retries=0, **kw)


def test_the_persona_thinks_when_the_switch_is_absent(deepseek):
    """What makes "thinking off explicitly" necessary: DeepSeek V4 reasons unless told not to."""
    r = httpx.post(deepseek.url + "/chat/completions", json={"model": "deepseek-flash", "messages": MSGS},
                   headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    body = r.json()
    assert body["choices"][0]["message"]["reasoning_content"]
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_default_backend_is_deepseek_flash_with_thinking_switched_off(deepseek):
    b = ds(deepseek)
    assert (b.model, b.context_window, b.max_output, b.thinking_style, b.tokenizer) == (
        "deepseek-flash", 1_048_576, 393_216, "switch", "deepseek-v4")
    events = list(b.stream(MSGS))
    req = deepseek.requests[-1]["json"]
    assert req["model"] == "deepseek-flash" and req["thinking"] == {"type": "disabled"}
    assert not any(isinstance(e, ReasoningDelta) for e in events)
    c = events[-1].completion
    assert c.text == "Hello, world." and c.reasoning == "" and c.usage.reasoning_tokens == 0


def test_thinking_on_streams_reasoning_before_the_answer_with_usage(deepseek):
    b = ds(deepseek, thinking=True, effort="max")
    events = list(b.stream(MSGS))
    kinds = [type(e).__name__ for e in events if isinstance(e, (ReasoningDelta, ContentDelta))]
    assert kinds == ["ReasoningDelta"] * 2 + ["ContentDelta"] * 4  # all reasoning, then the answer
    req = deepseek.requests[-1]["json"]
    assert req["thinking"] == {"type": "enabled"} and req["reasoning_effort"] == "max"
    c = events[-1].completion
    assert c.reasoning == "The question asks about the governing-law clause." and c.text == "Hello, world."
    u = c.usage
    assert (u.prompt_tokens, u.cached_tokens, u.uncached_tokens, u.output_tokens, u.reasoning_tokens) == (1000, 600, 400, 32, 12)
    p = b.schedule.at()  # the rate in force now (peak or off-peak)
    expected = (600 * p.input_cache_hit + 400 * p.input_cache_miss + 32 * p.output) / 1e6
    assert c.cost_usd == pytest.approx(expected) or c.cost_usd == pytest.approx(
        (600 * b.schedule.other()[1].input_cache_hit + 400 * b.schedule.other()[1].input_cache_miss
         + 32 * b.schedule.other()[1].output) / 1e6)  # the hour may have turned during the call


def test_models_list_and_an_unknown_model_is_one_line_naming_the_served_ones(deepseek):
    b = ds(deepseek, model="deepseek-v5-ultra")
    assert [m["id"] for m in b.list_models()] == ["deepseek-flash", "deepseek-v4-pro", "deepseek-v4-flash"]
    with pytest.raises(UnknownModelError) as ei:
        b.complete(MSGS)
    e = ei.value
    assert e.served == ("deepseek-flash", "deepseek-v4-pro", "deepseek-v4-flash") and e.model == "deepseek-v5-ultra"
    assert "\n" not in e.message and "deepseek-flash" in e.message and "budget" not in e.message
    assert deepseek.gets and deepseek.gets[-1]["headers"]["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("name,replacement,thinking", [("deepseek-chat", "deepseek-flash", False),
                                                        ("deepseek-reasoner", "deepseek-flash", True)])
def test_retired_names_are_refused_before_any_call_with_their_replacement(deepseek, name, replacement, thinking):
    with pytest.raises(RetiredModelError) as ei:
        ds(deepseek, model=name)
    e = ei.value
    assert e.replacement == replacement and e.replacement_thinking is thinking
    assert f"LONGDOC_MODEL={replacement}" in e.message and "2026-07-24" in e.message and "\n" not in e.message
    assert ("--thinking" in e.message) is thinking
    assert not deepseek.requests and not deepseek.gets  # nothing was sent


def test_legacy_flash_name_is_served_with_flash_facts(deepseek):
    b = ds(deepseek, model="deepseek-v4-flash")
    info = lookup("deepseek", "deepseek-v4-flash")
    assert info.alias_of == "deepseek/deepseek-flash" and "legacy" in info.note
    assert b.model == "deepseek-v4-flash" and b.context_window == 1_048_576  # sent as the user wrote it, no remap
    b.complete(MSGS)
    assert deepseek.requests[-1]["json"]["model"] == "deepseek-v4-flash"


def test_anthropic_route_takes_the_same_switch_and_returns_thinking_blocks(deepseek):
    from model.anthropic_compat import AnthropicBackend
    from model.redact import Secret
    from model.retry import RetryPolicy

    info = lookup("anthropic", "deepseek-flash", "https://api.deepseek.com/anthropic")
    b = AnthropicBackend(info=info, base_url=deepseek.url + "/anthropic", api_key=Secret(KEY),
                         policy=RetryPolicy(max_retries=0, timeout_s=10))
    off = b.complete(MSGS, ChatOptions(temperature=0.2))
    body = deepseek.requests[-1]["json"]
    assert deepseek.requests[-1]["path"] == "/anthropic/v1/messages"
    assert body["thinking"] == {"type": "disabled"} and body["temperature"] == 0.2 and off.reasoning == ""
    events = list(b.stream(MSGS, ChatOptions(thinking=True, effort="high", temperature=0.2)))
    body = deepseek.requests[-1]["json"]
    assert body["thinking"] == {"type": "enabled"} and body["output_config"] == {"effort": "high"}
    assert "temperature" not in body
    got = [type(e).__name__ for e in events if isinstance(e, (ReasoningDelta, ContentDelta))]
    assert got[:2] == ["ReasoningDelta", "ReasoningDelta"] and set(got[2:]) == {"ContentDelta"}
    c = events[-1].completion
    assert c.reasoning.startswith("The question asks") and c.text == "Hello, world."
    # an unknown name on this route: the list comes from the API root (DeepSeek lists models at /models)
    bad = AnthropicBackend(info=lookup("anthropic", "deepseek-nope", "https://api.deepseek.com/anthropic"),
                           base_url=deepseek.url + "/anthropic", api_key=Secret(KEY), policy=RetryPolicy(max_retries=0, timeout_s=10))
    with pytest.raises(UnknownModelError) as ei:
        bad.complete(MSGS)
    assert "deepseek-flash" in ei.value.message and deepseek.gets[-1]["path"] == "/models"


def test_cometapi_v32_exp_twin_names(cometapi):
    import dataclasses

    from model.openai_compat import OpenAICompatBackend
    from model.redact import Secret
    from model.retry import RetryPolicy

    info = lookup("openai", "deepseek-v3.2-exp", "https://api.cometapi.com/v1")
    twin = lookup("openai", "DeepSeek-V3.2-Exp-thinking", "https://api.cometapi.com/v1")
    b = OpenAICompatBackend(name="openai", info=info, base_url=cometapi.url + "/v1", api_key=Secret(KEY),
                            policy=RetryPolicy(max_retries=0, timeout_s=10), twin=twin)
    plain = b.complete(MSGS)
    req = cometapi.requests[-1]["json"]
    assert req["model"] == "deepseek-v3.2-exp" and "thinking" not in req and "chat_template_kwargs" not in req
    assert plain.reasoning == "" and req["max_tokens"] == 8192
    think = b.complete(MSGS, ChatOptions(thinking=True))
    req = cometapi.requests[-1]["json"]
    assert req["model"] == "DeepSeek-V3.2-Exp-thinking" and req["max_tokens"] == 65536 and think.reasoning
    nothink = dataclasses.replace(lookup("openai", "DeepSeek-V3.2-Exp-nothinking", "https://api.cometapi.com/v1"))
    n = OpenAICompatBackend(name="openai", info=nothink, base_url=cometapi.url + "/v1", api_key=Secret(KEY),
                            policy=RetryPolicy(max_retries=0, timeout_s=10), twin=twin)
    assert n.complete(MSGS).reasoning == "" and cometapi.requests[-1]["json"]["model"] == "DeepSeek-V3.2-Exp-nothinking"
    # the catalog's price for the twins: flat (CometAPI has no peak hours)
    assert b.schedule.window() == "flat" and b.prices.input_cache_miss == 0.22


def test_vllm_style_server_switches_thinking_through_the_chat_template(vllm):
    b = make_backend("openai", "deepseek-ai/DeepSeek-V3.2-Exp", vllm.url + "/v1", None, timeout_s=10, max_retries=0)
    off = b.complete(MSGS)
    assert vllm.requests[-1]["json"]["chat_template_kwargs"] == {"thinking": False, "enable_thinking": False}
    assert off.reasoning == ""
    on = b.complete(MSGS, ChatOptions(thinking=True))
    assert vllm.requests[-1]["json"]["chat_template_kwargs"]["thinking"] is True
    assert on.reasoning.startswith("The question asks")  # read from vLLM's `reasoning` field
    models = b.list_models()
    assert models == [{"id": "deepseek-ai/DeepSeek-V3.2-Exp", "max_model_len": 65536, "owned_by": "vllm"}]
    bad = make_backend("openai", "deepseek-ai/DeepSeek-V3", vllm.url + "/v1", None, timeout_s=10, max_retries=0)
    with pytest.raises(UnknownModelError) as ei:  # vLLM answers 404 "The model `…` does not exist."
        bad.complete(MSGS)
    assert ei.value.served == ("deepseek-ai/DeepSeek-V3.2-Exp",) and ei.value.status == 404


def test_peak_and_off_peak_prices_follow_beijing_weekday_hours():
    info = lookup("deepseek", "deepseek-flash")
    s = info.prices
    assert s.window(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == "peak"  # Tue 10:00 Beijing
    assert s.window(datetime(2026, 12, 1, 4, 30, tzinfo=UTC)) == "off-peak"  # Tue 12:30 (lunch)
    assert s.window(datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) == "peak"  # Tue 14:00
    assert s.window(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)) == "off-peak"  # Tue 18:00
    assert s.window(datetime(2026, 12, 5, 2, 0, tzinfo=UTC)) == "off-peak"  # Saturday
    assert s.window(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == "off-peak"  # Tue 00:30 Beijing
    peak, off = s.at(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)), s.off_peak
    assert (off.input_cache_hit, off.input_cache_miss, off.output) == (0.003, 0.15, 0.6)
    assert (peak.input_cache_hit, peak.input_cache_miss, peak.output) == (0.006, 0.3, 1.2)
    u = Usage(1_000_000, 600_000, 400_000, 10_000, 0)
    assert s.cost(u, datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == pytest.approx(2 * s.cost(u, datetime(2026, 12, 5, 2, 0, tzinfo=UTC)))
    assert s.hours.next_change(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def test_every_catalog_entry_has_a_source_and_a_date_and_valid_facts():
    data = json.loads((__import__("model.catalog", fromlist=["BUILTIN"]).BUILTIN).read_text())
    for key, e in data["models"].items():
        assert e.get("source") and e.get("read"), key
        datetime.strptime(e["read"], "%Y-%m-%d")
        if e.get("alias_of"):
            assert e["alias_of"] in data["models"], key
            continue
        if e.get("retired"):
            assert e.get("replacement"), key
            continue
        assert e["tokenizer"] in ("deepseek-v4", "deepseek-v3"), key
        assert e["context_window"] > e["max_output"] > 0, key
        assert e["thinking"]["style"] in ("switch", "twin", "template", "none"), key
    for name, p in data["providers"].items():
        assert p.get("source") or name == "local", name


def test_the_catalog_says_which_models_read_images_and_retires_cometapis_old_names():
    from model.catalog import lookup
    from model.registry import COMETAPI_URL, DEEPSEEK_URL

    assert lookup("deepseek", "deepseek-flash", DEEPSEEK_URL).inputs == ("text", "image")
    assert lookup("deepseek", "deepseek-v4-pro", DEEPSEEK_URL).inputs == ("text",)
    for name in ("deepseek-chat", "deepseek-reasoner"):
        info = lookup("openai", name, COMETAPI_URL)
        assert info.provider == "cometapi" and info.retired and info.replacement == "deepseek-v4-flash"
    assert lookup("openai", "deepseek-v3.2-exp", COMETAPI_URL).deprecated
