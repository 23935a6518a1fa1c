"""Library area: upload files (one ingest job each), watch their progress, list and delete documents."""

from __future__ import annotations

import streamlit as st

from app.faces.ui import common
from app.faces.ui.common import md
from app.library import documents as library
from app.library import jobs, uploads
from app.library.recovery import stalled_ids, status_text
from ingest.types import FAILED, INGESTED, NEEDS_PASSWORD, NO_TEXT, REPLACED, UNCHANGED

_ICON = {
    INGESTED: ":material/check_circle:",
    REPLACED: ":material/published_with_changes:",
    UNCHANGED: ":material/check:",
    NEEDS_PASSWORD: ":material/lock:",
    NO_TEXT: ":material/image_not_supported:",
    FAILED: ":material/error:",
    "refused": ":material/block:",
    "duplicate": ":material/content_copy:",
}
JOBS_SHOWN = 30  # the newest jobs of this matter shown in the Library
_WORDS = {
    INGESTED: "ingested",
    REPLACED: "replaced the earlier version",
    UNCHANGED: "already in the library (unchanged)",
    NEEDS_PASSWORD: "needs a password",
    NO_TEXT: "no text layer",
    FAILED: "unreadable",
    "refused": "refused",
    "duplicate": "duplicate of",
}


def _session_id() -> str:
    if "upload_session" not in st.session_state:
        st.session_state.upload_session = uploads.new_session_id()
    return st.session_state.upload_session


def _outcomes() -> list[dict]:
    """This session's rows that have no job: refused uploads and duplicates within one batch."""
    return st.session_state.setdefault("outcomes", [])


def _submit(settings, staged: list[uploads.StagedFile], password: str | None = None) -> list:
    """Move staged files to their kept, content-addressed place and submit one ingest job each.

    The jobs run in a worker, not in this page: a reload (or another browser) shows the same progress
    from the job records, and closing the page loses nothing."""
    kept = [uploads.keep(settings, s) for s in staged]
    submitted = jobs.submit(settings, kept, password=password or None, names=[s.name for s in staged])
    mine = st.session_state.setdefault("upload_jobs", {})
    for s, j in zip(staged, submitted):
        mine[j.id] = s.sha256
    return submitted


def _handle_uploads(settings, files) -> None:
    done = st.session_state.setdefault("uploaded_ids", set())
    fresh = [f for f in files if f.file_id not in done]
    if not fresh:
        return
    staged, refused = uploads.stage_many(settings, _session_id(), [(f.name, f) for f in fresh])
    done.update(f.file_id for f in fresh)
    out = _outcomes()
    for e in refused:
        out.insert(0, {"name": e.name, "status": "refused", "message": e.message})
    todo = []
    for s in staged:
        if s.duplicate_of:
            out.insert(0, {"name": s.original_name, "status": "duplicate", "message": s.duplicate_of})
        else:
            todo.append(s)
    if todo:
        _submit(settings, todo)


@common.safe_callback("Library")
def _retry_with_password(settings, job_id: str, name: str, doc_id: str) -> None:
    pw = st.session_state.get(f"pw_{job_id}", "")
    st.session_state[f"pw_{job_id}"] = ""
    if not pw:
        return
    path = uploads.kept_path(settings, doc_id, name)
    if path is None:
        st.session_state.flash_error = f"{md(name)}: the uploaded copy is gone; upload the file again"
        return
    jobs.submit(settings, [path], password=pw, names=[name])
    st.session_state.setdefault("retried", set()).add(job_id)


def _job_line(j) -> str:
    status = j.outcome or j.status
    words = _WORDS.get(status, status)
    detail = md((j.message or "").replace(" (--password)", ""))  # the remedy here is the field below
    file = md(j.file)
    if j.status == "queued":
        return f":material/schedule: **{file}** — queued" + (f" ({detail})" if detail else "")
    if j.status == "parsing":
        return f":material/hourglass_top: **{file}** — parsing" + (f": {detail}" if detail else "…")
    if j.status == "embedding":
        return f":material/hourglass_bottom: **{file}** — " + (detail or "computing vectors")
    if status in (INGESTED, REPLACED):
        line = f"{_ICON[status]} **{file}** — {words}: {j.pages} pages, {j.chunks} chunks"
        return line + (f" ({detail})" if detail else "")
    return f"{_ICON.get(status, '')} **{file}** — {words}" + (f": {detail}" if detail else "")


def _draw_session_rows() -> None:
    for row in _outcomes():
        status = row["status"]
        words = _WORDS.get(status, status)
        if status == "duplicate":
            st.markdown(f"{_ICON[status]} **{md(row['name'])}** — {words} {md(row['message'])} (same bytes, skipped)")
        else:
            st.markdown(f"{_ICON.get(status, '')} **{md(row['name'])}** — {words}: {md(row['message'])}")


def _draw_jobs(settings) -> None:
    """The matter's recent ingest jobs with live progress, from the job records (so a reload shows them).

    Redrawn every second while one is running; when one ends the whole page reruns, so the document
    list and the sidebar show the new document."""
    recent = jobs.list_jobs(settings, jobs.matter_of(settings), limit=JOBS_SHOWN)
    retried = st.session_state.get("retried", set())
    running = {j.id for j in recent if not j.done}
    was = st.session_state.get("jobs_running", set())
    st.session_state.jobs_running = running
    if was - running:
        _forget_failed(settings, recent)
        st.rerun(scope="app")
    if not recent and not _outcomes():
        return
    st.markdown("**Ingest jobs**" + (f" — {len(running)} running" if running else ""))
    _draw_session_rows()
    stalled = stalled_ids(settings) if running else set()
    for j in reversed(recent):  # newest first
        st.markdown(_job_line(j))
        if not j.done:
            st.progress(min(1.0, max(0.0, j.progress)),
                        text=f"{status_text(j, j.id in stalled)} · {round(100 * j.progress)}%")
        elif j.outcome == NEEDS_PASSWORD and j.id not in retried and j.doc_id and common.can_edit():
            c1, c2 = st.columns([3, 1])
            c1.text_input(
                f"Password for {md(j.file)}", type="password", key=f"pw_{j.id}", label_visibility="collapsed",
                placeholder=f"Password for {j.file}",
            )
            c2.button("Retry", key=f"retry_{j.id}", on_click=_retry_with_password, args=(settings, j.id, j.file, j.doc_id))


def _forget_failed(settings, recent) -> None:
    """An upload that failed for good leaves no kept copy behind (one that needs a password keeps it)."""
    mine = st.session_state.get("upload_jobs", {})
    known = {d.doc_id for d in library.list_documents(settings)}
    for j in recent:
        sha = mine.get(j.id)
        if sha and j.done and j.outcome in (FAILED, NO_TEXT) and sha not in known:
            uploads.forget(settings, sha)


def _jobs_panel(settings) -> None:
    running = any(not j.done for j in jobs.list_jobs(settings, jobs.matter_of(settings), limit=JOBS_SHOWN))
    if running and hasattr(st, "fragment"):
        st.fragment(run_every=1.0)(_draw_jobs)(settings)
    else:
        _draw_jobs(settings)


@common.safe_callback("Library")
def _delete(settings, doc_id: str, file: str) -> None:
    library.remove(settings, doc_id)
    uploads.forget(settings, doc_id)
    sel = st.session_state.get("selected_docs") or []
    st.session_state.selected_docs = [d for d in sel if d != doc_id]
    st.session_state.flash = f"Deleted {md(file)}"


PAGE_SIZE = 25  # rows per page: a library of hundreds stays usable


def _draw_documents(settings) -> None:
    all_docs = library.list_documents(settings)
    st.subheader(f"Documents ({len(all_docs)})")
    if not all_docs:
        st.info("The library is empty: upload PDFs above (or run `longdoc ingest FOLDER`).")
        return
    f1, f2, f3, f4 = st.columns([3, 1.6, 1.2, 0.8])
    text = f1.text_input("Filter", key="lib_filter", placeholder="title, party, author, court, case no., date, file…")
    domains = f2.multiselect("Type", sorted({d.domain for d in all_docs}), key="lib_domains")
    sort = f3.selectbox("Sort by", list(library.SORTS), key="lib_sort",
                        format_func=lambda k: {"file": "file name", "ingested": "ingested at"}.get(k, k))
    desc = f4.toggle("Desc.", key="lib_desc")
    docs = library.filter_documents(all_docs, text, domains, sort, desc)
    pages = max(1, -(-len(docs) // PAGE_SIZE))
    page = int(st.session_state.get("lib_page", 1))
    page = min(max(1, page), pages)
    if len(docs) != len(all_docs):
        st.caption(f"{len(docs)} of {len(all_docs)} documents match")
    if not docs:
        st.info("No document matches these filters.")
        return
    widths = [4, 2.6, 1.1, 0.6, 0.6, 1.3, 0.5]
    head = st.columns(widths)
    for col, name in zip(head, ["Title / file", "Type · parties / authors", "Date", "Pages", "Chunks", "Ingested"]):
        col.markdown(f"**{name}**")
    for d in docs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        row = library.profile_row(d)
        c = st.columns(widths, vertical_alignment="center")
        extra = " · ".join(x for x in (row["court"], f"No. {row['case_number']}" if row["case_number"] else "") if x)
        desc = f"  \n<small><i>{md(d.profile.description)}</i></small>" if d.profile.description else ""
        # markup built here from escaped parts only (md): a title or party is never HTML or a link
        c[0].markdown(f"{md(row['title'])}  \n<small>{md(d.file)} · {d.doc_id[:12]}{' · ' + md(extra) if extra else ''}"
                      "</small>" + desc, unsafe_allow_html=True)
        who = "; ".join(row["parties"][:3]) + (" …" if len(row["parties"]) > 3 else "")
        c[1].markdown(f"{md(row['type'])}" + (f"  \n<small>{md(who)}</small>" if who else ""), unsafe_allow_html=True)
        c[2].markdown(md(row["date"] or "—"))
        c[3].write(str(d.pages))
        if d.status == "ready":
            c[4].write(str(d.chunks))
        else:  # askable by keywords and whole-document reading; semantic search once its vectors are in
            c[4].markdown(f"{d.chunks}  \n<small>vectors pending</small>", unsafe_allow_html=True)
        c[5].write((d.ingested_at or "")[:19].replace("T", " "))
        if common.can_edit():
            c[6].button(
                ":material/delete:", key=f"del_{d.doc_id}", help=f"Delete {md(d.file)} and all its chunks",
                on_click=_delete, args=(settings, d.doc_id, d.file),
            )
    if pages > 1:
        st.number_input(f"Page (of {pages})", 1, pages, page, key="lib_page")


def render(settings) -> None:
    st.header("Library")
    if st.session_state.get("flash"):
        st.success(st.session_state.pop("flash"))
    if not common.can_edit():
        st.info(f"Read-only: your role on matter {settings.matter} is {st.session_state.get('role')}.")
        files = None
    else:
        files = st.file_uploader(
            f"Add PDFs or Word files (also .txt and .md) — up to {settings.max_file_mb} MB each",
            type=["pdf", "docx", "txt", "md"],
            accept_multiple_files=True,
            key="uploader",
        )
    if st.session_state.get("flash_error"):
        st.error(st.session_state.pop("flash_error"))
    if files:
        _handle_uploads(settings, files)
    _jobs_panel(settings)
    _draw_documents(settings)
