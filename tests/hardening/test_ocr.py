"""OCR of scanned pages with the real Tesseract binary on the real scanned robustness PDFs."""

from __future__ import annotations

import shutil

import pytest

from ingest import ocr
from ingest.pdf import load_document
from ingest.types import NO_TEXT, IngestError
from tests.conftest import ROBUST

COMPLAINT = ROBUST / "scanned_complaint_EDMich_2-18-cv-12857.pdf"
COURT = ROBUST / "scanned_court_doc_image_only.pdf"
ENCRYPTED = ROBUST / "encrypted_rc4_userpw_openpassword.pdf"

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


@needs_tesseract
def test_ocr_reads_the_answers_on_the_scanned_complaint(shared_dir):
    """Questions robust-0002 and -0003: the amounts on p.11 and the bar number on p.15."""
    got = ocr.ocr_pdf_pages(str(COMPLAINT), [11, 15])
    assert set(got) == {11, 15}
    assert "$35,000" in got[11] and "$40,684" in got[11]
    assert "239516" in got[15]


@needs_tesseract
def test_scanned_document_is_ingested_with_ocr_pages_marked(shared_dir):
    doc = load_document(COURT, ocr="auto")
    assert doc.ocr_pages == (1, 2)
    assert all(p.ocr for p in doc.pages)
    assert "TARRANT REGIONAL WATER" in doc.text.upper()


@needs_tesseract
def test_ocr_marks_reach_the_chunks(shared_dir):
    from ingest.chunk import chunk_document

    doc = load_document(COURT, ocr="auto")
    chunks = chunk_document(doc, lambda t: len(t.split()), 200, 20)
    assert chunks and all(c.ocr for c in chunks)


@needs_tesseract
def test_force_ocrs_pages_that_have_text_even_when_encrypted(shared_dir):
    doc = load_document(ENCRYPTED, password="openpassword", ocr="force")
    assert doc.ocr_pages == (1,)
    assert doc.pages[0].ocr and len(doc.text) > 200


def test_ocr_off_keeps_the_no_text_outcome(shared_dir):
    with pytest.raises(IngestError) as e:
        load_document(COURT, ocr="off")
    assert e.value.status == NO_TEXT and "no text layer" in e.value.message


def test_without_tesseract_the_no_text_message_stays(shared_dir, no_tesseract_on_path):
    assert not ocr.ocr_available()
    with pytest.raises(IngestError) as e:
        load_document(COURT, ocr="auto")
    assert e.value.status == NO_TEXT
    assert "no text layer" in e.value.message and "OCR not enabled" in e.value.message
    with pytest.raises(RuntimeError, match="not available"):
        ocr.ocr_pdf_pages(str(COURT), [1])


@needs_tesseract
def test_pages_out_of_range_and_bad_files_are_clear(shared_dir, tmp_path):
    assert ocr.ocr_pdf_pages(str(COURT), [0, 99]) == {}
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
def test_scanned_page_inside_a_digital_document_is_ocrd_in_auto_mode(shared_dir, tmp_path):
    """'or some pages': a digital contract with one scanned page appended gets that page read by OCR,
    while its digital pages (and digital documents in general) are left alone."""
    from pypdf import PdfReader, PdfWriter

    from tests.conftest import SAMPLES

    contract = SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"
    writer = PdfWriter()
    digital = PdfReader(str(contract))
    for page in digital.pages:
        writer.add_page(page)
    writer.add_page(PdfReader(str(COURT)).pages[0])
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as f:
        writer.write(f)
    n = len(digital.pages)

    doc = load_document(mixed, ocr="auto")
    assert doc.ocr_pages == (n + 1,)
    assert doc.pages[-1].ocr and not any(p.ocr for p in doc.pages[:-1])
    assert "TARRANT" in doc.pages[-1].text.upper()

    plain = load_document(contract, ocr="auto")
    assert plain.ocr_pages == ()

    off = load_document(mixed, ocr="off")
    assert off.ocr_pages == () and not off.pages[-1].text.strip()


@needs_tesseract
def test_ocr_pages_are_marked_in_citations_and_exports(shared_dir, tmp_path):
    """Issue 6: OCR'd pages are marked in citations ("p.1, OCR"), end to end through store, ask, export."""
    from app import library
    from app.ask import ask
    from app.config import load_settings
    from app.export import export

    settings = load_settings(env={}, home=tmp_path / "home")
    results = library.ingest(settings, [COURT])
    assert results[0].status == "ingested", results[0].message
    answer = ask(settings, "Who is the petitioner, Tarrant Regional Water District?")
    assert answer.citations, answer.answer
    assert all(c.ocr for c in answer.citations)
    assert any(c.pages.endswith(", OCR") for c in answer.citations)
    out = export(answer, tmp_path / "answer.md")
    assert ", OCR" in out.read_text(encoding="utf-8")


@needs_tesseract
def test_rotated_scanned_appendix_pages_read_as_text(shared_dir):
    """The slip opinion's last two pages are landscape map images: orientation detection (psm 1) turns
    them into words ("APPENDIX A", "Map of Reach II") instead of rotated-glyph noise."""
    from tests.conftest import SAMPLES

    doc = load_document(SAMPLES / "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf", ocr="auto")
    assert doc.ocr_pages == (29, 30)
    assert "APPENDIX" in doc.pages[28].text.upper()
    assert "MAP OF REACH" in doc.pages[28].text.upper()
