"""Ask area: a chat over the chosen documents with streamed answers and clickable page citations."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app.answer.ask import ask
from app.answer.export import export
from app.answer.printed_pages import display_text
from app.answer.results import checked_note
from app.answer.session import backend, is_generative
from app.answer.table_blocks import answer_md_tables
from app.answer.table_export import XLSX_SUFFIX, tables_for
from app.answer.verbatim import answer_md
from app.faces import present
from app.faces.ui import common
from app.faces.ui import review as review_area
from app.faces.ui.common import md
from app.faces.ui.i18n import t
from app.faces.ui.page_view import citation_button

EXTRACTIVE_BANNER = (
    "**Extractive mode** — no model is configured, so answers are the best-supported sentences quoted "
    "from your documents, each with its page citation; nothing is generated. Choose a model in Settings."
)


def _chat() -> list[dict]:
    return st.session_state.setdefault("chat", [])


def history_messages(chat: list[dict]) -> list[dict]:
    """The earlier turns as plain messages (answers without reasoning) — what ask() sends back to the model."""
    out = []
    for turn in chat:
        if turn["role"] == "user":
            out.append({"role": "user", "content": turn["content"]})
        elif turn.get("answer") is not None:
            out.append({"role": "assistant", "content": turn["answer"].answer})
    return out


def draw_citations(settings, citations, key: str, terms: list[str]) -> None:
    """One button per citation label; clicking it opens the cited page with the passage highlighted
    (app/faces/ui/page_view.py; the text view where a page cannot be drawn)."""
    if not citations:
        return
    cols = st.columns(min(len(citations), 4))
    for i, c in enumerate(citations):
        citation_button(settings, c, key=f"{key}_cite{i}", container=cols[i % len(cols)])


def draw_coverage(coverage) -> None:
    rows = present.coverage_rows(coverage)
    if not rows:
        return
    with st.expander(t("Coverage: which pages were read"), expanded=False):
        for r in rows:
            st.markdown(
                f"**{md(r.label)} {md(r.file)}**{t(' (whole document)') if r.whole else ''}: "
                + t("pages {read} of {total} · {tokens} tokens", read=r.read, total=r.pages_total, tokens=f"{r.tokens:,}")
                + (" · " + t("not in context: {pages}", pages=r.missing) if r.missing else "")
                + (" · " + t("its vectors are still being computed: found by keyword search only") if r.keyword_only else "")
            )


def draw_route(route) -> None:
    """Which documents were read and why — shown with every answer."""
    if route is not None and getattr(route, "reason", ""):
        st.caption(f":material/alt_route: {md(route.reason)}")


def draw_answer(settings, ans, key: str) -> None:
    draw_route(getattr(ans, "route", None))
    if ans.reasoning:
        with st.expander(t("Reasoning"), expanded=False):
            st.markdown(answer_md(ans.reasoning))

    st.markdown(answer_md_tables(display_text(ans.answer, ans.citations)))  # a table answer drawn as a table
    if getattr(ans, "review", None) is not None:  # a whole-library question, answered by a review (issue 23)
        review_area.draw_in_answer(settings, ans, key)
    if ans.incomplete:
        st.warning(t("The answer is incomplete (finish reason: {reason}).", reason=md(ans.finish_reason or t("cut off"))))
    unsupported = [s for s in ans.sentences if s.supported is False]
    if unsupported:
        st.warning(t("{n} sentence(s) are not backed by the passages they cite.", n=len(unsupported)))
    draw_citations(settings, ans.citations, key, common.query_terms(ans.rewritten_query or ans.question))
    draw_tables_download(settings, ans, key)
    draw_coverage(ans.coverage)
    checked = checked_note(ans, t)
    st.caption(present.usage_line(ans) + (f" · {checked}" if checked else ""))


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def draw_tables_download(settings, ans, key: str) -> None:
    """Under an answer that quotes a table row: the cited tables, whole, as XLSX (app/answer/table_export.py);
    made once per answer (it reads the cited documents' text), kept in the session."""
    if not any("|" in (c.text or "") for c in ans.citations):
        return
    made = st.session_state.setdefault("tables_xlsx", {})
    mine = (key, ans.question, ans.answer)  # a key is reused once the chat is cleared
    if mine not in made:
        tables = tables_for(settings, ans, XLSX_SUFFIX)
        data = b""
        if tables:
            with tempfile.TemporaryDirectory(prefix="longdoc-export-") as tmp:
                data = export(ans, Path(tmp) / "tables.xlsx", tables=tables).read_bytes()
        made[mine] = data
    if made[mine]:
        st.download_button(t("Download the cited tables (XLSX)"), data=made[mine], file_name="tables.xlsx",
                           mime=XLSX_MIME, key=f"{key}_tables_xlsx", icon=":material/table:", on_click="ignore")


def _send(settings, question: str) -> None:
    chat = _chat()
    history = history_messages(chat)
    b = backend(settings)
    kwargs = dict(
        docs=common.selected_doc_ids(),
        budget=settings.budget or None,
        history=history or None,
    )
    with st.chat_message("user"):
        st.markdown(md(question))
    with st.chat_message("assistant"):
        if is_generative(b):
            box: dict = {}

            def deltas():
                for kind, data in present.ask_events(lambda on_event: ask(settings, question, on_event=on_event, **kwargs)):
                    if kind == "delta":
                        yield data.replace("$", "\\$")
                    else:
                        box[kind] = data  # the answer, or the error: raised below, in the script's thread

            holder = st.empty()
            with holder.container():
                st.write_stream(deltas())
            if "error" in box:
                raise box["error"]
            ans = box["answer"]
            holder.empty()
        else:
            with st.spinner(t("Reading…")):
                ans = ask(settings, question, **kwargs)
        if ans.rewritten_query and ans.rewritten_query.strip() != question.strip():
            st.caption(t("Searched for: {query}", query=md(ans.rewritten_query)))
        # the same key the history gives this turn next run (its index in the chat), so a click on one of
        # its citation buttons is seen by the button drawn again in that run
        draw_answer(settings, ans, key=f"h{len(chat) + 1}")
    # both turns are kept only once the answer exists, so a failed call leaves no dangling question
    chat.extend([{"role": "user", "content": question}, {"role": "assistant", "answer": ans}])


def _estimate(settings) -> None:
    """The cost of sending the next question, before it is sent (a dry run: no model call)."""
    # the context depends on the question only when the documents do not fit whole; the last one is a fair guess
    asked = [t["content"] for t in _chat() if t["role"] == "user"]
    q = asked[-1] if asked else "What do these documents say?"  # a query, not a label: never translated
    est = ask(settings, q, docs=common.selected_doc_ids(), budget=settings.budget or None,
              history=history_messages(_chat()) or None, dry_run=True)
    d = est.dry_run
    if d is None:
        st.caption(t("No estimate available."))
        return
    rate = t(" at the {window} rate", window=t(d.price_window)) if d.price_window in ("peak", "off-peak") else ""
    other = ("; " + t("{cost} at the {window} rate", cost=present.money(d.estimated_cost_other_usd),
                      window=t(d.other_window)) if d.other_window else "")
    st.caption(
        t("Next call: about {prompt} prompt tokens (context {packed} of a {budget} budget; ~{hit} at the cache-hit "
          "price, ~{miss} at the miss price{cached}) + a {answer}-token answer → ",
          prompt=f"{d.prompt_tokens:,}", packed=f"{d.packed_tokens:,}", budget=f"{d.budget:,}",
          hit=f"{d.cache_hit_tokens:,}", miss=f"{d.cache_miss_tokens:,}", answer=f"{d.answer_tokens:,}",
          cached=t(", prefix likely cached") if d.prefix_cached_likely else "")
        + f"{present.money(d.estimated_cost_usd)}{rate}{other} " + t("on") + f" {d.backend} · {d.model}"
        + (" · " + t("thinking on") if d.thinking else "")
        + " " + t("(at most {cost} if the whole output room of {tokens} tokens were used)",
                  cost=present.money(d.max_cost_usd), tokens=f"{d.max_output:,}")
    )


def render(settings) -> None:
    st.header(t("Ask"))
    b = backend(settings)
    generative = is_generative(b)
    top = st.columns([5, 1.4])
    if not generative:
        top[0].info(t(EXTRACTIVE_BANNER), icon=":material/format_quote:")
    else:
        top[0].caption(t("Answering with {backend} · {model} (context window {window} tokens)", backend=b.name,
                         model=b.model, window=f"{b.context_window:,}"))
    if top[1].button(t("New conversation"), icon=":material/add_comment:", key="new_chat"):
        st.session_state.chat = []
    chosen = common.selected_doc_ids()
    st.caption(t("Over {n} selected document(s) — choose in the sidebar.", n=len(chosen)) if chosen
               else t("Over all documents — choose in the sidebar."))
    chat = _chat()
    for i, turn in enumerate(chat):
        with st.chat_message(turn["role"]):
            if turn["role"] == "user":
                st.markdown(md(turn["content"]))
            else:
                ans = turn["answer"]
                if ans.rewritten_query and ans.rewritten_query.strip() != ans.question.strip():
                    st.caption(t("Searched for: {query}", query=md(ans.rewritten_query)))
                draw_answer(settings, ans, key=f"h{i}")
    if generative:
        with st.expander(t("Cost of the next question (before sending)"), expanded=False):
            if st.button(t("Estimate"), key="ask_estimate"):
                with common.guard("Estimate"):
                    _estimate(settings)
    question = st.chat_input(t("Ask about the documents…"), key="ask_input")
    if question and question.strip():
        common.warm_up(settings)
        _send(settings, question.strip())
