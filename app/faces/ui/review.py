"""Review area: questions × documents, one cited cell each — the due-diligence grid (issue 23).

Questions are added one by one; the documents default to all. The dry run's estimate (cells, calls, tokens,
price now and at the other rate, time) comes first; Run starts a review job (app/answer/review_jobs.py) whose
per-document progress is read from its record, so a page reload finds it again (the matter's latest review is
shown when this session has none). The finished grid has questions as columns and documents as rows; a cell's
page button opens the page view with the clause highlighted; the table downloads as XLSX, CSV or Markdown.
Stop (beside the progress) ends the run with the cells done so far; Resume computes the rest.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app.answer import review_jobs
from app.answer.review import DEFAULT_BUDGET, export, review
from app.answer.review_view import clause_targets
from app.faces.ui import common
from app.faces.ui.i18n import t
from app.faces.ui.page_view import open_page, target
from app.library import documents as library

# the verdict and state words drawn in the grid and the status line (translated where drawn)
VERDICT_COLOURS = {"yes": "green", "no": "red", "unclear": "orange"}
AREA = "Review"  # the area's name in main.PAGES (the radio's value; shown through t)

FORMATS = {
    ".xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".csv": ("CSV", "text/csv"),
    ".md": ("Markdown", "text/markdown"),
}
ROWS_PER_PAGE = 50
POLL_S = 1.0


def _questions() -> list[str]:
    return st.session_state.setdefault("rv_questions", [])


def _add_question() -> None:
    q = " ".join((st.session_state.get("rv_new") or "").split())
    if q and q not in _questions():
        _questions().append(q)
    st.session_state["rv_new"] = ""
    st.session_state.pop("rv_estimate", None)


def _remove_question(i: int) -> None:
    qs = _questions()
    if 0 <= i < len(qs):
        qs.pop(i)
    st.session_state.pop("rv_estimate", None)


def _draw_estimate(e) -> None:
    st.markdown(t("{documents} documents × {questions} questions = {cells} cells ({cached} cached, {todo} to compute)").format(documents=e.documents, questions=e.questions, cells=e.cells,
                                               cached=e.cells_cached, todo=e.cells - e.cells_cached))
    if e.calls:
        st.markdown(common.md(t("{calls} calls to {backend} · {model}: {prompt:,} prompt + ~{output:,} output tokens").format(calls=e.calls, backend=e.backend, model=e.model,
                                                          prompt=e.prompt_tokens, output=e.output_tokens)))
        if e.cost_now_usd is not None:
            other = (t("; {window}: ${other:.4f}").format(window=e.other_window, other=e.cost_other_usd)
                     if e.other_window else "")
            st.markdown(common.md(t("price now ({window}): ${now:.4f}").format(window=e.price_window, now=e.cost_now_usd) + other))
        else:
            st.markdown(t("price unknown for this model"))
    st.markdown(t("expected time: ~{seconds:.0f} s").format(seconds=e.seconds_expected))
    if e.note:
        st.caption(common.md(e.note))


def _current_job(settings):
    """This session's review, or (after a reload) the matter's latest one."""
    jid = st.session_state.get("rv_job")
    if jid:
        try:
            return review_jobs.get(settings, jid)
        except LookupError:
            st.session_state.pop("rv_job", None)
    latest = review_jobs.list_reviews(settings, limit=1)
    if latest:
        st.session_state["rv_job"] = latest[0].id
        return latest[0]
    return None


def _status_line(job) -> str:
    line = t("Review {state}: {done}/{total} documents").format(state=t(job.state), done=job.done,
                                  total=job.total or "?")
    return line + (t(" · last: {doc}").format(doc=common.md(job.doc)) if job.doc and not job.finished else "")


@st.fragment(run_every=POLL_S)
def _live(settings, job_id: str) -> None:
    """Re-read the job's record every second while it runs; a full rerun draws the grid when it ends.

    Its own reruns run outside main's guard, so it carries one (a failure is a message, not Streamlit's box)."""
    with common.guard(AREA):
        job = review_jobs.get(settings, job_id)  # a job whose process died is started again by this read
        bar, stop = st.columns([7, 1], vertical_alignment="bottom")
        bar.progress(min(1.0, job.done / job.total) if job.total else 0.0, text=_status_line(job))
        stop.button(t("Stop"), key="rv_stop", icon=":material/stop:", width="stretch",
                    help=t("Stop the review: the cells done so far are kept, and Resume computes the rest"),
                    on_click=common.safe_callback(AREA)(review_jobs.cancel), args=(settings, job_id))
        if job.finished:
            st.rerun()  # a BaseException: the guard lets it through


def _table_bytes(table) -> dict[str, bytes]:
    out = {}
    with tempfile.TemporaryDirectory(prefix="longdoc-review-") as tmp:
        for suf in FORMATS:
            out[suf] = export(table, Path(tmp) / f"review{suf}").read_bytes()
    return out


def _cell(settings, col, c, where, key: str) -> None:
    colour = VERDICT_COLOURS.get(c.verdict)
    word = t(c.verdict) if colour else common.md(c.verdict)
    col.markdown(f":{colour}[**{word}**] {common.md(c.answer)}" if colour else f"{word} {common.md(c.answer)}")
    if where is not None:
        if col.button(t("p.{page}").format(page=where.page), key=key, help=t("Open the page with the clause highlighted"),
                      icon=":material/description:"):
            open_page(settings, target(c.doc_id, c.doc, where.page, highlight=where.text,
                                       span=(where.page, where.page_end), section=where.section))


def draw_grid(settings, table, targets: dict | None = None, key: str = "rv") -> None:
    """Questions as columns, documents as rows; each cell's verdict, short answer and page button."""
    widths = [1.6] + [3] * len(table.questions)
    head = st.columns(widths)
    head[0].markdown("**" + t("document") + "**")
    for col, q in zip(head[1:], table.questions):
        col.markdown(f"**{common.md(q)}**")
    rows = table.rows
    start = 0
    if len(rows) > ROWS_PER_PAGE:
        pages = -(-len(rows) // ROWS_PER_PAGE)
        n = st.number_input(t("Rows"), 1, pages, 1, key=f"{key}_rowpage")
        start = (int(n) - 1) * ROWS_PER_PAGE
    for i, r in enumerate(rows[start:start + ROWS_PER_PAGE], start):
        by_q = {c.question: c for c in r.cells}
        with st.container(border=True):
            cols = st.columns(widths)
            cols[0].markdown(common.md(r.doc))
            for j, (col, q) in enumerate(zip(cols[1:], table.questions)):
                c = by_q.get(q)
                if c is None:
                    col.caption("—")
                    continue
                _cell(settings, col, c, (targets or {}).get((r.doc_id, q)), key=f"{key}_cell_{i}_{j}")


def _draw_result(settings, job) -> None:
    if job.state == "failed":
        st.error(t("The review failed: {message}").format(message=common.md(job.message)))
    if job.state in ("interrupted", "stopped", "failed"):
        if st.button(t("Resume (computes only the missing cells)"), key="rv_resume", icon=":material/replay:"):
            review_jobs.resume(settings, job.id)
            st.rerun()
    if job.state not in ("ready", "stopped") or not review_jobs.has_table(settings, job.id):
        return
    cache = st.session_state.get("rv_table")
    if not cache or cache[0] != (job.id, job.updated_at):
        table = review_jobs.table(settings, job.id)
        st.session_state["rv_table"] = cache = ((job.id, job.updated_at), table, _table_bytes(table),
                                                clause_targets(settings, table))
    _, table, files, targets = cache
    with st.container(border=True):
        draw_grid(settings, table, targets)
        st.caption(common.md(t("{mode} · {computed} cells computed, {cached} cached · {documents} documents").format(mode=table.mode, computed=table.computed, cached=table.cached,
                                                      documents=len(table.rows)))
                   + (f" · ${table.cost_usd:.4f}" if table.cost_usd else ""))
    cols = st.columns(len(files))
    for col, (suf, data) in zip(cols, files.items()):
        name, mime = FORMATS[suf]
        col.download_button(t("Download {name}").format(name=name), data=data, file_name=f"review{suf}", mime=mime,
                            key=f"rv_dl{suf}", icon=":material/download:", on_click="ignore")


def _to_review(question: str) -> None:
    st.session_state["rv_questions"] = [question]
    st.session_state.pop("rv_estimate", None)
    st.session_state["area"] = AREA


def draw_in_answer(settings, ans, key: str) -> None:
    """Under a whole-library answer in Ask: its review grid, and the way to the Review area with its question."""
    st.caption(t("A question across the library: answered by reviewing every document (one row each)."))
    draw_grid(settings, ans.review, clause_targets(settings, ans.review), key=f"{key}_rv")
    st.button(t("Open in Review"), key=f"{key}_to_review", on_click=_to_review, args=(ans.question,),
              icon=":material/table_view:")


def render(settings) -> None:
    st.header(t(AREA))
    st.caption(t("Ask the same questions of every document: one cited cell per document and question."))
    docs = library.list_documents(settings)
    if not docs:
        st.info(t("The library is empty: add documents in Library first."))
        return
    with st.container(border=True):
        c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
        c1.text_input(t("Question"), key="rv_new", placeholder=t("Which law governs the agreement?"))
        c2.button(t("Add question"), key="rv_add", on_click=common.safe_callback(AREA)(_add_question),
                  icon=":material/add:", width="stretch")
        qs = _questions()
        if qs:
            st.markdown("**" + t("Questions (one column each)") + "**")
            for i, q in enumerate(qs):
                a, b = st.columns([8, 1])
                a.markdown(f"{i + 1}. {common.md(q)}")
                b.button(t("Remove"), key=f"rv_rm{i}", on_click=_remove_question, args=(i,))
        by_id = {d.doc_id: d for d in docs}
        chosen = st.multiselect(t("Documents (none = all)"), list(by_id), format_func=lambda i: by_id[i].file, key="rv_docs")
        ids = list(chosen) or None
        plan = (tuple(qs), tuple(ids or ()))
        e1, e2 = st.columns(2)
        if e1.button(t("Estimate cost and time"), key="rv_estimate_go", icon=":material/calculate:", disabled=not qs):
            common.warm_up(settings)
            dry = review(settings, qs, ids, budget=DEFAULT_BUDGET, dry_run=True)
            st.session_state["rv_estimate"] = (plan, dry.estimate)
        est = st.session_state.get("rv_estimate")
        ready = bool(est) and est[0] == plan
        if ready:
            _draw_estimate(est[1])
        elif qs:
            st.caption(t("Estimate first: the run starts after you have seen what it costs."))
        else:
            st.caption(t("Add at least one question."))
        if e2.button(t("Run review"), key="rv_run", type="primary", icon=":material/play_arrow:", disabled=not ready):
            job = review_jobs.start(settings, qs, ids)
            st.session_state["rv_job"] = job.id
            st.session_state.pop("rv_table", None)
    job = _current_job(settings)
    if job is None:
        return
    st.markdown(common.md(" · ".join(job.questions)))
    if not job.finished:
        _live(settings, job.id)
        return
    st.progress(1.0 if job.state == "ready" else (job.done / job.total if job.total else 0.0), text=_status_line(job))
    _draw_result(settings, job)
