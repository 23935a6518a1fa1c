"""The no-model answerer and summariser on real contract text."""

from __future__ import annotations

from conftest import page_of

from app.answer import extractive

GOV = "governed in all respects by, the laws of the State of New York"


def test_governing_law_question_returns_the_clause_with_its_page(king_packed):
    packed, _ = king_packed
    units = extractive.units_from_packed(packed)
    a = extractive.answer("What is the governing law for this contract?", units)
    assert a.found and a.text.startswith("Extractive answer (no model configured)")
    page = page_of(packed, 1, GOV)
    top = a.sentences[0]
    assert "laws of the State of New York" in top.text
    assert top.labels == [f"D1 p.{page}"]
    assert a.citations[0].page_start == page and a.citations[0].verified
    # deterministic
    b = extractive.answer("What is the governing law for this contract?", units)
    assert b.text == a.text


def test_cross_document_question_quotes_each_document(two_packed):
    packed, docs = two_packed
    units = extractive.units_from_packed(packed)
    a = extractive.answer("Which law governs these agreements?", units)
    labels = {s.labels[0].split()[0] for s in a.sentences}
    assert labels == {"D1", "D2"}, a.text
    assert any("Ontario" in s.text for s in a.sentences) and any("New York" in s.text for s in a.sentences)


def test_unrelated_question_is_not_in_the_documents(king_packed):
    packed, _ = king_packed
    units = extractive.units_from_packed(packed)
    a = extractive.answer("What is the boiling point of liquid nitrogen in kelvin?", units)
    assert not a.found and "Not in the documents" in a.text


def test_central_sentences_and_legal_aspects(king_packed):
    packed, _ = king_packed
    units = extractive.units_from_packed(packed)
    picked = extractive.central(units, 4)
    assert len(picked) == 4 and len({u.text for u in picked}) == 4
    assert [u.order for u in picked] == sorted(u.order for u in picked)  # reading order
    r = extractive.best_for_aspect(units, extractive.aspect("governing law"))
    assert r.found and "New York" in r.units[0].text
    term = extractive.aspect("term and renewal")
    r = extractive.best_for_aspect(units, term, k=term.k)
    assert r.found and "June 27, 2011" in " ".join(u.text for u in r.units), r.units[0].text
    assert extractive.aspect("audit rights").pattern  # CUAD clause names map to patterns
    assert extractive.aspect("warp drive").terms == "warp drive"
