"""Files → store: hash, skip what is already there, parse+chunk in worker processes, embed and store here.

Parsing (pure-Python pypdf) runs in a process pool while this process embeds (torch), so both cores
work. Workers are spawned, never forked (forking after torch has loaded is unsafe), each with an
address-space cap and a per-file alarm; a worker that still hangs or dies takes only its file down:
the pool is recreated and the batch goes on. Every file ends as one IngestResult with a one-line
message, never an exception.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest.types import (
    FAILED,
    INGESTED,
    NO_TEXT,
    REPLACED,
    UNCHANGED,
    Chunk,
    Document,
    IngestError,
    IngestResult,
    PARSER_VERSION,
)

SUFFIXES = {".pdf", ".txt", ".md"}
DEFAULT_MEMORY_MB = 2048

Progress = Callable[[dict], None]


# ---- worker side --------------------------------------------------------------------------------
class _Timeout(BaseException):
    """BaseException so that the loader's own `except Exception` page guards cannot swallow it."""


def _on_alarm(signum, frame):  # pragma: no cover - runs in the worker
    raise _Timeout()


def _worker_init(memory_mb: int) -> None:
    """Runs once in each parser process: leave Ctrl-C to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _MemoryCap:
    """Lower RLIMIT_AS to (address space now + `mb`) while one file is parsed, then restore it.

    Relative to the worker's own size, so the cap means "what one parse may allocate" whatever the
    interpreter and its imports already take.
    """

    def __init__(self, mb: int):
        self.mb = mb
        self.old = None

    def __enter__(self):
        if self.mb and self.mb > 0 and hasattr(resource, "RLIMIT_AS"):
            try:
                self.old = resource.getrlimit(resource.RLIMIT_AS)
                cap = _vm_size() + int(self.mb) * 2**20
                hard = self.old[1]
                if hard != resource.RLIM_INFINITY:
                    cap = min(cap, hard)
                resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
            except (ValueError, OSError):
                self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            try:
                resource.setrlimit(resource.RLIMIT_AS, self.old)
            except (ValueError, OSError):
                pass


_COUNTERS: dict = {}  # tokenizer.json path (or ("batch", path)) -> counter, per process


def _ctx_counter(tokenizer_json: str):
    """The context model's batch counter, loaded once per process (DeepSeek's tokenizer takes ~0.3 s)."""
    count = _COUNTERS.get(("batch", tokenizer_json))
    if count is None:
        from ingest.embed import load_batch_counter

        count = _COUNTERS[("batch", tokenizer_json)] = load_batch_counter(tokenizer_json)
        count(["warm up"])  # its buffers exist before a worker's memory cap
    return count


@dataclass
class _Parsed:
    """What a worker sends back: document facts and its chunks (not the whole ParsedDocument)."""

    doc_id: str
    file: str
    path: str
    title: str
    domain: str
    pages: int
    chars: int
    failed_pages: tuple[int, ...]
    ocr_pages: tuple[int, ...]
    bytes: int
    chunks: list[Chunk] = field(default_factory=list)
    share: float = 1.0  # share of the document text's non-space characters inside a chunk
    doc: object | None = None  # the ParsedDocument, only when the worker could not chunk
    # ---- page view (issue 12) ----
    page_labels: tuple[str, ...] = ()
    page_labels_source: str = ""
    ocr_words: dict = field(default_factory=dict)


def parse_file(
    path: str,
    password: str | None,
    ocr: str,
    max_pages: int,
    max_bytes: int,
    tokenizer_json: str | None,
    max_tokens: int,
    overlap: int,
    timeout_s: int,
    memory_mb: int = DEFAULT_MEMORY_MB,
    ctx_tokenizer_json: str | None = None,
) -> _Parsed | tuple[str, str]:
    """Parse and chunk one file. Returns _Parsed, or (status, message) for a failure the user can act on."""
    from ingest.chunk import chunk_document, embedded_share, with_context_counts
    from ingest.embed import load_token_counter
    from ingest.pdf import load_document

    old = None
    if timeout_s and timeout_s > 0 and hasattr(signal, "SIGALRM"):
        try:
            old = signal.signal(signal.SIGALRM, _on_alarm)
            signal.alarm(int(timeout_s))
        except ValueError:  # not the main thread (inline mode from a UI thread): no alarm
            old = None
    count = None
    if tokenizer_json:
        count = _COUNTERS.get(tokenizer_json)
        if count is None:
            count = _COUNTERS[tokenizer_json] = load_token_counter(tokenizer_json)
            count("warm up")  # the tokenizer's threads and buffers exist before the memory cap
    ctx_count = _ctx_counter(ctx_tokenizer_json) if ctx_tokenizer_json else None
    cap = _MemoryCap(memory_mb)
    try:
        with cap:
            doc = load_document(path, password=password, ocr=ocr, max_pages=max_pages, max_bytes=max_bytes)
        out = _Parsed(
            doc_id=doc.doc_id,
            file=doc.file,
            path=doc.path,
            title=doc.title,
            domain=doc.domain,
            pages=doc.page_count,
            chars=len(doc.text),
            failed_pages=tuple(doc.failed_pages),
            ocr_pages=tuple(doc.ocr_pages),
            bytes=int(doc.metadata.get("bytes", 0) or 0),
            page_labels=tuple(doc.page_labels),
            page_labels_source=doc.page_labels_source,
            ocr_words=dict(doc.ocr_words),
        )
        if count is not None:
            with cap:
                out.chunks = chunk_document(doc, count, max_tokens, overlap)
                out.share = embedded_share(doc.text, out.chunks)
                if ctx_count is not None:
                    out.chunks = with_context_counts(out.chunks, ctx_count)
        else:
            out.doc = doc
        return out
    except IngestError as e:
        if "MemoryError" in e.message:  # the loader's catch-all saw our address-space cap
            return (FAILED, f"ran out of memory while parsing (limit {memory_mb} MiB per parser)")
        return (e.status, e.message)
    except _Timeout:
        return (FAILED, f"gave up after {timeout_s} s (per-file time limit)")
    except MemoryError:
        return (FAILED, f"ran out of memory while parsing (limit {memory_mb} MiB per parser)")
    except RecursionError:
        return (FAILED, "unreadable PDF: object structure too deeply nested")
    except Exception as e:  # noqa: BLE001 - the last line of defence: a result, never a traceback
        msg = " ".join(str(e).split())[:200]
        return (FAILED, f"could not parse: {type(e).__name__}: {msg}")
    finally:
        if old is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


# ---- main side ----------------------------------------------------------------------------------
# Folder notes, not documents: skipped when a folder is walked (still ingested when named explicitly).
_NOTES = ("readme", "sources", "license", "licence", "changelog")


def _skipped(f: Path) -> bool:
    return f.name.startswith(".") or (f.suffix.lower() == ".md" and f.stem.lower().startswith(_NOTES))


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[IngestResult]]:
    """Files to ingest (folders recurse, .pdf/.txt/.md in any case) and results for paths that do not exist."""
    files: list[Path] = []
    missing: list[IngestResult] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(
                (f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES and not _skipped(f)),
                key=lambda f: str(f).lower(),
            )
            cand = found
        elif p.exists():
            cand = [p]
        else:
            missing.append(IngestResult(file=p.name or str(p), doc_id=None, status=FAILED, message=f"no such file: {p}"))
            continue
        for f in cand:
            r = f.resolve()
            if r not in seen:
                seen.add(r)
                files.append(f)
    return files, missing


def _plural(pages) -> str:
    return "page" if len(pages) == 1 else "pages"


def _pages_phrase(pages: tuple[int, ...] | list[int]) -> str:
    """3, 5–7, 9"""
    out, run = [], []
    for p in sorted(set(pages)):
        if run and p == run[-1] + 1:
            run.append(p)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}")
        run = [p]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}")
    return ", ".join(out)


class _Pool:
    """A spawn-context process pool that can be thrown away and recreated when a worker dies or hangs."""

    def __init__(self, workers: int, memory_mb: int):
        self.workers = max(1, workers)
        self.memory_mb = memory_mb
        self.ex: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        if self.ex is None:
            self.ex = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_worker_init,
                initargs=(self.memory_mb,),
            )
        return self.ex

    def kill(self) -> None:
        """Stop every worker of this pool (they are our own children) and forget the pool."""
        if self.ex is None:
            return
        procs = list(getattr(self.ex, "_processes", {}).values())
        for p in procs:
            try:
                p.kill()
            except Exception:  # noqa: BLE001 - already gone
                pass
        try:
            self.ex.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001
            pass
        for p in procs:
            try:
                p.join(timeout=5)
            except Exception:  # noqa: BLE001
                pass
        self.ex = None

    def close(self) -> None:
        if self.ex is not None:
            self.ex.shutdown(wait=True, cancel_futures=True)
            self.ex = None


def ingest_paths(
    paths: list[Path],
    *,
    store,
    embedder,
    password: str | None = None,
    workers: int = 2,
    ocr: str = "auto",
    chunk_tokens: int = 0,
    chunk_overlap: int = 32,
    max_pages: int = 5000,
    max_bytes: int = 200 * 2**20,
    file_timeout_s: int = 600,
    progress: Progress | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    embed_batch: int = 8,
    context_tokenizer: tuple[str, str] | None = None,
    originals_dir: Path | None = None,
) -> list[IngestResult]:
    """Ingest files and folders; one result per file, in input order. `workers=0` parses in this process.

    `context_tokenizer` = (tokenizer.json path, id) of the context model: chunks then carry their token
    counts under it, so the packer does not tokenise them at question time.
    `originals_dir`: where the library keeps its own copy of each PDF and its OCR word boxes
    (ingest.originals), for the page view; None keeps none.
    """
    emit = progress or (lambda ev: None)
    store.on_wait = lambda msg: emit({"event": "wait", "message": msg})
    files, results_missing = expand_paths([Path(p) for p in paths])
    total = len(files)
    max_tokens = embedder.max_tokens if not chunk_tokens or chunk_tokens <= 0 else min(chunk_tokens, embedder.max_tokens)
    tok_json = getattr(embedder, "tokenizer_file", None)
    ctx_json, ctx_id = context_tokenizer if context_tokenizer else (None, "")

    results: dict[int, IngestResult] = {}
    ready = {d.doc_id: d for d in store.documents()}
    claimed: dict[str, str] = {}  # doc_id → file name, within this batch
    todo: list[tuple[int, Path, str, float]] = []

    def finish(i: int, r: IngestResult) -> None:
        results[i] = r
        emit({"event": "result", "index": i, "total": total, "file": r.file, "result": r})

    for i, f in enumerate(files):
        t0 = time.perf_counter()
        emit({"event": "file", "index": i, "total": total, "file": f.name, "stage": "hashing"})
        try:
            from ingest.pdf import sha256_file

            doc_id = sha256_file(f)
        except OSError as e:
            finish(i, IngestResult(f.name, None, FAILED, message=f"cannot read file: {e.strerror or e}"))
            continue
        if doc_id in ready:
            d = ready[doc_id]
            _keep_original(originals_dir, f, doc_id)  # a library from before the page view gets its copy
            same = "" if d.file == f.name else f" (same bytes as {d.file})"
            finish(i, IngestResult(f.name, doc_id, UNCHANGED, d.pages, d.chunks, time.perf_counter() - t0,
                                   f"already in the library{same}"))
            continue
        if doc_id in claimed:
            finish(i, IngestResult(f.name, doc_id, UNCHANGED, 0, 0, time.perf_counter() - t0,
                                   f"same bytes as {claimed[doc_id]} in this batch"))
            continue
        claimed[doc_id] = f.name
        todo.append((i, f, doc_id, t0))

    def store_one(i: int, f: Path, doc_id: str, t0: float, parsed) -> None:
        if isinstance(parsed, tuple):
            status, message = parsed
            finish(i, IngestResult(f.name, doc_id, status, seconds=time.perf_counter() - t0, message=message))
            return
        chunks = parsed.chunks
        if parsed.doc is not None:  # the worker had no tokenizer file: chunk here
            from ingest.chunk import chunk_document

            chunks = chunk_document(parsed.doc, embedder.count_tokens, max_tokens, chunk_overlap)
            if ctx_json:
                from ingest.chunk import with_context_counts

                chunks = with_context_counts(chunks, _ctx_counter(ctx_json))
        if not chunks:
            finish(i, IngestResult(f.name, doc_id, NO_TEXT, parsed.pages, 0, time.perf_counter() - t0, "no text in the file"))
            return
        share = parsed.share if parsed.doc is None else None
        emit({"event": "parsed", "index": i, "total": total, "file": f.name, "pages": parsed.pages,
              "chunks": len(chunks), "chars": parsed.chars, "share": share})
        import numpy as np

        vecs = []
        if getattr(embedder, "needs_build", lambda: False)():
            emit({"event": "wait", "message": "preparing the embedder: building its int8 ONNX copy "
                  "(once per machine, ~10 s) …"})
        step = max(64, max(1, embed_batch) * 4)  # progress events per step, not per batch
        for k in range(0, len(chunks), step):
            vecs.append(embedder.encode([c.text for c in chunks[k : k + step]], batch_size=embed_batch))
            emit({"event": "embedding", "index": i, "file": f.name, "done": min(k + step, len(chunks)),
                  "total": len(chunks), "pages": parsed.pages})
        doc = Document(
            doc_id=parsed.doc_id,
            file=parsed.file,
            title=parsed.title,
            domain=parsed.domain,
            pages=parsed.pages,
            chunks=len(chunks),
            status="pending",
            parser_version=PARSER_VERSION,
            path=str(f.resolve()),
            failed_pages=list(parsed.failed_pages),
            ocr_pages=list(parsed.ocr_pages),
            bytes=parsed.bytes,
            ctx_tokenizer=ctx_id if ctx_json and all(c.ctx_tokens is not None for c in chunks) else "",
            page_labels=list(parsed.page_labels),
            page_labels_source=parsed.page_labels_source,
        )
        emit({"event": "storing", "index": i, "file": f.name})
        if originals_dir is not None and parsed.ocr_words:
            from ingest.originals import save_words

            save_words(originals_dir, doc_id, parsed.ocr_words)  # before the row is ready: a reader finds them
        store.add_document(doc, chunks, np.concatenate(vecs))
        _keep_original(originals_dir, f, doc_id)
        status, notes = INGESTED, []
        old = [d for d in store.documents() if d.file == doc.file and d.doc_id != doc.doc_id]
        for d in old:  # the new version is ready: only now does the old one go
            store.remove_document(d.doc_id)
        if old:
            status = REPLACED
            notes.append("replaced the earlier version " + ", ".join(d.doc_id[:12] for d in old))
        if parsed.failed_pages:
            notes.append(f"{_plural(parsed.failed_pages)} {_pages_phrase(parsed.failed_pages)} could not be read")
        if parsed.ocr_pages:
            notes.append(f"OCR on {_plural(parsed.ocr_pages)} {_pages_phrase(parsed.ocr_pages)}")
        finish(i, IngestResult(f.name, doc_id, status, parsed.pages, len(chunks), time.perf_counter() - t0, "; ".join(notes)))

    args = lambda f: (  # noqa: E731
        str(f), password, ocr, max_pages, max_bytes, tok_json, max_tokens, chunk_overlap, file_timeout_s, memory_mb,
        ctx_json,
    )

    def safe_store(i, f, doc_id, t0, parsed) -> None:
        try:
            store_one(i, f, doc_id, t0, parsed)
        except Exception as e:  # noqa: BLE001 - a store/embedding failure fails this file, not the batch
            msg = " ".join(str(e).split())[:200]
            finish(i, IngestResult(f.name, doc_id, FAILED, seconds=time.perf_counter() - t0,
                                   message=f"could not store: {type(e).__name__}: {msg}"))

    if workers <= 0 or not todo:
        for i, f, doc_id, t0 in todo:
            emit({"event": "file", "index": i, "total": total, "file": f.name, "stage": "parsing"})
            safe_store(i, f, doc_id, t0, parse_file(*args(f)[:-2], memory_mb=0, ctx_tokenizer_json=ctx_json))
    else:
        _run_pool(todo, args, safe_store, finish, emit, total, workers, memory_mb, file_timeout_s)

    if any(r.status in (INGESTED, REPLACED) for r in results.values()):
        emit({"event": "index", "message": "updating the keyword index"})
        store.refresh_bm25()
    ordered = [results[i] for i in range(total) if i in results]
    return results_missing + ordered


def _keep_original(originals_dir: Path | None, f: Path, doc_id: str) -> None:
    """The library's copy of a PDF for the page view (best effort: no copy only costs the page image)."""
    if originals_dir is None or f.suffix.lower() != ".pdf":
        return
    from ingest.originals import keep_original

    keep_original(originals_dir, f, doc_id)


def _run_pool(todo, args, safe_store, finish, emit, total, workers, memory_mb, file_timeout_s) -> None:
    """Keep `workers` parsers busy; recreate the pool when a worker dies or hangs past the hard limit."""
    pool = _Pool(min(workers, len(todo)), memory_mb)
    queue = list(todo)
    retry: list = []  # files whose pool broke under them: re-run one at a time to find the culprit
    inflight: dict[Future, tuple] = {}
    started: dict[Future, float] = {}
    hard_limit = (file_timeout_s * 1.5 + 30) if file_timeout_s and file_timeout_s > 0 else None
    ahead = max(2, workers * 2)
    try:
        while queue or retry or inflight:
            isolated = any(job[4] for job in inflight.values())
            while not isolated and len(inflight) < ahead and (queue or (retry and not inflight)):
                if queue:
                    i, f, doc_id, t0 = queue.pop(0)
                    solo = False
                else:
                    i, f, doc_id, t0 = retry.pop(0)
                    solo = True
                emit({"event": "file", "index": i, "total": total, "file": f.name, "stage": "parsing"})
                try:
                    fut = pool.get().submit(parse_file, *args(f))
                except BrokenProcessPool:
                    pool.kill()
                    fut = pool.get().submit(parse_file, *args(f))
                inflight[fut] = (i, f, doc_id, t0, solo)
                if solo:
                    break
            done, _ = wait(list(inflight), timeout=1.0, return_when=FIRST_COMPLETED)
            now = time.monotonic()
            for fut in list(inflight):
                if fut not in started and fut.running():
                    started[fut] = now
            broken = False
            for fut in done:
                i, f, doc_id, t0, solo = inflight.pop(fut)
                started.pop(fut, None)
                try:
                    parsed = fut.result()
                except BrokenProcessPool:
                    broken = True
                    if solo:
                        finish(i, IngestResult(f.name, doc_id, FAILED, seconds=time.perf_counter() - t0,
                                               message="the parser process died (out of memory or a crash in the PDF library)"))
                    else:
                        retry.append((i, f, doc_id, t0))
                    continue
                except Exception as e:  # noqa: BLE001
                    parsed = (FAILED, f"could not parse: {type(e).__name__}: {e}")
                safe_store(i, f, doc_id, t0, parsed)
            if hard_limit:
                for fut, t_start in list(started.items()):
                    if fut in inflight and now - t_start > hard_limit and not fut.done():
                        i, f, doc_id, t0, solo = inflight.pop(fut)
                        started.pop(fut, None)
                        finish(i, IngestResult(f.name, doc_id, FAILED, seconds=time.perf_counter() - t0,
                                               message=f"gave up after {file_timeout_s} s (per-file time limit)"))
                        broken = True
            if broken:
                # the pool is unusable (or holds a hung worker): every other file in flight runs again
                for fut, (i, f, doc_id, t0, solo) in list(inflight.items()):
                    try:
                        parsed = fut.result(timeout=0) if fut.done() else None
                    except Exception:  # noqa: BLE001 - broken or cancelled with the pool
                        parsed = None
                    if parsed is not None:
                        safe_store(i, f, doc_id, t0, parsed)
                    else:
                        retry.append((i, f, doc_id, t0))
                inflight.clear()
                started.clear()
                pool.kill()
    finally:
        if inflight:
            pool.kill()
        else:
            pool.close()
