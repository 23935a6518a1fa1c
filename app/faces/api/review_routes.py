"""The /v1 review routes (issue 23): start a review job, read its progress, fetch its table as JSON (the shape
of `longdoc review --json`) or as a file. Every route names its matter and checks the caller's role on it; a
review's records live in its matter's folder, so another matter's review id is simply not found."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import Field
from starlette.background import BackgroundTask

from app.answer import review_jobs
from app.answer.review import export, review
from app.faces.api.routes import Caller, Refs, Strict, _scoped

router = APIRouter(prefix="/v1")

Question = Annotated[str, Field(min_length=1, max_length=2_000)]
FORMATS = Literal["xlsx", "csv", "md", "docx", "json"]


class ReviewIn(Strict):
    questions: Annotated[list[Question], Field(min_length=1, max_length=review_jobs.MAX_QUESTIONS)]
    docs: Refs = None
    budget: Annotated[Optional[int], Field(default=None, ge=500, le=200_000)] = None
    k: Annotated[Optional[int], Field(default=None, ge=1, le=200)] = None
    concurrency: Annotated[int, Field(ge=1, le=2500)] = 16
    dry_run: bool = False


@router.post("/matters/{m}/reviews", tags=["review"], status_code=202)
def start_review(request: Request, who: Caller, m: str, body: ReviewIn) -> dict:
    """Start a review of `questions` × `docs` (none = the whole matter) as a job; returns its record at once.
    With `dry_run` nothing starts: the estimate (cells, calls, tokens, price now and at the other rate, time)."""
    s = _scoped(request, who, m)
    if body.dry_run:
        t = review(s, body.questions, body.docs, budget=body.budget or review_jobs.DEFAULT_BUDGET, k=body.k,
                   concurrency=body.concurrency, dry_run=True)
        return {"questions": t.questions, "dry_run": t.estimate.to_json()}
    job = review_jobs.start(s, body.questions, body.docs, budget=body.budget, k=body.k, concurrency=body.concurrency)
    return job.as_dict()


@router.get("/matters/{m}/reviews", tags=["review"])
def list_reviews(request: Request, who: Caller, m: str) -> dict:
    """The matter's recent reviews, newest first."""
    s = _scoped(request, who, m)
    return {"matter": s.matter, "reviews": [j.as_dict() for j in review_jobs.list_reviews(s)]}


@router.get("/matters/{m}/reviews/{job_id}", tags=["review"])
def get_review(request: Request, who: Caller, m: str, job_id: str) -> dict:
    """A review's progress: state (queued, retrieving, running, ready, stopped, failed), documents done of
    total, the document last computed. A review whose process died is started again by this read."""
    s = _scoped(request, who, m)
    return review_jobs.get(s, job_id).as_dict()


@router.post("/matters/{m}/reviews/{job_id}/resume", tags=["review"], status_code=202)
def resume_review(request: Request, who: Caller, m: str, job_id: str) -> dict:
    """Start a stopped or failed review again: only its missing cells are computed. (An interrupted one — its
    process died — is started again by itself when its status is read, up to LONGDOC_REVIEW_RETRIES times.)"""
    s = _scoped(request, who, m)
    return review_jobs.resume(s, job_id).as_dict()


@router.post("/matters/{m}/reviews/{job_id}/cancel", tags=["review"], status_code=202)
def cancel_review(request: Request, who: Caller, m: str, job_id: str,
                  wait_s: float = Query(0.0, ge=0, le=30)) -> dict:
    """Stop a running review before its next document: it ends "stopped" with the cells done so far (resume
    computes the rest). Returns its record (state "stopped", or still running with message "stopping on request"
    until its process stops; `wait_s` waits up to that long)."""
    s = _scoped(request, who, m)
    return review_jobs.cancel(s, job_id, wait_s=wait_s).as_dict()


@router.get("/matters/{m}/reviews/{job_id}/table", tags=["review"])
def review_table(request: Request, who: Caller, m: str, job_id: str) -> dict:
    """The finished table, exactly as `longdoc review --json` prints it (409 while it runs)."""
    s = _scoped(request, who, m)
    return review_jobs.table_json(s, job_id)


@router.get("/matters/{m}/reviews/{job_id}/export", tags=["review"], response_class=FileResponse)
def export_review(request: Request, who: Caller, m: str, job_id: str, format: FORMATS = Query("xlsx")):
    """The table as a file: .xlsx (the grid, then every cell's evidence), .csv, .md, .docx or .json."""
    s = _scoped(request, who, m)
    t = review_jobs.table(s, job_id)
    folder = Path(s.out_dir) / "api"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder))
    path = export(t, tmp / f"review.{format}")

    def cleanup() -> None:
        path.unlink(missing_ok=True)
        tmp.rmdir()

    return FileResponse(path, filename=path.name, background=BackgroundTask(cleanup))
