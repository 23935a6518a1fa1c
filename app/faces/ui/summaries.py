"""Summaries area: choose documents and a style, follow the progress, read and download the result."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import streamlit as st

from app.answer.export import EVIDENCE_SUFFIXES, export
from app.answer.pages import evidence_pages
from app.answer.printed_pages import display_text
from app.answer.summarize import summarize
from app.answer.verbatim import answer_md
from app.faces import present
from app.faces.ui import common
from app.faces.ui.ask import draw_citations, draw_coverage
from app.faces.ui.i18n import t
from app.library import documents as library

STYLES = ("brief", "legal", "scientific", "detailed")
FORMATS = {
    ".md": ("Markdown", "text/markdown"),
    ".docx": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".pdf": ("PDF", "application/pdf"),
    ".json": ("JSON", "application/json"),
}


def export_bytes(result, suffixes: tuple[str, ...], stem: str, evidence: list | None = None) -> dict[str, bytes]:
    """Render `result` with app.export into each format (in a private temp folder) and return the bytes;
    `evidence` (the cited pages as images, app.pages.evidence_pages) goes into .docx and .pdf."""
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="longdoc-export-") as tmp:
        for suf in suffixes:
            path = Path(tmp) / f"{stem}{suf}"
            export(result, path, evidence=evidence if suf in EVIDENCE_SUFFIXES else None)
            out[suf] = path.read_bytes()
    return out


def evidence_for(settings, result, wanted: bool) -> list | None:
    """The cited pages as highlighted images, when the user asked for them in the downloads."""
    if not wanted:
        return None

    with st.spinner(t("Drawing the cited pages…")):
        return evidence_pages(settings, result)


def safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "longdoc"


def draw_downloads(files: dict[str, bytes], stem: str, formats: dict, key: str) -> None:
    cols = st.columns(len(files))
    for col, (suf, data) in zip(cols, files.items()):
        name, mime = formats[suf]
        col.download_button(
            t("Download {format}", format=name), data=data, file_name=f"{stem}{suf}", mime=mime, key=f"{key}{suf}",
            icon=":material/download:", on_click="ignore",
        )


def render(settings) -> None:
    st.header(t("Summaries"))
    docs = library.list_documents(settings)
    if not docs:
        st.info(t("The library is empty: add documents in Library first."))
        return
    c1, c2 = st.columns([4, 1])
    ids = common.pick_documents(c1, docs, key="sum_docs")
    style = c2.selectbox(t("Style"), STYLES, key="sum_style", format_func=t)
    if st.button(t("Summarize"), type="primary", icon=":material/summarize:", key="sum_go"):
        common.warm_up(settings)

        bar = st.progress(0.0, text=t("Summarizing…"))

        def progress(event) -> None:
            if isinstance(event, dict):
                done, total = event.get("done"), event.get("total")
                label = " ".join(x for x in (event.get("stage"), event.get("doc")) if x) or t("working")
            else:  # (done, total, label) tuples are accepted too
                done, total, label = (list(event) + [None, None, None])[:3]
            if done is not None and total:
                bar.progress(min(1.0, done / total), text=t("Summarizing: {label} ({done}/{total})", label=label,
                                                             done=done, total=total))

        result = summarize(settings, docs=ids, style=style,
                           budget=settings.budget or None, progress=progress)
        bar.empty()
        stem = safe_stem(f"summary-{style}")
        st.session_state.summary = (result, stem, export_bytes(result, tuple(FORMATS), stem))
        st.session_state.summary_images = False
    if "summary" not in st.session_state:
        return
    result, stem, files = st.session_state.summary
    images = st.checkbox(t("Append each cited page, the passage highlighted, to the DOCX and PDF downloads"),
                         key="sum_page_images")
    if images != st.session_state.get("summary_images", False):
        files = export_bytes(result, tuple(FORMATS), stem, evidence_for(settings, result, images))
        st.session_state.summary = (result, stem, files)
        st.session_state.summary_images = images

    with st.container(border=True):
        if result.mode == "extractive" and "extractive" not in result.summary[:200].lower():
            st.info(t("Extractive summary (no model configured): central sentences quoted from the documents."),
                    icon=":material/format_quote:")
        st.subheader(common.md(result.title))

        st.markdown(answer_md(display_text(result.summary, result.citations)))
        draw_citations(settings, result.citations, "sum", [])
        draw_coverage(result.coverage)
        st.caption(f"{result.strategy} · {present.usage_line(result)}")
    draw_downloads(files, stem, FORMATS, key="sum_dl")
