"""Library area: upload files (one ingest job each), watch their progress, list, delete (after asking) and
restore documents."""

from __future__ import annotations

import streamlit as st

from app.faces.ui import common
from app.faces.ui.common import md
from app.faces.ui.i18n import t
from app.library import documents as library
from app.library import jobs, uploads
from app.library.recovery import stalled_ids, status_text
from app.library.restore import restore
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
    UNCHANGED: "already in the library, unchanged",
    NEEDS_PASSWORD: "needs a password",
    NO_TEXT: "no text layer",
    FAILED: "unreadable",
    "refused": "refused",
    "duplicate": "duplicate of",
}
_ALREADY = "already in the library"  # jobs.submit's message for bytes the library holds: said once, by _WORDS


def _words(status: str) -> str:
    return t(_WORDS[status]) if status in _WORDS else status


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
    for e in refused:
        _add_outcome({"name": e.name, "status": "refused", "message": e.message})
    todo = []
    for s in staged:
        if s.duplicate_of:
            _add_outcome({"name": s.original_name, "status": "duplicate", "message": s.duplicate_of})
        else:
            todo.append(s)
    if todo:
        _submit(settings, todo)


def _add_outcome(row: dict) -> None:
    """One row per file: a file refused again (another attempt, another rerun) replaces its earlier row."""
    out = _outcomes()
    out[:] = [r for r in out if r["name"] != row["name"]]
    out.insert(0, row)


@common.safe_callback("Library")
def _retry_with_password(settings, job_id: str, name: str, doc_id: str) -> None:
    pw = st.session_state.get(f"pw_{job_id}", "")
    st.session_state[f"pw_{job_id}"] = ""
    if not pw:
        return
    path = uploads.kept_path(settings, doc_id, name)
    if path is None:
        st.session_state.flash_error = t("{file}: the uploaded copy is gone; upload the file again", file=md(name))
        return
    jobs.submit(settings, [path], password=pw, names=[name])
    st.session_state.setdefault("retried", set()).add(job_id)


def _job_line(j) -> str:
    status = j.outcome or j.status
    words = _words(status)
    message = (j.message or "").replace(" (--password)", "")  # the remedy here is the field below
    if status == UNCHANGED and message.startswith(_ALREADY):  # "already in the library (same bytes as x.pdf)"
        message = message[len(_ALREADY):].strip(" :()")
    detail = md(message)
    file = md(j.file)
    if j.status == "queued":
        return f":material/schedule: **{file}** — {t('queued')}" + (f" ({detail})" if detail else "")
    if j.status == "parsing":
        return f":material/hourglass_top: **{file}** — {t('parsing')}" + (f": {detail}" if detail else "…")
    if j.status == "embedding":
        return f":material/hourglass_bottom: **{file}** — " + (detail or t("computing vectors"))
    if status in (INGESTED, REPLACED):
        line = f"{_ICON[status]} **{file}** — {words}: " + t("{pages} pages, {chunks} chunks", pages=j.pages, chunks=j.chunks)
        return line + (f" ({detail})" if detail else "")
    if status == UNCHANGED:
        return f"{_ICON[status]} **{file}** — {words}" + (f" ({detail})" if detail else "")
    return f"{_ICON.get(status, '')} **{file}** — {words}" + (f": {detail}" if detail else "")


def _draw_session_rows() -> None:
    for row in _outcomes():
        status = row["status"]
        words = _words(status)
        if status == "duplicate":
            st.markdown(f"{_ICON[status]} **{md(row['name'])}** — {words} {md(row['message'])} " + t("(same bytes, skipped)"))
        else:
            st.markdown(f"{_ICON.get(status, '')} **{md(row['name'])}** — {words}: {md(row['message'])}")


def shown_jobs(recent: list, in_library: set[str]) -> list:
    """The jobs the panel lists, newest first: every running job, and one finished row per file — the newest
    attempt's (a bad file uploaded three times is one row) — but none for a document that was deleted since
    (a job that ingested it would still say "ingested")."""
    out, seen = [], set()
    for j in reversed(recent):
        if not j.done:
            out.append(j)
            continue
        key = (j.doc_id or "", j.file)
        if key in seen or (j.outcome in (INGESTED, REPLACED, UNCHANGED) and j.doc_id not in in_library):
            continue
        seen.add(key)
        out.append(j)
    return out


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
    shown = shown_jobs(recent, {d.doc_id for d in library.list_documents(settings)})
    if not shown and not _outcomes():
        return
    st.markdown(f"**{t('Ingest jobs')}**" + (" — " + t("{n} running", n=len(running)) if running else ""))
    _draw_session_rows()
    stalled = stalled_ids(settings) if running else set()
    for j in shown:
        st.markdown(_job_line(j))
        if not j.done:
            st.progress(min(1.0, max(0.0, j.progress)),
                        text=f"{status_text(j, j.id in stalled)} · {round(100 * j.progress)}%")
        elif j.outcome == NEEDS_PASSWORD and j.id not in retried and j.doc_id and common.can_edit():
            c1, c2 = st.columns([3, 1])
            c1.text_input(
                t("Password for {file}", file=md(j.file)), type="password", key=f"pw_{j.id}",
                label_visibility="collapsed", placeholder=t("Password for {file}", file=j.file),
            )
            c2.button(t("Retry"), key=f"retry_{j.id}", on_click=_retry_with_password,
                      args=(settings, j.id, j.file, j.doc_id))


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
        st.fragment(run_every=1.0)(_draw_jobs_guarded)(settings)
    else:
        _draw_jobs(settings)


def _draw_jobs_guarded(settings) -> None:
    # a fragment's own reruns run outside main's guard: a failure there was Streamlit's redacted error box, faded
    with common.guard("Library"):
        _draw_jobs(settings)


CONFIRM = "confirm_delete"  # the document whose delete waits for a second click


def _ask_delete(doc_id: str, file: str) -> None:
    """The row's delete icon only asks: the delete happens on "Delete" in the question drawn above the table."""
    st.session_state[CONFIRM] = {"doc_id": doc_id, "file": file}


def _cancel_delete() -> None:
    st.session_state.pop(CONFIRM, None)


@common.safe_callback("Library")
def _delete(settings, doc_id: str, file: str) -> None:
    st.session_state.pop(CONFIRM, None)
    library.delete_document(settings, doc_id)  # kept in the matter's trash: restorable below
    sel = st.session_state.get("selected_docs") or []
    st.session_state.selected_docs = [d for d in sel if d != doc_id]
    kept = any(e.doc_id == doc_id for e in library.recently_deleted(settings))
    st.session_state.flash = t("Deleted {file}", file=md(file)) + (
        " — " + t("it can be restored under Recently deleted") if kept else "")


@common.safe_callback("Library")
def _restore(settings, doc_id: str, file: str) -> None:
    restore(settings, doc_id)
    st.session_state.flash = t("Restoring {file}: it is ingested again from its kept copy", file=md(file))


def _draw_confirm(settings, docs) -> None:
    pending = st.session_state.get(CONFIRM)
    if not pending or all(d.doc_id != pending["doc_id"] for d in docs):
        return
    with st.container(border=True, key="confirm_box"):
        st.warning(t("Delete **{file}** and all its chunks? It stays restorable under Recently deleted for {days} days.",
                     file=md(pending["file"]), days=f"{settings.trash_days:g}"))
        b1, b2, _ = st.columns([1, 1, 5])
        b1.button(t("Delete"), type="primary", key="del_confirm", icon=":material/delete:", on_click=_delete,
                  args=(settings, pending["doc_id"], pending["file"]))
        b2.button(t("Cancel"), key="del_cancel", on_click=_cancel_delete)


def _draw_deleted(settings) -> None:
    """Recently deleted documents, each with Restore (kept LONGDOC_TRASH_DAYS, or until the matter is deleted)."""
    gone = library.recently_deleted(settings)
    if not gone:
        return
    with st.expander(t("Recently deleted ({n})", n=len(gone)), icon=":material/restore_from_trash:"):
        st.caption(t("Deleted documents are kept {days} days; restoring ingests the file again.",
                     days=f"{settings.trash_days:g}"))
        for e in gone:
            c = st.columns([5, 2, 1.2], vertical_alignment="center")
            c[0].markdown(f"{md(e.title)}  \n<small>{md(e.file)} · {e.doc_id[:12]}</small>", unsafe_allow_html=True)
            c[1].write(e.as_dict()["deleted_at"].replace("T", " ").rstrip("Z"))
            if common.can_edit():
                c[2].button(t("Restore"), key=f"restore_{e.doc_id}", icon=":material/restore:", width="stretch",
                            on_click=_restore, args=(settings, e.doc_id, e.file))


PAGE_SIZE = 25  # rows per page: a library of hundreds stays usable


_HEADS = ("Title / file", "Type · parties / authors", "Date", "Pages", "Chunks", "Ingested")
# the last column holds the delete icon: wide enough for the whole button at 1,400 px with the sidebar open
WIDTHS = [3.6, 2.5, 1.1, 0.85, 0.85, 1.4, 0.75]


def _head(name: str) -> str:
    """A column head on one line: a narrow column may cut it short, never break it inside a word."""
    return f'<span class="ld-head" style="white-space:nowrap;font-weight:600">{md(t(name))}</span>'


def _draw_documents(settings) -> None:
    all_docs = library.list_documents(settings)
    st.subheader(t("Documents ({n})", n=len(all_docs)))
    if not all_docs:
        st.info(t("The library is empty: upload PDFs above (or run `longdoc ingest FOLDER`)."))
        return
    f1, f2, f3, f4 = st.columns([3, 1.6, 1.2, 0.8])
    text = f1.text_input(t("Filter"), key="lib_filter", placeholder=t("title, party, author, court, case no., date, file…"))
    domains = f2.multiselect(t("Type"), sorted({d.domain for d in all_docs}), key="lib_domains")
    sorts = {"file": "file name", "title": "title", "date": "date", "ingested": "ingested at", "pages": "pages",
             "type": "type"}
    sort = f3.selectbox(t("Sort by"), list(library.SORTS), key="lib_sort", format_func=lambda k: t(sorts.get(k, k)))
    desc = f4.toggle(t("Desc."), key="lib_desc")
    docs = library.filter_documents(all_docs, text, domains, sort, desc)
    pages = max(1, -(-len(docs) // PAGE_SIZE))
    page = int(st.session_state.get("lib_page", 1))
    page = min(max(1, page), pages)
    if len(docs) != len(all_docs):
        st.caption(t("{n} of {total} documents match", n=len(docs), total=len(all_docs)))
    if not docs:
        st.info(t("No document matches these filters."))
        return
    _draw_confirm(settings, all_docs)
    head = st.columns(WIDTHS, gap="small")
    for col, name in zip(head, _HEADS):
        col.markdown(_head(name), unsafe_allow_html=True)
    for d in docs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        row = library.profile_row(d)
        c = st.columns(WIDTHS, vertical_alignment="center", gap="small")
        extra = " · ".join(x for x in (row["court"], f"No. {row['case_number']}" if row["case_number"] else "") if x)
        desc = f"  \n<small><i>{md(d.profile.description)}</i></small>" if d.profile.description else ""
        # markup built here from escaped parts only (md): a title or party is never HTML or a link
        c[0].markdown(f"{md(row['title'])}  \n<small>{md(d.file)} · {d.doc_id[:12]}{' · ' + md(extra) if extra else ''}"
                      "</small>" + desc, unsafe_allow_html=True)
        who = "; ".join(row["parties"][:3]) + (" …" if len(row["parties"]) > 3 else "")
        c[1].markdown(f"{md(row['type'])}" + (f"  \n<small>{md(who)}</small>" if who else ""), unsafe_allow_html=True)
        c[2].markdown(md(row["date"] or "—"))
        c[3].write(str(d.pages) if row["page_unit"] == "pages" else t("{n} clauses", n=d.pages))
        if d.status == "ready":
            c[4].write(str(d.chunks))
        else:  # askable by keywords and whole-document reading; semantic search once its vectors are in
            c[4].markdown(f"{d.chunks}  \n<small>{t('vectors pending')}</small>", unsafe_allow_html=True)
        c[5].write((d.ingested_at or "")[:19].replace("T", " "))
        if common.can_edit():
            c[6].button(
                ":material/delete:", key=f"del_{d.doc_id}", width="stretch",
                help=t("Delete {file} and all its chunks (asks first; restorable)", file=md(d.file)),
                on_click=_ask_delete, args=(d.doc_id, d.file),
            )
    if pages > 1:
        st.number_input(t("Page (of {pages})", pages=pages), 1, pages, page, key="lib_page")


def _accepted() -> str:
    """The accepted kinds in words, from the uploads' own list (it grows when ingest reads more kinds)."""
    return ", ".join(x for x in uploads.ACCEPTED_SUFFIXES if x != ".pdf")


def render(settings) -> None:
    st.header(t("Library"))
    if st.session_state.get("flash"):
        st.success(st.session_state.pop("flash"))
    if not common.can_edit():
        st.info(t("Read-only: your role on matter {matter} is {role}.", matter=settings.matter,
                  role=st.session_state.get("role")))
        files = None
    else:
        # every kind of file is taken here and refused by the uploads with its reason in words (a type filter
        # in the widget would only show a red icon)
        files = st.file_uploader(
            t("Add PDFs (also {kinds}) — up to {mb} MB each", kinds=_accepted(), mb=settings.max_file_mb),
            type=None,
            accept_multiple_files=True,
            key="uploader",
        )
    if st.session_state.get("flash_error"):
        st.error(st.session_state.pop("flash_error"))
    if files:
        _handle_uploads(settings, files)
    _jobs_panel(settings)
    _draw_documents(settings)
    _draw_deleted(settings)
