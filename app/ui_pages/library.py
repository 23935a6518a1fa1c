"""Library area: upload files, watch each one's outcome, list and delete documents."""

from __future__ import annotations

import dataclasses

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


def _ingest_staged(settings, staged: list[uploads.StagedFile], password: str | None = None) -> list[dict]:
    """Ingest staged files in one batch (parsing runs in parallel), one progress bar per file.

    Files are first moved from the session's staging folder to their kept, content-addressed place
    and ingested from there, so the library's recorded path stays valid. Returns one outcome row
    per file, in the order given."""
    kept_before = {d.doc_id for d in library.list_documents(settings)}
    staged = [dataclasses.replace(s, path=uploads.keep(settings, s)) for s in staged]
    bars = {s.name: st.progress(0.0, text=f"{s.name}: waiting…") for s in staged}

    def progress(ev: dict) -> None:
        kind, bar = ev.get("event"), bars.get(ev.get("file", ""))
        if kind == "wait":
            for b in bars.values():
                b.progress(0.0, text=ev.get("message") or "waiting for another ingest…")
        if bar is None:
            return
        name = ev["file"]
        if kind == "file":
            bar.progress(0.05, text=f"{name}: {ev.get('stage', 'reading')}…")
        elif kind == "parsed":
            bar.progress(0.2, text=f"{name}: {ev.get('pages', '?')} pages, {ev.get('chunks', '?')} chunks — embedding…")
        elif kind == "embedding" and ev.get("total"):
            done, total = ev["done"], ev["total"]
            bar.progress(0.2 + 0.7 * done / total, text=f"{name}: embedding {done}/{total} chunks")
        elif kind == "storing":
            bar.progress(0.92, text=f"{name}: storing…")
        elif kind == "result":
            bar.progress(1.0, text=f"{name}: {ev['result'].status}")

    results = library.ingest(settings, [s.path for s in staged], password=password or None, progress=progress)
    for b in bars.values():
        b.empty()
    by_name = {r.file: r for r in results}
    rows = []
    for s in staged:
        r = by_name.get(s.name) or by_name.get(s.path.name)
        row = {
            "name": s.name,
            "status": r.status if r else FAILED,
            "message": (r.message if r else "no result from ingest"),
            "pages": r.pages if r else 0,
            "chunks": r.chunks if r else 0,
            "doc_id": r.doc_id if r else None,
            "staged": s,
        }
        if row["status"] in (FAILED, NO_TEXT) and s.sha256 not in kept_before:
            uploads.forget(settings, s.sha256)  # nothing in the library refers to it
        rows.append(row)
    return rows


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
    known = {d.doc_id: d for d in library.list_documents(settings)}
    todo = []
    for s in staged:
        if s.duplicate_of:
            out.insert(0, {"name": s.original_name, "status": "duplicate", "message": s.duplicate_of})
        elif s.sha256 in known:  # same bytes already in the library: only the hash was paid for
            out.insert(0, {"name": s.name, "status": UNCHANGED, "doc_id": s.sha256,
                           "message": f"identical to {known[s.sha256].file}"})
            uploads.keep(settings, s)
        else:
            todo.append(s)
    if todo:
        for row in reversed(_ingest_staged(settings, todo)):
            out.insert(0, row)


@common.safe_callback("Library")
def _retry_with_password(settings, i: int) -> None:
    row = _outcomes()[i]
    pw = st.session_state.get(f"pw_{i}", "")
    if not pw:
        return
    _outcomes()[i] = _ingest_staged(settings, [row["staged"]], password=pw)[0]
    st.session_state[f"pw_{i}"] = ""


def _draw_outcomes(settings) -> None:
    rows = _outcomes()
    if not rows:
        return
    st.markdown("**This session's uploads**")
    for i, row in enumerate(rows):
        status = row["status"]
        words = _WORDS.get(status, status)
        # the pipeline's messages name CLI flags; here the remedy is the field below
        detail = (row.get("message") or "").replace(" (--password)", "")
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


@common.safe_callback("Library")
def _delete(settings, doc_id: str, file: str) -> None:
    library.remove(settings, doc_id)
    uploads.forget(settings, doc_id)
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
    for col, name in zip(head, ["Title / file", "Domain", "Pages", "Chunks", "Ingested"]):
        col.markdown(f"**{name}**")
    for d in docs:
        c = st.columns(widths, vertical_alignment="center")
        c[0].markdown(f"{d.title or d.file}  \n<small>`{d.file}` · `{d.doc_id[:12]}`</small>", unsafe_allow_html=True)
        c[1].write(d.domain)
        c[2].write(str(d.pages))
        c[3].write(str(d.chunks))
        c[4].write((d.ingested_at or "")[:19].replace("T", " "))
        if common.can_edit():
            c[5].button(
                ":material/delete:", key=f"del_{d.doc_id}", help=f"Delete {d.file} and all its chunks",
                on_click=_delete, args=(settings, d.doc_id, d.file),
            )


def render(settings) -> None:
    st.header("Library")
    if st.session_state.get("flash"):
        st.success(st.session_state.pop("flash"))
    if not common.can_edit():
        st.info(f"Read-only: your role on matter {settings.matter} is {st.session_state.get('role')}.")
        files = None
    else:
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
