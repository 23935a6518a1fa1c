"""The scale-out queue: Dramatiq on Redis (chosen by measurement: `python -m bench queues`, README).

Why Dramatiq: a message is acknowledged only when its actor returns — here, when the document is
ready — and a worker process that stops heartbeating (killed, machine gone) has its unacknowledged
messages put back by the next maintenance pass of any other worker, after `redeliver_s`. The timeout
counts silence, not job length, so a 20-minute PDF is never handed to a second worker while the first
still works on it (Celery's Redis transport redelivers by visibility timeout: a job longer than it
runs twice; Huey has no redelivery; RQ moves a dead worker's job to the failed registry).

Only the job id travels in the message; the record and the file's bytes are in Redis beside it
(app/library/job_records.py).
"""

from __future__ import annotations

import threading

from app.config import Settings

QUEUE = "longdoc-ingest"
NAMESPACE = "longdoc-dq"
# share of Dramatiq's commands (out of a million) that also run maintenance — requeueing a dead
# worker's messages. Its default (1,000) means a dead worker's jobs wait ~10 minutes on an idle pair
# of workers (each polls ~2-4 times a second); 50,000 makes it ~10 s.
MAINTENANCE_CHANCE = 50_000
_BROKERS: dict[tuple, object] = {}
_LOCK = threading.Lock()
_HANDLER: list = []  # the function the actor calls (set by the worker before it consumes)


def broker(settings: Settings):
    """One RedisBroker (and its actor) per URL per process, registered as Dramatiq's current broker."""
    import dramatiq  # Dramatiq and Redis: only with LONGDOC_BROKER_URL
    from dramatiq.brokers.redis import RedisBroker  # ditto

    key = (settings.broker_url, int(settings.redeliver_s))
    with _LOCK:
        b = _BROKERS.get(key)
        if b is None:
            b = RedisBroker(
                url=settings.broker_url,
                namespace=NAMESPACE,
                middleware=[],  # no time limit, no retries, no age limit: the job record says what happened
                heartbeat_timeout=max(5, int(settings.redeliver_s)) * 1000,
                maintenance_chance=MAINTENANCE_CHANCE,
            )
            dramatiq.set_broker(b)
            b.ingest_actor = dramatiq.actor(_run, actor_name="ingest_job", queue_name=QUEUE, broker=b)
            _BROKERS[key] = b
        return b


def _run(job_id: str) -> None:
    _HANDLER[0](job_id)


def send(settings: Settings, job_ids: list[str]) -> None:
    actor = broker(settings).ingest_actor
    for job_id in job_ids:
        actor.send(job_id)


def consume(settings: Settings, handler, threads: int, stop: threading.Event) -> None:
    """Run `handler(job_id)` for each message, `threads` at a time, until `stop` is set."""
    from dramatiq import Worker  # Dramatiq: only with LONGDOC_BROKER_URL

    b = broker(settings)
    _HANDLER[:] = [handler]
    w = Worker(b, queues={QUEUE}, worker_threads=max(1, threads), worker_timeout=500)
    w.queue_prefetch = max(1, threads)  # hold no message a thread cannot start (a killed worker delays fewer)
    w.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        w.stop(timeout=5000)  # unstarted prefetched messages go back to the queue


def pending(settings: Settings) -> int:
    """Messages waiting in the queue (not yet taken by a worker)."""
    return int(broker(settings).do_qsize(QUEUE) or 0)
