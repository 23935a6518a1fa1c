"""Compare area: documents × aspects, each cell a short answer with its page citation."""

from __future__ import annotations

import streamlit as st

from app.answer.compare import compare
from app.faces import present
from app.faces.ui import common
from app.faces.ui.i18n import t
from app.faces.ui.page_view import citation_button
from app.faces.ui.summaries import draw_downloads, export_bytes
from app.library import documents as library

FORMATS = {
    ".csv": ("CSV", "text/csv"),
    ".xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".md": ("Markdown", "text/markdown"),
}


def matrix_html(m) -> str:
    """The matrix as an HTML table: one row per aspect, one column per document (kept for exports' look)."""
    head = "".join(f"<th>{common.html_text(d.label + ' ' if d.label else '')}{common.html_text(d.file)}</th>" for d in m.documents)
    rows = []
    for a in m.aspects:
        cells = []
        for d in m.documents:
            c = m.cell(d.doc_id, a)
            if c is None or not c.found:
                cells.append('<td style="color:#888">not found</td>')
                continue
            cite = ""
            if c.citation is not None:
                cite = f' <b title="{common.html_text(c.citation.file)}">[{common.html_text(c.citation.display_label)}]</b>'
            cells.append(f"<td>{common.html_text(c.answer)}{cite}</td>")
        rows.append(f"<tr><th style='text-align:left'>{common.html_text(a)}</th>{''.join(cells)}</tr>")
    return (
        '<table style="width:100%;font-size:0.9rem;border-collapse:collapse" border="1" cellpadding="6">'
        f"<thead><tr><th>aspect</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def draw_matrix(settings, m) -> None:
    """The matrix as a grid: one row per aspect, one column per document; a cell's citation button opens
    its page with the passage highlighted."""
    widths = [1.2] + [3] * len(m.documents)
    head = st.columns(widths)
    head[0].markdown(f"**{t('aspect')}**")
    for col, d in zip(head[1:], m.documents):
        col.markdown(f"**{common.md((d.label + ' ') if d.label else '')}{common.md(d.file)}**")
    for r, a in enumerate(m.aspects):
        with st.container(border=True):
            row = st.columns(widths)
            row[0].markdown(f"**{common.md(a)}**")
            for k, (col, d) in enumerate(zip(row[1:], m.documents)):
                c = m.cell(d.doc_id, a)
                if c is None or not c.found:
                    col.caption(t("not found"))
                    continue
                col.markdown(common.md(c.answer))
                if c.citation is not None:
                    citation_button(settings, c.citation, key=f"cmp_cell{r}_{k}", container=col)


def render(settings) -> None:
    st.header(t("Compare"))
    docs = library.list_documents(settings)
    if not docs:
        st.info(t("The library is empty: add documents in Library first."))
        return
    ids = common.pick_documents(st, docs, key="cmp_docs")
    aspects_text = st.text_input(
        t("Aspects, comma-separated (empty = the default set for the documents' domain)"),
        key="cmp_aspects", placeholder=t("governing law, term, termination, liability cap"),
    )
    if st.button(t("Compare"), type="primary", icon=":material/table_chart:", key="cmp_go"):
        common.warm_up(settings)

        aspects = [a.strip() for a in aspects_text.split(",") if a.strip()] or None
        bar = st.progress(0.0, text=t("Comparing {n} documents…", n=len(ids)))

        def progress(ev: dict) -> None:
            if ev.get("total"):
                bar.progress(min(1.0, ev["done"] / ev["total"]),
                             text=t("Comparing: {stage} {doc} ({done}/{total})", stage=ev.get("stage", ""),
                                    doc=ev.get("doc", ""), done=ev["done"], total=ev["total"]))

        m = compare(settings, docs=ids, aspects=aspects, progress=progress)
        bar.empty()
        st.session_state.matrix = (m, export_bytes(m, tuple(FORMATS), "comparison"))
    if "matrix" not in st.session_state:
        return
    m, files = st.session_state.matrix

    with st.container(border=True):
        if m.mode == "extractive":
            st.info(t("Extractive comparison (no model configured): each cell quotes the best-matching clause."),
                    icon=":material/format_quote:")
        st.subheader(common.md(m.title))
        draw_matrix(settings, m)
        st.caption(present.usage_line(m))
    draw_downloads(files, "comparison", FORMATS, key="cmp_dl")
