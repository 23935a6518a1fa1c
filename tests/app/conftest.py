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
    from app.cite import squash

    n = squash(needle)
    for p in packed.passages:
        if p.doc_index == doc_index and n in squash(p.text):
            return p.page_start
    raise AssertionError(f"{needle!r} not found in D{doc_index}")
