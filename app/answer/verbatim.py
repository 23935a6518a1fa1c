"""Text from documents and users shown as it is written, wherever Markdown or HTML is built (UI, exports).

Titles, parties, file names, passages, questions and answers come from documents or users. Everything that puts
them into Markdown or HTML goes through one of these, so nothing in a document ever becomes markup: an <img> in a
heading, a Markdown link in a party's name, `$…$` read as LaTeX, `:red[…]` read as a Streamlit directive, CUAD's
`[* ****]` redaction read as emphasis. Hand-written: Markdown renderers escape nothing for you, and the one rule
(backslash before ASCII punctuation, CommonMark's own escape) fits in a line.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'])")


def md(text: object) -> str:
    """`text` for anything that renders Markdown (st.markdown, captions, messages, button and expander labels):
    every character shown as it is, line breaks kept. Also safe inside markup built with unsafe_allow_html,
    since an escaped `<` cannot open a tag."""
    return _MD_SPECIAL.sub(r"\\\1", str(text if text is not None else "")).replace("\n", "  \n")


_ANSWER_SPECIAL = re.compile(r"([\\`<>&$\[\]()!:~{}|])")
_BRACKETED = re.compile(r"\\\[[^\n]*?\\\]")  # a bracketed span, once its brackets are escaped
_WWW = re.compile(r"(?i)\bwww\.")
_LABEL = re.compile(r"\\\[(D\d+ p\.[^\n]*?)\\\]")


def answer_md(text: object) -> str:
    """An answer or summary for st.markdown: a model's emphasis, lists and headings still render, but nothing in it
    becomes HTML, a link, an image, LaTeX or a Streamlit directive, and bracketed text — CUAD's `[* ****]`
    redactions, citation labels — shows as written. Citation labels are set in bold."""
    s = _ANSWER_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))
    s = _BRACKETED.sub(lambda m: m.group(0).replace("*", "\\*").replace("_", "\\_"), s)
    s = _WWW.sub(lambda m: m.group(0)[:-1] + "\\.", s)
    return _LABEL.sub(lambda m: f"**\\[{m.group(1)}\\]**", s)


_EXPORT_SPECIAL = re.compile(r"([\\`*_\[\]<>|!$&~])")
_LINE_START = re.compile(r"(?m)^(\s*)([#+\-=]|\d+(?=[.)]))")
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|javascript|data)(:)")


def md_text(text: object) -> str:
    """`text` for a Markdown file people also read raw (exports): the few characters that make markup are escaped
    — emphasis, links, images, HTML, tables, LaTeX, list and heading starts, bare URLs — and nothing else, so the
    file stays readable in a text editor and shows the text as written in a Markdown viewer."""
    s = _EXPORT_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))
    s = _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), s)
    s = _SCHEME.sub(r"\1\\\2", s)
    return _WWW.sub(lambda m: m.group(0)[:-1] + "\\.", s)


_ANSWER_EXPORT_SPECIAL = re.compile(r"([\\`<>|!$&~\[\]])")


def answer_md_text(text: object) -> str:
    """An answer or summary for a Markdown export: its emphasis, lists and headings stay Markdown; links, images,
    HTML, LaTeX and bare URLs are escaped, and bracketed text (redactions, labels) keeps its asterisks."""
    s = _ANSWER_EXPORT_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))
    s = _BRACKETED.sub(lambda m: m.group(0).replace("*", "\\*").replace("_", "\\_"), s)
    s = _SCHEME.sub(r"\1\\\2", s)
    return _WWW.sub(lambda m: m.group(0)[:-1] + "\\.", s)


def html_text(text: object) -> str:
    """`text` inside an HTML block the code builds (where Markdown is not read): HTML-escaped, quotes too."""
    return html.escape(str(text if text is not None else ""), quote=True)


# a **bold** pair around text, not a run of asterisks (a redaction) or a pair touching one
_BOLD = re.compile(r"(?<!\*)\*\*(?!\*)(?=\S)([^*\n]+?)(?<=\S)(?<!\*)\*\*(?!\*)")


def plain(text: object) -> str:
    """Markdown-ish answer text for a format without Markdown (DOCX, PDF): `**bold**` loses its markers, every
    other asterisk stays — `[* ****] years` is a redaction, not emphasis."""
    return _BOLD.sub(r"\1", str(text if text is not None else ""))
