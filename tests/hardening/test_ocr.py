"""OCR of scanned pages with the real Tesseract binary: on scans made from data/samples/ (pages rendered
to images by pdfium, tests/fixtures/pdfs.py), and on the real scanned complaint when ../shared is there."""

from __future__ import annotations

import functools
import shutil

import pytest

from ingest import ocr
from ingest.pdf import load_document
from ingest.types import NO_TEXT, IngestError
from tests.conftest import ROBUST
from tests.fixtures import pdfs

COMPLAINT = ROBUST / "scanned_complaint_EDMich_2-18-cv-12857.pdf"

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Debian tesseract-ocr is not installed (.ci/run installs it)"
)


@pytest.fixture
def no_tesseract_on_path(tmp_path, monkeypatch):
    """A PATH on which no tesseract exists: what a machine without the Debian package looks like."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    yield


@needs_tesseract
def test_tesseract_is_available():
    assert ocr.ocr_available()


@functools.cache
def _scanned_opinion(ocr_mode: str = "auto"):
    """The 2-page image-only scan of the slip opinion, loaded once (OCR costs seconds a page)."""
    return load_document(pdfs.scanned_opinion(), ocr=ocr_mode)


@needs_tesseract
def test_ocr_reads_amounts_under_a_filing_stamp():
    """A scanned contract page with an ECF stamp as its only text layer: OCR reads the clause's amount."""
    got = ocr.ocr_pdf_pages(str(pdfs.scanned_stamped_contract()), [1])
    assert set(got) == {1}
    assert "$5,000.00" in got[1] and "Dynamex" in got[1]


@needs_tesseract
def test_ocr_reads_the_answers_on_the_real_scanned_complaint(shared_dir):
    """Extended: questions robust-0002 and -0003: the amounts on p.11 and the bar number on p.15."""
    got = ocr.ocr_pdf_pages(str(COMPLAINT), [11, 15])
    assert set(got) == {11, 15}
    assert "$35,000" in got[11] and "$40,684" in got[11]
    assert "239516" in got[15]


@needs_tesseract
def test_scanned_document_is_ingested_with_ocr_pages_marked():
    doc = _scanned_opinion()
    assert doc.ocr_pages == (1, 2)
    assert all(p.ocr for p in doc.pages)
    assert "TARRANT REGIONAL WATER" in doc.text.upper()


@needs_tesseract
def test_ocr_marks_reach_the_chunks():
    from ingest.chunk import chunk_document

    doc = _scanned_opinion()
    chunks = chunk_document(doc, lambda t: len(t.split()), 200, 20)
    assert chunks and all(c.ocr for c in chunks)


@needs_tesseract
def test_force_ocrs_pages_that_have_text_even_when_encrypted():
    doc = load_document(pdfs.encrypted_rc4_user_password(), password=pdfs.PASSWORD_RC4, ocr="force")
    assert doc.ocr_pages == (1,)
    assert doc.pages[0].ocr and len(doc.text) > 200


def test_ocr_off_keeps_the_no_text_outcome():
    with pytest.raises(IngestError) as e:
        load_document(pdfs.scanned_opinion(), ocr="off")
    assert e.value.status == NO_TEXT and "no text layer" in e.value.message


def test_without_tesseract_the_no_text_message_stays(no_tesseract_on_path):
    court = pdfs.scanned_opinion()
    assert not ocr.ocr_available()
    with pytest.raises(IngestError) as e:
        load_document(court, ocr="auto")
    assert e.value.status == NO_TEXT
    assert "no text layer" in e.value.message and "OCR not enabled" in e.value.message
    with pytest.raises(RuntimeError, match="not available"):
        ocr.ocr_pdf_pages(str(court), [1])


@needs_tesseract
def test_pages_out_of_range_and_bad_files_are_clear(tmp_path):
    assert ocr.ocr_pdf_pages(str(pdfs.scanned_opinion()), [0, 99]) == {}
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really")
    with pytest.raises(RuntimeError, match="cannot render"):
        ocr.ocr_pdf_pages(str(bad), [1])


def test_render_is_bounded_for_poster_sized_pages(tmp_path):
    """A 200 x 200 inch MediaBox would need ~1.6 GP at 200 dpi; the renderer scales it to MAX_PIXELS."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(14400, 14400)  # points (the PDF maximum)
    page = pdf[0]
    image = ocr._render(page, 200)
    assert image.width * image.height <= ocr.MAX_PIXELS * 1.01


@needs_tesseract
def test_scanned_page_inside_a_digital_document_is_ocrd_in_auto_mode():
    """'or some pages': a digital contract with one scanned page appended gets that page read by OCR,
    while its digital pages (and digital documents in general) are left alone."""
    from tests.conftest import SAMPLES

    contract = SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"
    mixed = pdfs.contract_with_a_scanned_page()
    n = 11

    doc = load_document(mixed, ocr="auto")
    assert doc.ocr_pages == (n + 1,)
    assert doc.pages[-1].ocr and not any(p.ocr for p in doc.pages[:-1])
    assert "TARRANT" in doc.pages[-1].text.upper()

    plain = load_document(contract, ocr="auto")
    assert plain.ocr_pages == ()

    off = load_document(mixed, ocr="off")
    assert off.ocr_pages == () and not off.pages[-1].text.strip()


@needs_tesseract
def test_ocr_pages_are_marked_in_citations_and_exports(tmp_path):
    """Issue 6: OCR'd pages are marked in citations ("p.1, OCR"), end to end through store, ask, export."""
    from app.answer.ask import ask
    from app.answer.export import export
    from app.config import load_settings
    from app.library import documents as library

    settings = load_settings(env={}, home=tmp_path / "home")
    results = library.ingest(settings, [pdfs.scanned_opinion()])
    assert results[0].status == "ingested", results[0].message
    answer = ask(settings, "Who is the petitioner, Tarrant Regional Water District?")
    assert answer.citations, answer.answer
    assert all(c.ocr for c in answer.citations)
    assert any(c.pages.endswith(", OCR") for c in answer.citations)
    out = export(answer, tmp_path / "answer.md")
    assert ", OCR" in out.read_text(encoding="utf-8")


@needs_tesseract
def test_rotated_scanned_appendix_pages_read_as_text():
    """The slip opinion's last two pages are landscape map images: orientation detection (psm 1) turns
    them into words ("APPENDIX A", "Map of Reach II") instead of rotated-glyph noise."""
    from tests.conftest import SAMPLES

    doc = load_document(SAMPLES / "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf", ocr="auto")
    assert doc.ocr_pages == (29, 30)
    assert "APPENDIX" in doc.pages[28].text.upper()
    assert "MAP OF REACH" in doc.pages[28].text.upper()
