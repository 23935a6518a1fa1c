"""The BM25 index after the library changes: documents unchanged since the last index keep their rows and tokens
from it (only new or re-ingested ones are read from Chroma and tokenised), and the result is the index a
rebuild from nothing makes — same ids, same order, same scores — through adds, a re-ingest with other text,
removals, text-only documents, and a damaged cache."""

from __future__ import annotations

import shutil

import pytest

import ingest.store as store_mod
from ingest.store import open_store
from tests.ingest.test_store import CONTRACT, PAPER, add

QUERIES = ["governing law Delaware", "terminate ninety days notice", "retrieval augmented generation long documents",
           "photosynthesis", "Schedule A thing numbered 12", "royalty payments quarterly"]
NOTE = ["ROYALTIES\n\nThe licensee pays royalties quarterly within thirty days of each quarter's end. " * 8]
MEMO = ["MEMORANDUM\n\nThe board approved the merger with Zanzibarian Holdings on the first of March. " * 8]


@pytest.fixture()
def tokenised(monkeypatch):
    """How many texts each call tokenises (the real tokeniser, counted; a query is a call of one)."""
    seen: list[int] = []
    real = store_mod._bm25_tokenize

    def counting(texts):
        seen.append(len(texts))
        return real(texts)

    monkeypatch.setattr(store_mod, "_bm25_tokenize", counting)
    return seen


def _answers(store) -> list:
    return [[(i, round(s, 5)) for i, s in store.bm25_ids(q, 20)] for q in QUERIES]


def _from_nothing(home):
    shutil.rmtree(home / "bm25", ignore_errors=True)
    return _answers(open_store(home))


def test_unchanged_documents_are_not_read_again(tmp_path, tokenised):
    home = tmp_path / "home"
    s = open_store(home)
    _, c1 = add(s, CONTRACT, "a" * 64, "contract.pdf")
    _, c2 = add(s, PAPER, "b" * 64, "paper.pdf")
    s.bm25_index()
    assert tokenised == [len(c1) + len(c2)]
    _, c3 = add(s, NOTE, "c" * 64, "royalties.pdf")
    s.bm25_index()
    assert tokenised[-1] == len(c3)  # only the new document's chunks
    got = _answers(s)
    assert any(i.startswith("c" * 12) or "c" * 12 in i for i, _ in got[5]), got[5]
    assert got == _from_nothing(home)


def test_reingest_removal_and_text_only_documents_match_a_rebuild(tmp_path, tokenised):
    from ingest.types import Document

    home = tmp_path / "home"
    s = open_store(home)
    add(s, CONTRACT, "a" * 64, "contract.pdf")
    add(s, PAPER, "b" * 64, "paper.pdf")
    add(s, NOTE, "c" * 64, "royalties.pdf")
    s.bm25_index()
    # the same id written again with other text (a re-ingest): its new text is what BM25 finds
    s.remove_document("c" * 64)
    _, c = add(s, MEMO, "c" * 64, "royalties.pdf")
    s.bm25_index()
    assert tokenised[-1] == len(c)
    got = _answers(s)
    assert got == _from_nothing(home)
    assert not [i for i, _ in open_store(home).bm25_ids("royalties licensee quarterly", 10) if "c" * 12 in i]
    # a removal reads nothing at all
    s.remove_document("b" * 64)
    n = len(tokenised)
    s.bm25_index()
    assert len(tokenised) == n  # nothing read or tokenised
    got = _answers(s)
    assert got == _from_nothing(home)
    # a text-only document (askable before its vectors) joins, then turns ready without being read again
    e_row = s.row("a" * 64)
    chunks = s.chunks("a" * 64)
    s.remove_document("a" * 64)
    s.add_text(Document(**{**e_row.__dict__, "status": "pending", "ingested_at": ""}), chunks)
    assert _answers(s) == _from_nothing(home)


def test_a_damaged_cache_rebuilds_from_chroma(tmp_path, tokenised):
    home = tmp_path / "home"
    s = open_store(home)
    add(s, CONTRACT, "a" * 64, "contract.pdf")
    add(s, PAPER, "b" * 64, "paper.pdf")
    s.bm25_index()
    for tokens in (home / "bm25").rglob(store_mod.TOKENS):
        tokens.write_text(tokens.read_text().splitlines()[0] + "\n")  # cut short
    _, c3 = add(s, NOTE, "c" * 64, "royalties.pdf")
    s.bm25_index()
    assert tokenised[-1] > len(c3)  # nothing reused from a partial file
    got = _answers(s)
    assert got == _from_nothing(home)
