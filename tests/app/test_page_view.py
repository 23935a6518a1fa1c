"""See the page: render, highlight, cache, printed numbers — on the sample PDFs and crafted ones.

The highlight is checked against independent witnesses: pdfium's own text search (FPDFText_Find) for
where the quoted words are on a digital page, and Tesseract reading the highlighted region back on a
scanned one; the image with and without a highlight must differ only inside the highlighted boxes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SAMPLES

KING = "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"
SLIP = "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf"
QUOTE = "Confidentiality Agreement, dated as of February 21, 2006"  # on PDF page 4 (printed 3)
# a sentence of the King agreement that runs from PDF page 13 onto page 14
BREAK_START = "shall be circulated to the parties promptly following the meeting for review and comment"
BREAK_SENTENCE = BREAK_START + " and for unanimous ratification by both parties"
TESSERACT = shutil.which("tesseract")


def _rgb(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixels where two renders differ (the highlight turns paper yellow: blue drops by far more than 30)."""
    return np.abs(a - b).max(axis=2) > 30


def pdfium_boxes(pdf_path: Path, page: int, text: str, width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Pixel boxes of `text` on a page as pdfium's own search finds it (the witness for the highlight)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as c

    pdf = pdfium.PdfDocument(str(pdf_path))
    pg = pdf[page - 1]
    tp = pg.get_textpage()
    found = tp.search(text, match_case=False).get_next()
    assert found, f"pdfium does not find {text!r} on page {page}"
    start, count = found
    out = []
    dx, dy = ctypes.c_int(), ctypes.c_int()
    for i in range(tp.count_rects(start, count)):
        left, b, r, t = tp.get_rect(i)
        pts = []
        for x, y in ((left, b), (r, t)):
            c.FPDF_PageToDevice(pg, 0, 0, width, height, 0, x, y, dx, dy)
            pts.append((dx.value, dy.value))
        out.append((min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)))
    pdf.close()
    return out


def inside(mask: np.ndarray, boxes, pad: int) -> np.ndarray:
    keep = np.zeros_like(mask)
    for x0, y0, x1, y1 in boxes:
        keep[max(0, y0 - pad): y1 + pad, max(0, x0 - pad): x1 + pad] = True
    return keep


def _doc(settings, file):
    from app.library import documents as library

    return library.get_store(settings).find_document(file)


def test_highlight_differs_only_around_the_quote_and_covers_its_words(samples_home):
    from app.answer import pages
    from app.answer.page_render import pixel_boxes

    king = _doc(samples_home, KING)
    page = 4
    plain = pages.page_image(samples_home, king, page, width=1000)
    marked = pages.page_image(samples_home, king, page, highlight=QUOTE, width=1000)
    assert marked.found and marked.method == "exact" and not plain.found
    assert (plain.width, plain.height) == (marked.width, marked.height) == (1000, plain.height)
    diff = changed(_rgb(plain.png), _rgb(marked.png))
    assert diff.sum() > 200
    # every changed pixel lies inside the painted boxes …
    painted = inside(diff, pixel_boxes(marked.boxes, marked.width, marked.height), pad=1)
    assert not (diff & ~painted).any()
    # … which sit on the quoted words as pdfium's own search finds them
    witness = pdfium_boxes(pages.original_pdf(samples_home, king), page, QUOTE, marked.width, marked.height)
    assert (diff & inside(diff, witness, pad=8)).sum() >= 0.9 * diff.sum()
    for x0, y0, x1, y1 in witness:
        assert diff[y0:y1, x0:x1].mean() > 0.3, "the quoted words are marked"


def test_a_passage_across_a_page_break_is_marked_on_both_pages(samples_home):
    from app.answer import pages
    from app.answer.page_render import pixel_boxes

    king = _doc(samples_home, KING)
    pdf = pages.original_pdf(samples_home, king)
    for page, words in ((13, "unanimous ratification"), (14, "by both parties")):
        marked = pages.page_image(samples_home, king, page, highlight=BREAK_SENTENCE, span=(13, 14))
        assert marked.found and marked.method == "split", page
        plain = pages.page_image(samples_home, king, page)
        diff = changed(_rgb(plain.png), _rgb(marked.png))
        assert not (diff & ~inside(diff, pixel_boxes(marked.boxes, marked.width, marked.height), pad=1)).any()
        for x0, y0, x1, y1 in pdfium_boxes(pdf, page, words, marked.width, marked.height):
            assert diff[y0:y1, x0:x1].mean() > 0.3, f"page {page}: {words!r} is marked"
    # the part on page 14 is its first line only
    assert len(pages.page_image(samples_home, king, 14, highlight=BREAK_SENTENCE, span=(13, 14)).boxes) == 1


@pytest.mark.skipif(TESSERACT is None, reason="tesseract is not installed (apt-get install tesseract-ocr)")
def test_an_ocr_page_is_marked_from_tesseract_word_boxes(samples_home):
    from PIL import Image

    from app.answer import pages

    slip = _doc(samples_home, SLIP)
    assert 29 in slip.ocr_pages
    img = pages.page_image(samples_home, slip, 29, highlight="Map of Reach II. Brief for Respondent 33a.")
    assert img.found and img.ocr and img.boxes
    plain = pages.page_image(samples_home, slip, 29)
    diff = changed(_rgb(plain.png), _rgb(img.png))
    ys, xs = np.nonzero(diff)
    crop = Image.open(io.BytesIO(plain.png)).crop((xs.min() - 10, ys.min() - 10, xs.max() + 10, ys.max() + 10))
    assert "respondent" in read_back(crop), "Tesseract reads the quoted words back from the highlighted region"


def read_back(image) -> str:
    """Tesseract on a crop, upright or turned (the appendix map's caption runs up the page)."""
    texts = []
    for angle in (0, 90, 270):
        buf = io.BytesIO()
        image.rotate(angle, expand=True).save(buf, format="PNG")
        out = subprocess.run([TESSERACT, "stdin", "stdout", "--psm", "6"], input=buf.getvalue(), capture_output=True,
                             timeout=60, check=False)
        texts.append(out.stdout.decode("utf-8", "replace").lower())
    return "\n".join(texts)


def test_pages_are_cached_per_page_width_and_highlight(samples_home):
    from app.answer import pages

    king = _doc(samples_home, KING)
    a = pages.page_image(samples_home, king, 3, highlight="Section 1.2", width=640)
    b = pages.page_image(samples_home, king, 3, highlight="Section 1.2", width=640)
    c = pages.page_image(samples_home, king, 3, highlight="Section 1.3", width=640)
    d = pages.page_image(samples_home, king, 3, highlight="Section 1.2", width=700)
    assert b.cached and b.path == a.path and b.boxes == a.boxes
    assert len({a.path, c.path, d.path}) == 3 and not c.cached and d.width == 700
    assert a.path.parent == Path(samples_home.pages_dir) / king.doc_id


def test_printed_numbers_and_page_lookup(samples_home):
    from app.answer import pages

    slip = _doc(samples_home, SLIP)
    with pytest.raises(LookupError, match="several pages"):
        pages.page_for_label(slip, "3")  # the syllabus and the opinion both have a page 3
    assert pages.page_for_label(slip, "24") == 28
    img = pages.page_image(samples_home, slip, 9)
    assert img.label == "5" and img.pages_display == "p. 5 (PDF p. 9)"
    with pytest.raises(LookupError, match="no page 31"):
        pages.page_image(samples_home, slip, 31)


def test_a_page_that_cannot_be_drawn_says_why(samples_home, tmp_path):
    from app.answer import pages
    from app.config import load_settings
    from app.library import documents as library
    from ingest import originals

    txt = tmp_path / "note.txt"
    txt.write_text("A short note about the delivery of timber and the payment in euros.\n" * 20)
    s = load_settings(env={}, home=tmp_path / "home")
    library.ingest(s, [txt])
    with pytest.raises(pages.PageUnavailable, match="text file"):
        pages.page_image(s, "note.txt", 1)
    # the library keeps its own copy: the page still renders when the source file is gone …
    src = tmp_path / "copy.pdf"
    shutil.copyfile(SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF", src)
    library.ingest(s, [src])
    src.unlink()
    assert pages.page_image(s, "copy.pdf", 2, width=400).width == 400
    # … and says what to do when both the copy and the source are gone
    doc = _doc(s, "copy.pdf")
    originals.remove(s.originals_dir, doc.doc_id)
    pages.forget_document(s, doc.doc_id)
    with pytest.raises(pages.PageUnavailable, match="ingest it again"):
        pages.page_image(s, "copy.pdf", 2, width=400)
    # ingesting the same bytes again (unchanged: nothing is parsed) brings the copy back
    again = tmp_path / "again.pdf"
    shutil.copyfile(SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF", again)
    assert library.ingest(s, [again])[0].status == "unchanged"
    assert pages.page_image(s, "copy.pdf", 1, width=300).width == 300
    # removing a document removes its copy and its rendered pages
    library.remove(s, doc.doc_id)
    assert not originals.original_path(s.originals_dir, doc.doc_id).exists()
    assert not (Path(s.pages_dir) / doc.doc_id).exists()


def test_cli_page_with_and_without_highlight_differs_only_around_the_quote(samples_home, tmp_path):
    env = {**os.environ, "LONGDOC_HOME": str(samples_home.home), "HF_HUB_OFFLINE": "1"}
    longdoc = [sys.executable, "-c", "from app.faces.cli import main; main()"]

    def run(*args):
        out = subprocess.run(longdoc + list(args), capture_output=True, text=True, env=env, timeout=300)
        return out

    plain = run("page", KING, "4", "--width", "900", "--out", str(tmp_path / "plain.png"))
    assert plain.returncode == 0, plain.stderr
    marked = run("page", KING, "4", "--width", "900", "--highlight", QUOTE, "--out", str(tmp_path / "marked.png"),
                 "--json")
    assert marked.returncode == 0, marked.stderr
    info = json.loads(marked.stdout)
    assert info["found"] and info["label"] == "3" and info["pages_display"] == "p. 3 (PDF p. 4)"
    from app.answer.page_render import pixel_boxes

    a, b = _rgb((tmp_path / "plain.png").read_bytes()), _rgb((tmp_path / "marked.png").read_bytes())
    diff = changed(a, b)
    boxes = pixel_boxes([tuple(x) for x in info["boxes"]], info["width"], info["height"])
    assert diff.any() and not (diff & ~inside(diff, boxes, pad=1)).any()
    ys, xs = np.nonzero(diff)
    assert (ys.max() - ys.min()) < 0.2 * info["height"], "only the quote's lines changed"
    # the rest in-process (same command, without a process start each): by printed number, by citation
    # label (DN in file-name order, as answers count), and one line with exit 1 for what a user gets wrong
    from typer.testing import CliRunner

    from app.faces.cli import cli

    runner = CliRunner()

    def run(*args):
        from types import SimpleNamespace

        r = runner.invoke(cli, list(args), env={"LONGDOC_HOME": str(samples_home.home)})
        return SimpleNamespace(returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr, output=r.output)

    by_label = run("page", KING, "--label", "47", "--out", str(tmp_path / "l.png"), "--json")
    assert json.loads(by_label.stdout)["page"] == 48
    cited = run("page", "--citation", "D2 p.13–14", "--out", str(tmp_path / "c.png"), "--json")
    assert cited.returncode == 0, cited.output
    got = json.loads(cited.stdout)
    assert got["page"] == 13 and got["found"] and got["file"] == KING
    for args, msg in ((("page", KING, "99", "--out", str(tmp_path / "x.png")), "no page 99"),
                      (("page", KING, "--label", "999", "--out", str(tmp_path / "x.png")), "numbered '999'"),
                      (("page", KING, "--label", "3", "--out", str(tmp_path / "x.png")), "several pages"),
                      (("page", KING, "2", "--out", str(tmp_path / "x.jpg")), ".png"),
                      (("page", "--citation", "D9 p.1", "--out", str(tmp_path / "x.png")), "no document D9")):
        bad = run(*args)
        assert bad.returncode == 1 and msg in bad.stderr and "Traceback" not in bad.stderr

