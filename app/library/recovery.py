"""Jobs whose worker died are handed on by themselves, and are reported as stalled until they move again.

Without a broker one local worker per home runs the queue, started on demand. A worker killed together with the
server that started it left its job "embedding" with nobody to notice: the next local worker puts such jobs back
(`requeue_orphans`), but only a new submission started one. So whoever runs the queue — `longdoc serve`, `longdoc
ui`, and `jobs.wait` — kicks it: on start-up, and on a timer while unfinished work waits (`QueueKeeper`). With a
broker, Dramatiq redelivers a silent worker's messages after `redeliver_s`; the records only need reading honestly.

A running job is *stalled* when nothing vouches for it: its worker's heartbeat and progress are older than
`redeliver_s`, or (local queue) no local worker holds the home's worker lock. A stalled job is not "running" for a
matter rename or delete, and every face says "stalled, retrying" rather than a frozen percentage.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from app.config import Settings
from app.library import job_records, worker

log = logging.getLogger("longdoc.recovery")
RUNNING = ("parsing", "embedding")


def _age_s(row: dict, now: float) -> float:
    """Seconds since anything vouched for the job: its last progress write or its worker's heartbeat."""
    last = float(row.get("heartbeat") or 0.0)
    try:
        last = max(last, datetime.fromisoformat(str(row.get("updated_at")).replace("Z", "+00:00")).timestamp())
    except ValueError:
        pass
    return now - last if last else float("inf")


def stalled_ids(settings: Settings, rows: list[dict] | None = None, now: float | None = None) -> set[str]:
    """Ids of running jobs (among `rows`, default all records) that nothing vouches for."""
    rec = job_records.records(settings)
    rows = rec.list() if rows is None else rows
    running = [r for r in rows if r.get("status") in RUNNING]
    if not running:
        return set()
    now = time.time() if now is None else now
    local_dead = rec.kind == "local" and not worker.local_worker_running(settings)
    limit = max(1.0, float(settings.redeliver_s))
    return {r["id"] for r in running if local_dead or _age_s(r, now) > limit}


def is_stalled(settings: Settings, job) -> bool:
    """Whether this job (a jobs.Job) is stalled."""
    if job.status not in RUNNING:
        return False
    row = job_records.records(settings).get(job.id)
    return bool(row) and job.id in stalled_ids(settings, [row])


def status_text(job, stalled: bool) -> str:
    """What a face shows for a job's state: "embedding", or "stalled, retrying" when nothing vouches for it."""
    return "stalled, retrying" if stalled else job.status


def kick(settings: Settings) -> bool:
    """Start the local worker when unfinished jobs wait and none runs (it puts back what a dead one held).
    True when one was started. With a broker, Dramatiq's own redelivery does this."""
    if settings.broker_url:
        return False
    rec = job_records.records(settings)
    if not any(r.get("status") in job_records.ACTIVE for r in rec.list()):
        return False
    started = worker.ensure_local(settings)
    if started:
        log.warning("unfinished ingest jobs and no worker: started one (it takes back what a stopped worker held)")
    return started


class QueueKeeper:
    """A daemon thread that kicks the local queue every `every_s` while this process serves (serve, ui)."""

    def __init__(self, settings: Settings, every_s: float | None = None):
        self.settings = settings
        self.every_s = every_s if every_s is not None else max(2.0, min(30.0, float(settings.redeliver_s) / 2))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="queue-keeper", daemon=True)

    def start(self) -> QueueKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                kick(self.settings)
            except Exception as exc:  # noqa: BLE001 - a store or disk hiccup: the next round tries again
                log.warning("queue check failed: %s: %s", type(exc).__name__, exc)
            if self._stop.wait(self.every_s):
                return


def keep_queue_moving(settings: Settings) -> QueueKeeper | None:
    """Kick now and on a timer (no broker only); None with a broker."""
    if settings.broker_url:
        return None
    return QueueKeeper(settings).start()
