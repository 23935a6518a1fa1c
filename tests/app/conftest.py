"""Fixtures for the ask/summarize/compare/export tests: real PDFs, real text, real servers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"

KING = SAMPLES / "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"
DYNAMEX = SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"


def packed_from_pdfs(paths: list[Path]):
    """A PackedContext with one passage per page of real PDFs (whole-document mode), as the packer labels them."""
    from ingest.pdf import load_document
    from retrieval.types import DocCoverage, PackedContext, Passage

    passages, coverage = [], []
    docs = sorted((load_document(p) for p in paths), key=lambda d: (d.file.lower(), d.doc_id))
    for i, doc in enumerate(docs, 1):
        for pg in doc.pages:
            if not pg.text.strip():
                continue
            passages.append(Passage(doc.doc_id, i, doc.file, doc.title, (f"{doc.doc_id}:{pg.number:05d}",), pg.text,
                                    pg.number, pg.number, pg.char_start, pg.char_end, "", f"D{i} p.{pg.number}",
                                    len(pg.text) // 4))
        coverage.append(DocCoverage(doc.doc_id, doc.file, doc.title, f"D{i}", doc.page_count,
                                    [p.number for p in doc.pages], sum(len(p.text) // 4 for p in doc.pages), True))
    return PackedContext("", passages, sum(p.tokens for p in passages), 128_000, "whole", coverage), docs


@pytest.fixture(scope="session")
def king_packed():
    return packed_from_pdfs([KING])


@pytest.fixture(scope="session")
def two_packed():
    return packed_from_pdfs([KING, DYNAMEX])


def page_of(packed, doc_index: int, needle: str) -> int:
    from app.answer.cite import squash

    n = squash(needle)
    for p in packed.passages:
        if p.doc_index == doc_index and n in squash(p.text):
            return p.page_start
    raise AssertionError(f"{needle!r} not found in D{doc_index}")


# ---- a real OpenAI-protocol server on 127.0.0.1 (MODEL's fault server, reused) --------------------

sys.path.insert(0, str(ROOT / "tests" / "model"))
from fakeserver import FakeLLMServer, Scenario  # noqa: E402,F401 - Scenario: re-exported to the tests here

KEY = "sk-test-SECRETKEY-0123456789abcdef"


@pytest.fixture(scope="module")
def llm_server():
    s = FakeLLMServer().start()
    yield s
    s.stop()


@pytest.fixture
def llm(llm_server):
    llm_server.queue.clear()
    llm_server.requests.clear()
    llm_server.gets.clear()
    yield llm_server
    llm_server.queue.clear()


def generative(settings, server, **more):
    """`settings` pointed at the fake server as DeepSeek's API (deepseek-flash, priced and limited as the catalog says)."""
    return settings.replace(backend="deepseek", base_url=server.url + "/v1", api_key=KEY, model="deepseek-flash",
                            max_retries=0, timeout_s=20.0, **more)


def env_for(settings, server=None) -> dict:
    env = {"LONGDOC_HOME": str(settings.home)}
    if server is not None:
        env.update(LONGDOC_BACKEND="deepseek", LONGDOC_BASE_URL=server.url + "/v1", LONGDOC_API_KEY=KEY,
                   LONGDOC_MODEL="deepseek-flash", LONGDOC_MAX_RETRIES="0")
    return env


def find_page(settings, file_prefix: str, needle: str) -> tuple[str, int]:
    """(doc_id, page) of the stored chunk holding `needle` in the document whose file starts with `file_prefix`."""
    from app.answer.cite import squash
    from app.library import documents as library

    store = library.get_store(settings)
    doc = next(d for d in store.documents() if d.file.startswith(file_prefix))
    n = squash(needle)
    for c in store.chunks(doc.doc_id):
        if n in squash(c.text):
            return doc.doc_id, c.page_start
    raise AssertionError(f"{needle!r} not in {doc.file}")
