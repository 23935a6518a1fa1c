"""Reviews as jobs: `start` records the review and runs it in its own process; every face reads the record.

Like an ingest job, a review outlives the page, request or terminal that started it: the UI, the API and
MCP start one and poll its record (app/library/review_records.py) for per-document progress, which a page
reload reads again. The process (`python -m app.answer.review_jobs`) calls `review()` — the same use case as
`longdoc review` — and writes each document's progress; when it ends the table is kept beside the record as
the JSON `longdoc review --json` prints. A run killed midway (SIGKILL, out of memory, a reboot) reads
"interrupted", and whoever reads it next — a UI poll, the API, the CLI, MCP — starts it again (`_recover`; at most
`review_retries` times, then it fails with the reason, so a review that crashes every time does not loop); the
cell cache makes the restarted run compute only the cells still missing. The restart is claimed under the
record's lock, so two readers noticing at once start one process. `cancel` stops a run between documents: it
ends "stopped" with its cells so far kept, and `resume` finishes it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from app.answer.review import DEFAULT_BUDGET, ReviewCell, ReviewRow, ReviewTable, review
from app.config import Settings, load_settings, to_env
from app.errors import Conflict, InvalidRequest, LongdocError, NotFound, ReviewError
from app.library import documents as library
from app.library import review_records as records
from app.library.review_records import ReviewJob
from model.base import ModelError

log = logging.getLogger("longdoc.review")
MAX_QUESTIONS = 50
_children: dict[str, subprocess.Popen] = {}  # the processes this one started (reaped when read)
_lock = threading.Lock()


def _questions(questions: list[str]) -> list[str]:
    qs = list(dict.fromkeys(q.strip() for q in questions if q and q.strip()))
    if not qs:
        raise ReviewError("a review needs at least one question")
    if len(qs) > MAX_QUESTIONS:
        raise ReviewError(f"at most {MAX_QUESTIONS} questions in one review")
    return qs


def start(settings: Settings, questions: list[str], docs: list[str] | None = None, *, budget: int | None = None,
          k: int | None = None, concurrency: int = 16) -> ReviewJob:
    """Record a review of `questions` × `docs` (ids, prefixes or file names; None = the whole matter) and start
    its process. Returns at once; the documents are resolved now (an unknown one fails here, not in the job)."""
    qs = _questions(questions)
    chosen = library.resolve_docs(settings, list(docs)) if docs else None
    if docs and not chosen:
        raise ReviewError("none of the documents named is in this matter")
    if not docs and not library.list_documents(settings):
        raise ReviewError("the library is empty: add documents first")
    options = {"budget": int(budget or DEFAULT_BUDGET), "k": int(k) if k else None, "concurrency": int(concurrency)}
    job = records.create(settings, qs, [d.doc_id for d in chosen] if chosen else None, options)
    _spawn(settings, job.id)
    return records.get(settings, job.id) or job


def resume(settings: Settings, job_id: str) -> ReviewJob:
    """Start an interrupted, stopped, failed or finished review again: the cells already computed are read from
    the cache. A review still running is returned as it is."""
    job = get(settings, job_id)
    if not job.finished:
        return job
    records.clear_cancel(settings, job_id)
    claimed = records.update(settings, job_id, when=lambda j: j.finished, status=records.QUEUED, message="",
                             pid=os.getpid(), host=records.HOST, done=0, total=0, recoveries=0)
    if claimed is not None:
        _spawn(settings, job_id)
    return get(settings, job_id)


def cancel(settings: Settings, job_id: str, wait_s: float = 0.0) -> ReviewJob:
    """Stop a review: its process stops before its next document and ends "stopped", the cells done so far kept
    (and cached: `resume` computes the rest). A review whose process is gone is marked stopped at once; a
    finished one is returned as it is. `wait_s`: wait that long for the process to stop."""
    job = records.get(settings, job_id)
    if job is None:
        raise NotFound(f"no review with id '{str(job_id)[:64]}' in matter {settings.matter}")
    if job.state in (records.READY, records.FAILED, records.STOPPED):
        return job
    records.request_cancel(settings, job_id)
    stopped = records.update(settings, job_id, when=lambda j: j.state == records.INTERRUPTED,
                             status=records.STOPPED, message=_STOPPED)
    if stopped is not None:
        return stopped
    records.update(settings, job_id, when=lambda j: not j.finished, message="stopping on request")
    deadline = time.monotonic() + max(0.0, float(wait_s))
    while time.monotonic() < deadline:
        job = records.get(settings, job_id)
        if job is None or job.finished:
            break
        time.sleep(0.1)
    job = get(settings, job_id)
    if job.state in (records.READY, records.FAILED):  # it ended before it saw the request
        records.clear_cancel(settings, job_id)
    return job


_STOPPED = "stopped on request: Resume computes the rest"


def _recover(settings: Settings, job: ReviewJob) -> ReviewJob:
    """A review whose process died: started again (claimed under the record's lock, so once however many readers
    notice), or failed with the reason once it has been restarted `review_retries` times."""
    dead = lambda j: j.state == records.INTERRUPTED
    if records.cancel_requested(settings, job.id):
        records.update(settings, job.id, when=dead, status=records.STOPPED, message=_STOPPED)
    elif job.recoveries >= max(0, int(settings.review_retries)):
        times = "once" if job.recoveries == 0 else f"{job.recoveries + 1} times"
        records.update(settings, job.id, when=dead, status=records.FAILED,
                       message=f"its process stopped unexpectedly {times} (killed, out of memory or a restart; "
                               f"see review/jobs/{job.id}.log); Resume to try again")
    elif records.update(settings, job.id, when=dead, status=records.QUEUED, pid=os.getpid(), host=records.HOST,
                        done=0, total=0, recoveries=job.recoveries + 1,
                        message="restarted: its process had stopped") is not None:
        log.warning("review %s: its process had stopped; restarting it (%d of %d)", job.id, job.recoveries + 1,
                    settings.review_retries)
        _spawn(settings, job.id)
    return records.get(settings, job.id) or job


def get(settings: Settings, job_id: str) -> ReviewJob:
    """A review's record; one found interrupted is started again first (see `_recover`)."""
    _reap()
    job = records.get(settings, job_id)
    if job is None:
        raise NotFound(f"no review with id '{str(job_id)[:64]}' in matter {settings.matter}")
    return _recover(settings, job) if job.state == records.INTERRUPTED else job


def resolve_id(settings: Settings, ref: str) -> str:
    """A review's full id from its id or a unique prefix of it (at least 6 characters, as `longdoc reviews` shows)."""
    ref = (ref or "").strip().lower()
    if records.get(settings, ref) is not None:
        return ref
    hits = [j.id for j in records.list_jobs(settings, limit=100_000) if len(ref) >= 6 and j.id.startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise InvalidRequest(f"'{ref[:64]}' names {len(hits)} reviews", hint="give more of its id")
    raise NotFound(f"no review with id '{ref[:64]}' in matter {settings.matter}")


def list_reviews(settings: Settings, limit: int = 20) -> list[ReviewJob]:
    _reap()
    return [_recover(settings, j) if j.state == records.INTERRUPTED else j for j in records.list_jobs(settings, limit)]


def has_table(settings: Settings, job_id: str) -> bool:
    """Whether a table was kept for this review (a run that ended; one stopped before it began has none)."""
    return records.result_path(settings, get(settings, job_id).id).is_file()


def table_json(settings: Settings, job_id: str) -> dict:
    """The finished table as `longdoc review --json` prints it (a run still going: 409 with its progress)."""
    job = get(settings, job_id)
    p = records.result_path(settings, job_id)
    if not p.is_file():
        raise Conflict(f"review {job_id} has no table yet ({job.state}, {job.done}/{job.total} documents)",
                       hint="poll its status until it is ready")
    return json.loads(p.read_text(encoding="utf-8"))


def table_from_json(data: dict) -> ReviewTable:
    """A ReviewTable again from its JSON (for the exports)."""
    names = set(ReviewCell.__dataclass_fields__) - {"doc_id", "doc"}
    rows = [ReviewRow(r["doc"], r["doc_id"], r.get("title") or r["doc"],
                      [ReviewCell(r["doc_id"], r["doc"], **{k: v for k, v in c.items() if k in names})
                       for c in r.get("cells", [])]) for r in data.get("rows", [])]
    return ReviewTable(list(data.get("questions", [])), rows, data.get("mode", "extractive"), data.get("backend", ""),
                       data.get("model"), computed=int(data.get("computed", 0)), cached=int(data.get("cached", 0)),
                       complete=bool(data.get("complete", True)), seconds=float(data.get("seconds", 0.0)),
                       retrieval_seconds=float(data.get("retrieval_seconds", 0.0)), usage=data.get("usage") or {},
                       cost_usd=data.get("cost_usd"))


def table(settings: Settings, job_id: str) -> ReviewTable:
    return table_from_json(table_json(settings, job_id))


# ---- the process -----------------------------------------------------------------------------------------------

def _spawn(settings: Settings, job_id: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(to_env(settings))
    if settings.api_key:  # the review calls the model itself (to_env leaves keys out for the ingest worker)
        env["LONGDOC_API_KEY"] = settings.api_key
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = records.jobs_dir(settings) / f"{job_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        p = subprocess.Popen([sys.executable, "-m", "app.answer.review_jobs", job_id], env=env, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root, start_new_session=True,
                             close_fds=True)
    with _lock:
        _children[job_id] = p
    # the child writes its own pid first when it starts (seconds later); until then the record names this one
    records.update(settings, job_id, when=lambda j: j.status == records.QUEUED and j.pid in (0, os.getpid()),
                   pid=p.pid, host=records.HOST)


def _reap() -> None:
    with _lock:
        for jid, p in list(_children.items()):
            if p.poll() is not None:
                del _children[jid]


def run(settings: Settings, job_id: str) -> ReviewJob | None:
    """Run a recorded review here (the job's process): progress into the record, the table beside it."""
    job = records.get(settings, job_id)
    if job is None:
        return None
    if records.cancel_requested(settings, job_id):  # stopped before it began
        return records.update(settings, job_id, status=records.STOPPED, pid=os.getpid(), message=_STOPPED)
    records.update(settings, job_id, status=records.RETRIEVING, pid=os.getpid(), host=records.HOST, done=0, total=0,
                   runs=job.runs + 1, message="")

    def progress(ev: dict) -> None:
        records.update(settings, job_id, status=records.RUNNING, done=int(ev.get("done", 0)),
                       total=int(ev.get("total", 0)), doc=str(ev.get("doc", "")))

    opts = job.options or {}
    try:
        t = review(settings, job.questions, job.docs, budget=int(opts.get("budget") or DEFAULT_BUDGET),
                   k=opts.get("k") or None, concurrency=int(opts.get("concurrency") or 16), progress=progress,
                   cancel=lambda: records.cancel_requested(settings, job_id))
    except LongdocError as e:
        return records.update(settings, job_id, status=records.FAILED, message=e.message)
    except ModelError as e:  # a bad key, no balance: its message says what to do (never the key itself)
        return records.update(settings, job_id, status=records.FAILED, message=" ".join(str(e).split())[:500])
    except Exception as e:  # noqa: BLE001 - the record says it failed; the log keeps the traceback
        traceback.print_exc()
        return records.update(settings, job_id, status=records.FAILED, message=f"internal error: {type(e).__name__}")
    data = t.to_json()
    p = records.result_path(settings, job_id)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, p)
    now = records.get(settings, job_id)
    total = now.total or len(t.rows)  # every cell cached: nothing was left to compute
    cancelled = not t.complete and records.cancel_requested(settings, job_id)
    records.clear_cancel(settings, job_id)
    return records.update(settings, job_id, status=records.READY if t.complete else records.STOPPED,
                          documents=len(t.rows), computed=t.computed, cached=t.cached, cost_usd=t.cost_usd,
                          done=total if t.complete else now.done, total=total,
                          message=_STOPPED if cancelled else "")


def main() -> None:
    job_id = sys.argv[1] if len(sys.argv) > 1 else ""
    settings = load_settings()
    run(settings, job_id)


if __name__ == "__main__":
    main()
