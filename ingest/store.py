"""The store: chunks + vectors in Chroma, the document registry in Chroma too, a BM25 index beside it.

The only module that talks to Chroma. Both collections live in the same Chroma (embedded
`PersistentClient` under home/chroma, or a server via `HttpClient`), so app instances sharing a server
share the library. The BM25 index is derived data kept per instance under home/bm25 and rebuilt
whenever its fingerprint (the ready documents) no longer matches the registry.

Atomic per document: the registry row is written "pending" first, then the chunks, then the row
turns "ready"; readers only ever see whole documents. A pending row whose writer is gone (killed
mid-ingest) is cleaned up — chunks deleted, row removed — the next time a store is opened.

Askable before its vectors: an ingest may first store a document's chunk text alone (`add_text`:
pending → chunks into the `<name>_text` collection → row "text"), so BM25 and whole-document packing
can use it at once, and later its vectors (`add_vectors`: chunks with vectors into the main collection
→ row "ready" → the text-only copies removed). Dense search only ever sees "ready" documents. Chroma
cannot hold a record without a vector, hence the second collection (1-d placeholder vectors, like
the registry's). Its rows are packed: up to TEXT_PART chunks (id, text, metadata) as one JSON metadata
value, no Chroma document. Chroma indexes every document for full-text search and every metadata key
on write; nothing here searches that collection, so one chunk per row made the text stage cost more
Chroma server CPU than the vectors' write itself (1,818 CUAD chunks: 6.0 s of server CPU for the text
rows as chunks, 1.7 s packed) — CPU a worker's embedder needs. Rows of one chunk each (stores written
before the packing) are still read. For the same reason a chunk's text in the main collection is a metadata
value, not a Chroma document (read back either way: `_chunk_entries`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from ingest.types import DOC_PENDING, DOC_READY, DOC_TEXT, PARSER_VERSION, Chunk, Document, Profile

READY = DOC_READY
PENDING = DOC_PENDING
TEXT = DOC_TEXT  # chunk text stored (BM25, whole-document packing); vectors not yet
ASKABLE = (TEXT, READY)
# A pending row from another machine (server mode) is presumed dead after this long.
STALE_PENDING_S = 6 * 3600

# A registry row that is not a document: its value changes on every write, so a reader can keep the
# registry in memory and re-read it only when this one small row says it changed (embedded or server).
_VERSION_ID = "__registry_version__"
EXACT_MAX_CHUNKS = 20_000  # a search scoped to documents holding at most this many chunks is exact (no HNSW)
CORPUS = "chunks.jsonl"  # the chunk rows beside the BM25 index

_HOST = socket.gethostname()


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _chunk_meta(c: Chunk, file: str) -> dict:
    meta = {
        "doc_id": c.doc_id,
        "ordinal": int(c.ordinal),
        "page_start": int(c.page_start),
        "page_end": int(c.page_end),
        "char_start": int(c.char_start),
        "char_end": int(c.char_end),
        "section": c.section_path,
        "section_json": json.dumps(list(c.section), ensure_ascii=False),
        "is_references": bool(c.is_references),
        "ocr": bool(c.ocr),
        "file": file,
    }
    if c.section_marks:
        meta["section_marks"] = json.dumps([[int(a), str(p)] for a, p in c.section_marks], ensure_ascii=False)
    if c.ctx_tokens is not None and c.ctx_tail is not None:
        meta["ctx_tokens"] = int(c.ctx_tokens)
        meta["ctx_tail"] = int(c.ctx_tail)
    return meta


@functools.lru_cache(maxsize=8192)
def _section(section_json: str, section: str) -> tuple[str, ...]:
    """Section paths repeat across a document's chunks: decoded once each."""
    try:
        return tuple(json.loads(section_json or "[]"))
    except ValueError:
        return tuple(s for s in (section or "").split(" > ") if s)


@functools.lru_cache(maxsize=8192)
def _marks(raw: str) -> tuple[tuple[int, str], ...]:
    if not raw:
        return ()
    try:
        return tuple((int(a), str(p)) for a, p in json.loads(raw))
    except (ValueError, TypeError):
        return ()


TEXT_PART = 64  # chunks per row of the text-only collection


def _text_part_rows(doc_id: str, file: str, chunks: list[Chunk]) -> tuple[list[str], list[dict]]:
    """The text-only collection's rows for a document: its chunks packed TEXT_PART to a row."""
    ids, metas = [], []
    for k in range(0, len(chunks), TEXT_PART):
        part = [[c.chunk_id, c.text, _chunk_meta(c, file)] for c in chunks[k: k + TEXT_PART]]
        ids.append(f"{doc_id}#text{k // TEXT_PART:05d}")
        metas.append({"doc_id": doc_id, "text_part": json.dumps(part, ensure_ascii=False)})
    return ids, metas


def _text_entries(got: dict) -> list[tuple[str, str, dict]]:
    """(chunk id, text, metadata) of every chunk in a `get` of the text-only collection, packed or not."""
    out: list[tuple[str, str, dict]] = []
    for i, t, m in zip(got["ids"], got.get("documents") or [None] * len(got["ids"]), got["metadatas"]):
        part = m.get("text_part")
        if part is None:  # one chunk per row: written before the packing
            out.append((i, t or "", m))
        else:
            out.extend((cid, text, meta) for cid, text, meta in json.loads(part))
    return out


def _chunk_entries(got: dict) -> list[tuple[str, str, dict]]:
    """(chunk id, text, metadata) of every chunk in a `get` of the main collection: the text is a metadata
    value (no Chroma document to index for full-text search, which nothing here uses: the main collection's
    write 4.4 → 2.9 s of server CPU per 1,818 chunks) or, in stores written before, the Chroma document."""
    out: list[tuple[str, str, dict]] = []
    for i, t, m in zip(got["ids"], got.get("documents") or [None] * len(got["ids"]), got["metadatas"]):
        if "text" in m:
            m = dict(m)
            t = m.pop("text")
        out.append((i, t or "", m))
    return out


def _chunk_from(cid: str, text: str | None, m: dict) -> Chunk:
    section = _section(m.get("section_json") or "", m.get("section") or "")
    return Chunk(
        chunk_id=cid,
        doc_id=m["doc_id"],
        ordinal=int(m["ordinal"]),
        text=text or "",
        page_start=int(m["page_start"]),
        page_end=int(m["page_end"]),
        char_start=int(m["char_start"]),
        char_end=int(m["char_end"]),
        section=section,
        is_references=bool(m.get("is_references", False)),
        ocr=bool(m.get("ocr", False)),
        ctx_tokens=int(m["ctx_tokens"]) if m.get("ctx_tokens") is not None else None,
        ctx_tail=int(m["ctx_tail"]) if m.get("ctx_tail") is not None else None,
        section_marks=_marks(m.get("section_marks") or ""),
    )


def _doc_row(d: Document, status: str) -> dict:
    return {
        "doc_id": d.doc_id,
        "file": d.file,
        "title": d.title or d.file,
        "domain": d.domain or "other",
        "pages": int(d.pages),
        "chunks": int(d.chunks),
        "status": status,
        "parser_version": d.parser_version or PARSER_VERSION,
        "ingested_at": d.ingested_at or _now_iso(),
        "path": d.path or "",
        "failed_pages": json.dumps(list(d.failed_pages)),
        "ocr_pages": json.dumps(list(d.ocr_pages)),
        "bytes": int(d.bytes),
        "ctx_tokenizer": d.ctx_tokenizer or "",
        "embedder": d.embedder or "",
        # ---- page view (issue 12) ----
        "page_labels": json.dumps(list(d.page_labels)) if d.page_labels else "",
        "page_labels_source": d.page_labels_source or "",
        # ----
        "owner": f"{_HOST}:{os.getpid()}",
        "started": time.time(),
        **_profile_fields(d),
    }


# ---- profiles (issue 16): the profile rides on the registry row as JSON; its vector in `<name>_profiles` ----
def _profile_fields(d: Document) -> dict:
    import dataclasses

    p = d.profile if isinstance(d.profile, Profile) else Profile()
    return {"profile": json.dumps(dataclasses.asdict(p), ensure_ascii=False) if p.present else "",
            "chunk_header": d.chunk_header or ""}


def _profile_from(m: dict) -> Profile:
    return _profile_json(m.get("profile") or "")


@functools.lru_cache(maxsize=65536)
def _profile_json(raw: str) -> Profile:
    """Decoded once per distinct row: a library of thousands lists its documents on every question.
    The Profile returned is shared — readers treat it as read-only (dataclasses.replace to change one)."""
    if not raw:
        return Profile()
    try:
        data = json.loads(raw)
        known = {f for f in Profile.__dataclass_fields__}
        return Profile(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError):
        return Profile()


def _doc_from(m: dict) -> Document:
    return Document(
        doc_id=m["doc_id"],
        file=m.get("file", ""),
        title=m.get("title", ""),
        domain=m.get("domain", "other"),
        pages=int(m.get("pages", 0)),
        chunks=int(m.get("chunks", 0)),
        status=m.get("status", PENDING),
        parser_version=m.get("parser_version", PARSER_VERSION),
        ingested_at=m.get("ingested_at", ""),
        path=m.get("path", ""),
        failed_pages=list(json.loads(m.get("failed_pages") or "[]")),
        ocr_pages=list(json.loads(m.get("ocr_pages") or "[]")),
        bytes=int(m.get("bytes", 0)),
        ctx_tokenizer=str(m.get("ctx_tokenizer") or ""),
        profile=_profile_from(m),
        chunk_header=str(m.get("chunk_header") or ""),
        embedder=str(m.get("embedder") or ""),
        # ---- page view (issue 12) ----
        page_labels=[str(x) for x in json.loads(m.get("page_labels") or "[]")],
        page_labels_source=str(m.get("page_labels_source") or ""),
    )


def _bm25_tokenize(texts: list[str]) -> list[list[str]]:
    """BM25 terms of chunk texts and queries: English words stemmed, Chinese runs segmented (ingest.lexical)."""
    from ingest import lexical

    return lexical.tokenize(texts)


def _text_key(chunks: list[Chunk]) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(c.chunk_id.encode())
        h.update(b"\0")
        h.update(c.text.encode("utf-8", "surrogatepass"))
        h.update(b"\1")
    return h.hexdigest()[:24]


def _piece_key(row: dict) -> str:
    """What a document's rows in the BM25 index depend on: its chunks' ids and texts (`text_key`, written with
    the row; rows from before it fall back to when they were written), its header, and the tokeniser."""
    head = hashlib.sha256((row.get("chunk_header") or "").encode()).hexdigest()[:8]
    text = row.get("text_key") or f"at {row.get('ingested_at', '')}"
    return f"{row['doc_id']}:{text}:{int(row.get('chunks', 0))}:{head}:{_BM25_TOKENS}"


def _tokens_id() -> str:
    from ingest import lexical

    return lexical.TOKENIZER_ID


_BM25_TOKENS = _tokens_id()  # how _bm25_tokenize splits text; change it and no cached token is reused
TOKENS = "tokens.jsonl"  # per chunk, aligned with ids.json: the BM25 tokens it was indexed with
PIECE_KEYS = "keys.json"


def _save_pieces(folder: Path, keys: dict[str, str], doc_ids: list[str], tokens: list[list[str]]) -> None:
    with open(folder / TOKENS, "w", encoding="utf-8") as f:
        for tok in tokens:
            f.write(json.dumps(tok, ensure_ascii=False) + "\n")
    (folder / PIECE_KEYS).write_text(json.dumps({d: keys[d] for d in set(doc_ids)}))


def _previous_pieces(base: Path, keys: dict[str, str]) -> dict[str, list]:
    """From the newest complete index under `base`: doc_id -> [(id, entry, ref, tokens)] for each document whose
    key is unchanged. Anything unreadable or partial reuses nothing (the caller reads those from Chroma)."""
    try:
        dirs = sorted((d for d in base.iterdir() if not d.name.startswith(".") and (d / PIECE_KEYS).is_file()),
                      key=lambda d: (d / PIECE_KEYS).stat().st_mtime, reverse=True)
    except OSError:
        return {}
    for folder in dirs[:1]:
        try:
            old_keys = json.loads((folder / PIECE_KEYS).read_text())
            info = json.loads((folder / "ids.json").read_text())
            keep = {d for d, k in old_keys.items() if keys.get(d) == k}
            if not keep:
                return {}
            out: dict[str, list] = {}
            with open(folder / CORPUS, encoding="utf-8") as fc, open(folder / TOKENS, encoding="utf-8") as ft:
                for i, d, r in zip(info["ids"], info["doc_ids"], info["refs"]):
                    line_c, line_t = fc.readline(), ft.readline()
                    if not line_c or not line_t:
                        return {}  # shorter than its ids: not a complete index
                    if d in keep:
                        out.setdefault(d, []).append((i, json.loads(line_c), r, json.loads(line_t)))
            return out
        except (OSError, ValueError, KeyError, TypeError):
            return {}
    return {}


class _Bm25:
    """A bm25s index over the ready chunks, aligned with `ids` / `doc_ids`, with their stored rows.

    The chunk rows (text + metadata) are saved beside the index as bm25s' memory-mapped JSONL corpus:
    a search or a 128K pack reads ~1–3K chunks, ~10 µs each from there, ~0.1 ms each through Chroma's
    get. Chroma stays the record; this is derived, like the index itself.
    """

    def __init__(self, fingerprint: str, ids: list[str], doc_ids: list[str], retriever, corpus=None,
                 refs: list[bool] | None = None):
        self.fingerprint = fingerprint
        self.ids = ids
        self.doc_ids = np.asarray(doc_ids, dtype=object)
        self.retriever = retriever
        self.corpus = corpus
        self.refs = np.asarray(refs if refs is not None else [False] * len(ids), dtype=bool)
        self.row = {cid: i for i, cid in enumerate(ids)} if corpus is not None else {}

    def rows(self, ids: list[str]) -> dict[str, Chunk]:
        """The chunks among `ids` that the corpus holds (lines sliced from the shared mmap: no seek,
        so no lock; ~10 µs a chunk)."""
        out: dict[str, Chunk] = {}
        if self.corpus is None:
            return out
        from bm25s.utils.json_functions import loads

        mm, starts = self.corpus.mmap_obj, self.corpus.mmindex
        last = len(starts) - 1
        for cid in ids:
            i = self.row.get(cid)
            if i is not None and cid not in out:
                e = loads(mm[starts[i] : starts[i + 1] if i < last else len(mm)])
                out[cid] = _chunk_from(cid, e["text"], e["meta"])
        return out


class Store:
    def __init__(self, home: Path, chroma_url: str | None = None, collection: str = "longdoc"):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.chroma_url = chroma_url
        self.collection_name = collection
        self.on_wait: Callable[[str], None] | None = None
        self._lock_path = self.home / "lock"
        self._gen_path = self.home / "generation"
        self._gen_seen = self._read_generation()
        self._tlock = threading.RLock()
        self._bm25: _Bm25 | None = None
        self._rows_cache: list[dict] = []
        self._rows_version: str | None = None
        self._local = threading.local()  # per-thread registry snapshot (see snapshot())
        self._vectors: dict[tuple, tuple[list[str], np.ndarray]] = {}  # scoped (exact) search: vectors per document
        self._docs_memo: tuple | None = None  # (row ids, rows, Documents) of the last documents() call
        self._dropped = False
        for attempt in range(60):
            try:
                self._connect()
                self.cleanup_interrupted()
                break
            except Exception as e:
                # two processes opening a fresh embedded store at the same instant: Chroma's SQLite says
                # "database is locked" to one of them while the other creates it; wait and open again
                if not self.embedded or "database is locked" not in str(e) or attempt == 59:
                    raise
                time.sleep(0.25)

    # ---- connection -------------------------------------------------------------------------------
    def _connect(self) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        cs = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.chroma_url:
            u = urlparse(self.chroma_url if "://" in self.chroma_url else "http://" + self.chroma_url)
            self.client = chromadb.HttpClient(
                host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=cs
            )
            self._open_collections()
        else:
            path = self.home / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            # Chroma's first open creates its SQLite schema without a lock of its own: two processes opening
            # a new store at once fail with "table collections already exists". Serialise the opening.
            fd = os.open(self.home / "open.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self.client = chromadb.PersistentClient(path=str(path), settings=cs)
                self._open_collections()
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        try:
            self._batch = max(100, min(int(self.client.get_max_batch_size()), 4000))
        except Exception:  # noqa: BLE001 - older servers do not report it
            self._batch = 1000

    def _open_collections(self) -> None:
        self._chunks = self.client.get_or_create_collection(
            self.collection_name,
            metadata={"hnsw:space": "cosine"},
            embedding_function=None,
        )
        self._reg = self.client.get_or_create_collection(
            self.collection_name + "_registry", embedding_function=None
        )
        self._text = self.client.get_or_create_collection(
            self.collection_name + "_text", embedding_function=None
        )
        self._profiles = self.client.get_or_create_collection(
            self.collection_name + "_profiles", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    @property
    def embedded(self) -> bool:
        return not self.chroma_url

    def _read_generation(self) -> str:
        try:
            return self._gen_path.read_text()
        except OSError:
            return ""

    def _bump_generation(self) -> None:
        g = f"{time.time_ns()}:{os.getpid()}"
        tmp = self._gen_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(g)
        os.replace(tmp, self._gen_path)
        self._gen_seen = g

    def _refresh(self) -> None:
        """Another process wrote to the embedded store since we loaded it: reload Chroma's view."""
        if not self.embedded:
            return
        g = self._read_generation()
        if g != self._gen_seen:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
            self._connect()
            self._gen_seen = g

    @contextlib.contextmanager
    def _write_lock(self, wait: bool = True) -> Iterator[bool]:
        """Serialise writers on this machine (fcntl lock on home/lock); tells the user when it waits.

        Yields False (and holds nothing) when `wait` is False and another process holds the lock.
        """
        with self._tlock:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not wait:
                        yield False
                        return
                    if self.on_wait:
                        self.on_wait(f"waiting for another longdoc process writing to {self.home} …")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                self._refresh()
                self._bump_registry()  # readers re-read from now on (even if this writer dies midway)
                try:
                    yield True
                finally:
                    if not self._dropped:  # a dropped store has no registry left to bump
                        self._bump_registry()
                    if self.embedded:
                        self._bump_generation()
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    # ---- registry ---------------------------------------------------------------------------------
    def _bump_registry(self) -> None:
        version = f"{time.time_ns()}:{_HOST}:{os.getpid()}"
        self._reg.upsert(ids=[_VERSION_ID], embeddings=[[1.0]], documents=[""], metadatas=[{"version": version}])

    def _registry_version(self) -> str | None:
        metas = self._reg.get(ids=[_VERSION_ID], include=["metadatas"]).get("metadatas") or []
        return str(metas[0].get("version")) if metas and metas[0] else None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Within the block this thread reads the registry once: one consistent view for a question
        (search and packing agree on which documents exist) and one round trip instead of ~6."""
        local = self._local
        local.depth = getattr(local, "depth", 0) + 1
        try:
            yield
        finally:
            local.depth -= 1
            if not local.depth:
                local.rows = None

    def _rows(self, where: dict | None = None) -> list[dict]:
        """Registry rows (optionally those whose fields equal `where`'s values).

        Held in memory between writes: reading every row costs ~50 ms at a few hundred documents, on
        each search; the version row costs a few. A registry never written by this version re-reads.
        """
        local = self._local
        rows = getattr(local, "rows", None) if getattr(local, "depth", 0) else None
        if rows is None:
            self._refresh()
            with self._tlock:
                version = self._registry_version()
                if version is None or version != self._rows_version:
                    got = self._reg.get(include=["metadatas"])
                    fresh = [m for m in (got.get("metadatas") or []) if m and "doc_id" in m]
                    self._rows_cache, self._rows_version = fresh, version
                rows = self._rows_cache
            if getattr(local, "depth", 0):
                local.rows = rows
        if where:
            rows = [m for m in rows if all(m.get(k) == v for k, v in where.items())]
        return list(rows)

    def documents(self) -> list[Document]:
        """The documents a question may use: ready ones and those whose vectors are still to come
        (status "text"; `Document.status` tells them apart)."""
        rows = [m for m in self._rows() if m.get("status") in ASKABLE]
        key = tuple(id(m) for m in rows)
        memo = self._docs_memo
        if memo is not None and memo[0] == key and all(a is b for a, b in zip(memo[1], rows)):
            return list(memo[2])  # the same rows as last time: their Documents (a library of thousands, per question)
        docs = sorted((_doc_from(m) for m in rows), key=lambda d: (d.file.lower(), d.doc_id))
        self._docs_memo = (key, rows, docs)
        return list(docs)

    def ready_documents(self) -> list[Document]:
        """Documents with their vectors in (what re-ingest may skip)."""
        return [d for d in self.documents() if d.status == READY]

    def row(self, doc_id: str) -> Document | None:
        """The registry row of `doc_id` whatever its status (None if there is none)."""
        self._refresh()
        metas = self._reg.get(ids=[doc_id], include=["metadatas"]).get("metadatas") or []
        return _doc_from(metas[0]) if metas and metas[0] and "doc_id" in metas[0] else None

    def all_rows(self) -> list[Document]:
        """Every registry row, pending ones included (for the pipeline and consistency checks)."""
        return [_doc_from(m) for m in self._rows()]

    def get_document(self, doc_id: str) -> Document | None:
        self._refresh()
        got = self._reg.get(ids=[doc_id], include=["metadatas"])
        metas = got.get("metadatas") or []
        if not metas or not metas[0] or metas[0].get("status") not in ASKABLE:
            return None
        return _doc_from(metas[0])

    def find_document(self, ref: str) -> Document | None:
        """By full id, a unique id prefix of at least 6 characters, or file name (exact, then case-insensitive)."""
        ref = (ref or "").strip()
        if not ref:
            return None
        docs = self.documents()
        for d in docs:
            if d.doc_id == ref:
                return d
        if len(ref) >= 6:
            hits = [d for d in docs if d.doc_id.startswith(ref.lower())]
            if len(hits) == 1:
                return hits[0]
        name = Path(ref).name
        for key in (lambda d: d.file == name, lambda d: d.file.lower() == name.lower()):
            hits = [d for d in docs if key(d)]
            if len(hits) == 1:
                return hits[0]
        return None

    # ---- chunks -----------------------------------------------------------------------------------
    def chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in order, whole or not at all: from the text-only copies while its
        vectors are still to come (falling back to the main collection when they just arrived)."""
        self._refresh()
        want = None
        for m in self._rows():
            if m["doc_id"] == doc_id:
                want = m
                break
        sources = [self._text, self._chunks] if want is not None and want.get("status") == TEXT else [self._chunks]
        out: list[Chunk] = []
        for col in sources:
            got = col.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
            entries = _text_entries(got) if col is self._text else _chunk_entries(got)
            out = [_chunk_from(i, t, m) for i, t, m in entries]
            if want is None or len(out) == int(want.get("chunks", 0)):
                break
        return sorted(out, key=lambda c: c.ordinal)

    def get_chunks(self, ids: list[str]) -> list[Chunk]:
        """Chunks by id, in the order asked (unknown ids dropped): ready ones from the chunk table."""
        if not ids:
            return []
        by_id = self.bm25_index().rows(ids)
        rest = [i for i in dict.fromkeys(ids) if i not in by_id]
        if rest:
            by_id.update(self._chroma_chunks(rest))
        return [by_id[i] for i in ids if i in by_id]

    def _chroma_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        self._refresh()
        by_id: dict[str, Chunk] = {}
        for k in range(0, len(ids), self._batch):
            got = self._chunks.get(ids=list(ids[k : k + self._batch]), include=["documents", "metadatas"])
            for i, t, m in _chunk_entries(got):
                by_id[i] = _chunk_from(i, t, m)
        rest = {i for i in ids if i not in by_id}
        docs = sorted({i.rsplit(":", 1)[0] for i in rest})
        for k in range(0, len(docs), 100):  # documents whose vectors are still to come
            got = self._text.get(where={"doc_id": {"$in": docs[k: k + 100]}}, include=["documents", "metadatas"])
            for i, t, m in _text_entries(got):
                if i in rest:
                    by_id[i] = _chunk_from(i, t, m)
        return by_id

    def count_chunks(self) -> int:
        self._refresh()
        return int(self._chunks.count())

    def document_text(self, doc_id: str) -> str:
        """The cleaned text rebuilt from the chunks: each chunk contributes what its predecessor did not."""
        parts: list[str] = []
        end = 0
        for c in self.chunks(doc_id):
            if c.char_end <= end:
                continue
            skip = max(0, end - c.char_start)
            if c.char_start > end:  # chunks tile the text; a gap would be whitespace only
                parts.append(" " * (c.char_start - end))
            parts.append(c.text[skip:])
            end = c.char_end
        return "".join(parts)

    # ---- writes -----------------------------------------------------------------------------------
    def add_document(self, doc: Document, chunks: list[Chunk], embeddings: np.ndarray,
                     profile_vector: np.ndarray | None = None) -> None:
        """Store a document atomically: pending row → chunks in batches (and its profile's vector) → ready row."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        doc.chunks = len(chunks)
        doc.ingested_at = doc.ingested_at or _now_iso()
        emb = np.asarray(embeddings, dtype=np.float32)
        with self._write_lock():
            self._put_row(doc, PENDING, chunks)
            # stale chunks of an earlier interrupted attempt with more chunks than this one
            self._chunks.delete(where={"doc_id": doc.doc_id})
            self._put_chunks(doc.file, chunks, emb)
            if profile_vector is not None:
                self._put_profile(doc, profile_vector)
            doc.status = READY
            self._put_row(doc, READY, chunks)
            self._text.delete(where={"doc_id": doc.doc_id})  # text-only copies of an earlier attempt

    # ---- the writes every add_* makes, inside its write lock ----
    def _put_row(self, doc: Document, status: str, chunks: list[Chunk] | None = None) -> None:
        row = _doc_row(doc, status)
        if chunks is not None:
            row["text_key"] = _text_key(chunks)  # what the derived BM25 rows of this document depend on
        self._reg.upsert(ids=[doc.doc_id], embeddings=[[1.0]], documents=[doc.title or doc.file], metadatas=[row])

    def _put_chunks(self, file: str, chunks: list[Chunk], emb: np.ndarray) -> None:
        """Chunks with their vectors into the main collection, in batches."""
        for k in range(0, len(chunks), self._batch):
            part = chunks[k : k + self._batch]
            self._chunks.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=emb[k : k + self._batch],
                metadatas=[{**_chunk_meta(c, file), "text": c.text} for c in part],
            )

    def _put_text(self, doc: Document, chunks: list[Chunk]) -> None:
        """Chunks without vectors into the text-only collection, packed TEXT_PART to a row."""
        ids, metas = _text_part_rows(doc.doc_id, doc.file, chunks)
        for k in range(0, len(ids), self._batch):
            self._text.upsert(ids=ids[k: k + self._batch], embeddings=[[1.0]] * len(ids[k: k + self._batch]),
                              metadatas=metas[k: k + self._batch])

    def _put_profile(self, doc: Document, vector: np.ndarray) -> None:
        self._profiles.upsert(ids=[doc.doc_id], embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
                              metadatas=[{"doc_id": doc.doc_id}])

    def add_text(self, doc: Document, chunks: list[Chunk]) -> None:
        """Store a document's chunks without vectors, atomically: pending row → text-only chunks →
        row "text". It is then listed, searchable by BM25 and packable whole; dense search waits for
        `add_vectors`."""
        doc.chunks = len(chunks)
        doc.ingested_at = doc.ingested_at or _now_iso()
        with self._write_lock():
            self._put_row(doc, PENDING, chunks)
            self._text.delete(where={"doc_id": doc.doc_id})
            self._chunks.delete(where={"doc_id": doc.doc_id})
            self._put_text(doc, chunks)
            doc.status = TEXT
            self._put_row(doc, TEXT, chunks)

    def add_vectors(self, doc: Document, chunks: list[Chunk], embeddings: np.ndarray,
                    profile_vector: np.ndarray | None = None) -> None:
        """The vectors of a document stored by `add_text`: chunks with vectors into the main collection
        (and its profile's vector), then the row turns ready, then the text-only copies go (a reader between
        the two steps finds the whole document in one place or the other)."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        emb = np.asarray(embeddings, dtype=np.float32)
        with self._write_lock():
            self._chunks.delete(where={"doc_id": doc.doc_id})
            self._put_chunks(doc.file, chunks, emb)
            if profile_vector is not None:
                self._put_profile(doc, profile_vector)
            doc.chunks = len(chunks)
            doc.status = READY
            self._put_row(doc, READY, chunks)
            self._text.delete(where={"doc_id": doc.doc_id})

    def embedders(self) -> dict[str, int]:
        """Which embedders made the vectors of the ready documents: embedder id -> documents (rows written before
        the store recorded it count as the default). One key when the library is consistent."""
        from ingest.embed import embedder_id

        out: dict[str, int] = {}
        for m in self._rows():
            if m.get("status") == READY:
                e = embedder_id(str(m.get("embedder") or ""))
                out[e] = out.get(e, 0) + 1
        return out

    def replace_vectors(self, doc: Document, embeddings: np.ndarray, embedder: str,
                        profile_vector: np.ndarray | None = None) -> None:
        """New vectors for a ready document's stored chunks (same ids, same text: a re-embed), then its row names
        the embedder that made them. One document at a time, atomically for readers of its row."""
        ids = [c.chunk_id for c in self.chunks(doc.doc_id)]
        if len(ids) != len(embeddings):
            raise ValueError(f"{len(ids)} chunks but {len(embeddings)} embeddings")
        emb = np.asarray(embeddings, dtype=np.float32)
        with self._write_lock():
            for k in range(0, len(ids), self._batch):
                self._chunks.update(ids=ids[k: k + self._batch], embeddings=emb[k: k + self._batch])
            if profile_vector is not None:
                self._put_profile(doc, profile_vector)
            got = self._reg.get(ids=[doc.doc_id], include=["metadatas"])
            if got.get("ids"):
                row = {**got["metadatas"][0], "embedder": embedder}
                self._reg.upsert(ids=[doc.doc_id], embeddings=[[1.0]], documents=[doc.title or doc.file], metadatas=[row])

    def mark_pending(self, doc: Document) -> None:
        """Write a pending row only (what an ingest killed before completion leaves behind)."""
        with self._write_lock():
            self._put_row(doc, PENDING)

    def add_chunks_unchecked(self, chunks: list[Chunk], embeddings: np.ndarray, file: str = "") -> None:
        """Chunks without touching the registry: only for simulating an interrupted write in tests."""
        with self._write_lock():
            self._put_chunks(file, chunks, np.asarray(embeddings, dtype=np.float32))

    def remove_document(self, doc_id: str) -> bool:
        with self._write_lock():
            got = self._reg.get(ids=[doc_id])
            existed = bool(got.get("ids"))
            n = len(self._chunks.get(where={"doc_id": doc_id}, include=[])["ids"])
            # the row goes first: a reader never sees a ready document with missing chunks
            self._reg.delete(ids=[doc_id])
            self._chunks.delete(where={"doc_id": doc_id})
            self._text.delete(where={"doc_id": doc_id})
            self._profiles.delete(ids=[doc_id])
            return existed or n > 0

    def _stale(self, m: dict) -> bool:
        host, _, pid = str(m.get("owner", "")).rpartition(":")
        if host == _HOST and pid.isdigit():
            return int(pid) == os.getpid() or not _pid_alive(int(pid))
        return time.time() - float(m.get("started", 0) or 0) > STALE_PENDING_S

    def cleanup_interrupted(self) -> list[str]:
        """Remove documents whose ingest was interrupted (pending rows whose writer is gone) and their chunks."""
        pending = self._rows({"status": PENDING})
        if not pending:
            return []
        removed: list[str] = []
        with self._write_lock(wait=False) as held:
            if not held:  # another process is writing right now; its pending row may be live
                return []
            for m in self._reg.get(where={"status": PENDING}, include=["metadatas"]).get("metadatas") or []:
                if m and (self.embedded or self._stale(m)):
                    # embedded mode: we hold the write lock, so no writer is in the middle of this row
                    self._chunks.delete(where={"doc_id": m["doc_id"]})
                    self._text.delete(where={"doc_id": m["doc_id"]})
                    self._reg.delete(ids=[m["doc_id"]])
                    removed.append(m["doc_id"])
        return removed

    # ---- profiles -----------------------------------------------------------------------------------
    def profile_vectors(self, doc_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored profile vectors of `doc_ids` (documents ingested before profiles have none)."""
        if not doc_ids:
            return {}
        self._refresh()
        out: dict[str, np.ndarray] = {}
        for k in range(0, len(doc_ids), self._batch):
            got = self._profiles.get(ids=list(doc_ids[k: k + self._batch]), include=["embeddings"])
            for i, e in zip(got.get("ids") or [], got.get("embeddings") if got.get("embeddings") is not None else []):
                if e is not None:
                    out[i] = np.asarray(e, dtype=np.float32)
        return out

    def save_profiles(self, items: list[tuple[Document, np.ndarray | None]]) -> int:
        """Give ready documents written before profiles existed their profile (and its vector): upgrades
        rows in place — nothing about their chunks changes. Returns how many rows were written."""
        done = 0
        with self._write_lock():
            for doc, vec in items:
                got = self._reg.get(ids=[doc.doc_id], include=["metadatas"]).get("metadatas") or []
                if not got or not got[0] or got[0].get("status") not in ASKABLE:
                    continue  # removed, or being (re-)ingested meanwhile
                row = {**got[0], **_profile_fields(doc)}
                row["chunk_header"] = got[0].get("chunk_header") or ""  # the vectors were made without one
                if doc.title:
                    row["title"] = doc.title
                self._reg.upsert(ids=[doc.doc_id], embeddings=[[1.0]], documents=[row["title"] or doc.file], metadatas=[row])
                if vec is not None:
                    self._put_profile(doc, vec)
                done += 1
        return done

    # ---- search -----------------------------------------------------------------------------------
    def dense_search(
        self, embedding: np.ndarray, k: int, doc_ids: list[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity (1 − Chroma's cosine distance), ready documents only."""
        return self.dense_search_many([embedding], k, doc_ids)[0]

    def dense_search_many(
        self, embeddings: list[np.ndarray], k: int, doc_ids: list[str] | None = None
    ) -> list[list[tuple[Chunk, float]]]:
        ranked = self.dense_ids_many(embeddings, k, doc_ids)
        by_id = {c.chunk_id: c for c in self.get_chunks(list(dict.fromkeys(i for r in ranked for i, _ in r)))}
        return [[(by_id[i], s) for i, s in r if i in by_id] for r in ranked]

    def dense_ids_many(
        self, embeddings: list[np.ndarray], k: int, doc_ids: list[str] | None = None
    ) -> list[list[tuple[str, float]]]:
        """One ranking of (chunk id, cosine similarity) per query vector, from one Chroma query.

        Chroma is asked for ids and distances only: its HNSW search takes ~10 ms for 850 neighbours
        in 100K, but including documents and metadata made the same query cost ~150 ms. A search over
        the whole library sends no `$in` list of every document id (evaluated per candidate, ~1 s at
        100K chunks): pending documents are excluded with a short `$nin`, results checked against the
        ready set.
        """
        if not embeddings:
            return []
        rows = self._rows()
        ready = {m["doc_id"] for m in rows if m.get("status") == READY}
        allowed = [d for d in (doc_ids if doc_ids is not None else ready) if d in ready]
        if not allowed or k <= 0:
            return [[] for _ in embeddings]
        if doc_ids is not None:
            by_id = {m["doc_id"]: m for m in rows if m.get("status") == READY}
            if sum(int(by_id[d].get("chunks", 0)) for d in allowed) <= EXACT_MAX_CHUNKS:
                return self._exact_ids_many(embeddings, k, [by_id[d] for d in allowed])
        if set(allowed) == ready:
            others = sorted({m["doc_id"] for m in rows} - ready)
            where = {"doc_id": {"$nin": others}} if others else None
        elif len(allowed) == 1:
            where = {"doc_id": allowed[0]}
        else:
            where = {"doc_id": {"$in": sorted(allowed)}}
        query = dict(
            query_embeddings=[np.asarray(e, dtype=np.float32).tolist() for e in embeddings],
            n_results=int(k),
            include=["distances"],
        )
        if where is not None:
            query["where"] = where
        res = self._chunks.query(**query)  # _rows() above has reloaded Chroma's view if another process wrote
        return [[(i, 1.0 - float(d)) for i, d in zip(ids, dists) if i.rsplit(":", 1)[0] in ready]
                for ids, dists in zip(res["ids"], res["distances"])]

    def _exact_ids_many(self, embeddings: list[np.ndarray], k: int, rows: list[dict]) -> list[list[tuple[str, float]]]:
        """Exact cosine over the few documents a search is scoped to (a routed question): their vectors are
        read once per process and multiplied here. Chroma's HNSW search filtered to one document of a
        100K-chunk collection took ~180 ms; reading 50 vectors and a dot product takes a few."""
        ids: list[str] = []
        mats: list[np.ndarray] = []
        for m in rows:
            key = (m["doc_id"], m.get("ingested_at", ""), int(m.get("chunks", 0)))
            got = self._vectors.get(key)
            if got is None:
                cids = [f"{m['doc_id']}:{o:05d}" for o in range(int(m.get("chunks", 0)))]
                res = self._chunks.get(ids=cids, include=["embeddings"])
                order = {cid: i for i, cid in enumerate(res.get("ids") or [])}
                emb = res.get("embeddings")
                have = [c for c in cids if c in order]
                mat = np.asarray([emb[order[c]] for c in have], dtype=np.float32).reshape(len(have), -1)
                norms = np.linalg.norm(mat, axis=1, keepdims=True) if len(have) else np.ones((0, 1))
                got = (have, mat / np.where(norms == 0, 1, norms))
                if len(self._vectors) > 256:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[key] = got
            ids.extend(got[0])
            mats.append(got[1])
        if not ids:
            return [[] for _ in embeddings]
        mat = np.concatenate(mats) if len(mats) > 1 else mats[0]
        out = []
        for e in embeddings:
            q = np.asarray(e, dtype=np.float32).reshape(-1)
            sims = mat @ (q / (np.linalg.norm(q) or 1.0))
            n = min(int(k), len(ids))
            top = np.argpartition(-sims, n - 1)[:n]
            top = top[np.argsort(-sims[top], kind="stable")]
            out.append([(ids[int(i)], float(sims[i])) for i in top])
        return out

    def _fingerprint(self, rows: list[dict]) -> str:
        # the tokenizer too: an index written with other terms (a library from before the Chinese segmentation)
        # is rebuilt, not searched with query terms it was never indexed with
        h = hashlib.sha256(_BM25_TOKENS.encode())
        for m in sorted(rows, key=lambda m: m["doc_id"]):
            head = hashlib.sha256((m.get("chunk_header") or "").encode()).hexdigest()[:8] if m.get("chunk_header") else ""
            text = f":{m['text_key']}" if m.get("text_key") else ""  # the same id written again with other text
            h.update(f"{m['doc_id']}:{m.get('chunks', 0)}{':' + head if head else ''}{text};".encode())
        return h.hexdigest()[:20]

    def _bm25_dir(self) -> Path:
        name = self.collection_name if not self.chroma_url else f"{self.collection_name}@{urlparse(self.chroma_url).netloc}"
        safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in name)
        return self.home / "bm25" / safe

    def bm25_index(self) -> _Bm25:
        """The BM25 index matching the current ready documents: in memory, on disk, or rebuilt from Chroma."""
        import bm25s
        from bm25s.utils.corpus import JsonlCorpus

        with self._tlock:
            rows = [m for m in self._rows() if m.get("status") in ASKABLE]
            fp = self._fingerprint(rows)
            if self._bm25 is not None and self._bm25.fingerprint == fp:
                return self._bm25
            base = self._bm25_dir()
            target = base / fp
            meta = target / "ids.json"
            if meta.is_file():
                try:
                    info = json.loads(meta.read_text())
                    retriever, corpus = None, None
                    if info["ids"]:
                        retriever = bm25s.BM25.load(str(target))
                        corpus = JsonlCorpus(str(target / CORPUS), show_progress=False, verbosity=0)
                    self._bm25 = _Bm25(fp, info["ids"], info["doc_ids"], retriever, corpus, info["refs"])
                    return self._bm25
                except (OSError, ValueError, KeyError):
                    pass  # unreadable or from before the corpus was kept: rebuild below
            ready = {m["doc_id"] for m in rows if m.get("status") == READY}
            headers = {m["doc_id"]: m.get("chunk_header") or "" for m in rows}  # what the vectors were made with
            keys = {m["doc_id"]: _piece_key(m) for m in rows}
            # documents unchanged since the last index built here keep their rows and tokens from it: only new
            # or re-ingested ones are read from Chroma and tokenised (a library's first question after one more
            # document would otherwise re-read and re-tokenise every chunk)
            pieces = _previous_pieces(base, keys)
            found: dict[str, list] = {}  # doc_id -> its (id, text, meta) for documents read afresh

            def take(col, wanted: set[str], count: int) -> None:
                if not wanted:
                    return
                def entries(got):
                    return _text_entries(got) if col is self._text else _chunk_entries(got)

                if len(wanted) <= 32:  # a few new documents: ask for them, not for the whole collection
                    for d in sorted(wanted):
                        got = col.get(where={"doc_id": d}, include=["documents", "metadatas"])
                        for i, t, m in entries(got):
                            found.setdefault(m["doc_id"], []).append((i, t, m))
                    return
                for off in range(0, count, self._batch):
                    got = col.get(include=["documents", "metadatas"], limit=self._batch, offset=off)
                    for i, t, m in entries(got):
                        if m["doc_id"] in wanted:
                            found.setdefault(m["doc_id"], []).append((i, t, m))

            take(self._chunks, ready - set(pieces), self.count_chunks())
            texts_only = {m["doc_id"]: int(m.get("chunks", 0)) for m in rows
                          if m.get("status") == TEXT and m["doc_id"] not in pieces}
            if texts_only:
                take(self._text, set(texts_only), int(self._text.count()))
                for d, n in texts_only.items():
                    if len(found.get(d, [])) != n:  # its vectors arrived meanwhile: the main copy is whole
                        got = self._chunks.get(where={"doc_id": d}, include=["documents", "metadatas"])
                        found[d] = _chunk_entries(got)
            fresh: dict[str, list] = {}  # doc_id -> [(id, entry, ref, text to tokenise)]
            for d, rows_of in found.items():
                head = headers.get(d, "")
                fresh[d] = [(i, {"text": t or "", "meta": m}, bool(m.get("is_references", False)),
                             f"{head}\n{t or ''}" if head else (t or ""))
                            for i, t, m in sorted(rows_of, key=lambda x: int(x[2]["ordinal"]))]
            new_tokens = iter(_bm25_tokenize([x[3] for d in sorted(fresh) for x in fresh[d]]) if fresh else [])
            ids, doc_ids, tokens, entries, refs = [], [], [], [], []
            for d in sorted(set(fresh) | set(pieces)):
                if d in fresh:
                    got = [(i, e, r, next(new_tokens)) for i, e, r, _ in fresh[d]]
                else:
                    got = pieces[d]
                for i, e, r, tok in got:
                    ids.append(i)
                    doc_ids.append(d)
                    entries.append(e)
                    refs.append(r)
                    tokens.append(tok)
            retriever = None
            if ids:
                retriever = bm25s.BM25()
                retriever.index(tokens, show_progress=False)
            tmp = base / f".{fp}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True, exist_ok=True)
            if retriever is not None:
                retriever.save(str(tmp), corpus=entries, corpus_name=CORPUS, show_progress=False)
                JsonlCorpus(str(tmp / CORPUS), show_progress=False, verbosity=0)  # writes its line index
            (tmp / "ids.json").write_text(json.dumps({"ids": ids, "doc_ids": doc_ids, "refs": refs}))
            _save_pieces(tmp, keys, doc_ids, tokens)
            try:
                if target.exists():
                    shutil.rmtree(target, ignore_errors=True)
                os.replace(tmp, target)
            except OSError:  # another process published the same fingerprint first
                shutil.rmtree(tmp, ignore_errors=True)
            for old in base.iterdir():
                if old.name != fp and not old.name.startswith("."):
                    shutil.rmtree(old, ignore_errors=True)
            corpus = JsonlCorpus(str(target / CORPUS), show_progress=False, verbosity=0) if retriever is not None and (target / CORPUS).is_file() else None
            self._bm25 = _Bm25(fp, ids, doc_ids, retriever, corpus, refs)
            return self._bm25

    def refresh_bm25(self) -> None:
        self.bm25_index()

    # ---- review (issue 23): every chunk's vector at once, aligned with the BM25 index ----------------
    def index_vectors(self) -> np.ndarray:
        """A (chunks × dim) float32 matrix of unit vectors aligned with `bm25_index().ids` (zeros for chunks
        whose vectors are still to come): what a library-wide review scores every document with in one
        product instead of one query per document. Read from Chroma once per set of ready documents and kept
        beside the BM25 index (derived data, like it: vectors-<ready>.npy in the index's folder)."""
        idx = self.bm25_index()
        with self._tlock:
            ready = sorted({m["doc_id"] for m in self._rows() if m.get("status") == READY})
            key = hashlib.sha256(("\n".join(ready) + f"|{idx.fingerprint}|{len(idx.ids)}").encode()).hexdigest()[:16]
            memo = getattr(self, "_index_vectors", None)
            if memo is not None and memo[0] == key:
                return memo[1]
            path = self._bm25_dir() / idx.fingerprint / f"vectors-{key}.npy"
            mat = None
            if path.is_file():
                try:
                    mat = np.load(path)
                    if mat.shape[0] != len(idx.ids):
                        mat = None
                except (OSError, ValueError):
                    mat = None
            if mat is None:
                ready_set = set(ready)
                want = [i for i, d in zip(idx.ids, idx.doc_ids) if d in ready_set]
                row = {cid: n for n, cid in enumerate(idx.ids)}
                mat = None
                self._refresh()
                for k in range(0, len(want), self._batch):
                    got = self._chunks.get(ids=want[k: k + self._batch], include=["embeddings"])
                    emb = got.get("embeddings")
                    if emb is None or not len(got.get("ids") or []):
                        continue
                    part = np.asarray(emb, dtype=np.float32)
                    if mat is None:
                        mat = np.zeros((len(idx.ids), part.shape[1]), dtype=np.float32)
                    mat[[row[i] for i in got["ids"]]] = part
                if mat is None:
                    mat = np.zeros((len(idx.ids), 1), dtype=np.float32)
                norms = np.linalg.norm(mat, axis=1, keepdims=True)
                mat = mat / np.where(norms == 0, 1, norms)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                    with open(tmp, "wb") as f:
                        np.save(f, mat)
                    os.replace(tmp, path)
                except OSError:
                    pass  # a read-only data folder: read again next time
            self._index_vectors = (key, mat)
            return mat

    def bm25_ids(self, query: str, k: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """The `k` best chunk ids for `query` by BM25 (score > 0), ready documents only."""
        idx = self.bm25_index()
        if idx.retriever is None or k <= 0:
            return []
        tokens = _bm25_tokenize([query])[0]
        if not tokens:
            return []
        mask = None
        if doc_ids is not None:
            mask = np.isin(idx.doc_ids, list(doc_ids)).astype(np.float32)
            if not mask.any():
                return []
        scores = idx.retriever.get_scores(tokens, weight_mask=mask)
        k = min(int(k), len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return [(idx.ids[int(t)], float(scores[t])) for t in top[np.argsort(-scores[top])] if scores[t] > 0]

    def bm25_search(self, query: str, k: int, doc_ids: list[str] | None = None) -> list[tuple[Chunk, float]]:
        ranked = self.bm25_ids(query, k, doc_ids)
        by_id = {c.chunk_id: c for c in self.get_chunks([i for i, _ in ranked])}
        return [(by_id[i], s) for i, s in ranked if i in by_id]

    def references(self, ids: list[str]) -> set[str]:
        """Which of `ids` lie in a references section (from the index's flags; no chunk reads)."""
        idx = self.bm25_index()
        out, rest = set(), []
        for cid in ids:
            i = idx.row.get(cid)
            if i is None:
                rest.append(cid)
            elif idx.refs[i]:
                out.add(cid)
        if rest:
            out |= {cid for cid, c in self._chroma_chunks(rest).items() if c.is_references}
        return out

    # ---- a matter's lifecycle (rename, delete) -----------------------------------------------------
    def rename_collection(self, new_name: str) -> None:
        """Give the collections a new name (a renamed matter); the BM25 index follows on next use."""
        with self._write_lock():
            old_bm25 = self._bm25_dir()
            self._chunks.modify(name=new_name)
            self._reg.modify(name=new_name + "_registry")
            self._text.modify(name=new_name + "_text")
            self._profiles.modify(name=new_name + "_profiles")
            self.collection_name = new_name
            self._bm25 = None
            shutil.rmtree(old_bm25, ignore_errors=True)

    def drop(self) -> None:
        """Delete the collections and the BM25 index (a deleted matter): vectors, text and registry."""
        with self._write_lock():
            self._dropped = True
            for name in (self.collection_name, self.collection_name + "_registry", self.collection_name + "_text",
                         self.collection_name + "_profiles"):
                try:
                    self.client.delete_collection(name)
                except Exception:  # noqa: BLE001 - already gone (an interrupted earlier delete)
                    pass
            shutil.rmtree(self._bm25_dir(), ignore_errors=True)
            self._bm25 = None
            self._rows_cache, self._rows_version = [], None

    # ---- checks -----------------------------------------------------------------------------------
    def check_consistency(self, live: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Problems found between registry, Chroma and BM25; [] when they agree.

        A document still pending, or with its text stored and its vectors not (status "text"), is a
        problem unless its doc_id is in `live` (an ingest job is working on it right now)."""
        problems: list[str] = []
        rows = self._rows()
        by_id = {m["doc_id"]: m for m in rows}
        ready = {d: m for d, m in by_id.items() if m.get("status") == READY}
        text_rows = {d: m for d, m in by_id.items() if m.get("status") == TEXT}
        for m in rows:
            st = m.get("status")
            if st != READY and m["doc_id"] not in live:
                what = "has its text but not its vectors (search by keywords only)" if st == TEXT else f"is {st}"
                problems.append(f"document {m['doc_id'][:12]} ({m.get('file')}) {what}")

        def tally(col) -> tuple[dict[str, int], set[str]]:
            counts: dict[str, int] = {}
            ids: set[str] = set()
            total = int(col.count())
            for off in range(0, total, self._batch):
                got = col.get(include=["metadatas"], limit=self._batch, offset=off)
                entries = _text_entries(got) if col is self._text else [(i, "", m) for i, m in zip(got["ids"], got["metadatas"])]
                for i, _, m in entries:
                    counts[m["doc_id"]] = counts.get(m["doc_id"], 0) + 1
                    ids.add(i)
            return counts, ids

        counts, chroma_ids = tally(self._chunks)
        tcounts, text_ids = tally(self._text)
        for d, m in ready.items():
            if counts.get(d, 0) != int(m.get("chunks", 0)):
                problems.append(f"document {d[:12]} ({m.get('file')}): registry says {m.get('chunks')} chunks, Chroma has {counts.get(d, 0)}")
        for d, m in text_rows.items():
            if tcounts.get(d, 0) != int(m.get("chunks", 0)) and counts.get(d, 0) != int(m.get("chunks", 0)):
                problems.append(f"document {d[:12]} ({m.get('file')}): registry says {m.get('chunks')} chunks, "
                                f"the text store has {tcounts.get(d, 0)}")
        for d, n in counts.items():
            if d not in by_id:
                problems.append(f"{n} orphan chunks of unknown document {d[:12]}")
        for d, n in tcounts.items():
            if d not in by_id:
                problems.append(f"{n} orphan text-only chunks of unknown document {d[:12]}")
            elif d in ready and d not in live:
                problems.append(f"document {d[:12]} is ready but {n} text-only copies of its chunks remain")
        idx = self.bm25_index()
        want = {i for i in chroma_ids if i.rsplit(":", 1)[0] in ready}
        want |= {i for i in text_ids | chroma_ids if i.rsplit(":", 1)[0] in text_rows}
        if set(idx.ids) != want:
            problems.append(f"BM25 index has {len(idx.ids)} chunks, Chroma has {len(want)} askable chunks")
        return problems

    def in_progress(self) -> list[Document]:
        """Rows not ready yet: pending (being written) or text (vectors to come)."""
        return [_doc_from(m) for m in self._rows() if m.get("status") != READY]


def open_store(home: Path, chroma_url: str | None = None, collection: str = "longdoc") -> Store:
    return Store(Path(home), chroma_url=chroma_url, collection=collection)
