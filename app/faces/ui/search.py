"""Search area: ranked passages over the chosen documents, matched terms highlighted, each openable in context."""

from __future__ import annotations

import streamlit as st

from app.answer.cite import hit_section
from app.answer.printed_pages import page_display
from app.faces.ui import common
from app.faces.ui.common import md
from app.faces.ui.i18n import t
from app.faces.ui.page_view import open_page, target
from app.library import documents as library


def render(settings) -> None:
    st.header(t("Search"))
    docs = library.list_documents(settings)
    if not docs:
        st.info(t("The library is empty: add documents in Library first."))
        return
    by_id = {d.doc_id: d for d in docs}
    c1, c2, c3 = st.columns([3, 1.2, 0.8])
    query = c1.text_input(t("Search the documents"), key="search_q", placeholder=t("e.g. governing law"))
    domains = sorted({d.domain for d in docs})
    dom = c2.multiselect(t("Domain"), domains, key="search_domains")
    k = c3.number_input(t("Results"), 1, 100, 10, key="search_k")
    chosen = st.multiselect(
        t("Only these documents (default: the sidebar selection, or all)"),
        list(by_id), default=None, format_func=lambda i: by_id[i].file, key="search_docs",
    )
    ids = chosen or common.selected_doc_ids() or list(by_id)
    if dom:
        ids = [i for i in ids if by_id[i].domain in dom]
    if not query.strip():
        return
    if not ids:
        st.warning(t("No document matches these filters."))
        return
    common.store(settings), common.embedder(settings)  # warm, cached
    rt, hits = library.routed_search(settings, query, ids, k=int(k))
    terms = common.query_terms(query)
    if rt is not None and rt.reason:
        st.caption(f":material/alt_route: {md(rt.reason)}")
    st.caption(t("{n} passages from {docs} of {total} document(s)", n=len(hits),
                 docs=len({h.chunk.doc_id for h in hits}), total=len(ids)))
    if not hits:
        st.info(t("Nothing relevant found in the chosen documents."))

    for n, h in enumerate(hits, 1):
        ch = h.chunk
        section = hit_section(query, ch)
        d = by_id.get(ch.doc_id)
        name = d.file if d else ch.doc_id[:12]

        pages = page_display(d, ch.page_start, ch.page_end, ch.ocr)
        with st.container(border=True):
            st.markdown(  # markup built from escaped parts only (md)
                f"**{n}. {md(name)}** · {md(pages)}"
                + (f" · _{md(section)}_" if section else "")
                + f" <small>{t('score')} {h.score:.3f}</small>",
                unsafe_allow_html=True,
            )
            st.markdown(common.highlight_html(ch.text, terms), unsafe_allow_html=True)
            if st.button(t("Open the page ({pages})", pages=md(pages)), key=f"search_page{n}", icon=":material/description:"):
                open_page(settings, target(ch.doc_id, name, ch.page_start, highlight=ch.text,
                                           span=(ch.page_start, ch.page_end), section=ch.section_path,
                                           char_start=ch.char_start, char_end=ch.char_end))
            with st.expander(t("Open {pages} in context", pages=md(pages)), expanded=False):
                common.show_in_context(
                    settings, ch.doc_id, ch.char_start, ch.char_end, page_start=ch.page_start,
                    page_end=ch.page_end, section=section, terms=terms, passage_text=ch.text,
                )
