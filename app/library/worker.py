"""The worker: runs ingest jobs, several at once, so parsing one file overlaps embedding another.

Two ways in, one way of running a job (`JobRunner.run`):
- local (no broker): a worker process per home folder, started on demand by `jobs.submit`/`jobs.wait`
  (`python -m app.worker`, its own session, log in `home/worker/worker.log`), holding an flock on
  `home/worker/lock` while it lives. It takes jobs from the SQLite queue, and on start puts back any job
  a previous (killed) local worker held. It exits after `worker_idle_s` with nothing to do.
- `longdoc worker` with `LONGDOC_BROKER_URL`: consumes Dramatiq messages from Redis (app/library/broker.py)
  and writes to the shared Chroma server; any number of them, on any machines. A message is
  acknowledged when its job ends (the document ready, or failed with its reason); a killed worker's
  jobs are redelivered to another after `redeliver_s` of silence. A per-document lease in Redis keeps
  two workers from writing one document at once; a job whose record is already done is not run again.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from app.config import Settings, load_settings, to_env
from app.library import broker, job_records, stores, uploads
from app.library import documents as library
from ingest.pipeline import Ingester
from ingest.types import FAILED, INGESTED, REPLACED, UNCHANGED

log = logging.getLogger("longdoc.worker")
HOST = socket.gethostname()
_OK = (INGESTED, REPLACED, UNCHANGED)


def worker_name() -> str:
    return f"{HOST}:{os.getpid()}"


def job_threads(settings: Settings) -> int:
    if settings.worker_jobs and settings.worker_jobs > 0:
        return int(settings.worker_jobs)
    return max(2, int(settings.workers) * 2)


# ---- starting the local worker --------------------------------------------------------------------
def _lock_path(settings: Settings) -> Path:
    return Path(settings.worker_dir) / "lock"


def local_worker_running(settings: Settings) -> bool:
    path = _lock_path(settings)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock we took
    return False


OWNER_VAR = "_LONGDOC_WORKER_OWNER"  # set by `serve`/`ui`: the local worker they start is theirs to stop


def ensure_local(settings: Settings) -> bool:
    """Start the local worker for this home unless one runs; True if one was started."""
    if settings.broker_url or local_worker_running(settings):
        return False
    folder = Path(settings.worker_dir)
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(to_env(settings))
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with open(folder / "worker.log", "ab") as out:
        subprocess.Popen([sys.executable, "-m", "app.library.worker"], env=env, stdout=out, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, cwd=os.getcwd(), start_new_session=True, close_fds=True)
    return True


def _lock_holder(settings: Settings) -> tuple[int, str] | None:
    """(pid, owner) the running local worker wrote into its lock file; None when none runs."""
    if not local_worker_running(settings):
        return None
    try:
        pid, _, owner = _lock_path(settings).read_text().strip().partition(" ")
        return int(pid), owner
    except (OSError, ValueError):
        return None


def stop_owned(settings: Settings, owner: str, timeout_s: float = 8.0) -> bool:
    """Stop the local worker if `owner` (a serve/ui process) started it: SIGTERM to its process group, SIGKILL
    after `timeout_s`. Jobs in its hands go back to the queue when the next worker starts. True if one was stopped."""
    held = _lock_holder(settings)
    if held is None or not owner or held[1] != owner:
        return False
    pid = held[0]
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def dispatch(settings: Settings, job_ids: list[str]) -> None:
    """Hand freshly queued jobs to whoever runs them."""
    if settings.broker_url:
        broker.send(settings, job_ids)
    else:
        ensure_local(settings)


# ---- running one job ------------------------------------------------------------------------------
class JobRunner:
    """One per worker process: the parse pool, the embedders, and the job → ingest → record loop."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.records = job_records.records(settings)
        self.ingester = Ingester(settings.workers)
        self.name = worker_name()
        self.touched: dict[tuple, object] = {}  # stores written since the last BM25 refresh
        self._docs: dict[str, threading.Lock] = {}
        self._docs_lock = threading.Lock()
        self.busy = 0
        self.last_active = time.monotonic()
        self._busy_lock = threading.Lock()

    def _doc_lock(self, key: str) -> threading.Lock:
        with self._docs_lock:
            return self._docs.setdefault(key, threading.Lock())

    def run(self, row: dict) -> None:
        with self._busy_lock:
            self.busy += 1
        try:
            self._run(row)
        except Exception as e:
            log.exception("job %s", row.get("id"))
            msg = " ".join(str(e).split())[:200]
            self._finish(row["id"], status=FAILED, outcome=FAILED, message=f"{type(e).__name__}: {msg}")
        finally:
            self._drop_failed_upload(row)
            with self._busy_lock:
                self.busy -= 1
                self.last_active = time.monotonic()

    def _drop_failed_upload(self, row: dict) -> None:
        """An uploaded file that failed (not a PDF, unreadable) is not kept: nothing in the library points at it,
        and its bytes would pile up until the disk is full. A file the user named on the command line is theirs:
        only copies under the matter's uploads folder are removed (and never those of a document that is in)."""
        if self.records.kind == "redis" or not row.get("path"):
            return
        try:
            done = self.records.get(row["id"]) or {}
            if done.get("outcome") != FAILED:
                return
            uploads.forget_failed(job_records.settings_for(self.settings, row["matter"]), Path(row["path"]))
        except Exception:
            log.warning("could not remove the failed upload of job %s", row.get("id"), exc_info=True)

    def _finish(self, job_id: str, **fields) -> None:
        fields.setdefault("progress", 1.0)
        self.records.update(job_id, password=None, **fields)
        self.records.finished(job_id)
        if self.records.kind == "redis":
            self.records.drop_blob(job_id)

    def _run(self, row: dict) -> None:
        job_id = row["id"]
        # deleted (or renamed) while the job waited; the local queue shares this home's matter list (a worker
        # behind Redis may run elsewhere: a deleted matter's records and bytes are gone from Redis instead)
        if self.records.kind != "redis" and not stores.exists(self.settings, row["matter"]):
            self._finish(job_id, status=FAILED, outcome=FAILED,
                         message=f"matter '{row['matter']}' no longer exists: submit the file to a matter that does")
            return
        opts = job_records.options_of(row)
        s = job_records.settings_for(self.settings, row["matter"], opts)
        store = library.get_store(s)
        embedder = library.embedder_for(s)
        cfg = library.ingest_config(s)
        doc_key = f"{row['matter']}:{row.get('doc_id') or job_id}"
        work_dir = None
        stop_beat = threading.Event()
        try:
            if self.records.kind == "redis":
                # one document is written by one job at a time (a redelivered twin waits here)
                while not self.records.lease(doc_key, job_id, int(self.settings.redeliver_s)):
                    now = self.records.get(job_id)
                    if now is None or now["status"] in job_records.DONE:
                        return
                    time.sleep(1.0)
                threading.Thread(target=self._beat, args=(doc_key, job_id, stop_beat), daemon=True).start()
                data = self.records.get_blob(job_id)
                if data is None:
                    self._finish(job_id, status=FAILED, outcome=FAILED,
                                 message="the file's bytes are no longer in the queue: submit it again")
                    return
                work_dir = Path(tempfile.mkdtemp(prefix="longdoc-job-"))
                path = work_dir / (Path(row["file"]).name or "file")
                path.write_bytes(data)
                del data
            else:
                path = Path(row["path"])
            lock = self._doc_lock(doc_key)
            with lock:  # same bytes submitted twice: the second finds it ready
                self._ingest(row, store, embedder, cfg, path)
            self.touched[(id(store))] = store
            library.prune_originals(s)  # a replaced version's kept PDF and page images go (issue 12)
        finally:
            stop_beat.set()
            if self.records.kind == "redis":
                self.records.release(doc_key, job_id)
            if work_dir is not None:
                shutil.rmtree(work_dir, ignore_errors=True)

    def _beat(self, doc_key: str, job_id: str, stop: threading.Event) -> None:
        every = max(1.0, self.settings.redeliver_s / 4)
        while not stop.wait(every):
            try:
                self.records.lease(doc_key, job_id, int(self.settings.redeliver_s))
                self.records.update(job_id, heartbeat=time.time())
            except Exception:  # noqa: BLE001 - Redis briefly away: the next beat tries again
                pass

    def _ingest(self, row: dict, store, embedder, cfg, path: Path) -> None:
        job_id = row["id"]
        state = {"status": "parsing", "progress": 0.02, "message": "", "t": 0.0}
        lock = threading.Lock()

        def put(status=None, progress=None, message=None, force=False) -> None:
            with lock:
                changed = (status and status != state["status"]) or (message is not None and message != state["message"])
                if status:
                    state["status"] = status
                if progress is not None:
                    state["progress"] = max(state["progress"], progress)
                if message is not None:
                    state["message"] = message
                now = time.monotonic()
                if not (force or changed or now - state["t"] > 0.5):
                    return
                state["t"] = now
                fields = dict(status=state["status"], progress=round(state["progress"], 4), message=state["message"],
                              worker=self.name, heartbeat=time.time())
            self.records.update(job_id, **fields)

        note = "redelivered: its first worker stopped" if int(row.get("attempts") or 0) > 1 else ""
        put("parsing", 0.02, note, force=True)

        def progress(ev: dict) -> None:
            kind = ev["event"]
            if kind == "file" and ev.get("stage") == "parsing":
                put("parsing", 0.05)
            elif kind == "parsed":
                put("parsing", 0.3, f"{ev['pages']} pages, {ev['chunks']} chunks")
            elif kind == "text":
                put("embedding", 0.35, f"{ev['pages']} pages, {ev['chunks']} chunks; askable by keywords, "
                    "computing vectors")
            elif kind == "embedding" and ev.get("total"):
                put("embedding", 0.35 + 0.6 * ev["done"] / ev["total"])
            elif kind == "storing" and ev.get("phase") == "vectors":
                put("embedding", 0.96)
            elif kind == "wait":
                put(message=ev["message"], force=True)

        store.on_wait = lambda msg: progress({"event": "wait", "message": msg})
        r = self.ingester.ingest_file(store, embedder, path, cfg, doc_id=row.get("doc_id"), name=row["file"],
                                      password=row.get("password"), progress=progress,
                                      record_path=row.get("path") or None)
        self._finish(job_id, status="ready" if r.status in _OK else FAILED, outcome=r.status, message=r.message,
                     doc_id=r.doc_id, pages=r.pages, chunks=r.chunks, seconds=round(r.seconds, 3),
                     worker=self.name)

    def refresh_indexes(self) -> None:
        """Rebuild the BM25 index of each store written (readers on this machine then load it ready)."""
        touched, self.touched = self.touched, {}
        for store in touched.values():
            try:
                store.refresh_bm25()
            except Exception:
                log.exception("BM25 refresh")

    def close(self) -> None:
        self.ingester.close()

    def kill(self) -> None:
        self.ingester.kill()


# ---- the loops ------------------------------------------------------------------------------------
def run_local(settings: Settings, idle_s: float | None = None) -> int:
    """The local worker: hold the home's worker lock, take jobs from the SQLite queue until idle."""
    folder = Path(settings.worker_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_path(settings), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return 0  # another local worker has it
    os.ftruncate(fd, 0)  # who holds the lock, and which serve/ui started it (stop_owned reads this)
    os.pwrite(fd, f"{os.getpid()} {os.environ.get(OWNER_VAR, '')}".encode(), 0)
    idle = settings.worker_idle_s if idle_s is None else idle_s
    rec = job_records.records(settings)
    runner = JobRunner(settings)
    back = rec.requeue_orphans(runner.name)
    rec.prune()
    if back:
        log.warning("put back %d job(s) a stopped worker held", back)
    stop = threading.Event()
    _on_term(stop, runner)

    def loop() -> None:
        refreshed = True
        while not stop.is_set():
            row = rec.claim(runner.name)
            if row is None:
                if not refreshed and runner.busy == 0:
                    runner.refresh_indexes()
                    refreshed = True
                if idle and idle > 0 and runner.busy == 0 and time.monotonic() - runner.last_active > idle:
                    stop.set()
                stop.wait(0.3)
                continue
            refreshed = False
            runner.last_active = time.monotonic()
            runner.run(row)

    threads = [threading.Thread(target=loop, name=f"job{i}", daemon=True) for i in range(job_threads(settings))]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.5)
    finally:
        stop.set()
        runner.close()
        os.close(fd)
    return 0


def run_broker(settings: Settings, on_start=None) -> int:
    """`longdoc worker` with a broker: consume until SIGTERM/SIGINT."""
    job_records.check_broker_settings(settings)
    rec = job_records.records(settings)
    rec.ping()
    runner = JobRunner(settings)
    stop = threading.Event()
    _on_term(stop, runner, hard=False)

    def handle(job_id: str) -> None:
        row = rec.get(job_id)
        if row is None or row["status"] in job_records.DONE:
            return  # already done (a redelivered message of a finished job): acknowledge it
        row["attempts"] = rec.bump_attempts(job_id)
        runner.run(row)

    def beat() -> None:
        while not stop.wait(5):
            try:
                rec.beat(runner.name, int(settings.redeliver_s))
            except Exception:  # noqa: BLE001 - a missed heartbeat is tried again in 5 s; the jobs go on
                pass

    rec.beat(runner.name, int(settings.redeliver_s))
    threading.Thread(target=beat, daemon=True).start()
    if on_start:
        on_start(runner.name, job_threads(settings))
    try:
        broker.consume(settings, handle, job_threads(settings), stop)
    finally:
        # jobs still in hand are not acknowledged: another worker gets them after `redeliver_s`
        runner.kill()
    return 0


def _on_term(stop: threading.Event, runner: JobRunner, hard: bool = True) -> None:
    def handler(signum, frame):
        stop.set()
        if hard:  # the local worker: jobs in hand go back to the queue when the next worker starts
            runner.kill()
            os._exit(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("bm25s", "chromadb", "dramatiq"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = load_settings()
    sys.exit(run_local(settings))


if __name__ == "__main__":
    main()
