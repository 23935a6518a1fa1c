"""Word tables as table chunks (issue 24): a .docx table becomes a `Table` like a PDF's — header, rows, caption and
number when the document prints "Table 3" — so the chunker never cuts it mid-row and a value question is
answered from its cell, cited by clause."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunk import chunk_document
from ingest.docx_render import pdf_page_texts, soffice
from ingest.pdf import load_document
from tests.fixtures.word import W_NS, _numbered, _numbering_xml

CONDITION = ("Payable only after the Buyer has signed the acceptance certificate. The Supplier invoices in euro. "
             "Wire transfer to the escrow account; no set-off.")
ROWS = [(f"Instalment {i}", f"{i} March 2027", f"{i * 120},000", CONDITION) for i in range(1, 13)]


def make_schedule(path: Path) -> Path:
    """A contract whose clause 12.2 holds "Table 3 – Payment schedule" (caption above) and clause 12.3 a fee
    table whose caption "Table 4: Fees" is printed below it."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    a, n = _numbering_xml()
    numbering = d.part.numbering_part.element
    first = numbering.find(f"{{{W_NS}}}num")
    if first is not None:
        first.addprevious(parse_xml(a))
    else:
        numbering.append(parse_xml(a))
    numbering.append(parse_xml(n))
    for k, title in enumerate(["Definitions", "Scope", "Term", "Orders", "Delivery", "Inspection", "Warranty",
                               "Liability", "Confidentiality", "Termination", "Force Majeure", "Payment"]):
        _numbered(d.add_paragraph(title, style="Heading 1"), 0)
        if k < 11:
            _numbered(d.add_paragraph(f"The {title.lower()} terms of this Agreement apply as written."), 1)
    _numbered(d.add_paragraph("The Price is payable in twelve instalments against invoices."), 1)
    _numbered(d.add_paragraph("The instalments fall due as set out in the payment schedule below."), 1)
    d.add_paragraph("Table 3 – Payment schedule")
    t = d.add_table(rows=len(ROWS) + 1, cols=4)
    for r, row in enumerate([("Instalment", "Due date", "Amount (EUR)", "Condition"), *ROWS]):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    _numbered(d.add_paragraph("The Supplier charges the following fees for extra work."), 1)
    f = d.add_table(rows=2, cols=2)
    for r, row in enumerate([("Service", "Fee (EUR)"), ("Site visit", "1,500")]):
        for c, v in enumerate(row):
            f.cell(r, c).text = v
    d.add_paragraph("Table 4: Fees")
    d.add_paragraph("Fees are invoiced monthly in arrears.")
    d.save(str(path))
    return path


def _words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def schedule(tmp_path_factory) -> Path:
    return make_schedule(tmp_path_factory.mktemp("word-tables") / "schedule.docx")


def test_word_tables_are_tables_with_caption_number_and_spans(schedule):
    doc = load_document(schedule, docx_render="off")
    assert [t.number for t in doc.tables] == ["Table 3", "Table 4"]
    pay, fees = doc.tables
    assert pay.caption == "Table 3 – Payment schedule" and pay.header() == ["Instalment", "Due date", "Amount (EUR)",
                                                                          "Condition"]
    assert [tuple(r) for r in pay.body()] == ROWS
    assert fees.caption == "Table 4: Fees" and fees.body() == [["Site visit", "1,500"]]
    assert doc.text.count("Table 4: Fees") == 1, "the caption below becomes the title line, printed once"
    assert len(pay.spans) > 1, "a long table is written as several blocks, header repeated"
    for s, e in pay.spans:
        block = doc.text[s:e]
        assert block.startswith("Table 3") and "| Instalment | Due date | Amount (EUR) | Condition |" in block
        assert block.rstrip().endswith("|")
    label = doc.page_labels[pay.page - 1]
    assert label == "cl. 12.2", label  # the table lies in the clause whose text leads to it
    assert doc.text[fees.spans[0][0]:].startswith("Table 4: Fees\n| Service | Fee (EUR) |")


def test_the_packer_never_cuts_a_word_table_mid_row(schedule):
    doc = load_document(schedule, docx_render="off")
    chunks = chunk_document(doc, _words, 120, overlap=8)
    holding = [c for c in chunks if "| Instalment " in c.text]
    assert len(holding) > 1
    for c in holding:
        rows = [ln for ln in c.text.split("\n") if ln.startswith("| Instalment ")]
        assert rows and all(ln.rstrip().endswith("|") for ln in rows), c.text
        assert c.text.lstrip().startswith("Table 3"), c.text[:80]
        assert "twelve instalments" not in c.text and "extra work" not in c.text, "no prose in a table chunk"


def test_a_value_question_is_answered_from_the_word_table_by_clause(schedule, tmp_path):
    from app.answer.ask import ask
    from app.config import load_settings
    from app.library import documents as library

    s = load_settings(env={}, home=tmp_path / "home", workers=0, docx_render="off")
    assert library.ingest(s, [schedule])[0].status == "ingested"
    a = ask(s, "What is the amount of instalment 2?")
    assert a.mode == "extractive" and "Instalment 2 · Amount (EUR) = 240,000" in a.answer, a.answer
    assert "Table 3" in a.answer
    c = a.citations[0]
    assert c.text.startswith("| Instalment 2 | 2 March 2027 | 240,000 |") and c.pages == "cl. 12.2", (c.pages, c.text)



@pytest.mark.skipif(soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) not installed")
def test_laid_out_by_libreoffice_the_table_answer_cites_its_rendered_page(schedule, tmp_path):
    from app.answer.ask import ask
    from app.config import load_settings
    from app.library import documents as library
    from ingest import originals

    s = load_settings(env={}, home=tmp_path / "home", workers=0, docx_render="auto")
    assert library.ingest(s, [schedule])[0].status == "ingested"
    a = ask(s, "What is the amount of instalment 2?")
    assert "Instalment 2 · Amount (EUR) = 240,000" in a.answer and "Table 3" in a.answer, a.answer
    c = a.citations[0]
    texts = pdf_page_texts(originals.original_path(s.originals_dir, c.doc_id))
    printed_on = [n for n, t in enumerate(texts, start=1) if "240,000" in t]
    assert printed_on and c.page_start <= printed_on[0] <= c.page_end and c.pages.startswith("p."), (c.pages, printed_on)
