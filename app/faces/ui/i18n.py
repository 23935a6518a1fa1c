"""The UI's words in English (the default) and Simplified Chinese (`LONGDOC_LANG=zh`, or the Settings area).

Why a catalog keyed by the English words: a label reads as itself in the code, an English session needs
no lookup, and a missing translation shows English rather than a key. `t("Deleted {file}", file=name)`
translates first and fills the placeholders after, so text from documents and users (file names, titles,
quotes) is never translated, only the fixed words around it. The catalog itself is data:
`app/faces/ui/i18n_zh.py`. tests/ui/test_i18n.py checks that every `t(...)` key of the UI modules has a
Chinese entry and that the UI modules pass their labels through `t`.
"""

from __future__ import annotations

import streamlit as st

from app.config import UI_LANGS, check_lang
from app.faces.ui.i18n_zh import ZH

STATE = "ui_lang"  # the session's language (st.session_state); the default comes from LONGDOC_LANG
LANG_NAMES = {"en": "English", "zh": "简体中文"}
CATALOGS: dict[str, dict[str, str]] = {"zh": ZH}

_default = "en"


def set_default(lang: str | None) -> None:
    """The language of sessions that chose none (main sets it from the settings on every run)."""
    global _default
    _default = check_lang(lang)


def current() -> str:
    """This session's language: its choice in Settings, else LONGDOC_LANG."""
    try:
        lang = st.session_state.get(STATE)
    except Exception:  # noqa: BLE001 - no script run (bare import, tests): the default
        lang = None
    return lang if lang in UI_LANGS else _default


def t(text: str, /, lang: str | None = None, **values: object) -> str:
    """`text` in the session's language, with `{name}` placeholders filled from `values` after translating."""
    words = CATALOGS.get(lang or current(), {}).get(text, text)
    return words.format(**values) if values else words
