"""Fuzzed and hostile PDFs through the pipeline's parser path with its per-file limits.

Every input must end in a clear outcome (a parsed document, or a status with a message), never an
unhandled exception, a hang past the per-file timeout, or a parser above its memory cap. The
hypothesis run is bounded by LONGDOC_FUZZ_SECONDS (default 60; `make fuzz` runs longer).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.pipeline import IngestConfig, _kill_pool, _Parsed, _spawn_pool, ingest_paths, parse_file
from ingest.types import FAILED, NO_TEXT, STATUSES
from tests.conftest import ROBUST, SAMPLES
from tests.fixtures import pdfs
from tests.hardening import crafted

FUZZ_SECONDS = float(os.environ.get("LONGDOC_FUZZ_SECONDS", "60"))
FILE_TIMEOUT_S = 15
MEMORY_MB = 1024
MAX_PAGES = 40

def _seeds() -> list[Path]:
    """Small PDFs of every kind the parser meets (built from data/samples/), plus the real robustness
    files when ../shared is there: more variety for the mutations, never a requirement."""
    own = [pdfs.malformed_xref(), pdfs.encrypted_aes256(), pdfs.encrypted_rc4_user_password(),
           pdfs.encrypted_empty_user_password(), pdfs.two_columns(), pdfs.brotli_filter(), pdfs.one_bad_page(),
           SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"]
    real = [ROBUST / n for n in ("malformed_xref_keyword_missing.pdf", "encrypted_aes256_pdfjs-issue6010_pw_abc.pdf",
                                 "encrypted_rc4_userpw_openpassword.pdf", "encrypted_emptypw_rc4-40_pdfjs-bug900822.pdf",
                                 "two_column_layout.pdf")]
    return own + [p for p in real if p.is_file()]


def _seed_bytes() -> list[bytes]:
    return [p.read_bytes() for p in _seeds()]


@st.composite
def mutated_pdfs(draw) -> bytes:
    """A real PDF with byte flips, a truncation, a deletion and/or a splice from another real PDF."""
    if not _SEED_DATA:
        _SEED_DATA.extend(_seed_bytes())
    seeds = _SEED_DATA
    data = bytearray(seeds[draw(st.integers(0, len(seeds) - 1))])
    for op in draw(st.lists(st.sampled_from(["flip", "truncate", "splice", "delete", "dup"]), min_size=1, max_size=4)):
        n = len(data)
        if n < 2:
            break
        if op == "flip":
            for _ in range(draw(st.integers(1, 32))):
                i = draw(st.integers(0, n - 1))
                data[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[draw(st.integers(1, n - 1)):]
        elif op == "delete":
            i = draw(st.integers(0, n - 1))
            del data[i : i + draw(st.integers(1, 4096))]
        elif op == "dup":
            i = draw(st.integers(0, n - 1))
            data[i:i] = data[i : i + draw(st.integers(1, 4096))]
        else:
            other = seeds[draw(st.integers(0, len(seeds) - 1))]
            a = draw(st.integers(0, len(other) - 1))
            piece = other[a : a + draw(st.integers(1, 8192))]
            i = draw(st.integers(0, n - 1))
            data[i : i + draw(st.integers(0, 8192))] = piece
    return bytes(data)


_SEED_DATA: list[bytes] = []  # filled on first use: building the seeds costs a second


def _pool_peak_mb(pool) -> float:
    """The highest resident memory any live parser process of `pool` reached (VmHWM): the processes the cap is on.
    (RUSAGE_CHILDREN's maximum, used before, counts every child this test process ever reaped — a server another
    test started too — so a full run could charge another process's peak to the parser.)"""
    peak = 0.0
    ex = pool.ex
    for proc in list(getattr(ex, "_processes", {}).values()) if ex is not None else []:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def _clear(outcome) -> bool:
    if isinstance(outcome, _Parsed):
        return outcome.pages >= 1
    status, message = outcome
    return status in STATUSES and bool(message and message.strip())


class _Pool:
    """One capped parser process, recreated after a kill (the pipeline's own pool helpers)."""

    def __init__(self, workers: int, memory_mb: int):
        self.workers, self.memory_mb, self.ex = workers, memory_mb, None

    def get(self):
        if self.ex is None:
            self.ex = _spawn_pool(self.workers, self.memory_mb)
        return self.ex

    def kill(self) -> None:
        _kill_pool(self.ex)
        self.ex = None


@pytest.fixture(scope="module")
def parser_pool():
    pool = _Pool(1, MEMORY_MB)
    yield pool
    pool.kill()


def _parse_in_pool(pool: _Pool, path: Path, ocr: str = "off"):
    """parse_file in a capped worker; returns the outcome, or raises on a hang past the hard limit.

    With pypdf, the pure-Python reader: its guarantee is that the parser process itself never dies. pdfium
    (the default engine) is native code that may die under the memory cap; its guarantee is the pipeline's
    (the file read again with pypdf in a fresh process): `test_fuzz_through_the_pipelines_parser_with_pdfium`."""
    fut = pool.get().submit(parse_file, str(path), None, ocr, MAX_PAGES, 20 * 2**20, None, 200, 20,
                            FILE_TIMEOUT_S, MEMORY_MB, text_engine="pypdf")
    try:
        return fut.result(timeout=FILE_TIMEOUT_S * 2 + 30)
    except FutureTimeout:
        pool.kill()
        raise AssertionError(f"{path.name}: still running {FILE_TIMEOUT_S * 2 + 30} s after start (timeout ignored)") from None
    except BrokenProcessPool:
        pool.kill()
        raise AssertionError(f"{path.name}: the parser process died instead of reporting an outcome") from None


@pytest.mark.slow
def test_fuzz_mutated_pdfs_end_in_a_clear_outcome(parser_pool, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    started = time.monotonic()
    seen = {"n": 0}

    @settings(max_examples=max(20, int(FUZZ_SECONDS * 5)), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutated_pdfs())
    def check(data: bytes) -> None:
        if time.monotonic() - started > FUZZ_SECONDS:
            return  # time budget spent: the remaining examples pass without work
        seen["n"] += 1
        path = folder / "mutant.pdf"
        path.write_bytes(data)
        outcome = _parse_in_pool(parser_pool, path)
        assert _clear(outcome), outcome

    check()
    assert seen["n"] >= 10
    assert 0 < _pool_peak_mb(parser_pool) <= MEMORY_MB + 64  # measured on the live, capped parser
    parser_pool.kill()


@pytest.mark.slow
def test_fuzz_through_the_pipelines_parser_with_pdfium(tmp_path_factory):
    """The default engine through the pipeline's parser (`Ingester.parse`: capped worker processes, a pool
    broken by a dying parser replaced, that file read again with pypdf): every mutant ends in a clear outcome."""
    from ingest.pipeline import IngestConfig, Ingester

    folder = tmp_path_factory.mktemp("fuzz_pdfium")
    cfg = IngestConfig(ocr="off", max_pages=MAX_PAGES, max_bytes=20 * 2**20, file_timeout_s=FILE_TIMEOUT_S,
                       memory_mb=MEMORY_MB, text_engine="pdfium")
    ing = Ingester(workers=1, memory_mb=MEMORY_MB)
    started = time.monotonic()
    seen = {"n": 0}

    @settings(max_examples=max(20, int(FUZZ_SECONDS * 5)), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutated_pdfs())
    def check(data: bytes) -> None:
        if time.monotonic() - started > FUZZ_SECONDS / 2:
            return
        seen["n"] += 1
        path = folder / "mutant.pdf"
        path.write_bytes(data)
        outcome = ing.parse(path, cfg, None, None, 200)
        assert _clear(outcome), outcome

    try:
        check()
    finally:
        ing.kill()
    assert seen["n"] >= 10


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    files = {
        "deep_nesting.pdf": crafted.deep_nesting(),
        "page_tree_loop.pdf": crafted.page_tree_loop(),
        "huge_image.pdf": crafted.huge_image(),
        "decompression_bomb.pdf": crafted.decompression_bomb(3.0),
        "too_many_pages.pdf": crafted.many_pages(MAX_PAGES + 10),
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    return out


@pytest.mark.parametrize("name", ["deep_nesting.pdf", "page_tree_loop.pdf", "huge_image.pdf",
                                  "decompression_bomb.pdf", "too_many_pages.pdf"])
def test_hostile_pdf_gets_a_clear_outcome_with_ocr(parser_pool, hostile, name):
    """OCR on (auto): a textless hostile page is also rendered, which is where PDFium meets the bomb."""
    outcome = _parse_in_pool(parser_pool, hostile[name], ocr="auto")
    assert _clear(outcome), outcome
    if name == "page_tree_loop.pdf":
        assert outcome[0] == FAILED
    if name == "too_many_pages.pdf":
        assert outcome[0] == FAILED and "too many pages" in outcome[1]
    if name == "decompression_bomb.pdf":
        assert not isinstance(outcome, _Parsed) and outcome[0] in (FAILED, NO_TEXT)
    assert _pool_peak_mb(parser_pool) <= MEMORY_MB + 64  # the capped parser itself, however far the file pushed it
    parser_pool.kill()


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pdfium", "pypdf"])
def test_hostile_folder_through_ingest_paths(hostile, tmp_path, engine):
    """The whole pipeline (pool, store) over the hostile files: one clear result each, nothing stored half —
    with pdfium (the default: a parser it takes down costs a fresh process and a pypdf read) and pypdf."""
    from ingest.embed import get_embedder
    from ingest.store import open_store

    store = open_store(tmp_path / "home")
    cfg = IngestConfig(max_pages=MAX_PAGES, max_bytes=50 * 2**20, file_timeout_s=FILE_TIMEOUT_S, memory_mb=MEMORY_MB,
                       text_engine=engine, text_first=False)
    results = ingest_paths(list(hostile.values()), store=store, embedder=get_embedder("default"), workers=1, config=cfg)
    assert len(results) == len(hostile)
    for r in results:
        assert r.status in STATUSES and (r.message or r.status == "ingested"), r.as_dict()
    by = {r.file: r for r in results}
    assert by["page_tree_loop.pdf"].status == FAILED
    assert by["decompression_bomb.pdf"].status in (FAILED, NO_TEXT)
    assert store.check_consistency() == []
    assert {d.file for d in store.documents()} == {r.file for r in results if r.status == "ingested"}
