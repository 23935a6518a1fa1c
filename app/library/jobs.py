"""Ingest as durable jobs: one per file, queued → parsing → embedding → ready | failed.

Every face submits here (CLI, UI, API) and reads the same records, so a page reload, another
terminal or another machine sees the same progress. Where the records and the queue live depends on
one setting: with no broker, a SQLite file under the home folder (`settings.jobs_db`) is both, and a
local worker process is started on demand (app/library/worker.py); with `LONGDOC_BROKER_URL=redis://…` the
records are Redis hashes and the queue is Dramatiq's on the same Redis, consumed by `longdoc worker`
on any number of machines. Job records are global (a `matter` column), not per matter.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from app.config import Settings
from app.library import job_records, recovery, worker
from app.library.documents import get_store

# where the records live and the settings a job runs under: job_records' (the worker asks them too)
from app.library.job_records import check_broker_settings as check_broker_settings
from app.library.job_records import matter_of, records
from app.library.job_records import settings_for as settings_for
from ingest.pdf import sha256_file
from ingest.pipeline import expand_paths
from ingest.safety import safe_filename
from ingest.types import FAILED, INGESTED, REPLACED, UNCHANGED, IngestResult

QUEUED, PARSING, EMBEDDING, READY = "queued", "parsing", "embedding", "ready"
JOB_STATUSES = (QUEUED, PARSING, EMBEDDING, READY, FAILED)
TERMINAL = (READY, FAILED)
_OK = (INGESTED, REPLACED, UNCHANGED)


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
    # the file's outcome once done, as `longdoc ingest --json` prints it: ingested | unchanged |
    # replaced | failed | needs_password | no_text ("" while it runs)
    outcome: str = ""
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def as_result(self) -> IngestResult:
        """The per-file row `longdoc ingest` has always printed."""
        status = self.outcome or (FAILED if self.status == FAILED else "queued" if not self.done else INGESTED)
        return IngestResult(self.file, self.doc_id, status, self.pages, self.chunks, self.seconds, self.message)


_JOB_FIELDS = tuple(f.name for f in fields(Job))
assert set(_JOB_FIELDS) == set(job_records.PUBLIC)


def _job(row: dict) -> Job:
    return Job(**{k: row.get(k) for k in _JOB_FIELDS})


_CARRIED = ("embedder", "embed_backend", "chunk_tokens", "chunk_overlap", "ocr", "pdf_text", "max_file_mb", "max_pages",
            "file_timeout_s")


def _options(settings: Settings) -> dict:
    opts = {k: getattr(settings, k) for k in _CARRIED}
    if "matter" not in {f.name for f in fields(Settings)}:
        opts["collection"] = settings.collection  # before matters existed, the collection named the library
    if not settings.broker_url:
        opts["chroma_url"] = settings.chroma_url  # same machine: same server address
    return opts


# ---- the use cases --------------------------------------------------------------------------------
def submit(settings: Settings, paths: list[Path], *, password: str | None = None,
           names: list[str] | None = None) -> list[Job]:
    """One job per file (folders are walked); returns them in input order, at once.

    A file whose bytes are already ready in this matter's library is not queued: its job is created
    ready ("unchanged"). A path that does not exist or cannot be read gets a failed job, so every file
    named has a record. With a broker the file's bytes go to Redis with the job (a worker on another
    machine cannot read this one's disk); locally the worker reads the file where it lies.
    """
    rec = records(settings)
    matter = matter_of(settings)
    if names is not None:
        if len(names) != len(paths):
            raise ValueError("names must match paths one to one")
        files = [Path(p) for p in paths]
        missing = []
    else:
        files, missing = expand_paths([Path(p) for p in paths])
    ready = {d.doc_id: d for d in get_store(settings).documents() if d.status == READY}
    options = job_records.options_json(**_options(settings))
    rows: list[dict] = []
    now = job_records.now_iso()

    def row(file: str, status: str, **more) -> dict:
        base = dict(id=uuid.uuid4().hex, matter=matter, file=file, status=status, progress=0.0, message="",
                    doc_id=None, worker=None, created_at=now, updated_at=now, outcome="", pages=0, chunks=0,
                    seconds=0.0, path="", password=None, options=options, attempts=0, heartbeat=0.0)
        base.update(more)
        return base

    for m in missing:
        rows.append(row(m.file, FAILED, outcome=FAILED, message=m.message, progress=1.0))
    blobs: dict[str, Path] = {}
    for i, f in enumerate(files):
        name = safe_filename(names[i]) if names is not None else f.name
        name = name or f.name or "file"
        try:
            doc_id = sha256_file(f)
        except OSError as e:
            rows.append(row(name, FAILED, outcome=FAILED, message=f"cannot read file: {e.strerror or e}", progress=1.0))
            continue
        d = ready.get(doc_id)
        if d is not None:
            same = "" if d.file == name else f" (same bytes as {d.file})"
            rows.append(row(name, READY, outcome=UNCHANGED, doc_id=doc_id, pages=d.pages, chunks=d.chunks,
                            progress=1.0, message=f"already in the library{same}"))
            continue
        r = row(name, QUEUED, doc_id=doc_id, path=str(f.resolve()), password=password or None)
        rows.append(r)
        blobs[r["id"]] = f
    if settings.broker_url:
        for job_id, f in blobs.items():
            rec.put_blob(job_id, f.read_bytes())
    rec.create(rows)
    if blobs:
        worker.dispatch(settings, list(blobs))
    return [_job(r) for r in rows]


def get_job(settings: Settings, job_id: str) -> Job | None:
    """Any matter's job (callers check `job.matter`)."""
    if not job_id or len(job_id) > 64 or not all(c in "0123456789abcdef" for c in job_id):
        return None
    row = records(settings).get(job_id)
    return _job(row) if row else None


def list_jobs(settings: Settings, matter: str | None = None, limit: int | None = None) -> list[Job]:
    """Jobs oldest first (the newest `limit` when given); one matter's, or all."""
    return [_job(r) for r in records(settings).list(matter, limit)]


def wait(settings: Settings, job_ids: list[str], progress: Callable[[Job], None] | None = None,
         timeout_s: float | None = None) -> list[Job]:
    """Poll until every job is ready or failed (or `timeout_s` passes); `progress` sees each change.

    Without a broker this also keeps a local worker alive while work is queued (one that died, or
    was never started, is started again)."""
    rec = records(settings)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    seen: dict[str, tuple] = {}
    last_kick = time.monotonic()
    current: dict[str, Job] = {}
    while True:
        pending = False
        todo = [j for j in job_ids if j not in current or not current[j].done]
        fresh = rec.get_many(todo) if todo else {}
        for jid in job_ids:
            if jid in fresh:
                current[jid] = _job(fresh[jid])
            job = current.get(jid)
            if job is None:
                continue
            sig = (job.status, round(job.progress, 3), job.message, job.worker)
            if seen.get(jid) != sig:
                seen[jid] = sig
                if progress:
                    progress(job)
            pending = pending or not job.done
        if not pending or (deadline is not None and time.monotonic() > deadline):
            return [current[j] for j in job_ids if j in current]
        if not settings.broker_url and time.monotonic() - last_kick > 5:
            recovery.kick(settings)
            last_kick = time.monotonic()
        time.sleep(0.25 if len(todo) < 500 else 1.0)


RUNNING = ("parsing", "embedding")


def running_in_matter(settings: Settings, name: str) -> int:
    """How many of a matter's jobs a worker is running now (a rename or delete waits for them); a stalled job,
    whose worker is gone, is not running."""
    rows = [row for row in records(settings).list(matter=name) if row["status"] in RUNNING]
    return len(rows) - len(recovery.stalled_ids(settings, rows)) if rows else 0


def move_matter(settings: Settings, old: str, new: str) -> int:
    return records(settings).move_matter(old, new)


def drop_matter(settings: Settings, name: str) -> int:
    """Forget a deleted matter's jobs: records, queued work and (Redis) submitted bytes."""
    return records(settings).drop_matter(name)


def active(job: Job) -> bool:
    return job.status in job_records.ACTIVE
