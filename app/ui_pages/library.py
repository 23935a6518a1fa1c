"""Library area: upload files, watch each one's outcome, list and delete documents."""

from __future__ import annotations

import streamlit as st

from app import library, uploads
from app.ui_pages import common
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
    return st.session_state.setdefault("outcomes", [])


def _ingest_staged(settings, staged: uploads.StagedFile, password: str | None = None) -> dict:
    """Ingest one staged file with its own progress bar; returns the outcome row shown in the list."""
    bar = st.progress(0.0, text=f"{staged.name}: reading…")

    def progress(event: dict) -> None:
        done, total = event.get("done") or event.get("pages_done"), event.get("total") or event.get("pages")
        stage = event.get("stage") or event.get("status") or "working"
        if done is not None and total:
            bar.progress(min(1.0, float(done) / float(total)), text=f"{staged.name}: {stage} {done}/{total}")
        else:
            bar.progress(0.5, text=f"{staged.name}: {stage}…")

    results = library.ingest(settings, [staged.path], password=password or None, progress=progress)
    bar.empty()
    r = results[0] if results else None
    row = {
        "name": staged.name,
        "status": r.status if r else FAILED,
        "message": (r.message if r else "no result from ingest"),
        "pages": r.pages if r else 0,
        "chunks": r.chunks if r else 0,
        "doc_id": r.doc_id if r else None,
        "staged": staged,
    }
    if row["status"] in (INGESTED, REPLACED, UNCHANGED):
        uploads.keep(settings, staged)
    return row


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
    known = {d.doc_id for d in library.list_documents(settings)}
    for s in staged:
        if s.duplicate_of:
            out.insert(0, {"name": s.original_name, "status": "duplicate", "message": s.duplicate_of})
            continue
        if s.sha256 in known:
            out.insert(0, {"name": s.name, "status": UNCHANGED, "message": "identical bytes already ingested",
                           "doc_id": s.sha256})
            uploads.keep(settings, s)
            continue
        out.insert(0, _ingest_staged(settings, s))


def _retry_with_password(settings, i: int) -> None:
    row = _outcomes()[i]
    pw = st.session_state.get(f"pw_{i}", "")
    if not pw:
        return
    new = _ingest_staged(settings, row["staged"], password=pw)
    st.session_state[f"pw_{i}"] = ""
    _outcomes()[i] = new


def _draw_outcomes(settings) -> None:
    rows = _outcomes()
    if not rows:
        return
    st.markdown("**This session's uploads**")
    for i, row in enumerate(rows):
        status = row["status"]
        words = _WORDS.get(status, status)
        detail = row.get("message") or ""
        if status == "duplicate":
            line = f"{_ICON[status]} **{row['name']}** — {words} {detail} (same bytes, skipped)"
        elif status in (INGESTED, REPLACED):
            line = f"{_ICON[status]} **{row['name']}** — {words}: {row.get('pages', 0)} pages, {row.get('chunks', 0)} chunks"
            if detail:
                line += f" ({detail})"
        else:
            line = f"{_ICON.get(status, '')} **{row['name']}** — {words}" + (f": {detail}" if detail else "")
        st.markdown(line, help=None)
        if status == NEEDS_PASSWORD and row.get("staged"):
            c1, c2 = st.columns([3, 1])
            c1.text_input(
                f"Password for {row['name']}", type="password", key=f"pw_{i}", label_visibility="collapsed",
                placeholder=f"Password for {row['name']}",
            )
            c2.button("Retry", key=f"retry_{i}", on_click=_retry_with_password, args=(settings, i))


def _delete(settings, doc_id: str, file: str) -> None:
    library.remove(settings, doc_id)
    sel = st.session_state.get("selected_docs") or []
    st.session_state.selected_docs = [d for d in sel if d != doc_id]
    st.session_state.flash = f"Deleted {file}"


def _draw_documents(settings) -> None:
    docs = library.list_documents(settings)
    st.subheader(f"Documents ({len(docs)})")
    if not docs:
        st.info("The library is empty: upload PDFs above (or run `longdoc ingest FOLDER`).")
        return
    widths = [4, 1.3, 0.7, 0.7, 1.6, 0.6]
    head = st.columns(widths)
    for col, name in zip(head, ["Title / file", "Domain", "Pages", "Chunks", "Ingested", ""]):
        col.markdown(f"**{name}**")
    for d in docs:
        c = st.columns(widths, vertical_alignment="center")
        c[0].markdown(f"{d.title or d.file}  \n<small>`{d.file}` · `{d.doc_id[:12]}`</small>", unsafe_allow_html=True)
        c[1].write(d.domain)
        c[2].write(str(d.pages))
        c[3].write(str(d.chunks))
        c[4].write((d.ingested_at or "")[:19].replace("T", " "))
        c[5].button(
            ":material/delete:", key=f"del_{d.doc_id}", help=f"Delete {d.file} and all its chunks",
            on_click=_delete, args=(settings, d.doc_id, d.file),
        )


def render(settings) -> None:
    st.header("Library")
    if st.session_state.get("flash"):
        st.success(st.session_state.pop("flash"))
    files = st.file_uploader(
        f"Add PDFs (also .txt and .md) — up to {settings.max_file_mb} MB each",
        type=["pdf", "txt", "md"],
        accept_multiple_files=True,
        key="uploader",
    )
    if files:
        _handle_uploads(settings, files)
    _draw_outcomes(settings)
    _draw_documents(settings)
