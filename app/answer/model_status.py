"""What the active model is, what it costs now and at the other rate, and whether the endpoint serves it.

One use case behind `longdoc doctor` and the UI's Settings area, so both say the same thing. The
model errors users cause (a retired name, a name the endpoint does not serve) become one line that
says what to set, via `explain`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from app.answer.llm import backend_for
from app.config import Settings
from model.base import BackendUnavailable, ChatOptions, ModelError, RetiredModelError, UnknownModelError

# what to do when the backend's client cannot be built (nothing was sent)
UNAVAILABLE_HINT = ("reinstall the tested versions (`make install` installs requirements.lock), "
                    "or choose another backend (LONGDOC_BACKEND=none answers extractively)")

STYLE_WORDS = {
    "switch": "a request switch (thinking.type enabled/disabled)",
    "twin": "a separate model name",
    "template": "the server's chat template (chat_template_kwargs)",
    "none": "none",
}


@dataclass
class RateLine:
    window: str  # "peak" | "off-peak" | "flat"
    input_cache_hit: float
    input_cache_miss: float
    output: float


@dataclass
class ModelStatus:
    backend: str
    configured: bool
    reason: str = ""  # why there is no model (configured=False)
    model: str | None = None
    endpoint: str = ""
    served_by: str = ""
    context_window: int = 0
    max_output: int = 0
    max_output_thinking: int = 0
    thinking_style: str = "none"
    thinking_on: bool = False
    thinking_model: str | None = None  # twin style: the name that thinks
    effort: str | None = None
    efforts: tuple[str, ...] = ()
    tokenizer: str = ""
    inputs: tuple[str, ...] = ("text",)  # what a request may carry (the catalog's "inputs": text, image)
    now: RateLine | None = None
    other: RateLine | None = None
    peak_label: str = ""
    next_change: str = ""  # ISO UTC time the rate next switches
    notes: list[str] = field(default_factory=list)  # alias / deprecation / catalog source lines
    source: str = ""
    read: str = ""
    served: list[str] | None = None  # GET /models; None = not asked or failed
    served_error: str = ""
    is_served: bool | None = None
    served_window: int | None = None  # what the server reports (vLLM's max_model_len)

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(window: str, p) -> RateLine:
    return RateLine(window, p.input_cache_hit, p.input_cache_miss, p.output)


def explain(exc: ModelError, settings: Settings | None = None) -> str:
    """One actionable line for the model errors a user's settings cause; other errors keep their message."""
    if isinstance(exc, RetiredModelError):
        return exc.message
    if isinstance(exc, BackendUnavailable):
        return f"{exc.message} — {UNAVAILABLE_HINT}"
    if isinstance(exc, UnknownModelError):
        if exc.served:
            return f"{exc.message} — set LONGDOC_MODEL (or --model) to one of them"
        return f"{exc.message} — check LONGDOC_MODEL and LONGDOC_BASE_URL (`longdoc doctor` lists what is served)"
    return exc.message


def status(settings: Settings, list_models: bool = True, when: datetime | None = None) -> ModelStatus:
    """The active model's facts from the catalog and, with `list_models`, the endpoint's GET /models.

    Raises RetiredModelError (and other configuration ModelErrors) like building the backend does."""
    b = backend_for(settings)
    name = (settings.backend or "none").lower()
    if not b.is_configured:
        return ModelStatus(backend=name, configured=False, reason=getattr(b, "reason", ""), context_window=b.context_window,
                           tokenizer=getattr(b, "tokenizer", ""))
    info = getattr(b, "info", None)
    st = ModelStatus(
        backend=b.name, configured=True, model=b.model,
        endpoint=str(getattr(b, "base_url", None) or getattr(b, "device", "")),
        context_window=b.context_window, max_output=b.max_output,
        thinking_style=getattr(b, "thinking_style", "none"), thinking_on=bool(getattr(b, "thinking", False)),
        effort=getattr(b, "effort", None), tokenizer=getattr(b, "tokenizer", ""),
    )
    if hasattr(b, "max_output_for"):
        st.max_output_thinking = b.max_output_for(ChatOptions(thinking=True))
        twin = b.model_for(ChatOptions(thinking=True))
        st.thinking_model = twin if twin != b.model else None
    if info is not None:
        st.served_by, st.source, st.read = info.served_by, info.source, info.read
        st.inputs = info.inputs
        st.efforts = info.thinking.efforts
        if st.effort is None and info.thinking.default_effort and st.thinking_style == "switch":
            st.effort = info.thinking.default_effort
        if info.alias_of:
            st.notes.append(f"'{b.model}' is a legacy name: {info.note}")
        if info.deprecated:
            st.notes.append(f"deprecated since {info.deprecated}: {info.note}")
        if not info.known:
            st.notes.append("this model is not in the catalog: window and output cap are guesses, the price is unknown "
                            "(add an entry with LONGDOC_CATALOG_FILE)")
    sched = getattr(b, "schedule", None)
    when = when or datetime.now(UTC)
    if sched is not None:
        st.now = _rate(sched.window(when), sched.at(when))
        other = sched.other(when)
        if other is not None:
            st.other = _rate(*other)
            st.peak_label = sched.hours.label
            st.next_change = sched.hours.next_change(when).strftime("%Y-%m-%d %H:%M UTC")
    if list_models and hasattr(b, "list_models"):
        try:
            rows = b.list_models()
            st.served = [r["id"] for r in rows]
            st.is_served = b.model in st.served
            mine = next((r for r in rows if r["id"] == b.model), None)
            if mine and mine.get("max_model_len"):
                st.served_window = int(mine["max_model_len"])
        except ModelError as e:
            st.served_error = e.message
    return st


__all__ = ["ModelStatus", "RateLine", "status", "explain", "STYLE_WORDS"]
