"""The one interface every LLM backend speaks, so the app never knows which one answers.

A call yields events (reasoning delta, content delta, usage, finish) and always ends in a
`Completion`; failures are typed `ModelError`s whose message a person can act on. "No model
configured" is the value `NoModel`, not an exception, because the app then answers extractively.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Union

from model.pricing import FREE, Prices, PriceSchedule, as_schedule

Message = dict  # OpenAI-style {"role": "system"|"user"|"assistant", "content": str, ...}


@dataclass(frozen=True)
class ChatOptions:
    stream: bool = True
    max_tokens: int | None = None  # None = the backend's own output cap
    temperature: float | None = None  # None = the server's default (never sent while thinking: it is ignored then)
    json_mode: bool = False
    thinking: bool = False  # ask for thinking where the model has it (a switch, a twin name or a template flag)
    effort: str | None = None  # thinking effort ("low" | "high" | "max") where the model takes one


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens served from the provider's prefix cache (cheaper)
    uncached_tokens: int = 0
    output_tokens: int = 0  # includes reasoning tokens, as providers bill them
    reasoning_tokens: int = 0
    reported: bool = True  # False: the server sent no usage (e.g. a stream without include_usage)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


@dataclass(frozen=True)
class Completion:
    text: str = ""
    reasoning: str = ""
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None  # None = price unknown (never pretend it was free)
    finish_reason: str | None = None  # "stop", "length", "insufficient_system_resource", ...
    latency_s: float = 0.0
    model: str = ""
    incomplete: bool = False  # True when the text is not a whole answer (cut, length, overload)


# ---- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class ContentDelta:
    text: str


@dataclass(frozen=True)
class UsageEvent:
    usage: Usage


@dataclass(frozen=True)
class Finish:
    completion: Completion


Event = Union[ReasoningDelta, ContentDelta, UsageEvent, Finish]

# finish reasons that mean "the text is not the whole answer"
INCOMPLETE_REASONS = frozenset({"length", "insufficient_system_resource", "max_tokens", "content_filter"})


# ---- errors -------------------------------------------------------------------------------


class ModelError(Exception):
    """A failure talking to a model; `message` is fit to show a user (never contains the key)."""

    def __init__(self, message: str, retryable: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status

    def __str__(self) -> str:
        return self.message


class AuthError(ModelError):
    pass


class BalanceError(ModelError):
    pass


class BadRequestError(ModelError):
    pass


class UnknownModelError(BadRequestError):
    """The endpoint does not serve this model name (DeepSeek: HTTP 400 "Model Not Exist").

    `served` lists the names the endpoint says it serves (its GET /models), when it said."""

    def __init__(self, message: str, model: str = "", served: tuple[str, ...] = (), endpoint: str = "",
                 status: int | None = 400):
        super().__init__(message, retryable=False, status=status)
        self.model = model
        self.served = tuple(served)
        self.endpoint = endpoint


class RetiredModelError(ModelError):
    """A model name the catalog knows was retired: refused before any call, with its replacement."""

    def __init__(self, message: str, model: str, replacement: str | None, replacement_thinking: bool = False,
                 retired: str = ""):
        super().__init__(message, retryable=False)
        self.model = model
        self.replacement = replacement
        self.replacement_thinking = replacement_thinking
        self.retired = retired


class RateLimitError(ModelError):
    def __init__(self, message: str, retryable: bool = True, status: int | None = 429, retry_after: float | None = None):
        super().__init__(message, retryable, status)
        self.retry_after = retry_after


class ServerError(ModelError):
    def __init__(self, message: str, retryable: bool = True, status: int | None = None, retry_after: float | None = None):
        super().__init__(message, retryable, status)
        self.retry_after = retry_after


class ConnectError(ModelError):
    pass


class TimeoutError_(ModelError):
    pass


class BackendUnavailable(ModelError):
    """The backend's client could not be built (an SDK and its HTTP library disagree, a broken install):
    nothing was sent. `status` 503 — the service is there, this process cannot reach it as installed."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False, status=503)


def unavailable(kind: str, sdk: str, exc: BaseException) -> BackendUnavailable:
    """BackendUnavailable naming the SDK release and the cause, in one line, key-free."""
    from importlib import metadata

    from model.redact import scrub

    try:
        version = f"{sdk} {metadata.version(sdk)}"
    except metadata.PackageNotFoundError:
        version = f"{sdk} (not installed)"
    cause = " ".join(scrub(f"{type(exc).__name__}: {exc}").split())[:300]
    return BackendUnavailable(f"the {kind} backend could not be started with {version}: {cause}")


class IncompleteError(ModelError):
    """The stream broke after text had arrived: `partial` keeps what came, marked incomplete."""

    def __init__(self, message: str, partial: Completion, status: int | None = None):
        super().__init__(message, retryable=False, status=status)
        self.partial = partial


# ---- backends -----------------------------------------------------------------------------


def strip_reasoning(messages: list[Message]) -> list[Message]:
    """History must never carry reasoning back: DeepSeek rejects it with a 400, and it wastes tokens."""
    out = []
    for m in messages:
        m = {k: v for k, v in m.items() if k not in ("reasoning_content", "reasoning", "thinking")}
        out.append(m)
    return out


class Backend(abc.ABC):
    """A configured generative model. Subclasses implement `_events`; the rest is shared."""

    name: str = "backend"
    is_configured: bool = True

    tokenizer: str = "deepseek-v4"  # the tokenizer family that counts this model's budgets
    thinking_style: str = "none"  # switch | twin | template | none (see model/catalog.json)

    def __init__(self, model: str, context_window: int, max_output: int, prices: Prices | PriceSchedule | None):
        self.model = model
        self.context_window = context_window
        self.max_output = max_output
        self.schedule = as_schedule(prices)

    @property
    def prices(self) -> Prices | None:
        """The prices that apply now (peak or off-peak where the provider has both); None = unknown."""
        return None if self.schedule is None else self.schedule.at()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, model={self.model!r})"

    @abc.abstractmethod
    def stream(self, messages: list[Message], options: ChatOptions | None = None) -> Iterator[Event]:
        """Yield deltas, then usage, then exactly one `Finish` (the last event)."""

    def complete(self, messages: list[Message], options: ChatOptions | None = None) -> Completion:
        completion = None
        for event in self.stream(messages, options or ChatOptions()):
            if isinstance(event, Finish):
                completion = event.completion
        if completion is None:  # a backend bug, not a user error
            raise ModelError(f"{self.name}: the call ended without a result")
        return completion

    def cost(self, usage: Usage, when: datetime | None = None) -> float | None:
        """At the rate in force at `when` (default now): DeepSeek bills by when a request is processed."""
        return None if self.schedule is None else self.schedule.cost(usage, when)

    def estimate_cost(
        self, prompt_tokens: int, max_output: int | None = None, cached_tokens: int = 0, when: datetime | None = None,
        prices: Prices | None = None,
    ) -> float | None:
        """Before sending: `max_output` output tokens assumed used (default the cap). None = price unknown."""
        p = prices or (None if self.schedule is None else self.schedule.at(when))
        if p is None:
            return None
        out = self.max_output if max_output is None else max_output
        cached = min(cached_tokens, prompt_tokens)
        return p.cost(Usage(prompt_tokens, cached, prompt_tokens - cached, out, 0))

    def ping(self) -> Completion:
        """A 1-token call: does the endpoint answer with this key and model?"""
        return self.complete([{"role": "user", "content": "Say OK."}], ChatOptions(stream=False, max_tokens=1))


@dataclass(frozen=True)
class NoModel:
    """The explicit "no generative model configured" state; the app then answers extractively."""

    reason: str = "no model configured — answers are extractive"
    name: str = "none"
    model: str | None = None
    context_window: int = 1_048_576  # the registry passes the default model's window from the catalog
    max_output: int = 0
    prices: Prices | None = None
    schedule: PriceSchedule | None = None
    tokenizer: str = "deepseek-v4"
    thinking_style: str = "none"
    is_configured: bool = False

    def estimate_cost(self, prompt_tokens: int, max_output: int | None = None, cached_tokens: int = 0, **_) -> float:
        return 0.0

    def __bool__(self) -> bool:
        return False


def finish_completion(
    *,
    text: str,
    reasoning: str,
    usage: Usage,
    backend: Backend,
    finish_reason: str | None,
    started: float,
    model: str | None = None,
    incomplete: bool | None = None,
) -> Completion:
    """Build the final Completion; a finish reason like "length" marks it incomplete."""
    if incomplete is None:
        incomplete = finish_reason in INCOMPLETE_REASONS
    return Completion(
        text=text,
        reasoning=reasoning,
        usage=usage,
        cost_usd=backend.cost(usage),
        finish_reason=finish_reason,
        latency_s=time.monotonic() - started,
        model=model or backend.model,
        incomplete=bool(incomplete),
    )


__all__ = [
    "Message", "ChatOptions", "Usage", "Prices", "PriceSchedule", "FREE", "Completion", "ReasoningDelta", "ContentDelta",
    "UsageEvent", "Finish", "Event", "INCOMPLETE_REASONS", "ModelError", "AuthError", "BalanceError",
    "BadRequestError", "UnknownModelError", "RetiredModelError", "BackendUnavailable", "unavailable", "RateLimitError", "ServerError", "ConnectError", "TimeoutError_", "IncompleteError",
    "Backend", "NoModel", "strip_reasoning", "finish_completion",
]
