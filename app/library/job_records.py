"""Where job records live: SQLite under the home folder (the local queue), or Redis (shared by every
machine). One table/hash per job, global across matters (a `matter` column), read by every face.

The SQLite table is also the local queue itself (a `queued` row is work to do; `claim` takes the
oldest in one IMMEDIATE transaction). With Redis the queue is Dramatiq's; these hashes only hold what
people look at, plus the submitted bytes (`blob:<id>`) until the job ends, because a worker on another
machine cannot read the submitter's disk. A password waiting with a queued job is stored with it
(file mode 0600 / Redis) and erased when the job ends; it never appears in a record as shown.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from app.config import Settings
from app.errors import InvalidRequest
from app.library.sqlite_tx import transaction

# Fields a person sees (Job) and the internal ones kept beside them.
PUBLIC = ("id", "matter", "file", "status", "progress", "message", "doc_id", "worker", "created_at", "updated_at",
          "outcome", "pages", "chunks", "seconds")
INTERNAL = ("path", "password", "options", "attempts", "heartbeat")
ACTIVE = ("queued", "parsing", "embedding")
DONE = ("ready", "failed")
KEEP_DAYS = 30  # finished jobs are forgotten after this long


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _typed(row: dict) -> dict:
    out = dict(row)
    out["progress"] = float(out.get("progress") or 0.0)
    out["pages"] = int(out.get("pages") or 0)
    out["chunks"] = int(out.get("chunks") or 0)
    out["seconds"] = float(out.get("seconds") or 0.0)
    out["attempts"] = int(out.get("attempts") or 0)
    out["heartbeat"] = float(out.get("heartbeat") or 0.0)
    for k in ("message", "outcome", "path", "options"):
        out[k] = out.get(k) or ""
    for k in ("doc_id", "worker", "password"):
        out[k] = out.get(k) or None
    return out


# ---- SQLite ---------------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT UNIQUE NOT NULL, matter TEXT NOT NULL, file TEXT NOT NULL, status TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', doc_id TEXT, worker TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT '', pages INTEGER NOT NULL DEFAULT 0, chunks INTEGER NOT NULL DEFAULT 0,
  seconds REAL NOT NULL DEFAULT 0,
  path TEXT NOT NULL DEFAULT '', password TEXT, options TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0, heartbeat REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
CREATE INDEX IF NOT EXISTS jobs_matter ON jobs(matter, seq);
"""


class SqliteRecords:
    """Job records and the local queue in one SQLite file (WAL: readers never wait for the worker)."""

    kind = "local"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._init_lock = threading.Lock()
        self._ready = False

    @contextlib.contextmanager
    def _db(self, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            with self._init_lock:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # passwords may wait here
                    os.close(fd)
                    con = sqlite3.connect(self.path, timeout=30)
                    try:
                        con.execute("PRAGMA journal_mode=WAL")
                        cols = {r[1] for r in con.execute("PRAGMA table_info(jobs)")}
                        if cols and "seq" not in cols:  # a table of another shape (an earlier stand-in): kept aside
                            con.execute(f"ALTER TABLE jobs RENAME TO jobs_before_{int(time.time())}")
                        con.executescript(_SCHEMA)
                    finally:
                        con.close()
                    self._ready = True
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            with transaction(con, immediate):
                yield con
        finally:
            con.close()

    def create(self, rows: list[dict]) -> None:
        cols = PUBLIC + INTERNAL
        with self._db(immediate=True) as con:
            con.executemany(
                f"INSERT INTO jobs ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                [tuple(r.get(c) for c in cols) for r in rows],
            )

    def get(self, job_id: str) -> dict | None:
        with self._db() as con:
            row = con.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _typed(dict(row)) if row else None

    def get_many(self, ids: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        with self._db() as con:
            for k in range(0, len(ids), 500):
                part = ids[k: k + 500]
                q = f"SELECT * FROM jobs WHERE id IN ({', '.join('?' for _ in part)})"
                out.update((r["id"], _typed(dict(r))) for r in con.execute(q, part).fetchall())
        return out

    def list(self, matter: str | None = None, limit: int | None = None) -> list[dict]:
        q, args = "SELECT * FROM jobs", []
        if matter is not None:
            q += " WHERE matter = ?"
            args.append(matter)
        q += " ORDER BY seq DESC"
        if limit:
            q += f" LIMIT {int(limit)}"
        with self._db() as con:
            rows = [_typed(dict(r)) for r in con.execute(q, args).fetchall()]
        return rows[::-1]

    def update(self, job_id: str, **fields) -> None:
        fields["updated_at"] = now_iso()
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._db(immediate=True) as con:
            con.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*fields.values(), job_id))

    def claim(self, worker: str) -> dict | None:
        """Take the oldest queued job (one transaction, so two claimers never get the same job)."""
        with self._db(immediate=True) as con:
            row = con.execute("SELECT * FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").fetchone()
            if row is None:
                return None
            now = now_iso()
            con.execute(
                "UPDATE jobs SET status = 'parsing', worker = ?, attempts = attempts + 1, heartbeat = ?,"
                " updated_at = ?, progress = 0.02 WHERE id = ?",
                (worker, time.time(), now, row["id"]),
            )
            out = _typed(dict(row))
        out.update(status="parsing", worker=worker, attempts=out["attempts"] + 1)
        return out

    def requeue_orphans(self, alive: str) -> int:
        """Jobs held by a local worker other than `alive` go back to the queue. Only the worker that
        holds the local worker lock calls this, so any other holder is dead."""
        with self._db(immediate=True) as con:
            cur = con.execute(
                "UPDATE jobs SET status = 'queued', worker = NULL, progress = 0, updated_at = ?,"
                " message = 'requeued: its worker stopped' WHERE status IN ('parsing', 'embedding')"
                " AND (worker IS NULL OR worker != ?)",
                (now_iso(), alive),
            )
            return cur.rowcount

    def queued(self) -> int:
        with self._db() as con:
            return int(con.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()[0])

    def prune(self, days: float = KEEP_DAYS) -> int:
        cutoff = datetime.fromtimestamp(time.time() - days * 86400, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        with self._db(immediate=True) as con:
            return con.execute("DELETE FROM jobs WHERE status IN ('ready', 'failed') AND updated_at < ?",
                               (cutoff,)).rowcount

    def finished(self, job_id: str) -> None:
        pass

    # a matter renamed or deleted takes its job records along (another matter of the old name never sees them)
    def move_matter(self, old: str, new: str) -> int:
        with self._db(immediate=True) as con:
            return con.execute("UPDATE jobs SET matter = ? WHERE matter = ?", (new, old)).rowcount

    def drop_matter(self, name: str) -> int:
        with self._db(immediate=True) as con:
            return con.execute("DELETE FROM jobs WHERE matter = ?", (name,)).rowcount

    # the file bytes stay where they were submitted (same machine)
    def put_blob(self, job_id: str, data: bytes) -> None:  # pragma: no cover - not used locally
        raise NotImplementedError

    def workers(self) -> list[str]:
        return []


# ---- Redis ----------------------------------------------------------------------------------------
class RedisRecords:
    """Job records as Redis hashes (`longdoc:job:<id>`), listed by a sorted set per matter and one for
    all; the submitted bytes under `longdoc:blob:<id>` until the job ends."""

    kind = "redis"
    NS = "longdoc"

    def __init__(self, url: str):
        import redis  # the Redis client: only with LONGDOC_BROKER_URL

        self.url = url
        self.r = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)

    def _k(self, *parts: str) -> str:
        return ":".join((self.NS, *parts))

    def create(self, rows: list[dict]) -> None:
        pipe = self.r.pipeline(transaction=True)
        old = time.time() - KEEP_DAYS * 86400  # finished records expire (finished()); forget their ids too
        pipe.zremrangebyscore(self._k("jobs"), 0, old)
        for m in {row["matter"] for row in rows}:
            pipe.zremrangebyscore(self._k("jobs", "matter", m), 0, old)
        for row in rows:
            t = time.time()
            pipe.hset(self._k("job", row["id"]), mapping={k: ("" if v is None else v) for k, v in row.items()})
            pipe.zadd(self._k("jobs"), {row["id"]: t})
            pipe.zadd(self._k("jobs", "matter", row["matter"]), {row["id"]: t})
        pipe.execute()

    def _decode(self, raw: dict) -> dict | None:
        if not raw:
            return None
        row = {k.decode(): v.decode() for k, v in raw.items()}
        return _typed(row)

    def get(self, job_id: str) -> dict | None:
        return self._decode(self.r.hgetall(self._k("job", job_id)))

    def get_many(self, ids: list[str]) -> dict[str, dict]:
        pipe = self.r.pipeline(transaction=False)
        for i in ids:
            pipe.hgetall(self._k("job", i))
        rows = [self._decode(raw) for raw in pipe.execute()]
        return {r["id"]: r for r in rows if r}

    def list(self, matter: str | None = None, limit: int | None = None) -> list[dict]:
        key = self._k("jobs") if matter is None else self._k("jobs", "matter", matter)
        ids = self.r.zrange(key, -(limit or 0) if limit else 0, -1)
        pipe = self.r.pipeline(transaction=False)
        for i in ids:
            pipe.hgetall(self._k("job", i.decode()))
        return [row for row in (self._decode(raw) for raw in pipe.execute()) if row]

    def update(self, job_id: str, **fields) -> None:
        fields["updated_at"] = now_iso()
        key = self._k("job", job_id)
        clear = [k for k, v in fields.items() if v is None]
        pipe = self.r.pipeline(transaction=True)
        sets = {k: v for k, v in fields.items() if v is not None}
        if sets:
            pipe.hset(key, mapping=sets)
        if clear:
            pipe.hdel(key, *clear)
        pipe.execute()

    def finished(self, job_id: str) -> None:
        self.r.expire(self._k("job", job_id), int(KEEP_DAYS * 86400))

    def move_matter(self, old: str, new: str) -> int:
        src, dst = self._k("jobs", "matter", old), self._k("jobs", "matter", new)
        ids = [i.decode() for i in self.r.zrange(src, 0, -1)]
        pipe = self.r.pipeline(transaction=True)
        for i in ids:
            if self.r.exists(self._k("job", i)):
                pipe.hset(self._k("job", i), "matter", new)
        if ids:
            pipe.zunionstore(dst, [src, dst], aggregate="MAX")
        pipe.delete(src)
        pipe.execute()
        return len(ids)

    def drop_matter(self, name: str) -> int:
        key = self._k("jobs", "matter", name)
        ids = [i.decode() for i in self.r.zrange(key, 0, -1)]
        pipe = self.r.pipeline(transaction=True)
        for i in ids:
            pipe.delete(self._k("job", i), self._k("blob", i))
            pipe.zrem(self._k("jobs"), i)
        pipe.delete(key)
        pipe.execute()
        return len(ids)

    def bump_attempts(self, job_id: str) -> int:
        return int(self.r.hincrby(self._k("job", job_id), "attempts", 1))

    def put_blob(self, job_id: str, data: bytes) -> None:
        self.r.set(self._k("blob", job_id), data)

    def get_blob(self, job_id: str) -> bytes | None:
        return self.r.get(self._k("blob", job_id))

    def drop_blob(self, job_id: str) -> None:
        self.r.delete(self._k("blob", job_id))

    # a document is written by one job at a time: the lease is refreshed while it works
    def lease(self, key: str, holder: str, ttl_s: int) -> bool:
        k = self._k("lease", key)
        if self.r.set(k, holder, nx=True, ex=ttl_s):
            return True
        if (self.r.get(k) or b"").decode() == holder:
            self.r.expire(k, ttl_s)
            return True
        return False

    def release(self, key: str, holder: str) -> None:
        k = self._k("lease", key)
        if (self.r.get(k) or b"").decode() == holder:
            self.r.delete(k)

    def beat(self, worker: str, ttl_s: int) -> None:
        self.r.zadd(self._k("workers"), {worker: time.time()})
        self.r.zremrangebyscore(self._k("workers"), 0, time.time() - 10 * ttl_s)

    def workers(self, within_s: float = 30.0) -> list[str]:
        return [w.decode() for w in self.r.zrangebyscore(self._k("workers"), time.time() - within_s, "+inf")]

    def queued(self) -> int:
        return sum(1 for j in self.list() if j["status"] == "queued")

    def ping(self) -> None:
        self.r.ping()


def options_json(**opts) -> str:
    return json.dumps({k: v for k, v in opts.items() if v is not None}, sort_keys=True)


def options_of(row: dict) -> dict:
    try:
        return json.loads(row.get("options") or "{}")
    except ValueError:
        return {}


# ---- where the records live -----------------------------------------------------------------------
_RECORDS: dict[str, object] = {}
_LOCK = threading.Lock()


def records(settings: Settings):
    """The job records (and, without a broker, the queue) these settings point at; one per process."""
    key = settings.broker_url or str(Path(settings.jobs_db).expanduser().resolve())
    with _LOCK:
        rec = _RECORDS.get(key)
        if rec is None:
            if settings.broker_url:
                check_broker_settings(settings)
                rec = RedisRecords(settings.broker_url)
            else:
                rec = SqliteRecords(Path(key))
            _RECORDS[key] = rec
        return rec


def check_broker_settings(settings: Settings) -> None:
    url = settings.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise InvalidRequest("LONGDOC_BROKER_URL must be a Redis URL (redis://host:6379/0)")
    if not settings.chroma_url:
        raise InvalidRequest("LONGDOC_BROKER_URL needs LONGDOC_CHROMA_URL too: workers on other machines write "
                         "to one shared Chroma server")


def matter_of(settings: Settings) -> str:
    return str(getattr(settings, "matter", None) or "default")


def settings_for(settings: Settings, matter: str, options: dict | None = None) -> Settings:
    """The settings a job runs under: the worker's own, for the job's matter, with the submitter's
    ingest choices (embedder, chunking, OCR, limits) so one collection never mixes embedders."""
    changes = dict(options or {})
    names = {f.name for f in fields(Settings)}
    if "matter" in names:
        changes["matter"] = matter
        changes.pop("collection", None)
    return settings.replace(**{k: v for k, v in changes.items() if k in names})
