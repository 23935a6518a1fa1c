"""A table answer (issue 24) exported: the cited row drawn as a table in Markdown, DOCX and PDF."""

from __future__ import annotations

import pytest

from app.answer.export import export
from app.answer.results import Answer, DocInfo
from app.answer.table_answer import table_answer
from ingest.chunk import chunk_document
from ingest.pdf import load_document
from tests.ingest.test_tables import _packed, _results_pdf, _words

Q = "What accuracy on QuALITY does BM25 with RAPTOR reach in Table 2?"


@pytest.fixture(scope="module")
def answer(tmp_path_factory):
    doc = load_document(_results_pdf(tmp_path_factory.mktemp("t") / "results.pdf"))
    chunks = chunk_document(doc, _words, 120, overlap=8)
    ea = table_answer(Q, _packed(doc, chunks), {c.chunk_id: c for c in chunks})
    info = [DocInfo(doc.doc_id, doc.file, doc.title, doc.page_count, doc.domain, "D1")]
    return Answer(Q, ea.text, "extractive", "none", None, citations=ea.citations, sentences=ea.sentences,
                  documents=info, verified_share=1.0)


def test_markdown_export_keeps_the_table(answer, tmp_path):
    md = export(answer, tmp_path / "a.md").read_text()
    assert "| Model | Accuracy (QuALITY) | Answer F1 (QASPER) |\n|---|---|---|\n| BM25 with RAPTOR | 52.1% | 27.00% |" in md
    assert "\\| BM25 with RAPTOR" not in md.split("## Sources")[0]  # the answer's table is not escaped into text


def test_docx_export_draws_a_word_table(answer, tmp_path):
    import docx

    d = docx.Document(str(export(answer, tmp_path / "a.docx")))
    grids = [t for t in d.tables if len(t.columns) == 3]
    assert grids, "no 3-column table in the .docx"
    rows = [[c.text for c in r.cells] for r in grids[-1].rows]
    assert rows == [["Model", "Accuracy (QuALITY)", "Answer F1 (QASPER)"], ["BM25 with RAPTOR", "52.1%", "27.00%"]]


def test_pdf_export_draws_the_table(answer, tmp_path):
    import pdfplumber

    with pdfplumber.open(str(export(answer, tmp_path / "a.pdf"))) as pdf:
        found = [t for pg in pdf.pages for t in pg.extract_tables()]
    assert ["BM25 with RAPTOR", "52.1%", "27.00%"] in [r for t in found for r in t]


def test_ask_answers_from_the_table_and_the_page_view_marks_its_row(tmp_path):
    """Through the app: ingest into a real library, ask without a model, open the citation's page."""
    from app.answer.ask import ask
    from app.answer.pages import citation_view
    from ingest.tables import find_tables
    from tests.conftest import _ingest_home

    pdf = _results_pdf(tmp_path / "results.pdf")
    settings = _ingest_home(tmp_path / "home", [pdf])
    ans = ask(settings, Q)
    assert ans.mode == "extractive" and "BM25 with RAPTOR · Accuracy (QuALITY) = 52.1%" in ans.answer
    assert "Table 2" in ans.answer and ans.citations[0].page_start == 1
    view = citation_view(settings, ans.citations[0])
    assert view.found and view.method == "exact"
    t = find_tables(str(pdf))[1][0]
    row = [c for c in t.cells if c.row == 2]  # BM25 with RAPTOR (the header is row 0)
    top, bottom = min(c.bbox[1] for c in row) / t.page_size[1], max(c.bbox[3] for c in row) / t.page_size[1]
    assert all(top - 0.01 <= (y0 + y1) / 2 <= bottom + 0.01 for _x0, y0, _x1, y1 in view.boxes)


def test_the_ui_draws_a_table_answer_as_a_table(answer):
    from app.answer.table_blocks import answer_md_tables
    from app.answer.verbatim import answer_md

    shown = answer_md_tables(answer.answer)
    assert "| Model | Accuracy \\(QuALITY\\) | Answer F1 \\(QASPER\\) |\n|---|---|---|\n" in shown
    assert "| BM25 with RAPTOR | 52\\.1% | 27\\.00% |" in shown
    plain_answer = "The parties are A | B [D1 p.2]"  # no table: exactly answer_md
    assert answer_md_tables(plain_answer) == answer_md(plain_answer)
