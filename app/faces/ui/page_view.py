"""The page viewer: a citation, a search hit or a matrix cell opens its PDF page with the passage marked.

A dialog (Streamlit reruns only the dialog while it is open, so paging and zooming do not re-run the
area behind it) with previous/next page, zoom, a download of the original PDF and the passage's text
below. When no image can be made (a text file, a protected PDF) it says why and shows the text view.
All rendering is `app.pages.page_image`, which the CLI's `longdoc page` calls too.
"""

from __future__ import annotations

import base64
import html
import json

import streamlit as st

from app.answer import pages
from app.answer.pages import original_pdf
from app.answer.results import pages_text
from app.faces.ui import common
from app.faces.ui.i18n import t

STATE = "page_view"
ZOOMS = {"Fit": 100, "150%": 150, "200%": 200}
BASE_WIDTH = 1200  # rendered width at "Fit"; zooming renders more pixels rather than stretching them


def target(doc_id: str, file: str, page: int, *, highlight: str | None, span: tuple[int, int] | None,
           section: str = "", char_start: int = 0, char_end: int = 0) -> dict:
    """What to open: a document page, the passage to mark and the pages it spans."""
    return {"doc_id": doc_id, "file": file, "page": int(page), "highlight": highlight or "",
            "span": list(span) if span else None, "section": section, "char_start": char_start,
            "char_end": char_end, "zoom": "Fit"}


def open_page(settings, view: dict) -> None:
    """Show the viewer for `view` (call it in the run in which the user clicked)."""
    st.session_state[STATE] = dict(view)
    st.dialog(t("Page"), width="large")(_dialog)(settings)  # titled in the session's language


def citation_button(settings, c, key: str, container=None) -> None:
    """A citation's button: its label as people cite it and the document's short name ("[D3 p.17] Outsourcing
    Agreement": a label alone says nothing about which document); a click opens its page."""
    mark = "" if c.verified else " ⚠"
    where = container or st
    help_ = f"{common.md(c.file)} · {common.md(c.pages)}" + (f" · {common.md(c.section)}" if c.section else "") + (
        "" if c.verified else " · " + t("not verified: check the passage"))
    name = common.short_name(settings, c.doc_id, c.file) if c.doc_id else ""
    label = f"\\[{common.md(c.display_label)}\\]{mark}" + (f" {common.md(name)}" if name else "")
    if where.button(label, key=key, help=help_, width="stretch", disabled=not c.doc_id):
        open_page(settings, target(c.doc_id, c.file, c.page_start, highlight=c.text, span=(c.page_start, c.page_end),
                                   section=c.section))


def _dialog(settings) -> None:
    with common.guard("Page"):
        draw_viewer(settings, st.session_state.get(STATE) or {})


def _step(delta: int, pages: int) -> None:
    view = st.session_state.get(STATE) or {}
    view["page"] = max(1, min(pages, int(view.get("page", 1)) + delta))
    st.session_state[STATE] = view


def _original_bytes(settings, doc):
    path = original_pdf(settings, doc)
    return lambda: path.read_bytes()


def draw_viewer(settings, view: dict) -> None:
    if not view.get("doc_id"):
        st.info(t("Nothing to show."))
        return
    doc = pages.find_document(settings, view["doc_id"])
    n = max(1, doc.pages)
    page = max(1, min(n, int(view.get("page", 1))))
    span = tuple(view["span"]) if view.get("span") else None
    in_span = span is not None and span[0] <= page <= span[1]
    top = st.columns([4, 1, 1, 1.3, 1.6])
    label = doc.page_label(page)

    shown = pages_text(page, page, label, label) + (", OCR" if page in set(doc.ocr_pages) else "")
    # the cited passage's section, only on the pages of that passage (after "Next ▶" it is another page's)
    top[0].markdown(f"**{common.md(doc.file)}** · {common.md(shown)} · " + t("page {page} of {n}", page=page, n=n)
                    + (f" · _{common.md(view.get('section'))}_" if view.get("section") and in_span else ""))
    top[1].button(t("◀ Previous"), key="pv_prev", disabled=page <= 1, on_click=_step, args=(-1, n), width="stretch")
    top[2].button(t("Next ▶"), key="pv_next", disabled=page >= n, on_click=_step, args=(1, n), width="stretch")
    zoom = top[3].selectbox(t("Zoom"), list(ZOOMS), index=list(ZOOMS).index(view.get("zoom", "Fit")),
                            key="pv_zoom", label_visibility="collapsed", format_func=t)
    view["zoom"] = zoom
    try:
        data = _original_bytes(settings, doc)
        top[4].download_button(t("Download PDF"), data=data, file_name=pages.original_name(doc), mime="application/pdf",
                               key="pv_download", icon=":material/download:", width="stretch")
    except pages.PageUnavailable:
        pass
    highlight = view.get("highlight") if in_span or span is None else None
    try:
        img = pages.page_image(settings, doc, page, highlight=highlight, span=span,
                               width=BASE_WIDTH * ZOOMS[zoom] // 100)
    except pages.PageUnavailable as e:
        st.info(t("The page cannot be shown as an image: {reason}. Here is its text.",
                  reason=common.md(common.error_message(e))))
        _text_view(settings, doc, page, view)
        return
    if highlight and not img.found:
        st.caption(t("The passage could not be located on this page's image: check its text below.")
                   if page == (span[0] if span else page) else t("The passage does not continue on this page."))
    elif img.found and span and page < span[1]:
        st.caption(t("The passage continues on the next page (Next ▶)."))
    st.markdown(_img_html(img, ZOOMS[zoom]), unsafe_allow_html=True)
    with st.expander(t("Passage text"), expanded=False):
        _text_view(settings, doc, page, view)


def _img_html(img, zoom: int) -> str:
    """The page in a scrollable frame; with a highlight, a link that scrolls the frame to it (an anchor at
    the first box: no script needed)."""
    data = base64.b64encode(img.png).decode("ascii")
    boxes = json.dumps([[round(v, 5) for v in b] for b in img.boxes])
    anchor, link = "", ""
    if img.boxes:
        top = max(0.0, min(b[1] for b in img.boxes) - 0.04) * 100
        name = f"ld-hl-{img.doc_id[:12]}-{img.page}"
        anchor = f'<div id="{name}" style="position:absolute;left:0;top:{top:.2f}%;width:1px;height:1px"></div>'
        link = f'<a href="#{name}" style="font-size:0.85rem">{html.escape(t("Go to the highlighted passage ↓"))}</a>'
    return (
        f"{link}"
        '<div class="ld-page-frame" style="overflow:auto;max-height:72vh;border:1px solid #ddd;background:#f6f6f6">'
        f'<div style="position:relative;width:{zoom}%">{anchor}'
        f'<img class="ld-page" alt="page {img.page}" data-doc="{img.doc_id}" data-page="{img.page}" '
        f"data-found=\"{'1' if img.found else '0'}\" data-boxes='{html.escape(boxes)}' "
        f'style="display:block;width:100%;max-width:none" src="data:image/png;base64,{data}"></div></div>'
    )


def _text_view(settings, doc, page: int, view: dict) -> None:
    """The passage in its page text (the text view a citation opened before page images existed)."""
    span = view.get("span") or [page, page]
    passage = view.get("highlight") or None
    a, b = int(view.get("char_start") or 0), int(view.get("char_end") or 0)
    if not passage or not (int(span[0]) <= page <= int(span[1])):  # this page's own text
        on_page = [c for c in common.store(settings).chunks(doc.doc_id) if c.page_start <= page <= c.page_end]
        if not on_page:
            st.caption(t("No text was read from this page."))
            return
        passage, a, b, span = on_page[0].text, on_page[0].char_start, on_page[0].char_end, [page, page]
    common.show_in_context(settings, doc.doc_id, a, b, page_start=int(span[0]), page_end=int(span[1]),
                    section=view.get("section") or "", terms=[], passage_text=passage)
