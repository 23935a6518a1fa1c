"""Review area: questions × documents, one cited cell each — the due-diligence grid (issue 23).

Questions are added one by one; the documents default to all. The dry run's estimate (cells, calls, tokens,
price now and at the other rate, time) comes first; Run starts a review job (app/answer/review_jobs.py) whose
per-document progress is read from its record, so a page reload finds it again (the matter's latest review is
shown when this session has none). The finished grid has questions as columns and documents as rows; a cell's
page button opens the page view with the clause highlighted; the table downloads as XLSX, CSV or Markdown.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app.answer import review_jobs
from app.answer.review import DEFAULT_BUDGET, export, review
from app.answer.review_view import clause_targets
from app.faces.ui import common
from app.faces.ui.page_view import open_page, target
from app.library import documents as library

# every label this area shows, in one place (a translation wraps these)
LABELS = {
    "header": "Review",
    "intro": "Ask the same questions of every document: one cited cell per document and question.",
    "empty": "The library is empty: add documents in Library first.",
    "question": "Question",
    "question_ph": "Which law governs the agreement?",
    "add": "Add question",
    "remove": "Remove",
    "no_questions": "Add at least one question.",
    "questions": "Questions (one column each)",
    "documents": "Documents (none = all)",
    "estimate": "Estimate cost and time",
    "run": "Run review",
    "estimate_line": "{documents} documents × {questions} questions = {cells} cells ({cached} cached, {todo} to compute)",
    "calls_line": "{calls} calls to {backend} · {model}: {prompt:,} prompt + ~{output:,} output tokens",
    "price_line": "price now ({window}): ${now:.4f}",
    "price_other": "; {window}: ${other:.4f}",
    "price_unknown": "price unknown for this model",
    "time_line": "expected time: ~{seconds:.0f} s",
    "estimate_first": "Estimate first: the run starts after you have seen what it costs.",
    "state": "Review {state}: {done}/{total} documents",
    "state_doc": " · last: {doc}",
    "resume": "Resume (computes only the missing cells)",
    "failed": "The review failed: {message}",
    "document": "document",
    "page": "p.{page}",
    "open_help": "Open the page with the clause highlighted",
    "no_cell": "—",
    "summary": "{mode} · {computed} cells computed, {cached} cached · {documents} documents",
    "download": "Download {name}",
    "rows": "Rows",
    "verdicts": {"yes": ":green[**yes**]", "no": ":red[**no**]", "unclear": ":orange[**unclear**]"},
    "states": {"queued": "queued", "retrieving": "retrieving", "running": "running", "ready": "ready",
               "stopped": "stopped", "failed": "failed", "interrupted": "interrupted"},
    "older": "Earlier reviews",
    "in_ask": "A question across the library: answered by reviewing every document (one row each).",
    "open_in_review": "Open in Review",
}
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
    st.markdown(LABELS["estimate_line"].format(documents=e.documents, questions=e.questions, cells=e.cells,
                                               cached=e.cells_cached, todo=e.cells - e.cells_cached))
    if e.calls:
        st.markdown(common.md(LABELS["calls_line"].format(calls=e.calls, backend=e.backend, model=e.model,
                                                          prompt=e.prompt_tokens, output=e.output_tokens)))
        if e.cost_now_usd is not None:
            other = (LABELS["price_other"].format(window=e.other_window, other=e.cost_other_usd)
                     if e.other_window else "")
            st.markdown(common.md(LABELS["price_line"].format(window=e.price_window, now=e.cost_now_usd) + other))
        else:
            st.markdown(LABELS["price_unknown"])
    st.markdown(LABELS["time_line"].format(seconds=e.seconds_expected))
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
    line = LABELS["state"].format(state=LABELS["states"].get(job.state, job.state), done=job.done,
                                  total=job.total or "?")
    return line + (LABELS["state_doc"].format(doc=common.md(job.doc)) if job.doc and not job.finished else "")


@st.fragment(run_every=POLL_S)
def _live(settings, job_id: str) -> None:
    """Re-read the job's record every second while it runs; a full rerun draws the grid when it ends."""
    job = review_jobs.get(settings, job_id)
    st.progress(min(1.0, job.done / job.total) if job.total else 0.0, text=_status_line(job))
    if job.finished:
        st.rerun()


def _table_bytes(table) -> dict[str, bytes]:
    out = {}
    with tempfile.TemporaryDirectory(prefix="longdoc-review-") as tmp:
        for suf in FORMATS:
            out[suf] = export(table, Path(tmp) / f"review{suf}").read_bytes()
    return out


def _cell(settings, col, c, where, key: str) -> None:
    col.markdown(f"{LABELS['verdicts'].get(c.verdict, common.md(c.verdict))} {common.md(c.answer)}")
    if where is not None:
        if col.button(LABELS["page"].format(page=where.page), key=key, help=LABELS["open_help"],
                      icon=":material/description:"):
            open_page(settings, target(c.doc_id, c.doc, where.page, highlight=where.text,
                                       span=(where.page, where.page_end), section=where.section))


def draw_grid(settings, table, targets: dict | None = None, key: str = "rv") -> None:
    """Questions as columns, documents as rows; each cell's verdict, short answer and page button."""
    widths = [1.6] + [3] * len(table.questions)
    head = st.columns(widths)
    head[0].markdown(f"**{LABELS['document']}**")
    for col, q in zip(head[1:], table.questions):
        col.markdown(f"**{common.md(q)}**")
    rows = table.rows
    start = 0
    if len(rows) > ROWS_PER_PAGE:
        pages = -(-len(rows) // ROWS_PER_PAGE)
        n = st.number_input(LABELS["rows"], 1, pages, 1, key=f"{key}_rowpage")
        start = (int(n) - 1) * ROWS_PER_PAGE
    for i, r in enumerate(rows[start:start + ROWS_PER_PAGE], start):
        by_q = {c.question: c for c in r.cells}
        with st.container(border=True):
            cols = st.columns(widths)
            cols[0].markdown(common.md(r.doc))
            for j, (col, q) in enumerate(zip(cols[1:], table.questions)):
                c = by_q.get(q)
                if c is None:
                    col.caption(LABELS["no_cell"])
                    continue
                _cell(settings, col, c, (targets or {}).get((r.doc_id, q)), key=f"{key}_cell_{i}_{j}")


def _draw_result(settings, job) -> None:
    if job.state == "failed":
        st.error(LABELS["failed"].format(message=common.md(job.message)))
    if job.state in ("interrupted", "stopped", "failed"):
        if st.button(LABELS["resume"], key="rv_resume", icon=":material/replay:"):
            review_jobs.resume(settings, job.id)
            st.rerun()
    if job.state not in ("ready", "stopped"):
        return
    cache = st.session_state.get("rv_table")
    if not cache or cache[0] != (job.id, job.updated_at):
        table = review_jobs.table(settings, job.id)
        st.session_state["rv_table"] = cache = ((job.id, job.updated_at), table, _table_bytes(table),
                                                clause_targets(settings, table))
    _, table, files, targets = cache
    with st.container(border=True):
        draw_grid(settings, table, targets)
        st.caption(common.md(LABELS["summary"].format(mode=table.mode, computed=table.computed, cached=table.cached,
                                                      documents=len(table.rows)))
                   + (f" · ${table.cost_usd:.4f}" if table.cost_usd else ""))
    cols = st.columns(len(files))
    for col, (suf, data) in zip(cols, files.items()):
        name, mime = FORMATS[suf]
        col.download_button(LABELS["download"].format(name=name), data=data, file_name=f"review{suf}", mime=mime,
                            key=f"rv_dl{suf}", icon=":material/download:", on_click="ignore")


def _to_review(question: str) -> None:
    st.session_state["rv_questions"] = [question]
    st.session_state.pop("rv_estimate", None)
    st.session_state["area"] = LABELS["header"]


def draw_in_answer(settings, ans, key: str) -> None:
    """Under a whole-library answer in Ask: its review grid, and the way to the Review area with its question."""
    st.caption(LABELS["in_ask"])
    draw_grid(settings, ans.review, clause_targets(settings, ans.review), key=f"{key}_rv")
    st.button(LABELS["open_in_review"], key=f"{key}_to_review", on_click=_to_review, args=(ans.question,),
              icon=":material/table_view:")


def render(settings) -> None:
    st.header(LABELS["header"])
    st.caption(LABELS["intro"])
    docs = library.list_documents(settings)
    if not docs:
        st.info(LABELS["empty"])
        return
    with st.container(border=True):
        c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
        c1.text_input(LABELS["question"], key="rv_new", placeholder=LABELS["question_ph"])
        c2.button(LABELS["add"], key="rv_add", on_click=common.safe_callback(LABELS["header"])(_add_question),
                  icon=":material/add:", width="stretch")
        qs = _questions()
        if qs:
            st.markdown(f"**{LABELS['questions']}**")
            for i, q in enumerate(qs):
                a, b = st.columns([8, 1])
                a.markdown(f"{i + 1}. {common.md(q)}")
                b.button(LABELS["remove"], key=f"rv_rm{i}", on_click=_remove_question, args=(i,))
        by_id = {d.doc_id: d for d in docs}
        chosen = st.multiselect(LABELS["documents"], list(by_id), format_func=lambda i: by_id[i].file, key="rv_docs")
        ids = list(chosen) or None
        plan = (tuple(qs), tuple(ids or ()))
        e1, e2 = st.columns(2)
        if e1.button(LABELS["estimate"], key="rv_estimate_go", icon=":material/calculate:", disabled=not qs):
            common.warm_up(settings)
            t = review(settings, qs, ids, budget=DEFAULT_BUDGET, dry_run=True)
            st.session_state["rv_estimate"] = (plan, t.estimate)
        est = st.session_state.get("rv_estimate")
        ready = bool(est) and est[0] == plan
        if ready:
            _draw_estimate(est[1])
        elif qs:
            st.caption(LABELS["estimate_first"])
        else:
            st.caption(LABELS["no_questions"])
        if e2.button(LABELS["run"], key="rv_run", type="primary", icon=":material/play_arrow:", disabled=not ready):
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
