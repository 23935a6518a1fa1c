"""Server mode and concurrency: a real `chroma run`, real `longdoc ingest` processes at once."""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from ingest.store import open_store
from ingest.types import Chunk, Document
from tests.hardening.helpers import cli_env, json_results, run_longdoc, small_contracts, start_longdoc


def _doc(doc_id: str, file: str, n: int) -> tuple[Document, list[Chunk], np.ndarray]:
    chunks = [
        Chunk(chunk_id=f"{doc_id}:{i:05d}", doc_id=doc_id, ordinal=i, text=f"clause {i} of {file} governing law {doc_id[:4]}",
              page_start=1 + i // 3, page_end=1 + i // 3, char_start=i * 100, char_end=i * 100 + 50)
        for i in range(n)
    ]
    rng = np.random.default_rng(len(doc_id) + n)
    emb = rng.normal(size=(n, 16)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    doc = Document(doc_id=doc_id, file=file, title=file, domain="contract", pages=1 + (n - 1) // 3, chunks=n, status="pending")
    return doc, chunks, emb


def test_store_round_trip_in_both_modes(store_factory, tmp_path):
    """The same store behaviour embedded and against the server (store_factory runs both)."""
    store = store_factory(tmp_path / "home")
    a, ca, ea = _doc("a" * 64, "a.pdf", 7)
    b, cb, eb = _doc("b" * 64, "b.pdf", 4)
    store.add_document(a, ca, ea)
    store.add_document(b, cb, eb)
    assert [d.file for d in store.documents()] == ["a.pdf", "b.pdf"]
    assert store.count_chunks() == 11
    assert [c.ordinal for c in store.chunks(a.doc_id)] == list(range(7))
    hits = store.dense_search(ea[3], k=3)
    assert hits[0][0].chunk_id == ca[3].chunk_id and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert store.bm25_search("clause 2 of b.pdf", k=2, doc_ids=[b.doc_id])[0][0].doc_id == b.doc_id
    assert store.check_consistency() == []
    # a second instance (another app process / machine) sees the same library
    other = store_factory(tmp_path / "home2") if store_factory.mode == "server" else store_factory(tmp_path / "home")
    assert [d.doc_id for d in other.documents()] == [a.doc_id, b.doc_id]
    assert other.bm25_search("governing law", k=20) and other.check_consistency() == []
    assert store.remove_document(a.doc_id)
    assert [d.file for d in other.documents()] == ["b.pdf"] and other.check_consistency() == []


def test_interrupted_write_is_cleaned_up_in_both_modes(store_factory, tmp_path):
    """A pending row whose writer is gone (this pid → not alive) and its chunks vanish on the next open."""
    store = store_factory(tmp_path / "home")
    d, c, e = _doc("c" * 64, "c.pdf", 5)
    store.mark_pending(d)
    store.add_chunks_unchecked(c[:3], e[:3], file="c.pdf")
    assert store.documents() == []
    again = store_factory(tmp_path / "home")
    assert again.documents() == [] and again.count_chunks() == 0
    assert again.check_consistency() == []


def _overlapping_folders(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    pdfs = small_contracts(4)
    left, right = tmp_path / "left", tmp_path / "right"
    left.mkdir()
    right.mkdir()
    for p in pdfs[:3]:
        os.symlink(p, left / p.name)
    for p in pdfs[1:]:
        os.symlink(p, right / p.name)
    return left, right, pdfs


def _check_exactly_once(store, pdfs: list[Path], results: list[list[dict]]) -> None:
    names = sorted(p.name for p in pdfs)
    docs = store.documents()
    assert sorted(d.file for d in docs) == names
    assert len({d.doc_id for d in docs}) == len(pdfs)
    assert store.count_chunks() == sum(d.chunks for d in docs)
    assert store.check_consistency() == []
    for res in results:
        assert all(r["status"] in ("ingested", "unchanged") for r in res), res


@pytest.mark.slow
def test_two_ingest_processes_on_one_server(chroma_server, tmp_path):
    """Two workers (own homes = own machines) feed one Chroma server with overlapping folders at once."""
    left, right, pdfs = _overlapping_folders(tmp_path)
    coll = "c" + uuid.uuid4().hex[:10]
    env = cli_env(LONGDOC_CHROMA_URL=chroma_server, LONGDOC_COLLECTION=coll, LONGDOC_WORKERS="1")
    procs = []
    for name, folder in (("w1", left), ("w2", right)):
        home = tmp_path / name
        procs.append((start_longdoc(["--home", str(home), "ingest", str(folder), "--json"], env, tmp_path / f"{name}.log"), name))
    results = []
    for proc, name in procs:
        assert proc.wait(timeout=600) == 0, (tmp_path / f"{name}.log").read_text()[-3000:]
        results.append(json_results((tmp_path / f"{name}.log").read_text()))
    store = open_store(tmp_path / "reader", chroma_url=chroma_server, collection=coll)
    _check_exactly_once(store, pdfs, results)


@pytest.mark.slow
def test_two_ingest_processes_on_one_embedded_store(tmp_path):
    """Two processes on the same embedded store: serialised by the lock, never corrupted."""
    left, right, pdfs = _overlapping_folders(tmp_path)
    home = tmp_path / "home"
    env = cli_env(LONGDOC_HOME=str(home), LONGDOC_WORKERS="1")
    procs = [(start_longdoc(["ingest", str(f), "--json"], env, tmp_path / f"{n}.log"), n) for n, f in (("p1", left), ("p2", right))]
    results = []
    for proc, name in procs:
        assert proc.wait(timeout=600) == 0, (tmp_path / f"{name}.log").read_text()[-3000:]
        results.append(json_results((tmp_path / f"{name}.log").read_text()))
    _check_exactly_once(open_store(home), pdfs, results)


@pytest.mark.slow
def test_a_writer_waits_for_the_lock_and_says_so(tmp_path):
    """While another process holds the store's write lock, ingest waits with a clear message, then finishes."""
    home = tmp_path / "home"
    home.mkdir()
    pdf = small_contracts(1)[0]
    fd = os.open(home / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    proc = start_longdoc(["ingest", str(pdf)], cli_env(LONGDOC_HOME=str(home), LONGDOC_WORKERS="0"), tmp_path / "p.log")
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and "waiting for another longdoc process" not in (tmp_path / "p.log").read_text():
            assert proc.poll() is None, (tmp_path / "p.log").read_text()
            time.sleep(0.5)
        assert "waiting for another longdoc process" in (tmp_path / "p.log").read_text()
        time.sleep(1.0)
        assert proc.poll() is None  # still waiting: nothing written behind our back
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert proc.wait(timeout=300) == 0, (tmp_path / "p.log").read_text()
    store = open_store(home)
    assert [d.file for d in store.documents()] == [pdf.name] and store.check_consistency() == []


def test_cli_reports_an_unreachable_server_in_one_line(tmp_path):
    from tests.conftest import _free_port

    port = _free_port()
    out = run_longdoc(["--home", str(tmp_path), "--chroma-url", f"http://127.0.0.1:{port}", "docs"], cli_env(), timeout=120)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout
    assert (out.stderr + out.stdout).strip()
