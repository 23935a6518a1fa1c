"""Review job records: one JSON file per review run under the matter's data folder (issue 23).

A review (app/answer/review.py) runs in its own process, like an ingest job in the worker, so a page reload,
another terminal or the API sees the same progress: the running process rewrites its record (atomically) as
each document completes, and every face reads it. The records live inside the matter's own folder
(`<data>/review/jobs/<id>.json`), so one matter's reviews are never listed or read from another. Whether the
process still lives is read from its pid (a record left "running" by a killed process reads "interrupted", and
can be resumed: the cell cache makes the resumed run compute only the missing cells). Every rewrite of a record
holds its lock file (`<id>.lock`, fcntl), so a conditional change (`update(..., when=...)`) is one step: two
readers noticing the same dead process claim its restart once. A stop request is a file beside the record
(`<id>.cancel`), never a field the running process could overwrite with its own older copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from app.config import Settings
from app.library.job_records import now_iso

QUEUED, RETRIEVING, RUNNING, READY, FAILED, STOPPED = "queued", "retrieving", "running", "ready", "failed", "stopped"
INTERRUPTED = "interrupted"  # read, never written: "running" in the record, its process gone
ACTIVE = (QUEUED, RETRIEVING, RUNNING)
HOST = socket.gethostname()


@dataclass
class ReviewJob:
    id: str  # unguessable (uuid4 hex)
    matter: str
    questions: list[str]
    docs: list[str] | None  # document ids; None: every document of the matter when it ran
    status: str  # queued | retrieving | running | ready | failed | stopped (as written)
    done: int = 0  # documents computed so far (of `total`, those with a missing cell)
    total: int = 0
    doc: str = ""  # the document last computed
    documents: int = 0  # rows of the table
    computed: int = 0  # cells computed by the last run
    cached: int = 0  # cells read from the cache by the last run
    cost_usd: float | None = 0.0
    message: str = ""
    options: dict = field(default_factory=dict)  # budget, k, concurrency
    pid: int = 0
    host: str = ""
    created_at: str = ""
    updated_at: str = ""
    runs: int = 0  # how many times it was started (1 + resumes)
    recoveries: int = 0  # restarts after its process died, since it was last started by someone

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("pid"), d.pop("host")
        d["state"] = self.state
        d["progress"] = round(self.done / self.total, 3) if self.total else (1.0 if self.status == READY else 0.0)
        return d

    @property
    def state(self) -> str:
        """The status as people should read it: a "running" record whose process is gone is "interrupted"."""
        if self.status in ACTIVE and self.pid and not process_alive(self.pid, self.host):
            return INTERRUPTED
        return self.status

    @property
    def finished(self) -> bool:
        return self.state in (READY, FAILED, STOPPED, INTERRUPTED)


def process_alive(pid: int, host: str = "") -> bool:
    if host and host != HOST:
        return True  # another machine's process: cannot tell, trust the record
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: dead for us
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def jobs_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "review" / "jobs"


def _path(settings: Settings, job_id: str) -> Path | None:
    if not job_id or len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
        return None
    return jobs_dir(settings) / f"{job_id}.json"


_FIELDS = {f.name for f in fields(ReviewJob)}


def _write(settings: Settings, job: ReviewJob) -> None:
    p = _path(settings, job.id)
    assert p is not None
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(job), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, p)


def create(settings: Settings, questions: list[str], docs: list[str] | None, options: dict) -> ReviewJob:
    now = now_iso()
    job = ReviewJob(uuid.uuid4().hex, settings.matter, list(questions), list(docs) if docs is not None else None,
                    QUEUED, options=dict(options), created_at=now, updated_at=now)
    _write(settings, job)
    return job


def get(settings: Settings, job_id: str) -> ReviewJob | None:
    """This matter's review job, or None (another matter's id is not found here: its file is in its own folder)."""
    p = _path(settings, job_id)
    if p is None:
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ReviewJob(**{k: v for k, v in data.items() if k in _FIELDS})


class _Locked:
    """The record's lock file held (fcntl, exclusive) for one read-modify-write: writers in other processes wait."""

    def __init__(self, settings: Settings, job_id: str):
        p = _path(settings, job_id)
        assert p is not None
        p.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(p.with_name(f"{job_id}.lock"), "a")

    def __enter__(self) -> _Locked:
        fcntl.flock(self._f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self._f, fcntl.LOCK_UN)
        self._f.close()


def update(settings: Settings, job_id: str, when=None, **changes) -> ReviewJob | None:
    """Rewrite the record with `changes`, under its lock. With `when` (a test of the record as it is now) the
    change is made only when it holds — None otherwise: a claim that only one of several writers wins."""
    if _path(settings, job_id) is None:
        return None
    with _Locked(settings, job_id):
        job = get(settings, job_id)
        if job is None or (when is not None and not when(job)):
            return None
        for k, v in changes.items():
            setattr(job, k, v)
        job.updated_at = now_iso()
        _write(settings, job)
        return job


def cancel_path(settings: Settings, job_id: str) -> Path:
    p = _path(settings, job_id)
    assert p is not None
    return p.with_name(f"{job_id}.cancel")


def request_cancel(settings: Settings, job_id: str) -> None:
    """Ask the running process to stop (it checks between documents)."""
    cancel_path(settings, job_id).touch()


def cancel_requested(settings: Settings, job_id: str) -> bool:
    return cancel_path(settings, job_id).exists()


def clear_cancel(settings: Settings, job_id: str) -> None:
    cancel_path(settings, job_id).unlink(missing_ok=True)


def list_jobs(settings: Settings, limit: int = 20) -> list[ReviewJob]:
    """This matter's review jobs, newest first."""
    out = []
    folder = jobs_dir(settings)
    for p in folder.glob("*.json") if folder.is_dir() else ():
        job = get(settings, p.stem)
        if job is not None:
            out.append(job)
    out.sort(key=lambda j: (j.created_at, j.id), reverse=True)
    return out[:limit]


def result_path(settings: Settings, job_id: str) -> Path:
    p = _path(settings, job_id)
    assert p is not None
    return p.with_name(f"{job_id}.table.json")
