"""The /v1 routes. Thin: check the caller's role on the matter, call the app/ use case, return its JSON."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.answer import pages
from app.answer.ask import ask as ask_question
from app.answer.compare import compare as compare_documents
from app.answer.export import export
from app.answer.passages import packed_context, search_passages
from app.answer.summarize import summarize as summarize_documents
from app.answer.table_export import tables_for
from app.config import Settings
from app.faces import present
from app.faces.api.http import error, principal
from app.library import access, jobs, matters, uploads
from app.library import documents as library
from app.library.recovery import is_stalled, status_text
from app.library.restore import restore

router = APIRouter(prefix="/v1")
Caller = Annotated[access.Principal, Depends(principal)]

Ref = Annotated[str, Field(min_length=1, max_length=512)]
Refs = Annotated[Optional[list[Ref]], Field(default=None, max_length=500, description="Document ids, id prefixes (6+) or file names; none = the whole matter.")]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Budget = Annotated[Optional[int], Field(default=None, ge=1, le=2_000_000, description="Context budget in DeepSeek tokens.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MatterIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=64)]


class SearchIn(Strict):
    query: Text
    k: Annotated[int, Field(ge=1, le=1000)] = 10
    docs: Refs = None
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"


class ContextIn(Strict):
    question: Text
    docs: Refs = None
    budget: Budget = None


class Turn(Strict):
    role: Literal["user", "assistant"]
    content: Annotated[str, Field(max_length=100_000)]


class AskIn(Strict):
    question: Text
    docs: Refs = None
    budget: Budget = None
    thinking: bool = False
    dry_run: bool = False
    history: Annotated[Optional[list[Turn]], Field(default=None, max_length=50)] = None


class SummarizeIn(Strict):
    docs: Refs = None
    style: Literal["brief", "legal", "scientific", "detailed"] = "brief"
    budget: Budget = None
    dry_run: bool = False


class CompareIn(Strict):
    docs: Refs = None
    aspects: Annotated[Optional[list[Annotated[str, Field(min_length=1, max_length=200)]]], Field(default=None, max_length=50)] = None
    dry_run: bool = False


def _scoped(request: Request, who: access.Principal, m: str, need: str = "reader") -> Settings:
    return access.authorize(request.app.state.settings, who, m, need)


# ---- health, matters --------------------------------------------------------------------------------


@router.get("/health", tags=["server"])
def health() -> dict:
    """Liveness (no token needed)."""
    return {"status": "ok"}


@router.get("/matters", tags=["matters"])
def list_matters(request: Request, who: Caller) -> dict:
    """The matters this token opens, with its role on each."""
    s = request.app.state.settings
    out = []
    for name in who.matters(s):
        docs = len(library.list_documents(matters.for_matter(s, name)))
        out.append({"name": name, "role": who.role_for(name), "documents": docs})
    return {"matters": out}


@router.post("/matters", tags=["matters"], status_code=201)
def create_matter(request: Request, who: Caller, body: MatterIn) -> dict:
    """Create a matter (needs an admin token for every matter: `token create --matter '*' --role admin`)."""
    s = request.app.state.settings
    if who.grants.get(access.ALL_MATTERS) != "admin":
        raise access.Forbidden("creating a matter needs an admin token for every matter (`longdoc token create --matter '*' --role admin`)")
    return matters.create(s, body.name).as_dict()


# ---- documents and jobs -----------------------------------------------------------------------------


@router.get("/matters/{m}/documents", tags=["documents"])
def list_documents(request: Request, who: Caller, m: str) -> dict:
    s = _scoped(request, who, m)
    return {"matter": s.matter, "documents": [library.document_json(d) for d in library.list_documents(s)]}


@router.get("/matters/{m}/documents/{doc_id}", tags=["documents"])
def get_document(request: Request, who: Caller, m: str, doc_id: str) -> dict:
    s = _scoped(request, who, m)
    return library.document_json(library.get_document(s, doc_id))


@router.delete("/matters/{m}/documents/{doc_id}", tags=["documents"])
def delete_document(request: Request, who: Caller, m: str, doc_id: str) -> dict:
    """Remove a document, its chunks, vectors and uploaded file (needs editor)."""
    s = _scoped(request, who, m, "editor")
    doc = library.delete_document(s, doc_id)
    return {"deleted": doc.doc_id, "file": doc.file, "chunks": doc.chunks}


@router.get("/matters/{m}/deleted", tags=["documents"])
def list_deleted(request: Request, who: Caller, m: str) -> dict:
    """Recently deleted documents of the matter, restorable until `LONGDOC_TRASH_DAYS` pass."""
    s = _scoped(request, who, m)
    return {"matter": s.matter, "kept_days": s.trash_days,
            "deleted": [e.as_dict() for e in library.recently_deleted(s)]}


@router.post("/matters/{m}/deleted/{doc_id}/restore", tags=["documents"], status_code=202)
def restore_document(request: Request, who: Caller, m: str, doc_id: str) -> dict:
    """Restore a recently deleted document: its kept file is ingested again, as a job (needs editor)."""
    s = _scoped(request, who, m, "editor")
    return restore(s, doc_id).as_dict()


@router.get("/matters/{m}/documents/{doc_id}/pages/{page}", tags=["documents"], response_class=FileResponse,
            responses={200: {"content": {"image/png": {}}}})
def page_image(request: Request, who: Caller, m: str, doc_id: str, page: int,
               highlight: Annotated[Optional[str], Query(max_length=20_000)] = None,
               width: Annotated[int, Query(ge=200, le=4000)] = 1200,
               first: Annotated[Optional[int], Query(ge=1)] = None, last: Annotated[Optional[int], Query(ge=1)] = None):
    """PDF page `page` (1-based) as a PNG, `highlight` (a passage of its text) marked — the page a citation
    opens, like `longdoc page`; `first`/`last` = the passage's pages when it runs over several. Headers say
    the printed page number and whether the passage was found on this page."""
    s = _scoped(request, who, m)
    span = (first, last or first) if first else None
    img = pages.page_image(s, library.get_document(s, doc_id), page, highlight=highlight, span=span, width=width)
    return FileResponse(img.path, media_type="image/png", headers={
        "X-Longdoc-Page-Label": img.label.encode("ascii", "replace").decode(),
        "X-Longdoc-Pages": img.pages_display.replace("–", "-").encode("ascii", "replace").decode(),
        "X-Longdoc-Highlight-Found": "1" if img.found else "0"})


@router.get("/matters/{m}/documents/{doc_id}/original", tags=["documents"], response_class=FileResponse,
            responses={200: {"content": {"application/pdf": {}}}})
def original(request: Request, who: Caller, m: str, doc_id: str):
    """The document's original PDF, as ingested (the library's own copy; a Word file's LibreOffice rendering)."""
    s = _scoped(request, who, m)
    doc = library.get_document(s, doc_id)
    return FileResponse(pages.original_pdf(s, doc), media_type="application/pdf", filename=pages.original_name(doc))


@router.post("/matters/{m}/documents", tags=["documents"], status_code=202,
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"},
                                "password": {"type": "string", "description": "for an encrypted PDF"}}}}}}})
async def upload_document(request: Request, who: Caller, m: str) -> JSONResponse:
    """Upload one PDF, Word file (.docx), .txt or .md (multipart field `file`; optional `password`); returns the job that ingests it.

    Limits and name cleaning are the UI's: max_file_mb per file, unsafe characters removed from the name."""
    s = _scoped(request, who, m, "editor")
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        return error(415, "send the file as multipart/form-data in a field named 'file'")
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
    except StarletteHTTPException:
        raise  # the body limit (413)
    except Exception as e:  # noqa: BLE001 - python-multipart's refusals (bad boundary, too many parts)
        return error(400, f"could not read the multipart body: {' '.join(str(getattr(e, 'detail', e)).split())[:200]}")
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not hasattr(upload, "file"):
            return error(400, "no file: send it in a multipart field named 'file'")
        password = form.get("password")
        password = password if isinstance(password, str) and password else None
        session = "api-" + uuid.uuid4().hex[:12]
        try:
            staged = await run_in_threadpool(uploads.stage, s, session, upload.filename or "", upload.file)
            kept = await run_in_threadpool(uploads.keep, s, staged)
        finally:
            uploads.discard(s, session)  # refused or kept: the private staging folder goes
        job = (await run_in_threadpool(lambda: jobs.submit(s, [kept], password=password, names=[staged.name])))[0]
    finally:
        await form.close()
    return JSONResponse({"job_id": job.id, "status": job.status, "file": job.file, "matter": s.matter}, status_code=202)


@router.get("/jobs/{job_id}", tags=["documents"])
def get_job(request: Request, who: Caller, job_id: str) -> dict:
    """An upload's progress: status queued / parsing / embedding / ready / failed, doc_id, message."""
    s = request.app.state.settings
    job = jobs.get_job(s, job_id) if len(job_id) <= 64 else None
    if job is None or who.role_for(job.matter) is None or not matters.exists(s, job.matter):
        raise access.NotFound(f"no job with id '{job_id[:64]}'")
    data = job.as_dict()
    data.pop("worker", None)
    data["stalled"] = is_stalled(s, job)  # its worker is gone: it goes back to the queue and is retried
    data["state"] = status_text(job, data["stalled"])
    return data


# ---- search, context, ask, summarize, compare ----------------------------------------------------------


@router.post("/matters/{m}/search", tags=["reading"])
def search(request: Request, who: Caller, m: str, body: SearchIn) -> dict:
    """Ranked passages (dense + BM25 fused) with pages and sections — `longdoc search --json`."""
    s = _scoped(request, who, m)
    return search_passages(s, body.query, body.docs, k=body.k, mode=body.mode)


@router.post("/matters/{m}/context", tags=["reading"])
def context(request: Request, who: Caller, m: str, body: ContextIn) -> dict:
    """The packed context a model would receive, and its coverage — `longdoc context --json`."""
    s = _scoped(request, who, m)
    return packed_context(s, body.question, body.docs, budget=body.budget or 0)[1]


def _ask(s: Settings, body: AskIn, on_event=None):
    if body.thinking:
        s = s.replace(thinking=True)
    history = [t.model_dump() for t in body.history] if body.history else None
    return ask_question(s, body.question, docs=body.docs, budget=body.budget, history=history,
               on_event=on_event, dry_run=body.dry_run)


@router.post("/matters/{m}/ask", tags=["reading"],
             responses={200: {"content": {"application/json": {}, "text/event-stream": {}},
                              "description": "The answer (`longdoc ask --json`), or with `Accept: text/event-stream` "
                                             "its text as `delta` events, then one `answer` event with the same JSON."}})
async def ask(request: Request, who: Caller, m: str, body: AskIn):
    """A cited answer over the matter's documents (or `docs`)."""
    s = _scoped(request, who, m)
    if "text/event-stream" not in request.headers.get("accept", ""):
        answer = await run_in_threadpool(_ask, s, body)
        return answer.to_json()
    return EventSourceResponse(_stream(s, body))


async def _stream(s: Settings, body: AskIn):
    """Run ask on a thread (present.ask_events); its model events become SSE events as they arrive."""
    events = present.ask_events(lambda on_event: _ask(s, body, on_event), reasoning=body.thinking)
    async for kind, data in iterate_in_threadpool(events):
        if kind == "delta" or kind == "reasoning":
            data = {"text": data}
        elif kind == "answer":
            data = data.to_json()
        else:
            known = present.failure(data) or present.internal(data)
            data = {"error": present.one_line(known.line), "status": known.status}
        yield format_sse_event(event=kind, data_str=json.dumps(data, ensure_ascii=False, default=str))


@router.post("/matters/{m}/summarize", tags=["reading"])
def summarize(request: Request, who: Caller, m: str, body: SummarizeIn) -> dict:
    """A cited summary — `longdoc summarize --json`."""
    s = _scoped(request, who, m)
    return summarize_documents(s, docs=body.docs, style=body.style, budget=body.budget, dry_run=body.dry_run).to_json()


@router.post("/matters/{m}/compare", tags=["reading"])
def compare(request: Request, who: Caller, m: str, body: CompareIn) -> dict:
    """Documents × aspects, one cited cell each — `longdoc compare --json`."""

    s = _scoped(request, who, m)
    return compare_documents(s, docs=body.docs, aspects=body.aspects, dry_run=body.dry_run).to_json()


# ---- exports: the same results as files --------------------------------------------------------------

TEXT_FORMATS = Literal["md", "docx", "pdf", "json"]
ASK_FORMATS = Literal["md", "docx", "pdf", "json", "xlsx"]  # xlsx: the tables the answer cites, whole
MATRIX_FORMATS = Literal["md", "docx", "pdf", "json", "csv", "xlsx"]


def _download(s: Settings, result, stem: str, fmt: str) -> FileResponse:
    """Write the export into the matter's out folder, send it, then remove it (the caller has it)."""
    folder = Path(s.out_dir) / "api"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder))
    path = export(result, tmp / f"{stem}.{fmt}", tables=tables_for(s, result, f".{fmt}"))

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        tmp.rmdir()

    return FileResponse(path, filename=path.name, background=BackgroundTask(cleanup))


@router.post("/matters/{m}/ask/export", tags=["exports"], response_class=FileResponse)
def export_ask(request: Request, who: Caller, m: str, body: AskIn, format: ASK_FORMATS = Query("md")):
    """The answer as a file (.md .docx .pdf .json; .xlsx: the tables it cites), like `longdoc ask --export`."""
    s = _scoped(request, who, m)
    return _download(s, _ask(s, body.model_copy(update={"dry_run": False})), "answer", format)


@router.post("/matters/{m}/summarize/export", tags=["exports"], response_class=FileResponse)
def export_summary(request: Request, who: Caller, m: str, body: SummarizeIn, format: TEXT_FORMATS = Query("md")):
    """The summary as a file (.md .docx .pdf .json)."""
    s = _scoped(request, who, m)
    return _download(s, summarize_documents(s, docs=body.docs, style=body.style, budget=body.budget), "summary", format)


@router.post("/matters/{m}/compare/export", tags=["exports"], response_class=FileResponse)
def export_compare(request: Request, who: Caller, m: str, body: CompareIn, format: MATRIX_FORMATS = Query("xlsx")):
    """The comparison matrix as a file (.csv .xlsx .md .docx .pdf .json)."""

    s = _scoped(request, who, m)
    return _download(s, compare_documents(s, docs=body.docs, aspects=body.aspects), "comparison", format)
