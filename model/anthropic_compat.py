"""Anthropic `/v1/messages` protocol, as DeepSeek (api.deepseek.com/anthropic) and CometAPI serve it.

Messages arrive in OpenAI shape from the app; here system messages become the `system` field,
thinking blocks become reasoning, and stop reasons are normalised to the OpenAI words
("end_turn" → "stop", "max_tokens" → "length") so callers check one vocabulary.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import Any

import anthropic

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
from model.catalog import ModelInfo
from model.redact import Secret
from model.retry import RetryPolicy, with_retries
from model.served import explain_unknown_model, served_models
from model.stream import StreamState, stream_events

STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
THINKING_BUDGET = 4096  # tokens of the output cap set aside for thinking when thinking is on


def to_anthropic(messages: list[Message], json_mode: bool = False) -> tuple[str | None, list[dict]]:
    """OpenAI-style messages → (system, messages) with alternating roles (consecutive ones merged)."""
    system: list[str] = []
    out: list[dict] = []
    for m in strip_reasoning(messages):
        role, content = m.get("role"), m.get("content") or ""
        if not isinstance(content, str):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role == "system":
            system.append(content)
            continue
        role = "assistant" if role == "assistant" else "user"
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + content
        else:
            out.append({"role": role, "content": content})
    if json_mode:  # no response_format in this protocol: ask for it in words
        system.append("Reply with one valid JSON object and nothing else.")
    return ("\n\n".join(system) or None), out


def usage_from(u: Any) -> Usage | None:
    if u is None:
        return None
    fresh = int(getattr(u, "input_tokens", 0) or 0)
    read = int(getattr(u, "cache_read_input_tokens", 0) or 0)
    created = int(getattr(u, "cache_creation_input_tokens", 0) or 0)
    out = int(getattr(u, "output_tokens", 0) or 0)
    return Usage(fresh + read + created, read, fresh + created, out, 0)


class AnthropicBackend(Backend):
    name = "anthropic"

    def __init__(
        self,
        *,
        info: ModelInfo,
        base_url: str,
        api_key: Secret,
        policy: RetryPolicy,
        thinking: bool = False,
        effort: str | None = None,
    ):
        super().__init__(info.name, info.context_window, info.max_output, info.prices)
        self.info = info
        self.thinking = thinking  # thinking on for every call (settings.thinking)
        self.effort = effort
        self.tokenizer = info.tokenizer
        self.thinking_style = info.thinking.style
        self.base_url = base_url
        self.policy = policy
        self._api_key = api_key

    @functools.cached_property
    def _client(self) -> anthropic.Anthropic:
        """The SDK client, made at the first call (see OpenAICompatBackend._client)."""
        key = self._api_key
        try:
            return anthropic.Anthropic(
                api_key=key.reveal() or "not-needed",
                base_url=self.base_url,
                max_retries=0,  # retries are ours (model/retry.py)
                # this SDK sends "Authorization: Bearer"; compatible servers may expect the classic header
                default_headers={"x-api-key": key.reveal()} if key else None,
                timeout=self.policy.timeout_s,  # a float: this SDK runs on httpx2 and rejects httpx objects
            )
        except Exception as exc:
            raise unavailable("anthropic", "anthropic", exc) from exc

    def thinking_on(self, options: ChatOptions) -> bool:
        return bool(options.thinking or self.thinking or self.info.thinking.always_on)

    def model_for(self, options: ChatOptions) -> str:
        return self.model  # this route asks for thinking blocks, never a twin name

    def max_output_for(self, options: ChatOptions) -> int:
        return self.max_output

    def params(self, messages: list[Message], options: ChatOptions) -> dict:
        system, msgs = to_anthropic(messages, options.json_mode)
        max_tokens = min(options.max_tokens or self.max_output, self.max_output)
        params: dict[str, Any] = {"model": self.model, "messages": msgs, "max_tokens": max_tokens}
        if system:
            params["system"] = system
        on = self.thinking_on(options)
        extra: dict[str, Any] = {}
        if self.info.thinking.style == "switch":
            # DeepSeek's route: the same switch as its OpenAI route, sent both ways (V4 thinks by default);
            # effort as output_config.effort
            params["thinking"] = {"type": "enabled" if on else "disabled"}
            effort = options.effort or self.effort
            if on and effort:
                params["output_config"] = {"effort": effort}
        elif on and max_tokens > 1024 + 1:
            params["thinking"] = {"type": "enabled", "budget_tokens": min(THINKING_BUDGET, max_tokens - 1)}
        if options.temperature is not None and not on:
            # not allowed together with thinking; this SDK version no longer declares it, the servers do
            extra["temperature"] = options.temperature
        if extra:
            params["extra_body"] = extra
        if options.stream:
            params["stream"] = True
        return params

    def list_models(self, timeout_s: float = 10.0) -> list[dict]:
        return served_models(self.base_url, self._api_key, timeout_s=timeout_s)

    def _done(self, text, reasoning, usage, stop, started, model, incomplete=None) -> Completion:
        finish = STOP_REASONS.get(stop, stop) if stop else None
        if incomplete is None:
            incomplete = finish in INCOMPLETE_REASONS
        return Completion(
            text=text, reasoning=reasoning, usage=usage or Usage(reported=False),
            cost_usd=self.cost(usage) if usage is not None else None, finish_reason=finish,
            latency_s=time.monotonic() - started, model=model, incomplete=bool(incomplete),
        )

    def stream(self, messages: list[Message], options: ChatOptions | None = None) -> Iterator[Event]:
        options = options or ChatOptions()
        try:
            yield from self._stream(messages, options)
        except BadRequestError as e:  # an unknown name is a 400 here too: name what is served
            raise explain_unknown_model(e, self.model, self.base_url, self.list_models) from None

    def _stream(self, messages: list[Message], options: ChatOptions) -> Iterator[Event]:
        params = self.params(messages, options)
        started = time.monotonic()
        where = f"{self.name} ({self.model})"
        if not options.stream:
            resp = with_retries(
                lambda t: self._client.with_options(timeout=t).messages.create(**params), self.policy, where
            )
            text = "".join(b.text for b in resp.content if getattr(b, "type", "") == "text")
            reasoning = "".join(b.thinking for b in resp.content if getattr(b, "type", "") == "thinking")
            if reasoning:
                yield ReasoningDelta(reasoning)
            if text:
                yield ContentDelta(text)
            usage = usage_from(resp.usage)
            if usage is not None:
                yield UsageEvent(usage)
            yield Finish(self._done(text, reasoning, usage, resp.stop_reason, started, resp.model or self.model))
            return

        def create(timeout: float):
            return self._client.with_options(timeout=timeout).messages.create(**params)

        def read(ev, state: StreamState) -> Iterator[Event]:
            kind = getattr(ev, "type", "")
            if kind == "message_start":
                state.model = ev.message.model or state.model
                state.usage = usage_from(ev.message.usage)
            elif kind == "content_block_delta":
                d = ev.delta
                if d.type == "text_delta" and d.text:
                    yield ContentDelta(d.text)
                elif d.type == "thinking_delta" and d.thinking:
                    yield ReasoningDelta(d.thinking)
            elif kind == "message_delta":
                state.finish = ev.delta.stop_reason or state.finish
                base = state.usage or Usage()
                out = int(getattr(ev.usage, "output_tokens", 0) or 0)
                state.usage = Usage(base.prompt_tokens, base.cached_tokens, base.uncached_tokens, out, 0)
            elif kind == "message_stop":
                state.finished = True

        # the stream is complete only at message_stop, with a stop reason
        yield from stream_events(create, self.policy, where, StreamState(model=self.model, finished=False), started,
                                 read, self._done)
