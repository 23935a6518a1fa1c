"""What every area of the UI shares: the session's Settings, cached heavy objects, error guard, drawing helpers.

Only drawing lives in `app/ui_pages/`; every decision (what to retrieve, how to answer, what to
export) is a call into `app/` so the CLI can do the same.
"""

from __future__ import annotations

import functools
import html
import re
import traceback
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from app.config import Settings, load_settings

# settings a user may change in the Settings area; the rest come from the environment
SESSION_KEYS = ("backend", "model", "base_url", "api_key", "budget", "thinking", "effort")


def _base_settings() -> Settings:
    # read on every run (cheap): a changed .env or environment shows without a restart
    return load_settings()


def base_settings() -> Settings:
    """The environment's settings (before the session's matter and choices)."""
    return _base_settings()


def current_settings() -> Settings:
    """Environment settings overlaid with what this session chose in the Settings area (kept in memory only),
    scoped to the matter chosen in the sidebar (only ever a granted one: see ui_pages/signin.py)."""
    over = st.session_state.setdefault("overrides", {})
    base = _base_settings()
    if st.session_state.get("matter"):
        base = base.replace(matter=st.session_state["matter"])
    changes = {k: over[k] for k in SESSION_KEYS if k in over}
    if not changes:
        return base
    import dataclasses

    return dataclasses.replace(base, **changes)


@st.cache_resource(show_spinner="Opening the library…")
def _store(home: str, chroma_url: str | None, collection: str, embedder: str, _settings: Settings):
    from app import library

    return library.get_store(_settings)


@st.cache_resource(show_spinner="Loading the embedder…")
def _embedder(name: str, _settings: Settings):
    from app import library

    return library.get_embedder_for(_settings)


@st.cache_resource(show_spinner="Loading the tokenizer…")
def _tokenizer(family: str = "deepseek-v4"):
    from retrieval.tokens import get_tokenizer

    return get_tokenizer(family)


def store(settings: Settings):
    return _store(str(settings.data_dir), settings.chroma_url, settings.collection, settings.embedder, settings)


def embedder(settings: Settings):
    return _embedder(settings.embedder, settings)


def warm_up(settings: Settings) -> None:
    """Load the store, embedder and tokenizer once per process, so the first question is quick."""
    store(settings)
    embedder(settings)
    _tokenizer()


def backend(settings: Settings):
    """The configured backend, or NoModel. Cheap (no network), so not cached across setting changes."""
    from app.llm import backend_for

    return backend_for(settings)


def is_generative(b) -> bool:
    return bool(getattr(b, "is_configured", True))


# ---- errors -------------------------------------------------------------------------------------

_HINTS = {
    "AuthError": "Check the API key in Settings.",
    "BalanceError": "Top up the account of this API key, or switch to another backend in Settings.",
    "RateLimitError": "The provider is rate-limiting: wait a moment and try again.",
    "ServerError": "The provider is having trouble: try again in a minute.",
    "TimeoutError_": "The model did not answer in time: try again, or raise the timeout (LONGDOC_TIMEOUT_S).",
    "BadRequestError": "The server refused the request as sent; Settings → Check the endpoint shows what it serves.",
    "IncompleteError": "The answer was cut off; what arrived is shown above.",
}


def error_message(exc: BaseException) -> str:
    """One line a person can act on, never a traceback."""
    from model.base import BackendUnavailable, RetiredModelError, UnknownModelError

    if isinstance(exc, (RetiredModelError, UnknownModelError, BackendUnavailable)):
        from app.model_status import explain

        return explain(exc)
    name = type(exc).__name__
    msg = getattr(exc, "message", None) or str(exc) or name
    if name == "BadRequestError" and any(w in msg.lower() for w in ("context", "too long", "too many tokens", "max_model_len")):
        return f"{msg} — Try a smaller context budget in Settings."
    if isinstance(exc, LookupError) and msg.startswith("'") and msg.endswith("'"):
        msg = msg[1:-1]
    hint = _HINTS.get(name)
    return f"{msg} — {hint}" if hint else msg


@contextmanager
def guard(area: str) -> Iterator[None]:
    """Show any failure in an area as an error message in the page; the traceback goes to the server log."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the user must see a message, not a traceback
        # (st.rerun / st.stop raise BaseException subclasses, so they pass through untouched)
        traceback.print_exc()
        st.error(f"{area}: {md(error_message(exc))}")


def safe_callback(area: str):
    """Widget callbacks run before the script, outside any guard: keep their failures as messages too."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown by show_callback_errors()
                traceback.print_exc()
                st.session_state.setdefault("callback_errors", []).append(f"{area}: {md(error_message(exc))}")

        return wrapper

    return deco


def show_callback_errors() -> None:
    for msg in st.session_state.pop("callback_errors", []):
        st.error(msg)


# ---- text from documents and users: app/verbatim.py (shared with the exports) ------------------------------------
from app.verbatim import answer_md, html_text, md  # noqa: E402,F401 - the faces draw document text through these


# ---- drawing helpers ----------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]{1,}")
_STOP = frozenset(
    "a an and are as at be by for from has have how in is it its of on or that the this to was were what "
    "when where which who why will with does do did can about into than then there these those they their "
    "any all not no".split()
)


def query_terms(query: str) -> list[str]:
    terms = {w.lower().strip("'-") for w in _WORD.findall(query or "")}
    return sorted((t for t in terms if len(t) > 2 and t not in _STOP), key=len, reverse=True)


def highlight_html(text: str, terms: list[str], focus: tuple[int, int] | None = None) -> str:
    """Escape `text` and wrap query terms in <mark>; optionally shade the [a, b) span (the passage)."""

    def marks(s: str) -> str:
        s = html_text(s)
        if terms:
            # a crude stem, so "termination" also marks "terminated" and "governing" marks "governed"
            stems = [re.escape(html.escape(t if len(t) <= 5 else t[: max(5, len(t) - 3)])) + r"\w*" for t in terms]
            pat = re.compile(r"\b(" + "|".join(stems) + r")", re.IGNORECASE)
            s = pat.sub(r"<mark>\1</mark>", s)
        return s.replace("\n", "<br>")

    if focus is None:
        body = marks(text)
    else:
        a, b = focus
        body = (
            marks(text[:a])
            + '<span style="background:#e8f0fe;border-left:3px solid #1a73e8;padding-left:4px">'
            + marks(text[a:b])
            + "</span>"
            + marks(text[b:])
        )
    return f'<div class="ld-passage" style="font-size:0.92rem;line-height:1.5">{body}</div>'


def pages_label(a: int, b: int) -> str:
    return f"p.{a}" if a == b else f"p.{a}–{b}"


def selected_doc_ids() -> list[str] | None:
    """The documents chosen in the sidebar; None means all."""
    ids = st.session_state.get("selected_docs") or []
    return list(ids) or None


def pick_documents(container, docs, key: str) -> list[str]:
    """A per-area document picker defaulting to the sidebar selection; returns the chosen ids
    (nothing picked = the sidebar selection, or every document)."""
    by_id = {d.doc_id: d for d in docs}
    default = [i for i in (selected_doc_ids() or []) if i in by_id]
    chosen = container.multiselect("Documents (none = the sidebar selection, or all)", list(by_id), default=default,
                                   format_func=lambda i: by_id[i].file, key=key)
    return list(chosen) or selected_doc_ids() or list(by_id)


def can_edit() -> bool:
    """Whether the signed-in role on this matter may add or delete documents (editor or admin)."""
    from app.access import has_role

    return has_role(st.session_state.get("role") or "admin", "editor")


def money(usd: float | None) -> str:
    if usd is None:
        return "price unknown"
    if usd == 0:
        return "$0"
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"
