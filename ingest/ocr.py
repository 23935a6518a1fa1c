"""OCR for pages without a text layer: pypdfium2 renders the page, Tesseract reads it.

Why Tesseract (Debian `tesseract-ocr` + `tesseract-ocr-eng`) and not rapidocr-onnxruntime or
ocrmypdf: measured on the scanned robustness PDFs (README, section OCR), Tesseract at 200 dpi found
every checked answer string at a few seconds per page, while RapidOCR (Chinese-first PP-OCR models)
was several times slower on 2 cores and split words, and ocrmypdf runs the same Tesseract plus a PDF
rewrite we do not need. OCR is optional: without the `tesseract` binary `ocr_available()` is False
and ingest keeps the "no text layer" outcome.

Why the binary is called directly rather than through pytesseract: it reads an image on stdin and
writes text on stdout, and a direct call lets us pin it to one thread (the ingest workers already
use every core) and bound each page by a timeout.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from functools import lru_cache

TESSERACT = "tesseract"
LANG = "eng"
DPI = 200  # 300 dpi read no more of the test scans and took ~2-3x longer
# A page rendered larger than this is scaled down: a poster-sized MediaBox at 200 dpi would
# otherwise need gigabytes of pixels. 40 MP is an A0 sheet at ~150 dpi.
MAX_PIXELS = 40_000_000
PAGE_TIMEOUT_S = 120


@lru_cache(maxsize=8)
def _probe(binary: str) -> bool:
    """Does this tesseract run and know English? (Cached: it costs a process start.)"""
    try:
        out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    langs = {line.strip() for line in (out.stdout + out.stderr).splitlines()}
    return out.returncode == 0 and LANG in langs


def tesseract_path() -> str | None:
    """Where the tesseract binary is on PATH, or None."""
    return shutil.which(TESSERACT)


def ocr_available() -> bool:
    """True when Tesseract with English data can be run here (looked up on PATH each call)."""
    binary = tesseract_path()
    return bool(binary) and _probe(binary)


def _render(page, dpi: int):
    """The page as a grayscale PIL image at `dpi`, scaled down to at most MAX_PIXELS."""
    width, height = page.get_size()  # points
    scale = dpi / 72.0
    pixels = max(width, 1.0) * max(height, 1.0) * scale * scale
    if pixels > MAX_PIXELS:
        scale *= (MAX_PIXELS / pixels) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil()
    finally:
        bitmap.close()


def _tesseract(image, binary: str, timeout_s: float) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    out = subprocess.run(
        [binary, "stdin", "stdout", "-l", LANG, "--psm", "3"],
        input=buf.getvalue(),
        capture_output=True,
        timeout=timeout_s,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode("utf-8", "replace").strip()[:200] or "tesseract failed")
    return out.stdout.decode("utf-8", "replace").replace("\f", "").strip()


def ocr_pdf_pages(
    path: str,
    page_numbers: list[int],
    password: str | None = None,
    *,
    dpi: int = DPI,
    page_timeout_s: float = PAGE_TIMEOUT_S,
) -> dict[int, str]:
    """Text of the given 1-based pages, read by OCR. Pages that fail or time out are left out.

    Raises RuntimeError when OCR is not available or the file cannot be opened for rendering; the
    caller (ingest.pdf) keeps its own "no text layer" outcome then.
    """
    binary = tesseract_path()
    if not binary or not _probe(binary):
        raise RuntimeError("OCR not available: tesseract with English data is not installed")
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path), password=password or None)
    except pdfium.PdfiumError as e:
        raise RuntimeError(f"cannot render the PDF for OCR: {e}") from None
    out: dict[int, str] = {}
    try:
        count = len(pdf)
        for number in page_numbers:
            if not 1 <= number <= count:
                continue
            try:
                page = pdf[number - 1]
                try:
                    image = _render(page, dpi)
                finally:
                    page.close()
                out[number] = _tesseract(image, binary, page_timeout_s)
            except (pdfium.PdfiumError, RuntimeError, subprocess.TimeoutExpired, OSError, ValueError):
                continue  # one unreadable page must not lose the others
    finally:
        pdf.close()
    return out
