"""What every area of the UI shares: the session's Settings, cached heavy objects, error guard, drawing helpers.

Only drawing lives in `app/faces/ui/`; every decision (what to retrieve, how to answer, what to
export) is a call into `app/` so the CLI can do the same.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from app.answer.context_view import passage_in_context
from app.answer.verbatim import html_text, md  # the faces draw text from documents through these
from app.config import Settings, load_settings
from app.faces import present
from app.faces.ui import i18n
from app.faces.ui.i18n import t
from app.library import documents as library
from app.library.access import has_role
from retrieval.tokens import get_tokenizer

# settings a user may change in the Settings area; the rest come from the environment
SESSION_KEYS = ("backend", "model", "base_url", "api_key", "budget", "thinking", "effort")


def _base_settings() -> Settings:
    # read on every run (cheap): a changed .env or environment shows without a restart
    return load_settings()


def base_settings() -> Settings:
    """The environment's settings (before the session's matter and choices); LONGDOC_LANG is the language of
    sessions that chose none."""
    base = _base_settings()
    i18n.set_default(base.lang)
    return base


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

    return dataclasses.replace(base, **changes)


@st.cache_resource(show_spinner=False)
def _store(home: str, chroma_url: str | None, collection: str, embedder: str, _settings: Settings):
    return library.get_store(_settings)


@st.cache_resource(show_spinner=False)
def _embedder(name: str, _settings: Settings):
    return library.get_embedder_for(_settings)


@st.cache_resource(show_spinner=False)
def _tokenizer(family: str = "deepseek-v4"):
    return get_tokenizer(family)


def store(settings: Settings):
    with st.spinner(t("Opening the library…")):
        return _store(str(settings.data_dir), settings.chroma_url, settings.collection, settings.embedder, settings)


def embedder(settings: Settings):
    with st.spinner(t("Loading the embedder…")):
        return _embedder(settings.embedder, settings)


def warm_up(settings: Settings) -> None:
    """Load the store, embedder and tokenizer once per process, so the first question is quick."""
    store(settings)
    embedder(settings)
    with st.spinner(t("Loading the tokenizer…")):
        _tokenizer()


# ---- errors -------------------------------------------------------------------------------------

def error_message(exc: BaseException) -> str:
    """One line a person can act on, never a traceback (present's words, as every face; its fixed words in the
    session's language)."""
    return present.shown(exc, words=t)


@contextmanager
def guard(area: str) -> Iterator[None]:
    """Show any failure in an area as an error message in the page; the traceback goes to the server log."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the user must see a message, not a traceback
        # (st.rerun / st.stop raise BaseException subclasses, so they pass through untouched)
        traceback.print_exc()
        st.error(f"{t(area)}: {md(error_message(exc))}")


def area_box(area: str):
    """The main part of the page for `area`: a container that moves to the other of two places when the area changes.

    Streamlit keeps the previous run's elements on the page, faded, until the new run ends, and a container drawn
    where one stood keeps its children too. When the new area failed, hung on a store that does not answer or was
    followed by a slow step, the previous area's widgets stayed greyed below it (issue 26). An invisible
    placeholder takes the place of the previous area's container, which removes it and all its widgets at once; the
    new area is drawn in the other place. Within one area the places stay, so its reruns do not flicker."""
    ss = st.session_state
    if ss.get("_drawn_area") != area:
        ss["_drawn_area"] = area
        ss["_area_place"] = 1 - ss.get("_area_place", 1)
    if ss["_area_place"] == 0:
        box = st.container()
        st.empty()
    else:
        st.empty()
        box = st.container()
    return box


def safe_callback(area: str):
    """Widget callbacks run before the script, outside any guard: keep their failures as messages too."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown by show_callback_errors()
                traceback.print_exc()
                st.session_state.setdefault("callback_errors", []).append(f"{t(area)}: {md(error_message(exc))}")

        return wrapper

    return deco


def show_callback_errors() -> None:
    for msg in st.session_state.pop("callback_errors", []):
        st.error(msg)


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
    chosen = container.multiselect(t("Documents (none = the sidebar selection, or all)"), list(by_id), default=default,
                                   format_func=lambda i: by_id[i].file, key=key)
    return list(chosen) or selected_doc_ids() or list(by_id)


@st.cache_data(ttl=10, show_spinner=False, max_entries=32)
def _short_names(home: str, collection: str, _settings) -> dict[str, str]:
    return {d.doc_id: present.short_name(d.title or d.profile.title, d.file) for d in library.list_documents(_settings)}


def short_name(settings, doc_id: str, file: str = "") -> str:
    """A cited document's short name (its title, shortened), per matter; its file name when it is not listed."""
    names = _short_names(str(settings.data_dir), settings.collection, settings)
    return names.get(doc_id) or present.short_name("", file)


def can_edit() -> bool:
    """Whether the signed-in role on this matter may add or delete documents (editor or admin)."""
    return has_role(st.session_state.get("role") or "admin", "editor")


@st.cache_data(show_spinner=False, max_entries=64)
def _document_text(home: str, doc_id: str, _store) -> str:
    return _store.document_text(doc_id)


def show_in_context(settings, doc_id: str, char_start: int, char_end: int, *, page_start: int, page_end: int,
                    section: str, terms: list[str], passage_text: str | None = None) -> None:
    """Draw a passage inside its surrounding page text (used by Search and by citations in Ask)."""
    text = _document_text(str(settings.data_dir), doc_id, store(settings))  # per matter: ids repeat across matters
    view = passage_in_context(
        text, char_start, char_end, doc_id=doc_id, page_start=page_start, page_end=page_end,
        section=section, passage_text=passage_text,
    )
    st.caption(f"{pages_label(page_start, page_end)}" + (f" · {md(section)}" if section else ""))
    st.markdown(highlight_html(view.text, terms, (view.focus_start, view.focus_end)), unsafe_allow_html=True)
