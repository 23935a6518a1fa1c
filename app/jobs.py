"""Ingest jobs (stand-in until the job queue of issue 14 lands; same interface, simpler inside).

An upload through the API becomes a job: a record (in a small SQLite table under LONGDOC_HOME, one for
every matter, with a `matter` column) and a run on a thread of the submitting process. Records outlive
the process; a job whose process is gone before it finished reads as failed, with the reason.
"""

from __future__ import annotations

import os
import queue
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from app.config import Settings

FINAL = ("ready", "failed")
_HOST = socket.gethostname()


@dataclass(frozen=True)
class Job:
    id: str  # unguessable (uuid4 hex)
    matter: str
    file: str  # the file name as submitted (sanitised)
    status: str  # "queued" | "parsing" | "embedding" | "ready" | "failed"
    progress: float  # 0.0 .. 1.0
    message: str  # one-line reason when failed (or a note), else ""
    doc_id: str | None
    worker: str | None  # "host:pid" of the worker holding it
    created_at: str  # ISO-8601 UTC
    updated_at: str

    def as_dict(self) -> dict:
        return asdict(self)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _db(settings: Settings) -> sqlite3.Connection:
    path = Path(settings.home) / "jobs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, matter TEXT, file TEXT, status TEXT, progress REAL,"
        " message TEXT, doc_id TEXT, worker TEXT, created_at TEXT, updated_at TEXT, path TEXT)"
    )
    return conn


def _row(r) -> Job:
    return Job(r["id"], r["matter"], r["file"], r["status"], float(r["progress"] or 0), r["message"] or "",
               r["doc_id"], r["worker"], r["created_at"], r["updated_at"])


def _update(settings: Settings, job_id: str, **fields) -> None:
    fields["updated_at"] = _now()
    cols = ", ".join(f"{k} = ?" for k in fields)
    conn = _db(settings)
    try:
        conn.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), job_id))
    finally:
        conn.close()


def _alive(worker: str | None) -> bool:
    host, _, pid = (worker or "").rpartition(":")
    if host != _HOST or not pid.isdigit():
        return True  # another machine's: trust its record
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _settled(settings: Settings, job: Job) -> Job:
    if job.status not in FINAL and not _alive(job.worker):
        msg = INTERRUPTED
        _update(settings, job.id, status="failed", message=msg)
        return Job(**{**job.as_dict(), "status": "failed", "message": msg})
    return job


# ---- the runner: one thread per process, files one after another ---------------------------------

_STOPPING = threading.Event()  # set by shutdown(): failures from then on are the stop's doing
INTERRUPTED = "interrupted: the server stopped before this file was ingested; upload it again"
_QUEUE: "queue.Queue[tuple[Settings, str, Path, str | None]]" = queue.Queue()
_RUNNER: list[threading.Thread] = []
_RUNNER_LOCK = threading.Lock()


def _run_one(settings: Settings, job_id: str, path: Path, password: str | None) -> None:
    from app import library

    def progress(ev: dict) -> None:
        kind = ev.get("event")
        if kind == "file" and ev.get("stage") == "parsing":
            _update(settings, job_id, status="parsing", progress=0.05)
        elif kind == "parsed":
            _update(settings, job_id, status="embedding", progress=0.1)
        elif kind == "embedding" and ev.get("total"):
            _update(settings, job_id, status="embedding", progress=round(0.1 + 0.85 * ev["done"] / ev["total"], 3))

    try:
        results = library.ingest(settings, [path], password=password, progress=progress)
        r = results[0] if results else None
        if _STOPPING.is_set() and (r is None or r.status == "failed"):
            _update(settings, job_id, status="failed", progress=1.0, message=INTERRUPTED)
        elif r is not None and r.status in ("ingested", "replaced", "unchanged"):
            _update(settings, job_id, status="ready", progress=1.0, doc_id=r.doc_id, message=r.message or "")
        else:
            why = (r.message or r.status) if r is not None else "nothing was ingested"
            _update(settings, job_id, status="failed", progress=1.0, doc_id=getattr(r, "doc_id", None),
                    message=f"{r.status}: {why}" if r is not None and r.status != "failed" else why)
    except Exception as e:  # noqa: BLE001 - the record says why; the server goes on
        _update(settings, job_id, status="failed", progress=1.0,
                message=INTERRUPTED if _STOPPING.is_set() else f"{type(e).__name__}: {' '.join(str(e).split())[:300]}")


def shutdown() -> None:
    """The server is stopping: start nothing new; what fails from now on failed because of the stop."""
    _STOPPING.set()


def _runner() -> None:
    while True:
        settings, job_id, path, password = _QUEUE.get()
        if _STOPPING.is_set():
            _update(settings, job_id, status="failed", progress=1.0, message=INTERRUPTED)
            _QUEUE.task_done()
            continue
        try:
            _run_one(settings, job_id, path, password)
        finally:
            _QUEUE.task_done()


def _ensure_runner() -> None:
    with _RUNNER_LOCK:
        if not _RUNNER or not _RUNNER[0].is_alive():
            t = threading.Thread(target=_runner, name="longdoc-jobs", daemon=True)
            t.start()
            _RUNNER[:] = [t]


# ---- the interface ---------------------------------------------------------------------------------


def submit(settings: Settings, paths: list[Path], *, password: str | None = None, names: list[str] | None = None) -> list[Job]:
    """Queue one job per file (in `settings.matter`); they run on this process's job thread."""
    jobs: list[Job] = []
    conn = _db(settings)
    try:
        for i, p in enumerate(paths):
            now = _now()
            job = Job(uuid.uuid4().hex, settings.matter, (names[i] if names else Path(p).name), "queued", 0.0, "", None,
                      f"{_HOST}:{os.getpid()}", now, now)
            conn.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (job.id, job.matter, job.file, job.status, job.progress, job.message, job.doc_id, job.worker,
                          job.created_at, job.updated_at, str(p)))
            jobs.append(job)
    finally:
        conn.close()
    _ensure_runner()
    for job, p in zip(jobs, paths):
        _QUEUE.put((settings, job.id, Path(p), password))
    return jobs


def get_job(settings: Settings, job_id: str) -> Job | None:
    """Any matter's job by id (callers check job.matter)."""
    conn = _db(settings)
    try:
        r = conn.execute("SELECT * FROM jobs WHERE id = ?", (str(job_id),)).fetchone()
    finally:
        conn.close()
    return None if r is None else _settled(settings, _row(r))


def list_jobs(settings: Settings, matter: str | None = None) -> list[Job]:
    conn = _db(settings)
    try:
        if matter is None:
            rows = conn.execute("SELECT * FROM jobs ORDER BY created_at").fetchall()
        else:
            rows = conn.execute("SELECT * FROM jobs WHERE matter = ? ORDER BY created_at", (matter,)).fetchall()
    finally:
        conn.close()
    return [_settled(settings, _row(r)) for r in rows]


def wait(settings: Settings, job_ids: list[str], progress: Callable[[Job], None] | None = None,
         timeout_s: float | None = None) -> list[Job]:
    """Poll until every job is ready or failed (or the timeout passes); returns their last records."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    seen: dict[str, tuple] = {}
    while True:
        jobs = [j for j in (get_job(settings, i) for i in job_ids) if j is not None]
        for j in jobs:
            key = (j.status, j.progress)
            if progress is not None and seen.get(j.id) != key:
                progress(j)
            seen[j.id] = key
        if all(j.status in FINAL for j in jobs) or (deadline is not None and time.monotonic() > deadline):
            return jobs
        time.sleep(0.2)
