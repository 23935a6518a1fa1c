"""Files → store: hash, skip what is already there, parse+chunk in worker processes, embed and store here.

Parsing (pure-Python pypdf) runs in a process pool while this process embeds, several files in flight
at once (threads), so parsing one file overlaps embedding another and every core works. Each file's
text is stored as soon as it is parsed (askable by keywords and whole-document packing), its vectors
when they are computed. Workers are spawned, never forked (forking after torch has loaded is unsafe), each with an
address-space cap and a per-file alarm; a worker that still hangs or dies takes only its file down:
the pool is recreated and the batch goes on. Every file ends as one IngestResult with a one-line
message, never an exception.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from ingest.disk import free_mb, is_disk_full
from ingest.embed import embedder_id, mismatch_message
from ingest.types import (
    DEFAULT_TEXT_ENGINE,
    DOC_READY,
    DOC_TEXT,
    FAILED,
    INGESTED,
    NO_TEXT,
    PARSER_VERSION,
    REPLACED,
    UNCHANGED,
    Chunk,
    Document,
    IngestError,
    IngestResult,
    Profile,
)

SUFFIXES = {".pdf", ".txt", ".md", ".docx"}
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
    profile: Profile = field(default_factory=Profile)
    header: str = ""  # the document header in front of each chunk's embedded and BM25 text
    # ---- page view (issue 12) ----
    page_labels: tuple[str, ...] = ()
    page_labels_source: str = ""
    ocr_words: dict = field(default_factory=dict)
    rendered_pdf: str = ""  # a Word file laid out by LibreOffice (ingest.docx_render): a temporary PDF, moved to originals


def _profile_of(doc) -> Profile:
    """The document's profile; a rule that trips over an odd document costs the profile, never the file."""
    from ingest.profile import build_profile

    try:
        return build_profile(doc)
    except Exception:  # noqa: BLE001 - profiles are a convenience: the document still ingests
        return Profile()


def header_for(profile: Profile, file: str, count, max_tokens: int) -> tuple[str, int]:
    """The chunk header and its word pieces, cut by words to at most a quarter of the window, so that
    header + chunk always fit the embedder's window (chunks are sized `max_tokens - header tokens`)."""
    from ingest.profile import chunk_header

    header = chunk_header(profile, file)
    words = header.split()
    while words:
        n = count(" ".join(words))
        if n <= max_tokens // 4:
            return " ".join(words), n + 1  # + 1: the line break between header and text never merges, margin
        words = words[:-1]
    return "", 0


def profile_vector(profile: Profile, file: str, embedder):
    """The dense vector of a profile's card (title, type, parties, abstract), cut by words to the window."""
    from ingest.profile import profile_card

    if not profile.present:
        return None
    words = profile_card(profile, file).split()
    try:
        limit = int(embedder.max_tokens)
        while len(words) > 8 and embedder.count_tokens(" ".join(words)) > limit:
            words = words[: int(len(words) * 0.85)]
        return embedder.encode([" ".join(words)])[0]
    except Exception:  # noqa: BLE001 - the profile's vector is optional: routing falls back to its words
        return None


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
    chunk_headers: bool = False,
    text_engine: str = DEFAULT_TEXT_ENGINE,
    tables: bool = True,
    docx_render: str = "auto",
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
            doc = load_document(path, password=password, ocr=ocr, max_pages=max_pages, max_bytes=max_bytes,
                                text_engine=text_engine, tables=tables, docx_render=docx_render)
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
            rendered_pdf=str(doc.metadata.get("rendered_pdf", "")),
        )
        with cap:
            out.profile = _profile_of(doc)
        out.title = out.profile.title or out.title
        if count is not None:
            room = max_tokens
            if chunk_headers:
                out.header, n = header_for(out.profile, doc.file, count, max_tokens)
                room = max_tokens - n
            with cap:
                out.chunks = chunk_document(doc, count, room, overlap)
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
_NOTES = ("readme", "source", "license", "licence", "changelog")


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


@dataclass(frozen=True)
class IngestConfig:
    """How files are parsed, chunked and embedded (from Settings; the same for a whole batch or job)."""

    ocr: str = "auto"
    text_engine: str = DEFAULT_TEXT_ENGINE  # how the PDF text layer is read: pdfium (pypdf where it fails) | pypdf
    tables: bool = True  # tables of ruled PDF pages kept as Markdown blocks of their own (ingest/tables.py)
    chunk_tokens: int = 0
    chunk_overlap: int = 32
    max_pages: int = 5000
    max_bytes: int = 200 * 2**20
    file_timeout_s: int = 600
    memory_mb: int = DEFAULT_MEMORY_MB
    embed_batch: int = 8
    context_tokenizer: tuple[str, str] | None = None  # (tokenizer.json path, id) of the context model
    # store the text as soon as it is parsed (askable by BM25 / whole-document packing), the vectors
    # after; off: one pending → ready write at the end (a batch nobody reads until it is done)
    text_first: bool = True
    chunk_headers: bool = False  # a document header in each chunk's embedded and BM25 text (sized into the window)
    # where the library keeps its own copy of each PDF and its OCR word boxes (ingest.originals), for the
    # page view; None keeps none
    originals_dir: Path | None = None
    docx_render: str = "auto"  # lay Word files out with LibreOffice for page numbers (auto) or not (off)


def _spawn_pool(workers: int, memory_mb: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=mp.get_context("spawn"),
                               initializer=_worker_init, initargs=(memory_mb,))


def _kill_pool(ex: ProcessPoolExecutor | None) -> None:
    """Stop every worker of a pool (they are our own children)."""
    if ex is None:
        return
    procs = list(getattr(ex, "_processes", {}).values())
    for p in procs:
        try:
            p.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass
    try:
        ex.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001 - shutting a broken pool down is best effort
        pass
    for p in procs:
        try:
            p.join(timeout=5)
        except Exception:  # noqa: BLE001 - ditto: a child that will not join is left to the OS
            pass


class Ingester:
    """Parses in a pool of spawned processes and embeds here; `ingest_file` is safe to call from
    several threads at once, which is how parsing of one file overlaps the embedding of another.

    A worker that dies or hangs breaks the pool for every file in it: the pool is recreated, and each
    file that was in it is parsed again alone in a fresh one-process pool, so only the culprit fails.
    The embedder runs one document at a time (it already uses every core); the store's own lock
    serialises writers.
    """

    def __init__(self, workers: int = 2, memory_mb: int = DEFAULT_MEMORY_MB):
        self.workers = workers
        self.memory_mb = memory_mb
        self._pool: ProcessPoolExecutor | None = None
        self._gen = 0
        self._lock = threading.Lock()
        self._embed_lock = threading.Lock()

    # ---- parsing ------------------------------------------------------------------------------------
    def _get_pool(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._pool is None:
                self._pool = _spawn_pool(self.workers, self.memory_mb)
                self._gen += 1
            return self._pool, self._gen

    def _broken(self, gen: int) -> None:
        with self._lock:
            if gen == self._gen and self._pool is not None:
                _kill_pool(self._pool)
                self._pool = None

    @staticmethod
    def _result(fut: Future, hard_limit: float | None):
        """The future's result, or TimeoutError once it has *run* (not waited in the queue) too long."""
        started = None
        while True:
            done, _ = wait([fut], timeout=1.0)
            if done:
                return fut.result()
            now = time.monotonic()
            if started is None and fut.running():
                started = now
            if hard_limit and started is not None and now - started > hard_limit:
                raise TimeoutError

    def parse(self, path: Path, cfg: IngestConfig, password: str | None, tok_json, max_tokens: int):
        args = (str(path), password, cfg.ocr, cfg.max_pages, cfg.max_bytes, tok_json, max_tokens,
                cfg.chunk_overlap, cfg.file_timeout_s)
        ctx_json = cfg.context_tokenizer[0] if cfg.context_tokenizer else None
        if self.workers <= 0:
            return parse_file(*args, memory_mb=0, ctx_tokenizer_json=ctx_json, chunk_headers=cfg.chunk_headers,
                              text_engine=cfg.text_engine, tables=cfg.tables,
                              docx_render=cfg.docx_render)
        hard = (cfg.file_timeout_s * 1.5 + 30) if cfg.file_timeout_s and cfg.file_timeout_s > 0 else None
        gave_up = (FAILED, f"gave up after {cfg.file_timeout_s} s (per-file time limit)")
        ex, gen = self._get_pool()
        try:
            fut = ex.submit(parse_file, *args, self.memory_mb, ctx_json, cfg.chunk_headers, cfg.text_engine,
                            cfg.tables, cfg.docx_render)
            return self._result(fut, hard)
        except TimeoutError:
            self._broken(gen)  # the hung worker goes with its pool; the other files there run again alone
            return gave_up
        except BrokenProcessPool:
            self._broken(gen)
        except RuntimeError:  # "cannot schedule new futures after shutdown": a pool killed under us
            pass
        solo = _spawn_pool(1, self.memory_mb)
        # the file again, alone; a parser that died inside pdfium (native code: a decompression bomb or deep
        # nesting under the memory cap kills the process) reads it with pypdf, which fails in Python, cleanly
        try:
            return self._result(solo.submit(parse_file, *args, self.memory_mb, ctx_json, cfg.chunk_headers, "pypdf",
                                             cfg.tables, cfg.docx_render), hard)
        except TimeoutError:
            return gave_up
        except BrokenProcessPool:
            return (FAILED, "the parser process died (out of memory or a crash in the PDF library)")
        finally:
            _kill_pool(solo)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                try:
                    self._pool.shutdown(wait=True, cancel_futures=True)
                except Exception:  # noqa: BLE001 - a pool that cannot shut down cleanly is killed instead
                    _kill_pool(self._pool)
                self._pool = None

    def kill(self) -> None:
        with self._lock:
            _kill_pool(self._pool)
            self._pool = None

    # ---- one file -----------------------------------------------------------------------------------
    def ingest_file(self, store, embedder, path: Path, cfg: IngestConfig, *, doc_id: str | None = None,
                    name: str | None = None, password: str | None = None, progress: Progress | None = None,
                    t0: float | None = None, record_path: str | None = None) -> IngestResult:
        """Parse, store the text (askable), embed, store the vectors (ready). Never raises.

        Events: file(stage) → parsed → text → embedding(done/total)… → storing → result. A document
        whose text an earlier, interrupted attempt already stored is not parsed again. `record_path` is
        the path the library records (a worker may read a temporary copy of the submitted file)."""
        emit = progress or (lambda ev: None)
        t0 = time.perf_counter() if t0 is None else t0
        name = name or path.name

        def result(status, pages=0, chunks=0, message="", did=doc_id) -> IngestResult:
            r = IngestResult(name, did, status, pages, chunks, time.perf_counter() - t0, message)
            emit({"event": "result", "file": name, "result": r})
            return r

        try:
            if doc_id is None:
                from ingest.pdf import sha256_file

                emit({"event": "file", "file": name, "stage": "hashing"})
                try:
                    doc_id = sha256_file(path)
                except OSError as e:
                    return result(FAILED, message=f"cannot read file: {e.strerror or e}", did=None)
            row = store.row(doc_id)
            if row is not None and row.status == DOC_READY:
                _keep_original(cfg.originals_dir, path, doc_id)  # a library from before the page view gets its copy
                same = "" if row.file == name else f" (same bytes as {row.file})"
                return result(UNCHANGED, row.pages, row.chunks, f"already in the library{same}")
            if row is not None and row.status == DOC_TEXT and row.parser_version == PARSER_VERSION:
                chunks = store.chunks(doc_id)
                if len(chunks) == row.chunks and chunks:
                    emit({"event": "parsed", "file": name, "pages": row.pages, "chunks": len(chunks),
                          "chars": 0, "share": None, "resumed": True})
                    return self._embed_and_finish(store, embedder, row, chunks, cfg, name, path, result, emit,
                                                  list(row.failed_pages), list(row.ocr_pages))
            emit({"event": "file", "file": name, "stage": "parsing"})
            max_tokens = _max_tokens(embedder, cfg)
            parsed = self.parse(path, cfg, password, getattr(embedder, "tokenizer_file", None), max_tokens)
            if isinstance(parsed, tuple):
                return result(parsed[0], message=parsed[1])
            _keep_rendered(cfg.originals_dir, parsed)
            chunks = parsed.chunks
            if parsed.doc is not None:  # no tokenizer file for the workers: chunk here
                from ingest.chunk import chunk_document

                room = max_tokens
                if cfg.chunk_headers:
                    parsed.header, n = header_for(parsed.profile, parsed.file, embedder.count_tokens, max_tokens)
                    room = max_tokens - n
                chunks = chunk_document(parsed.doc, embedder.count_tokens, room, cfg.chunk_overlap)
                if cfg.context_tokenizer:
                    from ingest.chunk import with_context_counts

                    chunks = with_context_counts(chunks, _ctx_counter(cfg.context_tokenizer[0]))
            if not chunks:
                return result(NO_TEXT, parsed.pages, 0, "no text in the file")
            emit({"event": "parsed", "file": name, "pages": parsed.pages, "chunks": len(chunks),
                  "chars": parsed.chars, "share": parsed.share if parsed.doc is None else None})
            ctx_id = cfg.context_tokenizer[1] if cfg.context_tokenizer else ""
            doc = Document(
                doc_id=parsed.doc_id, file=name, title=parsed.title, domain=parsed.domain, pages=parsed.pages,
                chunks=len(chunks), status="pending", parser_version=PARSER_VERSION,
                path=record_path or str(path.resolve()),
                failed_pages=list(parsed.failed_pages), ocr_pages=list(parsed.ocr_pages), bytes=parsed.bytes,
                ctx_tokenizer=ctx_id if ctx_id and all(c.ctx_tokens is not None for c in chunks) else "",
                profile=parsed.profile, chunk_header=parsed.header,
                page_labels=list(parsed.page_labels), page_labels_source=parsed.page_labels_source,
                embedder=embedder_id(getattr(embedder, "name", "")),
            )
            if cfg.originals_dir is not None and parsed.ocr_words:
                from ingest.originals import save_words

                save_words(cfg.originals_dir, doc.doc_id, parsed.ocr_words)  # before any row: readers find them
            if cfg.text_first:
                emit({"event": "storing", "file": name, "phase": "text"})
                store.add_text(doc, chunks)
                emit({"event": "text", "file": name, "doc_id": doc.doc_id, "pages": doc.pages, "chunks": len(chunks)})
            return self._embed_and_finish(store, embedder, doc, chunks, cfg, name, path, result, emit,
                                          list(parsed.failed_pages), list(parsed.ocr_pages))
        except Exception as e:  # noqa: BLE001 - a store/embedding failure fails this file, not the batch
            if is_disk_full(e):
                home = cfg.originals_dir or Path(path).parent
                return result(FAILED, message=f"disk full: could not store {name} ({free_mb(home)} MB free): "
                                              "free space (`longdoc storage purge`, remove documents), then retry")
            msg = " ".join(str(e).split())[:200]
            return result(FAILED, message=f"could not store: {type(e).__name__}: {msg}")

    def _embed_and_finish(self, store, embedder, doc: Document, chunks, cfg: IngestConfig, name, path, result,
                          emit, failed_pages, ocr_pages) -> IngestResult:
        import numpy as np

        mine = embedder_id(getattr(embedder, "name", ""))
        doc.embedder = mine
        others = sorted(e for e in store.embedders() if e != mine)
        if others:  # vectors of two models in one collection would be compared with each other: refuse
            return result(FAILED, doc.pages, len(chunks), mismatch_message(others[0], mine))
        vecs = []
        with self._embed_lock:
            if getattr(embedder, "needs_build", lambda: False)():
                emit({"event": "wait", "message": "preparing the embedder: building its int8 ONNX copy "
                      "(once per machine, ~10 s) …"})
            step = max(64, max(1, cfg.embed_batch) * 4)  # progress events per step, not per batch
            emit({"event": "embedding", "file": name, "done": 0, "total": len(chunks), "pages": doc.pages})
            from ingest.profile import with_header

            for k in range(0, len(chunks), step):  # each chunk embedded with the header its document was cut for
                vecs.append(embedder.encode([with_header(doc.chunk_header, c.text) for c in chunks[k: k + step]],
                                            batch_size=cfg.embed_batch))
                emit({"event": "embedding", "file": name, "done": min(k + step, len(chunks)),
                      "total": len(chunks), "pages": doc.pages})
            pvec = profile_vector(doc.profile, doc.file, embedder)
        emit({"event": "storing", "file": name, "phase": "vectors"})
        if doc.status == DOC_TEXT:
            store.add_vectors(doc, chunks, np.concatenate(vecs), profile_vector=pvec)
        else:
            store.add_document(doc, chunks, np.concatenate(vecs), profile_vector=pvec)
        _keep_original(cfg.originals_dir, path, doc.doc_id)
        status, notes = INGESTED, []
        old = [d for d in store.documents() if d.file == doc.file and d.doc_id != doc.doc_id]
        for d in old:  # the new version is ready: only now does the old one go
            store.remove_document(d.doc_id)
        if old:
            status = REPLACED
            notes.append("replaced the earlier version " + ", ".join(d.doc_id[:12] for d in old))
        if failed_pages:
            notes.append(f"{_plural(failed_pages)} {_pages_phrase(failed_pages)} could not be read")
        if ocr_pages:
            notes.append(f"OCR on {_plural(ocr_pages)} {_pages_phrase(ocr_pages)}")
        return result(status, doc.pages, len(chunks), "; ".join(notes), did=doc.doc_id)


def _keep_original(originals_dir: Path | None, f: Path, doc_id: str) -> None:
    """The library's copy of a PDF for the page view (best effort: no copy only costs the page image)."""
    if originals_dir is None:
        return
    from ingest.originals import is_pdf, keep_original

    if is_pdf(f):  # by its bytes: a job's worker may read a temporary copy under another name
        keep_original(originals_dir, f, doc_id)


def _keep_rendered(originals_dir: Path | None, parsed: _Parsed) -> None:
    """A Word file's LibreOffice rendering becomes its page-view PDF (`<doc_id>.pdf`); its temporary folder goes."""
    if not parsed.rendered_pdf:
        return
    from ingest.originals import keep_rendered  # as _keep_original: the page-view copies load only when needed

    keep_rendered(originals_dir, Path(parsed.rendered_pdf), parsed.doc_id)


def _max_tokens(embedder, cfg: IngestConfig) -> int:
    m = embedder.max_tokens
    return m if not cfg.chunk_tokens or cfg.chunk_tokens <= 0 else min(cfg.chunk_tokens, m)


BATCH = IngestConfig(text_first=False)  # a batch here and now: one pending → ready write per file at the end


def ingest_paths(
    paths: list[Path],
    *,
    store,
    embedder,
    config: IngestConfig = BATCH,
    password: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Ingest files and folders here and now, as `config` says; one result per file, in input order.
    `workers=0` parses in this process. (Jobs — app/library/jobs.py — run the same Ingester one file at a
    time in a worker, with `text_first`: each document askable by keywords as soon as it is parsed.)
    """
    emit = progress or (lambda ev: None)
    store.on_wait = lambda msg: emit({"event": "wait", "message": msg})
    files, results_missing = expand_paths([Path(p) for p in paths])
    total = len(files)
    cfg = config
    results: dict[int, IngestResult] = {}
    ready = {d.doc_id: d for d in store.ready_documents()}
    claimed: dict[str, str] = {}  # doc_id → file name, within this batch
    todo: list[tuple[int, Path, str, float]] = []

    def finish(i: int, r: IngestResult) -> None:
        results[i] = r
        emit({"event": "result", "index": i, "total": total, "file": r.file, "result": r})

    from ingest.pdf import sha256_file

    for i, f in enumerate(files):
        t0 = time.perf_counter()
        emit({"event": "file", "index": i, "total": total, "file": f.name, "stage": "hashing"})
        try:
            doc_id = sha256_file(f)
        except OSError as e:
            finish(i, IngestResult(f.name, None, FAILED, message=f"cannot read file: {e.strerror or e}"))
            continue
        if doc_id in ready:
            d = ready[doc_id]
            _keep_original(cfg.originals_dir, f, doc_id)  # a library from before the page view gets its copy
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

    ingester = Ingester(min(workers, len(todo)) if workers > 0 else 0, cfg.memory_mb)

    def one(item) -> None:
        i, f, doc_id, t0 = item

        def ev(e: dict) -> None:
            if e["event"] == "result":
                finish(i, e["result"])
            else:
                emit({**e, "index": i, "total": total})

        ingester.ingest_file(store, embedder, f, cfg, doc_id=doc_id, password=password, progress=ev, t0=t0)

    try:
        if workers <= 0 or len(todo) <= 1:
            for item in todo:
                one(item)
        else:
            # files in flight: enough to keep every parser busy while one file embeds
            with ThreadPoolExecutor(max_workers=max(2, workers * 2), thread_name_prefix="ingest") as pool:
                for fut in [pool.submit(one, item) for item in todo]:
                    fut.result()
    except BaseException:
        ingester.kill()
        raise
    ingester.close()

    if any(r.status in (INGESTED, REPLACED) for r in results.values()):
        emit({"event": "index", "message": "updating the keyword index"})
        store.refresh_bm25()
    ordered = [results[i] for i in range(total) if i in results]
    return results_missing + ordered
