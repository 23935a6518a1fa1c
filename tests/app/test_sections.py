"""A citation names the section its cited text lies in, not the heading its chunk or page starts with.

The known cases on the samples: the King Pharmaceuticals promotion agreement's "Section 16.11 Governing Law"
begins inside a chunk that starts in Section 16.10, and the Dynamex agreement's "36.0 LAW OF THE AGREEMENT"
sits on a page whose passage opens in "33.0 RELATIONSHIP OF THE PARTIES". Real PDFs, the real pipeline
and store (the session's `samples_home`), the real packer.
"""

from __future__ import annotations

import pytest
from conftest import DYNAMEX, KING

from app.answer import cite, extractive
from app.library import documents as library
from ingest.chunk import chunk_document
from ingest.embed import LazyEmbedder, load_token_counter
from ingest.pdf import load_document
from ingest.structure import section_path_at
from ingest.types import Chunk

KING_LAW = "Section 16.11 Governing Law"
KING_CLAUSE = "governed in all respects by, the laws of the State of New York"
DYNAMEX_LAW = "36.0 LAW OF THE AGREEMENT"
DYNAMEX_CLAUSE = "governed and construed in accordance with the laws of the Province of Ontario"


@pytest.fixture(scope="module")
def king_chunks():
    """The chunks as ingest cuts them: sized to the window less the document header (issue 16)."""
    from ingest.pipeline import _profile_of, header_for

    emb = LazyEmbedder("default")
    doc = load_document(KING, ocr="off")
    count = load_token_counter(emb.tokenizer_file)
    _, n = header_for(_profile_of(doc), doc.file, count, emb.max_tokens)
    return doc, chunk_document(doc, count, emb.max_tokens - n, 32)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_offset_of_every_chunk_names_its_own_section(king_chunks):
    """chunk.section_at(offset) is exactly the heading path in force there, all through every chunk."""
    doc, chunks = king_chunks
    changed = 0
    for c in chunks:
        first = c.char_start + len(c.text) - len(c.text.lstrip())
        for off in range(first, c.char_end, 97):
            want = " > ".join(section_path_at(doc.headings, off)[0])
            assert c.section_at(off) == want, (c.ordinal, off)
        assert all(c.char_start <= at < c.char_end for at, _ in c.section_marks)
        changed += bool(c.section_marks)
    assert changed > 20  # many chunks hold a heading past their start


def test_the_governing_law_chunk_starts_in_16_10_and_knows_16_11(king_chunks):
    doc, chunks = king_chunks
    at = doc.text.index(KING_CLAUSE)
    [c] = [c for c in chunks if c.char_start <= at < c.char_end and c.char_start < doc.text.index(KING_LAW)]
    assert not c.section_path.endswith(KING_LAW)  # the label the chunk's start gives: the wrong section
    assert c.section_at(at).endswith(KING_LAW)


def test_an_old_chunk_without_marks_falls_back_to_its_section():
    c = Chunk("d:00000", "d", 0, "text", 1, 1, 0, 4, section=("Article I", "Section 1.1"))
    assert c.section_at(2) == "Article I > Section 1.1" and c.section_at(10**6) == "Article I > Section 1.1"


def _king(settings):
    store = library.get_store(settings)
    return store, next(d for d in store.documents() if d.file == KING.name)


def test_marks_survive_the_store(samples_home, king_chunks):
    _, chunks = king_chunks
    store, king = _king(samples_home)
    stored = store.chunks(king.doc_id)
    assert [c.section_marks for c in stored] == [c.section_marks for c in chunks]
    via_index = store.get_chunks([c.chunk_id for c in stored])  # the BM25 corpus rows, not Chroma
    assert [c.section_marks for c in via_index] == [c.section_marks for c in chunks]


@pytest.mark.parametrize("budget", [4000, 120_000], ids=["retrieved", "whole"])
def test_packed_passage_knows_the_section_of_each_of_its_lines(samples_home, budget):
    from retrieval.pack import build_context

    store, king = _king(samples_home)
    packed = build_context(store, library.get_embedder_for(samples_home), "Which law governs the agreement?",
                           doc_ids=[king.doc_id], budget=budget)
    [p] = [p for p in packed.passages if KING_CLAUSE in _flat(p.text)]
    pos = p.text.index("the laws of the State of New York")
    assert p.section_at(pos).endswith(KING_LAW)
    assert p.section_at(0) == p.section or p.section_marks[0][0] == 0
    assert p.section_at(p.text.index(KING_LAW)).endswith(KING_LAW)


def test_extractive_answer_cites_section_16_11_for_the_governing_law(samples_home):
    from app.answer.ask import ask

    store, king = _king(samples_home)
    a = ask(samples_home, "What is the governing law of the Promotion Agreement?", docs=[king.doc_id])
    [c] = [c for c in a.citations if "State of New York" in c.text]
    assert c.section.endswith(KING_LAW), c.section


def test_extractive_answer_cites_36_0_for_the_dynamex_governing_law(samples_home):
    from app.answer.ask import ask

    store = library.get_store(samples_home)
    dyn = next(d for d in store.documents() if d.file == DYNAMEX.name)
    a = ask(samples_home, "Which law governs the transportation services agreement?", docs=[dyn.doc_id])
    c = next(c for c in a.citations if "Province of Ontario" in c.text)
    assert c.section == DYNAMEX_LAW, c.section


def test_a_model_answer_citing_the_page_gets_the_section_of_the_sentence_it_backs(samples_home):
    """Generative answers: `cite.verify` labels the citation by where the backing sentence is."""
    from retrieval.pack import build_context

    store = library.get_store(samples_home)
    dyn = next(d for d in store.documents() if d.file == DYNAMEX.name)
    packed = build_context(store, library.get_embedder_for(samples_home), "governing law", doc_ids=[dyn.doc_id],
                           budget=120_000)
    [p] = [p for p in packed.passages if DYNAMEX_CLAUSE in _flat(p.text)]
    assert p.section != DYNAMEX_LAW  # the page's passage starts in an earlier section
    answer = f"The agreement is governed by the laws of the Province of Ontario [{p.label}]."
    check = cite.verify(answer, packed)
    [c] = check.citations
    assert c.verified and c.section == DYNAMEX_LAW, (c.section, p.section)


def test_units_from_chunks_carry_the_section_of_their_sentence(king_chunks):
    doc, chunks = king_chunks
    units = extractive.units_from_chunks(chunks, 1, KING.name, doc.title)
    [u] = [u for u in units if "State of New York" in u.text and "governed" in u.text]
    assert u.section.endswith(KING_LAW)


def test_search_hits_name_the_section_of_their_best_sentence(samples_home):
    import json

    from typer.testing import CliRunner

    from app.faces.cli import cli

    store, king = _king(samples_home)
    r = CliRunner().invoke(cli, ["--home", str(samples_home.home), "search", "governing law State of New York",
                                 "--docs", king.doc_id[:12], "--k", "3", "--json"])
    assert r.exit_code == 0, r.output
    top = json.loads(r.stdout)["hits"][0]
    assert KING_CLAUSE in _flat(top["text"]) and top["section"].endswith(KING_LAW), top["section"]
    chunk = next(c for c in store.chunks(king.doc_id) if c.chunk_id == top["chunk_id"])
    assert not chunk.section_path.endswith(KING_LAW)  # what the hit was labelled before
