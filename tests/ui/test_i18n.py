"""Issue 25 item 5: the UI in Simplified Chinese (LONGDOC_LANG=zh or the Settings area), English by default.

The catalog is checked against the code: every key the UI modules pass to `t` has a Chinese entry with the same
placeholders, the words chosen from tables (statuses, heads, hints) too, and no UI module hands Streamlit an
English label without `t`. Then the app itself, with AppTest, in both languages.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.faces.ui.i18n import t
from app.faces.ui.i18n_zh import ZH

ROOT = Path(__file__).resolve().parents[2]
UI_DIR = ROOT / "app" / "faces" / "ui"
UI = str(UI_DIR / "main.py")
SKIP = {"i18n.py", "i18n_zh.py", "__init__.py"}
MODULES = sorted(p for p in UI_DIR.glob("*.py") if p.name not in SKIP)
# Streamlit calls whose text people read: their first argument and these keywords
DRAWS = {"header", "subheader", "title", "markdown", "write", "caption", "info", "success", "warning", "error",
         "button", "download_button", "form_submit_button", "text_input", "text_area", "number_input", "selectbox",
         "multiselect", "radio", "checkbox", "toggle", "slider", "file_uploader", "chat_input", "expander", "spinner",
         "progress", "popover", "dialog"}
KEYWORDS = {"label", "placeholder", "help", "text"}
# words that are the same in both languages: names of formats and of the product, Markdown icon names
SAME = {"PDF", "DOCX", "No", "longdoc"}


def _keys(tree: ast.AST) -> list[str]:
    return [n.args[0].value for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "t" and n.args
            and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_of_the_ui_has_chinese_with_the_same_placeholders():
    keys = {k for p in MODULES for k in _keys(ast.parse(p.read_text()))}
    assert len(keys) > 150
    missing = sorted(k for k in keys if k not in ZH)
    assert not missing, missing
    for k, zh in ZH.items():
        assert zh.strip() and zh != k or k in ("PDF",), k
        assert _fields(k) == _fields(zh), (k, zh)


def test_the_words_chosen_from_tables_are_in_the_catalog_too():
    from app.faces import present
    from app.faces.ui import ask, library, main, page_view, settings_page, summaries

    words = [*library._WORDS.values(), *library._HEADS, *main.AREAS, *settings_page.HELP.values(),
             ask.EXTRACTIVE_BANNER, *summaries.STYLES, *page_view.ZOOMS.keys() - {"150%", "200%"},
             *present.MODEL_HINTS.values(), "reader", "editor", "admin", "peak", "off-peak", "Documents", "Loading"]
    assert [w for w in words if w not in ZH] == []


def _english(value: ast.AST) -> list[str]:
    """English words in a literal (or an f-string's literal parts) handed to Streamlit."""
    parts = []
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        parts = [value.value]
    elif isinstance(value, ast.JoinedStr):
        parts = [v.value for v in value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    elif isinstance(value, ast.BinOp):
        return _english(value.left) + _english(value.right)
    text = re.sub(r":material/[a-z_]+:|<[^>]+>|&[a-z]+;|https?://\S+", " ", " ".join(parts))
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in SAME]


def test_no_ui_module_draws_an_english_label_without_t():
    found = []
    for p in MODULES:
        for n in ast.walk(ast.parse(p.read_text())):
            if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in DRAWS):
                continue
            args = n.args[:1] + [k.value for k in n.keywords if k.arg in KEYWORDS]
            for a in args:
                if _english(a):
                    found.append(f"{p.name}:{n.lineno}: {_english(a)}")
    assert not found, "\n".join(found)


def test_the_check_sees_an_untranslated_label():
    tree = ast.parse('st.button("Delete everything", help=f"for {x} only")\nst.caption(t("Fine"))')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert _english(calls[0].args[0]) == ["Delete", "everything"]
    assert _english(calls[0].keywords[0].value) == ["for", "only"]


def test_placeholders_are_filled_after_translating_and_text_from_documents_is_kept():
    assert t("Deleted {file}", lang="zh", file="Outsourcing {Agreement}.pdf") == "已删除 Outsourcing {Agreement}.pdf"
    assert t("Deleted {file}", lang="en", file="x.pdf") == "Deleted x.pdf"
    assert t("a sentence nobody wrote down", lang="zh") == "a sentence nobody wrote down"  # English, never a key


def test_the_presenters_fixed_words_are_translated_not_what_they_quote():
    from app.faces import present
    from model.base import AuthError

    err = AuthError("401 Unauthorized: invalid key sk-…")
    zh = present.shown(err, words=lambda s: t(s, lang="zh"))
    assert zh.startswith("模型调用失败：401 Unauthorized: invalid key"), zh
    assert "请检查 LONGDOC_API_KEY" in zh
    assert present.shown(err).startswith("model call failed: 401")


# ---- the app, with AppTest ------------------------------------------------------------------------------


def _app(monkeypatch, tmp_path, home, **env) -> AppTest:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LONGDOC_HOME", str(home))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(UI, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _all_text(at: AppTest) -> str:
    return "\n".join(str(x.value) for kind in (at.markdown, at.caption, at.info, at.success, at.warning, at.error,
                                               at.header, at.subheader) for x in kind)


def test_longdoc_lang_zh_draws_every_area_in_chinese(monkeypatch, tmp_path, samples_home):
    at = _app(monkeypatch, tmp_path, samples_home.home, LONGDOC_LANG="zh")
    assert at.header[0].value == "文档库" and at.subheader[0].value == "文档（4）"
    assert "导入任务" in _all_text(at) or "Ingest jobs" not in _all_text(at)
    for area, head in (("Search", "搜索"), ("Ask", "问答"), ("Summaries", "摘要"), ("Compare", "对比"), ("Settings", "设置")):
        at.sidebar.radio(key="area").set_value(t(area, lang="zh")).run()  # AppTest picks options by their labels
        assert not at.exception and not at.error, ([e.value for e in at.exception], [e.value for e in at.error])
        assert at.header[0].value == head
    assert "摘录式回答不产生费用" in _all_text(at)
    # document text stays as written: the picker offers the files by their own names
    assert any(o.endswith(".PDF") or o.endswith(".pdf") for o in at.sidebar.multiselect(key="selected_docs").options)


def test_english_is_the_default_and_settings_switch_the_session(monkeypatch, tmp_path, samples_home):
    at = _app(monkeypatch, tmp_path, samples_home.home)
    assert at.header[0].value == "Library"
    at.sidebar.radio(key="area").set_value("Settings").run()
    assert at.selectbox(key="set_lang").value == "en"
    at.selectbox(key="set_lang").set_value("zh").run()
    assert at.header[0].value == "设置" and at.session_state["ui_lang"] == "zh"
    assert at.sidebar.radio(key="area").options[0] == "文档库"
    # (AppTest keeps a radio's or select box's shown label across runs, so it cannot go on to another area in the
    # other language; a browser sends indexes and does: tests/ui/test_browser_library.py)


def test_an_unknown_language_is_refused_by_name():
    from app.config import load_settings

    assert load_settings(env={"LONGDOC_LANG": "zh-CN"}).lang == "zh"
    with pytest.raises(ValueError, match="LONGDOC_LANG must be one of en, zh"):
        load_settings(env={"LONGDOC_LANG": "klingon"})
