"""The streaming skeleton both SDK backends share (openai_compat, anthropic_compat): open the stream with retries
until its first chunk (before that nothing was shown, so a retry is safe), forward the deltas while keeping the
text, and end with Finish — or, when the stream breaks or stops before the model finished, with an
IncompleteError that carries the partial answer. Only reading one chunk differs by protocol: `read`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from model.base import Completion, ContentDelta, Event, Finish, IncompleteError, ReasoningDelta, Usage, UsageEvent
from model.retry import RetryPolicy, classify, with_retries


@dataclass
class StreamState:
    """What a stream has said so far; `read` updates usage, finish, model and `finished` as chunks arrive."""

    model: str
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    usage: Usage | None = None
    finish: str | None = None  # the protocol's finish/stop reason
    finished: bool = True  # a protocol with an explicit end event (Anthropic's message_stop) sets False first


Done = Callable[..., Completion]  # (text, reasoning, usage, finish, started, model, incomplete=None) -> Completion


def stream_events(create: Callable[[float], Any], policy: RetryPolicy, where: str, state: StreamState, started: float,
                  read: Callable[[Any, StreamState], Iterator[Event]], done: Done) -> Iterator[Event]:
    """Run one streamed call: `create(timeout)` opens the SDK stream, `read(chunk, state)` yields a chunk's deltas
    (and updates `state`), `done(...)` makes the Completion."""

    def open_stream(timeout: float):
        s = create(timeout)
        it = iter(s)
        try:
            first = next(it, None)
        except BaseException:
            s.close()
            raise
        return s, it, first

    stream, it, first = with_retries(open_stream, policy, where)

    def partial() -> Completion:
        return done("".join(state.text), "".join(state.reasoning), state.usage, state.finish, started, state.model,
                    incomplete=True)

    try:
        chunk = first
        while chunk is not None:
            for ev in read(chunk, state):
                if isinstance(ev, ContentDelta):
                    state.text.append(ev.text)
                elif isinstance(ev, ReasoningDelta):
                    state.reasoning.append(ev.text)
                yield ev
            chunk = next(it, None)
    except GeneratorExit:
        stream.close()
        raise
    except Exception as exc:  # noqa: BLE001 - a break after the first byte is never retried
        stream.close()
        err = classify(exc, where)
        raise IncompleteError(
            f"{where}: the answer stream broke after {len(''.join(state.text))} characters ({err.message}); "
            "the partial answer is kept and marked incomplete",
            partial(),
            status=err.status,
        ) from None
    if not state.finished or state.finish is None:
        raise IncompleteError(
            f"{where}: the answer stream ended before the model finished; "
            "the partial answer is kept and marked incomplete",
            partial(),
        )
    if state.usage is not None:
        yield UsageEvent(state.usage)
    yield Finish(done("".join(state.text), "".join(state.reasoning), state.usage, state.finish, started, state.model))
