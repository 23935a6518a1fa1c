"""OpenAI chat-completions protocol: DeepSeek's API, CometAPI, vLLM, SGLang, llama.cpp, Ollama.

One class serves them all; the differences are data (model names, limits, prices) plus three
protocol dialects that only need reading: reasoning arrives as `reasoning_content` (DeepSeek,
SGLang) or `reasoning` (vLLM), and cached prompt tokens as `prompt_cache_hit_tokens` (DeepSeek) or
`prompt_tokens_details.cached_tokens` (OpenAI style).
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import httpx
import openai

from model.base import (
    INCOMPLETE_REASONS,
    Backend,
    ChatOptions,
    Completion,
    ContentDelta,
    Event,
    Finish,
    IncompleteError,
    Message,
    Prices,
    ReasoningDelta,
    Usage,
    UsageEvent,
    strip_reasoning,
)
from model.redact import Secret
from model.retry import RetryPolicy, classify, with_retries

# Where a model has a thinking twin, `thinking=True` switches to it (same price list).
THINKING_TWIN = {
    "deepseek-chat": "deepseek-reasoner",
    "deepseek-v3.2-exp": "DeepSeek-V3.2-Exp-thinking",
    "deepseek-v3.2-exp-nothinking": "DeepSeek-V3.2-Exp-thinking",
}


def is_reasoner(model: str) -> bool:
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
        model: str,
        base_url: str,
        api_key: Secret,
        context_window: int,
        max_output: int,
        prices: Prices | None,
        policy: RetryPolicy,
        known_limits: bool = True,
        reasoner_max_output: int | None = None,
        self_hosted: bool = False,
        thinking: bool = False,
    ):
        super().__init__(model, context_window, max_output, prices)
        self.name = name
        self.base_url = base_url
        self.policy = policy
        self._known_limits = known_limits  # False: don't impose our guessed cap on the server
        self._reasoner_max_output = reasoner_max_output or max_output
        self._self_hosted = self_hosted  # vLLM/SGLang/llama.cpp: thinking is a chat-template switch
        self.thinking = thinking  # thinking on for every call (settings.thinking)
        self._api_key = api_key
        self._client = openai.OpenAI(
            api_key=api_key.reveal() or "not-needed",  # local servers take any key; the SDK demands one
            base_url=base_url,
            max_retries=0,  # retries are ours (model/retry.py)
            timeout=httpx.Timeout(policy.timeout_s, connect=min(10.0, policy.timeout_s)),
        )

    # ---- request ------------------------------------------------------------------------

    def model_for(self, options: ChatOptions) -> str:
        if options.thinking:
            return THINKING_TWIN.get(self.model.lower(), self.model)
        return self.model

    def max_output_for(self, options: ChatOptions) -> int:
        return self._reasoner_max_output if is_reasoner(self.model_for(options)) else self.max_output

    def params(self, messages: list[Message], options: ChatOptions) -> dict:
        model = self.model_for(options)
        params: dict[str, Any] = {"model": model, "messages": strip_reasoning(messages)}
        cap = self.max_output_for(options)
        if options.max_tokens is not None:
            params["max_tokens"] = min(options.max_tokens, cap) if self._known_limits else options.max_tokens
        elif self._known_limits:
            params["max_tokens"] = cap  # DeepSeek's default (4K) would cut long answers short
        if options.temperature is not None and not is_reasoner(model):
            params["temperature"] = options.temperature  # the reasoner ignores it; don't send it
        if options.json_mode:
            params["response_format"] = {"type": "json_object"}
        if (options.thinking or self.thinking) and model == self.model and self._self_hosted:
            # vLLM and SGLang switch DeepSeek V3.1/V3.2 (`thinking`) and Qwen3 (`enable_thinking`)
            # into thinking mode through the chat template; templates ignore keys they don't use.
            params["extra_body"] = {"chat_template_kwargs": {"thinking": True, "enable_thinking": True}}
        if options.stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        return params

    # ---- calls --------------------------------------------------------------------------

    def stream(self, messages: list[Message], options: ChatOptions | None = None) -> Iterator[Event]:
        options = options or ChatOptions()
        params = self.params(messages, options)
        started = time.monotonic()
        where = f"{self.name} ({params['model']})"
        if not options.stream:
            resp = with_retries(
                lambda t: self._client.with_options(timeout=t).chat.completions.create(**params),
                self.policy,
                where,
            )
            yield from self._events_from_response(resp, started, params["model"])
            return
        yield from self._events_from_stream(params, started, where)

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
        def open_stream(timeout: float):
            # Retried as a whole until the first chunk arrives: before that, nothing was shown.
            s = self._client.with_options(timeout=timeout).chat.completions.create(**params)
            it = iter(s)
            try:
                first = next(it, None)
            except BaseException:
                s.close()
                raise
            return s, it, first

        stream, it, first = with_retries(open_stream, self.policy, where)
        text: list[str] = []
        reasoning: list[str] = []
        usage: Usage | None = None
        finish: str | None = None
        model = params["model"]
        try:
            chunk = first
            while chunk is not None:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = usage_from(chunk.usage)
                for choice in chunk.choices or []:
                    delta = choice.delta
                    r = _reasoning_of(delta) if delta is not None else None
                    if r:
                        reasoning.append(r)
                        yield ReasoningDelta(r)
                    c = delta.content if delta is not None else None
                    if c:
                        text.append(c)
                        yield ContentDelta(c)
                    if choice.finish_reason:
                        finish = choice.finish_reason
                chunk = next(it, None)
        except GeneratorExit:
            stream.close()
            raise
        except Exception as exc:  # noqa: BLE001 - a break after the first byte is never retried
            stream.close()
            err = classify(exc, where)
            partial = self._done("".join(text), "".join(reasoning), usage, finish, started, model, incomplete=True)
            raise IncompleteError(
                f"{where}: the answer stream broke after {len(''.join(text))} characters ({err.message}); "
                "the partial answer is kept and marked incomplete",
                partial,
                status=err.status,
            ) from None
        if finish is None:
            partial = self._done("".join(text), "".join(reasoning), usage, None, started, model, incomplete=True)
            raise IncompleteError(
                f"{where}: the answer stream ended before the model finished; "
                "the partial answer is kept and marked incomplete",
                partial,
            )
        if usage is not None:
            yield UsageEvent(usage)
        yield Finish(self._done("".join(text), "".join(reasoning), usage, finish, started, model))
