"""`longdoc check`: does the library agree with itself — registry, Chroma, BM25 and the ingest jobs?

A document that is half-way (pending, or text stored with vectors to come) is fine while a job is
working on it, and a problem once no job is: that is the one fact the store cannot know alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.config import Settings
from app.library import job_records, jobs
from app.library.documents import get_store
from app.library.storage import disk_full, is_disk_full
from app.library.worker import local_worker_running


@dataclass
class CheckReport:
    matter: str
    documents: int  # listed (ready or askable by keywords)
    ready: int
    chunks: int
    jobs_active: int
    problems: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)  # notes on documents a live job is working on

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def _alive_workers(settings: Settings, rec) -> set[str] | None:
    """Workers known to be alive now (None when that cannot be told: local jobs have one worker)."""
    if rec.kind == "redis":
        return set(rec.workers(within_s=max(30.0, float(settings.redeliver_s))))
    return None


def check(settings: Settings) -> CheckReport:
    """The report; never raises for what it finds — a store it cannot read (a full disk, a damaged file) is a
    problem in the report, not a crash of the command that is meant to diagnose it."""
    try:
        return _check(settings)
    except Exception as e:  # noqa: BLE001 - reported, with the one line a person can act on
        why = disk_full(settings, "read or write the store").message if is_disk_full(e) else \
            f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
        return CheckReport(matter=jobs.matter_of(settings), documents=0, ready=0, chunks=0, jobs_active=0,
                           problems=[f"could not check the library: {why}"])


def _check(settings: Settings) -> CheckReport:
    store = get_store(settings)
    matter = jobs.matter_of(settings)
    rec = jobs.records(settings)
    active = [j for j in jobs.list_jobs(settings, matter) if j.status in job_records.ACTIVE]
    alive = _alive_workers(settings, rec)
    local_alive = local_worker_running(settings) if rec.kind == "local" else False
    problems: list[str] = []
    live: set[str] = set()
    for j in active:
        if j.status != "queued" and j.worker:
            dead = (alive is not None and j.worker not in alive) or (alive is None and not local_alive)
            if dead:
                how = ("it goes back to the queue when a worker starts: `longdoc serve`, `longdoc ui` and "
                       "`longdoc ingest` start one, `longdoc worker` is one" if rec.kind == "local" else
                       f"another `longdoc worker` takes it over within {settings.redeliver_s} s")
                problems.append(f"job {j.id[:12]} ({j.file}) is {j.status} on {j.worker}, which has stopped ({how})")
                continue
        if j.doc_id:
            live.add(j.doc_id)
    problems += store.check_consistency(live)
    notes = [f"{d.doc_id[:12]} ({d.file}) is {d.status}: a job is working on it"
             for d in store.in_progress() if d.doc_id in live]
    docs = store.documents()
    return CheckReport(matter=matter, documents=len(docs), ready=sum(d.status == "ready" for d in docs),
                       chunks=sum(d.chunks for d in docs), jobs_active=len(active), problems=problems,
                       in_progress=notes)
