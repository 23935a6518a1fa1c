"""Tables of digital PDFs (issue 24): found, written as Markdown, chunked whole, answered cell by cell.

A PDF with a results table is drawn here with fpdf2 (a booktabs-style table: three rules, caption above, and
a grid table); the RAPTOR paper of the dev set (../shared) is read when it is there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer.table_answer import table_answer
from ingest.chunk import chunk_document
from ingest.pdf import load_document
from ingest.tables import candidate_pages, find_tables, markdown_tables
from retrieval.types import PackedContext, Passage

RAPTOR = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "dev" / "2401.18059v1.pdf"
ROWS = [("SBERT with RAPTOR", "56.6%", "36.70%"), ("BM25 with RAPTOR", "52.1%", "27.00%"),
        ("BM25 without RAPTOR", "49.9%", "26.47%"), ("DPR with RAPTOR", "54.7%", "32.23%")]


def _words(text: str) -> int:
    return len(text.split())


def _results_pdf(path: Path) -> Path:
    """Two pages: prose, then "Table 2" between three rules (top, mid, bottom), then prose; a page of prose."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    pdf.multi_cell(0, 5, "We compare retrieval methods with and without RAPTOR on two data sets. " * 6)
    pdf.ln(4)
    pdf.multi_cell(0, 5, "Table 2: QuALITY and QASPER Performance With + Without RAPTOR.")
    x0, x1, cols = 30.0, 190.0, (30.0, 95.0, 140.0)
    y = pdf.get_y() + 2
    pdf.line(x0, y, x1, y)
    y += 1.5
    for i, name in enumerate(("Model", "Accuracy (QuALITY)", "Answer F1 (QASPER)")):
        pdf.text(cols[i] + 1, y + 4, name)
    y += 6
    pdf.line(x0, y, x1, y)
    for row in ROWS:
        y += 6
        for i, cell in enumerate(row):
            pdf.text(cols[i] + 1, y, cell)
    y += 2
    pdf.line(x0, y, x1, y)
    pdf.set_y(y + 6)
    pdf.multi_cell(0, 5, "RAPTOR outperforms the baselines of each retrieval method on both data sets. " * 5)
    pdf.add_page()
    pdf.multi_cell(0, 5, "Conclusion. Tree-organised retrieval helps long documents. " * 8)
    pdf.output(str(path))
    return path


def _packed(doc, chunks) -> PackedContext:
    ps = [Passage(doc.doc_id, 1, doc.file, doc.title, (c.chunk_id,), c.text, c.page_start, c.page_end, c.char_start,
                  c.char_end, c.section_path, f"D1 p.{c.page_start}", _words(c.text)) for c in chunks]
    return PackedContext("q", ps, sum(p.tokens for p in ps), 10_000, "whole")


def test_a_ruled_table_becomes_markdown_and_its_own_chunk(tmp_path):
    pdf = _results_pdf(tmp_path / "results.pdf")
    assert candidate_pages(str(pdf)) == [1]  # the prose page draws no rules: never laid out
    found = find_tables(str(pdf))
    assert list(found) == [1]
    t = found[1][0]
    assert t.number == "Table 2" and t.header() == ["Model", "Accuracy (QuALITY)", "Answer F1 (QASPER)"]
    assert [tuple(r) for r in t.body()] == ROWS
    assert any(c.text == "52.1%" and c.row == 2 and c.col == 1 for c in t.cells)

    doc = load_document(pdf)
    assert len(doc.tables) == 1
    assert "| BM25 with RAPTOR | 52.1% | 27.00% |" in doc.pages[0].text
    assert "BM25 with RAPTOR 52.1%" not in doc.text  # the flattened cells are gone from the prose
    chunks = chunk_document(doc, _words, 120, overlap=8)
    holding = [c for c in chunks if "52.1%" in c.text]
    assert len(holding) == 1
    tc = holding[0]
    assert tc.text.startswith("Table 2") and tc.text.rstrip().endswith("| DPR with RAPTOR | 54.7% | 32.23% |")
    assert "outperforms" not in tc.text and "compare retrieval" not in tc.text  # no prose in the table chunk
    (md,) = markdown_tables(tc.text)
    assert md.number == "Table 2" and len(md.rows) == len(ROWS)

    off = load_document(pdf, tables=False)  # before: the cells are flattened into the prose
    assert not off.tables and "BM25 with RAPTOR 52.1%" in " ".join(off.text.split())


def test_a_large_table_is_cut_between_rows_with_its_header_repeated(tmp_path):
    from ingest.tables import Table

    t = Table(page=1, bbox=(0, 0, 1, 1), rows=[["Item", "Amount"]] + [[f"Instalment {i}", f"${i},000"] for i in range(80)],
              caption="Table 4: Payment schedule", number="Table 4")
    blocks = t.blocks(limit=300)
    assert len(blocks) > 2
    for b in blocks:
        (md,) = markdown_tables(b)
        assert md.header == ("Item", "Amount") and md.number == "Table 4"
    assert sum(len(markdown_tables(b)[0].rows) for b in blocks) == 80


def test_the_extractive_answer_names_the_cell_its_headers_table_and_page(tmp_path):
    doc = load_document(_results_pdf(tmp_path / "results.pdf"))
    chunks = chunk_document(doc, _words, 120, overlap=8)
    packed = _packed(doc, chunks)
    ea = table_answer("What accuracy on QuALITY does BM25 with RAPTOR reach in Table 2?", packed,
                      {c.chunk_id: c for c in chunks})
    assert ea is not None and ea.found
    assert "BM25 with RAPTOR · Accuracy (QuALITY) = 52.1%" in ea.text and "Table 2" in ea.text
    assert ea.citations[0].page_start == 1 and ea.citations[0].text == "| BM25 with RAPTOR | 52.1% | 27.00% |"
    # a question no table answers leaves the answer to the sentence ranker
    assert table_answer("Who are the parties to the agreement?", packed) is None


def test_the_cited_row_is_marked_on_the_page(tmp_path):
    from app.answer.highlight import locate

    pdf = _results_pdf(tmp_path / "results.pdf")
    import pypdfium2 as pdfium

    page_text = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    found = locate([page_text], "| BM25 with RAPTOR | 52.1% | 27.00% |")
    assert found.method == "exact" and list(found.spans) == [0]
    ((s, e),) = found.spans[0]
    marked = " ".join(page_text[s:e].split())
    assert "BM25 with RAPTOR" in marked and "52.1%" in marked and "SBERT" not in marked


@pytest.mark.skipif(not RAPTOR.exists(), reason="the dev set (../shared/eval/dev) is not here")
def test_raptor_table_2_answers_52_1_percent():
    doc = load_document(RAPTOR)
    numbers = [t.number for t in doc.tables]
    assert "Table 2" in numbers and "Table 1" in numbers
    t2 = next(t for t in doc.tables if t.number == "Table 2")
    assert ["BM25 with RAPTOR", "52.1%", "27.00%"] in t2.body()
    chunks = chunk_document(doc, _words, 200, overlap=16)
    packed = _packed(doc, chunks)
    ea = table_answer("What accuracy on QuALITY does BM25 with RAPTOR reach in Table 2?", packed,
                      {c.chunk_id: c for c in chunks})
    assert ea is not None
    assert "BM25 with RAPTOR · Accuracy (QuALITY) = 52.1%" in ea.text and "Table 2" in ea.text
    assert ea.citations[0].page_start == t2.page == 8


def _marked_rows(pdf: Path, page: int, quote: str, table) -> set[int]:
    """The table rows (indexes) the page view's boxes for `quote` fall in."""
    from app.answer import page_render
    from app.answer.pages import _Source, locate_boxes
    from ingest.types import Document

    doc = Document(doc_id="x" * 64, file=pdf.name, title="", domain="paper", pages=0, chunks=0, status="ready")
    src = page_render.open_pdf(str(pdf))
    try:
        boxes, _method = locate_boxes(_Source(None, doc, src), page, quote, (page, page))
    finally:
        src.close()
    assert boxes, "nothing marked"
    _w, h = table.page_size
    rows = {}
    for c in table.cells:
        top, bottom = rows.get(c.row, (c.bbox[1], c.bbox[3]))
        rows[c.row] = (min(top, c.bbox[1]), max(bottom, c.bbox[3]))
    hit = set()
    for _x0, y0, _x1, y1 in boxes:
        mid = (y0 + y1) / 2 * h
        hit |= {r for r, (top, bottom) in rows.items() if top - 2 <= mid <= bottom + 2}
    return hit


def test_the_page_view_marks_the_cited_row(tmp_path):
    pdf = _results_pdf(tmp_path / "results.pdf")
    t = find_tables(str(pdf))[1][0]
    assert _marked_rows(pdf, 1, "| BM25 with RAPTOR | 52.1% | 27.00% |", t) == {2}  # header row is 0


@pytest.mark.skipif(not RAPTOR.exists(), reason="the dev set (../shared/eval/dev) is not here")
def test_the_page_view_marks_raptor_table_2_row():
    t2 = next(t for t in find_tables(str(RAPTOR), pages=[8])[8] if t.number == "Table 2")
    assert _marked_rows(RAPTOR, 8, "| BM25 with RAPTOR | 52.1% | 27.00% |", t2) == {3}


def test_ocr_pages_are_not_looked_at(tmp_path):
    pdf = _results_pdf(tmp_path / "results.pdf")
    assert find_tables(str(pdf), skip={1}) == {}  # a scanned page's table stays OCR text
    assert candidate_pages(str(tmp_path / "missing.pdf")) == []  # a file pdfium cannot open has none
