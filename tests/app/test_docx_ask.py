"""Ask a Word file: the answer cites clause 12.3 — by its rendered page when LibreOffice is there, by its
clause number when it is not — and the page view shows the page (or says why it shows text).

The fixture .docx is tests/fixtures/word.py's (real Word numbering: "12.3" is not in the file's text).
The real contract is a dev-set PDF's text made into a .docx by LibreOffice itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.docx_render import soffice
from tests.app.conftest import generative
from tests.fixtures.word import make_contract

QUESTION = "Within how many days must the Buyer pay each instalment?"
needs_office = pytest.mark.skipif(soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) not installed")


def _library(base: Path, render: str, filler: int = 0):
    from app.config import load_settings
    from app.library import documents as library

    src = make_contract(base / "supply.docx", filler=filler)
    s = load_settings(env={}, home=base / "home", workers=0, docx_render=render)
    r = library.ingest(s, [src])[0]
    assert r.status == "ingested", r.as_dict()
    return s


@pytest.fixture(scope="module")
def clause_lib(tmp_path_factory):
    return _library(tmp_path_factory.mktemp("docx-off"), "off")


@pytest.fixture(scope="module")
def rendered_lib(tmp_path_factory):
    if soffice() is None:
        pytest.skip("LibreOffice (libreoffice-writer-nogui) not installed")
    return _library(tmp_path_factory.mktemp("docx-lo"), "auto", filler=40)


def _cited_12_3(a):
    hits = [c for c in a.citations if "within 45 days" in c.text]
    assert hits, [(c.label, c.text[:80]) for c in a.citations]
    return hits[0]


def test_without_libreoffice_the_answer_cites_the_clause_number(clause_lib):
    from app.answer import pages
    from app.answer.ask import ask
    from app.errors import PageUnavailable

    a = ask(clause_lib, QUESTION)
    assert "45 days" in a.answer and "30 days" not in a.answer
    c = _cited_12_3(a)
    assert "12.3" in c.section and c.pages.startswith("cl. "), (c.pages, c.section)
    doc_ = pages.find_document(clause_lib, "supply.docx")
    # narrowed to the clauses its quoted sentences lie in: 12.3 and those quoted with it, nothing before 12
    assert doc_.page_labels[c.page_end - 1] == "cl. 12.3", c.pages
    assert doc_.page_labels[c.page_start - 1].startswith("cl. 12"), c.pages
    if c.text.count(" … ") == 0:
        assert c.pages == "cl. 12.3" and c.display_label.endswith("cl. 12.3")
    doc = pages.find_document(clause_lib, "supply.docx")
    with pytest.raises(PageUnavailable, match="without LibreOffice"):
        pages.page_image(clause_lib, doc, c.page_start, highlight=c.text)


def test_the_model_cites_a_clause_page_and_verification_holds(clause_lib, llm):
    from fakeserver import Scenario

    from app.answer import pages
    from app.answer.ask import ask
    from app.answer.printed_pages import display_text

    doc = pages.find_document(clause_lib, "supply.docx")
    n = doc.page_labels.index("cl. 12.3") + 1
    llm.push(Scenario(content=[f'The Buyer pays "within 45 days of the invoice date" [D1 p.{n}].']))
    a = ask(generative(clause_lib, llm), QUESTION)
    c = a.citations[0]
    assert c.verified and c.pages == "cl. 12.3"
    assert "[D1 cl. 12.3]" in display_text(a.answer, a.citations)


@needs_office
def test_with_libreoffice_the_answer_cites_the_rendered_page_and_the_view_marks_it(rendered_lib):
    from app.answer import pages
    from app.answer.ask import ask
    from ingest.docx_render import pdf_page_texts

    a = ask(rendered_lib, QUESTION)
    c = _cited_12_3(a)
    assert "12.3" in c.section and c.pages.startswith("p.")
    doc = pages.find_document(rendered_lib, "supply.docx")
    pdf = pages.original_pdf(rendered_lib, doc)
    texts = pdf_page_texts(pdf)
    assert len(texts) == doc.pages > 1
    on = [n for n in range(1, len(texts) + 1) if "escrow account held by" in " ".join(texts[n - 1].split())]
    assert len(on) == 1 and c.page_start <= on[0] <= c.page_end, "cited by the page LibreOffice printed it on"
    # narrowed from its chunk's pages to the one that prints its sentences (all of clause 12 is on one page)
    assert c.page_start == c.page_end == on[0], c.pages
    assert on[0] > 1, "recitals push the clause past page 1: a page number that means something"
    img = pages.page_image(rendered_lib, doc, on[0], highlight="within 45 days of the invoice date")
    assert img.found and img.boxes, "the cited words are highlighted on the rendered page"
    img = pages.page_image(rendered_lib, doc, c.page_start, highlight=c.text, span=(c.page_start, c.page_end))
    assert img.found, "the extractive citation's sentences, joined by ' … ' out of page order, are each marked"


@needs_office
def test_a_real_contract_made_into_a_docx_by_libreoffice(shared_dir, tmp_path):
    """dev-0001 (King's Promotion Agreement): its PDF text, one paragraph a line, saved as .docx by LibreOffice."""
    import json
    import shutil

    from app.answer.ask import ask
    from app.config import load_settings
    from app.library import documents as library
    from ingest.docx_render import convert
    from ingest.pdf import load_document

    q = next(json.loads(line) for line in (shared_dir / "eval" / "dev" / "questions.jsonl").open()
             if '"dev-0001"' in line)
    src = shared_dir / "eval" / "dev" / q["doc"]
    if not src.is_file():
        pytest.skip(f"{src.name} not in ../shared/eval/dev")
    text = load_document(src).text
    txt = tmp_path / "king.txt"
    txt.write_text("\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip()), encoding="utf-8")
    made, why = convert(txt, "docx:MS Word 2007 XML", ".txt")
    assert made is not None, why
    docx = tmp_path / "King Promotion Agreement.docx"
    shutil.copyfile(made, docx)
    shutil.rmtree(made.parent.parent, ignore_errors=True)

    s = load_settings(env={}, home=tmp_path / "home", workers=0)
    r = library.ingest(s, [docx])[0]
    assert r.status == "ingested" and r.pages > 5, r.as_dict()
    a = ask(s, q["question"])
    assert "June 27, 2011" in a.answer, a.answer
    c = next(c for c in a.citations if "June 27, 2011" in c.text)
    assert c.pages.startswith("p.") and c.file == docx.name

    # without LibreOffice: no Word numbering in this file, so the clause numbers typed in it page it
    s = load_settings(env={}, home=tmp_path / "home-off", workers=0, docx_render="off")
    assert library.ingest(s, [docx])[0].status == "ingested"
    a = ask(s, q["question"])
    c = next(c for c in a.citations if "June 27, 2011" in c.text)
    assert "cl. 8.1" in c.pages, (c.pages, c.section)
