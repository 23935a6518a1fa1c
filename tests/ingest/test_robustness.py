"""Parser-level outcomes for odd PDFs: ingested, needs_password, no_text or failed, always as a
ParsedDocument or an IngestError with one clear line, never any other exception.

The core tests run on files built from data/samples/ (tests/fixtures/pdfs.py: each reproduces the trap of
one real file in ../shared/eval/robustness); the real files, when ../shared is there, are checked by the
`test_real_*` tests at the end.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from parse_cache import ROBUST, need, parsed

from ingest.pdf import load_document
from ingest.types import FAILED, NEEDS_PASSWORD, NO_TEXT, IngestError
from tests.fixtures import pdfs

ROOT = Path(__file__).resolve().parents[2]


def outcome(path: Path, password: str | None = None, ocr: str = "off", **kw):
    try:
        return load_document(path, password=password, ocr=ocr, **kw)
    except IngestError as e:
        return e


def assert_error(result, status: str, fragment: str) -> None:
    assert isinstance(result, IngestError), f"expected {status}, got a document"
    assert result.status == status, result.message
    assert fragment in result.message, result.message
    assert "\n" not in result.message and len(result.message) < 300


# -- passwords --------------------------------------------------------------------------------


def test_empty_user_password_opens_transparently():
    doc = outcome(pdfs.encrypted_empty_user_password())
    assert not isinstance(doc, IngestError), doc
    assert doc.page_count == 1 and len(doc.text) > 200


def test_empty_user_password_file_ignores_a_batch_password():
    doc = outcome(pdfs.encrypted_empty_user_password(), password="not-this-one")
    assert not isinstance(doc, IngestError), doc


@pytest.mark.parametrize("build", [pdfs.encrypted_rc4_user_password, pdfs.encrypted_aes256,
                                   pdfs.encrypted_aes128_without_text], ids=["rc4-128", "aes-256", "aes-128"])
def test_encrypted_without_password_needs_one(build):
    assert_error(outcome(build()), NEEDS_PASSWORD, "needs a password (--password)")


@pytest.mark.parametrize("build", [pdfs.encrypted_rc4_user_password, pdfs.encrypted_aes256], ids=["rc4-128", "aes-256"])
def test_wrong_password_says_so(build):
    assert_error(outcome(build(), password="definitely-wrong"), NEEDS_PASSWORD, "wrong password")


def test_rc4_with_password_is_read():
    doc = outcome(pdfs.encrypted_rc4_user_password(), password=pdfs.PASSWORD_RC4)
    assert not isinstance(doc, IngestError), doc
    assert len(doc.text) > 400 and "Promotion" in doc.text


def test_aes256_with_password_is_read():
    # AES-256 (V5/R6) needs the cryptography package behind pypdf
    doc = outcome(pdfs.encrypted_aes256(), password=pdfs.PASSWORD_AES256)
    assert not isinstance(doc, IngestError), doc
    assert doc.text.strip()


def test_aes128_with_password_decrypts_but_has_no_usable_text():
    # the password is right, the only page is an image: a no-text outcome, not "wrong password"
    assert_error(outcome(pdfs.encrypted_aes128_without_text(), password=pdfs.PASSWORD_AES128), NO_TEXT, "no text layer")


# -- scanned ----------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [pdfs.scanned_opinion, pdfs.scanned_stamped_contract], ids=["image-only", "stamped"])
def test_scanned_is_no_text_when_ocr_is_off(build):
    # the stamped scan has a ~70-character ECF line on every page image: still "no text layer"
    assert_error(outcome(build(), ocr="off"), NO_TEXT, "no text layer — scanned?")


def test_scanned_without_ocr_engine_says_ocr_not_enabled(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a machine without the tesseract package
    assert_error(outcome(pdfs.scanned_opinion(), ocr="auto"), NO_TEXT, "no text layer — scanned? OCR not enabled")


# -- corrupt ----------------------------------------------------------------------------------


def test_unopenable_trailer_is_unreadable():
    assert_error(outcome(pdfs.unopenable_trailer()), FAILED, "unreadable PDF: Trailer cannot be read")


def test_pages_raising_everywhere_is_unreadable():
    assert_error(outcome(pdfs.pages_failing_everywhere()), FAILED, "unreadable PDF: text extraction failed on 14 of 16 pages")


def test_broken_page_tree_is_unreadable_with_reason():
    assert_error(outcome(pdfs.broken_page_tree()), FAILED, "unreadable PDF: Invalid object in /Pages")


def test_malformed_xref_is_recovered():
    doc = outcome(pdfs.malformed_xref())
    assert not isinstance(doc, IngestError), doc
    assert "governed by the laws of Ontario" in doc.text


def test_some_pages_failing_lists_them():
    """A readable PDF with one page whose content stream is garbage: the rest comes through."""
    doc = load_document(pdfs.one_bad_page(), ocr="off")
    assert doc.failed_pages == (2,)
    assert doc.page_count == 3
    assert doc.pages[1].text == ""
    assert doc.pages[0].text and doc.pages[2].text


# -- not a PDF --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, why",
    [
        (b"", "empty file"),
        (b"<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Session expired</body></html>", "HTML"),
        (b"This is a plain text note someone renamed to .pdf\n", "plain text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "image"),
    ],
)
def test_not_a_pdf(tmp_path, content, why):
    p = tmp_path / "renamed.pdf"
    p.write_bytes(content)
    with pytest.raises(IngestError) as ei:
        load_document(p)
    assert ei.value.status == FAILED
    assert ei.value.message.startswith("not a PDF (") and why in ei.value.message


def test_pdf_header_after_junk_within_1024_bytes_is_accepted(tmp_path):
    data = pdfs.encrypted_empty_user_password().read_bytes()
    p = tmp_path / "prefixed.pdf"
    p.write_bytes(b"\x00" * 100 + data)
    doc = load_document(p)  # readers tolerate leading junk, so do we
    assert doc.text.strip()


def test_missing_file(tmp_path):
    with pytest.raises(IngestError) as ei:
        load_document(tmp_path / "nope.pdf")
    assert ei.value.status == FAILED and "cannot read file" in ei.value.message


def test_too_big_and_too_many_pages():
    path = pdfs.long_book()
    size = path.stat().st_size / 2**20
    with pytest.raises(IngestError) as ei:
        load_document(path, max_bytes=2**19)
    assert ei.value.status == FAILED and ei.value.message.startswith(f"file too big ({size:.1f} MiB > limit")
    with pytest.raises(IngestError) as ei:
        load_document(path, max_pages=100)
    assert ei.value.status == FAILED and ei.value.message.startswith("too many pages (352 > limit 100")


# -- odd but fine -----------------------------------------------------------------------------


def test_brotli_filter_opens_decodes_and_is_ingested():
    """/BrotliDecode streams need the brotli package behind pypdf."""
    from ingest.pdf import _open_pdf

    reader = _open_pdf(pdfs.brotli_filter(), None)
    assert len(reader.pages) == 2
    assert "Brotli-compressed content streams must decode" in reader.pages[0].extract_text()
    doc = load_document(pdfs.brotli_filter(), ocr="off")
    assert doc.page_count == 2 and "The second page is compressed" in doc.pages[1].text


def test_two_column_layout_reads_all_pages():
    doc = load_document(pdfs.two_columns(), ocr="off")
    assert doc.page_count == 3 and len(doc.text) > 6000


_BOOK_SCRIPT = (
    "import json, resource, sys, time\n"
    # VmHWM belongs to this process image; ru_maxrss would carry over the forking pytest's size
    "def peak_mib():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1]) / 1024\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    "from ingest.pdf import load_document, sha256_file\n"
    "t = time.time()\n"
    "doc = load_document(sys.argv[1], ocr='off')\n"
    "print(json.dumps({'pages': doc.page_count, 'chars': len(doc.text), 'last_end': doc.pages[-1].char_end,"
    " 'ok_id': doc.doc_id == sha256_file(sys.argv[1]), 'failed': list(doc.failed_pages),"
    " 'marks': doc.text.count('PASS PAGES'), 'heads': doc.text.count(' FREE CULTURE\\n'),"
    " 'seconds': time.time() - t, 'rss_mib': peak_mib()}))\n"
)


def _load_in_a_fresh_process(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _BOOK_SCRIPT, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert not out.stderr.strip(), out.stderr[-2000:]  # no pypdf warning spam
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{path.name}: {r['pages']} pages, {r['seconds']:.1f} s, peak RSS {r['rss_mib']:.0f} MiB")
    assert r["chars"] > 600_000 and r["last_end"] == r["chars"]
    assert r["ok_id"] and not r["failed"]
    assert r["rss_mib"] < 400, r
    return r


def test_long_document_loads_page_by_page_with_bounded_memory():
    """352 pages in a fresh process: all the text comes through and the peak RSS stays bounded
    (pypdf parses one page at a time; only the page texts are kept)."""
    assert _load_in_a_fresh_process(pdfs.long_book())["pages"] == 352


def test_every_odd_file_gives_a_document_or_an_ingest_error(caplog):
    """No pypdf exception escapes, whatever the file, and pypdf's warnings stay out of the log."""
    caplog.set_level(logging.WARNING)
    builders = [pdfs.encrypted_rc4_user_password, pdfs.encrypted_aes256, pdfs.encrypted_empty_user_password,
                pdfs.encrypted_aes128_without_text, pdfs.scanned_opinion, pdfs.scanned_stamped_contract,
                pdfs.malformed_xref, pdfs.broken_page_tree, pdfs.unopenable_trailer, pdfs.pages_failing_everywhere,
                pdfs.one_bad_page, pdfs.brotli_filter, pdfs.two_columns]
    for build in builders:
        r = outcome(build())
        assert isinstance(r, IngestError) or r.text.strip(), build.__name__
    assert not [rec for rec in caplog.records if rec.name.startswith("pypdf")]


def test_mutated_pdfs_never_raise_anything_but_ingest_error(tmp_path, capsys):
    """Seeded byte mutations of small PDFs: a document or an IngestError, nothing else, and nothing
    printed (pypdf's recoverable-error log lines stay quiet)."""
    import random

    rng = random.Random(20261128)
    sources = [pdfs.encrypted_rc4_user_password(), pdfs.malformed_xref(), pdfs.two_columns()]
    seen = set()
    for i in range(40):
        src = rng.choice(sources)
        data = bytearray(src.read_bytes())
        for _ in range(rng.randint(1, 20)):
            pos = rng.randrange(len(data))
            op = rng.random()
            if op < 0.5:
                data[pos] = rng.randrange(256)
            elif op < 0.75:
                del data[pos : pos + rng.randint(1, 200)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
        p = tmp_path / f"m{i}.pdf"
        p.write_bytes(bytes(data))
        try:
            doc = load_document(p, password=pdfs.PASSWORD_RC4, ocr="off")
            seen.add("ingested")
            assert doc.text.strip()
        except IngestError as e:
            seen.add(e.status)
            assert e.message and "\n" not in e.message
    assert "ingested" in seen and FAILED in seen
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""


def test_short_but_varied_pages_are_text_not_a_scan(tmp_path):
    """Slides with a line or two each are a text layer; only empty pages or one repeated stamp per
    page (digits aside) read as a scan."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=24)
    for title in ("Quarterly results", "Revenue grew", "Costs fell", "Outlook: stable", "Questions?"):
        pdf.add_page()
        pdf.cell(0, 20, title)
    slides = tmp_path / "slides.pdf"
    pdf.output(str(slides))
    doc = load_document(slides, ocr="off")
    assert doc.page_count == 5 and "Outlook: stable" in doc.text

    pdf = FPDF()
    pdf.set_font("Helvetica", size=8)
    for i in range(1, 6):
        pdf.add_page()
        pdf.cell(0, 10, f"Case 2:18-cv-12857 ECF No. 1 filed 09/13/18 PageID.{i} Page {i} of 5")
    stamped = tmp_path / "stamped.pdf"
    pdf.output(str(stamped))
    assert_error(outcome(stamped), NO_TEXT, "no text layer")


def test_damaged_file_is_unreadable_even_with_ocr_on():
    """Pages that raise are damage, not a scan: the outcome stays 'unreadable' with OCR on too."""
    r = outcome(pdfs.pages_failing_everywhere(), ocr="auto")
    assert_error(r, FAILED, "unreadable PDF: text extraction failed on 14 of 16 pages")


# -- the real files of ../shared/eval/robustness (extended: skipped without ../shared) -----------------

REAL = {  # name: [(password, status or "ingested", message fragment)]
    "encrypted_emptypw_rc4-40_pdfjs-bug900822.pdf": [(None, "ingested", ""), ("not-this-one", "ingested", "")],
    "encrypted_rc4_userpw_openpassword.pdf": [(None, NEEDS_PASSWORD, "needs a password (--password)"),
                                              ("definitely-wrong", NEEDS_PASSWORD, "wrong password"),
                                              ("openpassword", "ingested", "")],
    "encrypted_aes256_pdfjs-issue6010_pw_abc.pdf": [(None, NEEDS_PASSWORD, "needs a password (--password)"),
                                                    ("definitely-wrong", NEEDS_PASSWORD, "wrong password"),
                                                    ("abc", "ingested", "")],
    # pypdf accepts ELXRTQWS (as owner password) yet extracts 0 chars
    "encrypted_aes128_pdfjs-issue3371_pw_ELXRTQWS.pdf": [(None, NEEDS_PASSWORD, "needs a password (--password)"),
                                                         ("ELXRTQWS", NO_TEXT, "no text layer")],
    "scanned_court_doc_image_only.pdf": [(None, NO_TEXT, "no text layer — scanned?")],
    "scanned_complaint_EDMich_2-18-cv-12857.pdf": [(None, NO_TEXT, "no text layer — scanned?")],
    "fuzzed_unopenable_pdfbox-3148.pdf": [(None, FAILED, "unreadable PDF: ")],
    # pdfium (the default) reads 5 of its 16 fuzzed pages, pypdf 2 (below): unreadable either way
    "fuzzed_ghostscript_16pp.pdf": [(None, FAILED, "unreadable PDF: text extraction failed on 11 of 16 pages")],
    "broken_pages_tree_unreadable_metadata.pdf": [(None, FAILED, "unreadable PDF: Invalid object in /Pages")],
    "malformed_xref_keyword_missing.pdf": [(None, "ingested", "")],
    "two_column_layout.pdf": [(None, "ingested", "")],
    "compressed_objstreams_117pp_geotopo_de.pdf": [(None, "ingested", "")],
}


def test_real_robustness_files_give_their_outcomes(caplog):
    """Every real file of ../shared/eval/robustness (but the two slow ones) ends in its outcome, page
    counts agree with the folder's pypdf probe, and nothing but IngestError escapes."""
    caplog.set_level(logging.WARNING)
    probe = json.loads(need(ROBUST / "probe.json").read_text())
    assert {p.name for p in ROBUST.glob("*.pdf")} >= set(REAL)
    for name, cases in REAL.items():
        for password, status, fragment in cases:
            r = outcome(ROBUST / name, password=password)
            if status == "ingested":
                assert not isinstance(r, IngestError), (name, password, r)
                assert r.text.strip() and r.page_count == probe[name]["pages"], name
            else:
                assert_error(r, status, fragment)
    geo = parsed(str(ROBUST / "compressed_objstreams_117pp_geotopo_de.pdf"))
    assert geo.page_count == 117 and len(geo.text) > 100_000 and "Topologie" in geo.text
    assert len(parsed(str(ROBUST / "two_column_layout.pdf")).text) > 6000
    assert len(outcome(ROBUST / "encrypted_rc4_userpw_openpassword.pdf", "openpassword").text) > 400
    assert_error(outcome(ROBUST / "fuzzed_ghostscript_16pp.pdf", ocr="auto"), FAILED, "text extraction failed")
    assert_error(outcome(ROBUST / "fuzzed_ghostscript_16pp.pdf", text_engine="pypdf"), FAILED,
                 "unreadable PDF: text extraction failed on 14 of 16 pages")
    assert not [rec for rec in caplog.records if rec.name.startswith("pypdf")]


@pytest.mark.slow
def test_real_brotli_file_is_ingested():
    from ingest.pdf import _open_pdf

    path = need(ROBUST / "brotli_filter_prototype.pdf")
    reader = _open_pdf(path, None)
    assert len(reader.pages) == 25 and len(reader.pages[0].extract_text()) > 1000
    doc = parsed(str(path))  # ~30 s of pypdf: vector-drawn text
    assert doc.page_count == 25
    assert len(doc.text) > 20_000 and not doc.failed_pages


def test_real_352_page_book_loads_with_bounded_memory_and_its_furniture_removed():
    r = _load_in_a_fresh_process(need(ROBUST / "huge_352pp_free-culture_lessig.pdf"))
    assert r["pages"] == 352
    # printer's marks and the "12 FREE CULTURE" running head (which pypdf puts mid-page) are gone
    assert r["marks"] == 0 and r["heads"] <= 3, r
