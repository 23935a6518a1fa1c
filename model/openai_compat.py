"""OpenAI chat-completions protocol: DeepSeek's API, CometAPI, vLLM, SGLang, llama.cpp, Ollama.

One class serves them all; the differences are data (the catalog's `ModelInfo`: limits, prices and
how thinking is switched) plus protocol dialects that only need reading: reasoning arrives as
`reasoning_content` (DeepSeek, SGLang) or `reasoning` (vLLM), and cached prompt tokens as
`prompt_cache_hit_tokens` (DeepSeek) or `prompt_tokens_details.cached_tokens` (OpenAI style).

Thinking, by the catalog's style: `switch` (DeepSeek V4) sends `thinking: {type: enabled|disabled}`
on every request — V4 thinks when the field is absent, which would bill reasoning tokens to every
question — plus `reasoning_effort` when on; `twin` sends the twin model's name; `template` sends
`chat_template_kwargs` (vLLM/SGLang).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

import openai

from model.base import (
    INCOMPLETE_REASONS,
    Backend,
    BadRequestError,
    ChatOptions,
    Completion,
    ContentDelta,
    Event,
    Finish,
    Message,
    ReasoningDelta,
    Usage,
    UsageEvent,
    strip_reasoning,
    unavailable,
)
from model.catalog import ModelInfo, thinking_twin
from model.redact import Secret
from model.retry import RetryPolicy, with_retries
from model.served import explain_unknown_model, served_models
from model.stream import StreamState, stream_events


def is_reasoner(model: str) -> bool:
    """Names that only think (so temperature is pointless), for models the catalog does not describe."""
    m = model.lower()
    return "reasoner" in m or m.endswith("-thinking") or "-r1" in m


def _get(obj: Any, key: str) -> Any:
    """Read a field that may be a declared attribute, a pydantic extra, or a dict entry."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    value = getattr(obj, key, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(key)
    return value


def usage_from(u: Any) -> Usage | None:
    """Usage from any dialect; None when the server reported none."""
    if u is None:
        return None
    prompt = int(_get(u, "prompt_tokens") or 0)
    output = int(_get(u, "completion_tokens") or 0)
    hit = _get(u, "prompt_cache_hit_tokens")
    miss = _get(u, "prompt_cache_miss_tokens")
    if hit is None:
        hit = _get(_get(u, "prompt_tokens_details"), "cached_tokens")
    hit = int(hit or 0)
    uncached = int(miss) if miss is not None else max(0, prompt - hit)
    reasoning = int(_get(_get(u, "completion_tokens_details"), "reasoning_tokens") or 0)
    return Usage(prompt, hit, uncached, output, reasoning)


def _reasoning_of(obj: Any) -> str | None:
    return _get(obj, "reasoning_content") or _get(obj, "reasoning")


class OpenAICompatBackend(Backend):
    def __init__(
        self,
        *,
        name: str,
        info: ModelInfo,
        base_url: str,
        api_key: Secret,
        policy: RetryPolicy,
        thinking: bool = False,
        effort: str | None = None,
        twin: ModelInfo | None = None,
    ):
        super().__init__(info.name, info.context_window, info.max_output, info.prices)
        self.name = name
        self.info = info
        self.base_url = base_url
        self.policy = policy
        self.thinking = thinking  # thinking on for every call (settings.thinking)
        self.effort = effort  # thinking effort for every call (settings.effort); None = the model's default
        self.tokenizer = info.tokenizer
        self.thinking_style = info.thinking.style
        self._twin = twin  # the twin model's facts where thinking is a separate name (its output cap differs)
        self._api_key = api_key

    @functools.cached_property
    def _client(self) -> openai.OpenAI:
        """The SDK client, made at the first call: a dry run or a context never needs one. One that cannot be
        made (an SDK release refusing what is passed) is BackendUnavailable, one line, nothing sent."""
        try:
            return openai.OpenAI(
                api_key=self._api_key.reveal() or "not-needed",  # local servers take any key; the SDK demands one
                base_url=self.base_url,
                max_retries=0,  # retries are ours (model/retry.py)
                # the SDK's own Timeout type: whichever HTTP library it runs on (httpx2 today) accepts it, and an
                # httpx object handed to an httpx2 client is refused (openai 3.63 on httpx2 2.17)
                timeout=openai.Timeout(self.policy.timeout_s, connect=min(10.0, self.policy.timeout_s)),
            )
        except Exception as exc:
            raise unavailable(self.name, "openai", exc) from exc

    # ---- request ------------------------------------------------------------------------

    def thinking_on(self, options: ChatOptions) -> bool:
        return bool(options.thinking or self.thinking or self.info.thinking.always_on)

    def model_for(self, options: ChatOptions) -> str:
        return thinking_twin(self.info, self.thinking_on(options))

    def max_output_for(self, options: ChatOptions) -> int:
        name = self.model_for(options)
        if self._twin is not None and name == self._twin.name:
            return self._twin.max_output
        if not self.info.known and is_reasoner(name):
            return max(self.max_output, 65536)
        return self.max_output

    def effort_for(self, options: ChatOptions) -> str | None:
        return options.effort or self.effort

    def params(self, messages: list[Message], options: ChatOptions) -> dict:
        on = self.thinking_on(options)
        model = self.model_for(options)
        style = self.info.thinking
        params: dict[str, Any] = {"model": model, "messages": strip_reasoning(messages)}
        extra: dict[str, Any] = {}
        cap = self.max_output_for(options)
        if options.max_tokens is not None:
            params["max_tokens"] = min(options.max_tokens, cap) if self.info.known else options.max_tokens
        elif self.info.known:
            params["max_tokens"] = cap  # DeepSeek's default (4K) would cut long answers short
        thinks = on if style.style in ("switch", "template") else (on or is_reasoner(model))
        if options.temperature is not None and not thinks:
            params["temperature"] = options.temperature  # ignored while thinking: don't send it
        if options.json_mode:
            params["response_format"] = {"type": "json_object"}
        if style.style == "switch":
            extra["thinking"] = {"type": "enabled" if on else "disabled"}
            effort = self.effort_for(options)
            if on and effort:
                extra["reasoning_effort"] = effort
        elif style.style == "template" and (on or style.explicit):
            # vLLM and SGLang switch DeepSeek V3.1/V3.2/V4 (`thinking`) and Qwen3 (`enable_thinking`)
            # into thinking mode through the chat template; templates ignore keys they don't use.
            extra["chat_template_kwargs"] = {"thinking": on, "enable_thinking": on}
        if extra:
            params["extra_body"] = extra
        if options.stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        return params

    def list_models(self, timeout_s: float = 10.0) -> list[dict]:
        """GET /models: what this key may call here (ids, and vLLM's max_model_len where reported)."""
        return served_models(self.base_url, self._api_key, timeout_s=timeout_s)

    # ---- calls --------------------------------------------------------------------------

    def stream(self, messages: list[Message], options: ChatOptions | None = None) -> Iterator[Event]:
        options = options or ChatOptions()
        params = self.params(messages, options)
        started = time.monotonic()
        where = f"{self.name} ({params['model']})"
        try:
            if not options.stream:
                resp = with_retries(
                    lambda t: self._client.with_options(timeout=t).chat.completions.create(**params),
                    self.policy,
                    where,
                )
                yield from self._events_from_response(resp, started, params["model"])
                return
            yield from self._events_from_stream(params, started, where)
        except BadRequestError as e:  # "Model Not Exist": name what is served instead of a bare 400
            raise explain_unknown_model(e, params["model"], self.base_url, self.list_models) from None

    def _done(self, text, reasoning, usage, finish_reason, started, model, incomplete=None) -> Completion:
        if incomplete is None:
            incomplete = finish_reason in INCOMPLETE_REASONS
        return Completion(
            text=text,
            reasoning=reasoning,
            usage=usage or Usage(reported=False),
            cost_usd=self.cost(usage) if usage is not None else None,  # no usage → unknown, not 0
            finish_reason=finish_reason,
            latency_s=time.monotonic() - started,
            model=model,
            incomplete=bool(incomplete),
        )

    def _events_from_response(self, resp: Any, started: float, model: str) -> Iterator[Event]:
        choice = resp.choices[0] if resp.choices else None
        message = choice.message if choice else None
        text = (message.content or "") if message else ""
        reasoning = (_reasoning_of(message) or "") if message else ""
        if reasoning:
            yield ReasoningDelta(reasoning)
        if text:
            yield ContentDelta(text)
        usage = usage_from(resp.usage)
        if usage is not None:
            yield UsageEvent(usage)
        finish = choice.finish_reason if choice else None
        yield Finish(self._done(text, reasoning, usage, finish, started, resp.model or model))

    def _events_from_stream(self, params: dict, started: float, where: str) -> Iterator[Event]:
        def create(timeout: float):
            return self._client.with_options(timeout=timeout).chat.completions.create(**params)

        def read(chunk, state: StreamState) -> Iterator[Event]:
            state.model = chunk.model or state.model
            if chunk.usage is not None:
                state.usage = usage_from(chunk.usage)
            for choice in chunk.choices or []:
                delta = choice.delta
                r = _reasoning_of(delta) if delta is not None else None
                if r:
                    yield ReasoningDelta(r)
                c = delta.content if delta is not None else None
                if c:
                    yield ContentDelta(c)
                if choice.finish_reason:
                    state.finish = choice.finish_reason

        yield from stream_events(create, self.policy, where, StreamState(model=params["model"]), started, read,
                                 self._done)
