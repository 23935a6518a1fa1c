"""OCR for pages without a text layer: pypdfium2 renders the page, Tesseract reads it.

Why Tesseract (Debian `tesseract-ocr` + `tesseract-ocr-eng`) and not rapidocr-onnxruntime or
ocrmypdf: measured on the scanned robustness PDFs (README, section OCR), Tesseract at 200 dpi found
every checked answer string at a few seconds per page, while RapidOCR (Chinese-first PP-OCR models)
was several times slower on 2 cores and split words, and ocrmypdf runs the same Tesseract plus a PDF
rewrite we do not need. OCR is optional: without the `tesseract` binary `ocr_available()` is False
and ingest keeps the "no text layer" outcome.

Chinese: where Debian's `tesseract-ocr-chi-sim` is installed (and `-chi-sim-vert`, for vertical lines),
pages are read in the document's language. English stays the first guess (reading every page with
`chi_sim+eng` costs ~1.7× the time of `eng` and nothing for English); a page read with low confidence is
read again with the other choice and the better-read text kept, and that choice becomes the guess for the
document's next pages — so a Chinese scan pays one extra run on its first page. Tesseract's Chinese models
may write a space between characters: spaces between two Chinese characters are dropped (Chinese has none).

Why the binary is called directly rather than through pytesseract: it reads an image on stdin and
writes text on stdout, and a direct call lets us pin it to one thread (the ingest workers already
use every core) and bound each page by a timeout.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from functools import lru_cache

TESSERACT = "tesseract"
LANG = "eng"
CHINESE = ("chi_sim", "chi_sim_vert")  # Simplified Chinese, horizontal and vertical lines
# a page read with a mean word confidence below this is read again with the other language choice
RETRY_CONFIDENCE = 70.0
DPI = 200  # 300 dpi read no more of the test scans and took ~2-3x longer
# A page rendered larger than this is scaled down: a poster-sized MediaBox at 200 dpi would
# otherwise need gigabytes of pixels. 40 MP is an A0 sheet at ~150 dpi.
MAX_PIXELS = 40_000_000
PAGE_TIMEOUT_S = 120
# Address-space cap of the OCR child process (PDFium + one page image + Tesseract's input).
MEMORY_MB = 1536


@lru_cache(maxsize=8)
def installed_languages(binary: str) -> frozenset[str]:
    """The traineddata this tesseract knows (empty when it does not run). Cached: it costs a process start."""
    try:
        out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    if out.returncode != 0:
        return frozenset()
    return frozenset(line.strip() for line in (out.stdout + out.stderr).splitlines()[1:] if line.strip())


def _probe(binary: str) -> bool:
    """Does this tesseract run and know English?"""
    return LANG in installed_languages(binary)


def language_choices(binary: str) -> list[str]:
    """Tesseract `-l` values to try, the usual first: "eng", then "chi_sim+eng" (with chi_sim_vert) where installed."""
    have = installed_languages(binary)
    choices = [LANG]
    if CHINESE[0] in have:
        choices.append("+".join([c for c in CHINESE if c in have] + [LANG]))
    return choices


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(f"(?<=[{_HAN}\u3000-\u303f\uff01-\uff60]) +(?=[{_HAN}\u3000-\u303f\uff01-\uff60])")


def join_cjk(text: str) -> str:
    """Spaces between two Chinese characters (or full-width marks) out: Tesseract's Chinese models write them."""
    return _CJK_GAP.sub("", text)


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


def _tesseract(image, binary: str, timeout_s: float, lang: str = LANG) -> tuple[str, list[list], float]:
    """The page's text, its words with their boxes (Tesseract's TSV, kept for the page view's
    highlight) and their mean confidence (0-100): one run writes both, so the text is exactly what the
    text-only run gave."""
    import tempfile

    buf = io.BytesIO()
    image.save(buf, format="PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="longdoc-ocr-") as tmp:
        base = os.path.join(tmp, "page")
        out = subprocess.run(
            # psm 1 = automatic layout WITH orientation detection (osd.traineddata, a Depends of Debian's
            # tesseract-ocr): rotated pages (landscape maps, tables in an appendix) read as text, not noise
            [binary, "stdin", base, "-l", lang, "--psm", "1", "txt", "tsv"],
            input=buf.getvalue(),
            capture_output=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode("utf-8", "replace").strip()[:200] or "tesseract failed")
        with open(base + ".txt", encoding="utf-8", errors="replace") as f:
            text = f.read().replace("\f", "").strip()
        try:
            with open(base + ".tsv", encoding="utf-8", errors="replace") as f:
                tsv = f.read()
            words = parse_tsv(tsv, image.width, image.height)
            confidence = mean_confidence(tsv)
        except OSError:
            words, confidence = [], 0.0
    if "chi_" in lang:
        text = join_cjk(text)
    return text, words, confidence


def mean_confidence(tsv: str) -> float:
    """Mean confidence of the words Tesseract read (0 when it read none)."""
    confs = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) >= 12 and cols[0] == "5" and cols[11].strip():
            try:
                confs.append(float(cols[10]))
            except ValueError:
                continue
    return sum(confs) / len(confs) if confs else 0.0


def read_page(image, binary: str, timeout_s: float, choices: list[str], first: int = 0) -> tuple[str, list[list], int]:
    """OCR of one page image: with `choices[first]`, and when that reads poorly, with the others too; the best
    read (highest mean word confidence) wins. Returns its text, words and the index of its choice."""
    order = [first] + [i for i in range(len(choices)) if i != first]
    best: tuple[float, str, list, int] | None = None
    for i in order:
        text, words, conf = _tesseract(image, binary, timeout_s, choices[i])
        if best is None or conf > best[0]:
            best = (conf, text, words, i)
        if conf >= RETRY_CONFIDENCE:
            break
    assert best is not None
    return best[1], best[2], best[3]


def parse_tsv(tsv: str, width: int, height: int) -> list[list]:
    """Word rows of Tesseract's TSV → [x0, y0, x1, y1, text, line] with the box as fractions of the page
    image (top-left origin; in the image's own orientation, also for pages Tesseract read rotated)."""
    words: list[list] = []
    w, h = max(1, width), max(1, height)
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            block, par, line = int(cols[2]), int(cols[3]), int(cols[4])
            left, top, bw, bh = (int(c) for c in cols[6:10])
        except ValueError:
            continue
        words.append([round(left / w, 5), round(top / h, 5), round((left + bw) / w, 5), round((top + bh) / h, 5),
                      cols[11].strip(), block * 1_000_000 + par * 1000 + line])
    return words


def _ocr_here(path: str, page_numbers: list[int], password: str | None, dpi: int, page_timeout_s: float, emit) -> None:
    """Render and read each page in this process, handing `emit(page, text, words)` each result as it comes."""
    import pypdfium2 as pdfium

    binary = tesseract_path()
    if not binary:
        raise RuntimeError("OCR not available: tesseract is not installed")
    try:
        pdf = pdfium.PdfDocument(str(path), password=password or None)
    except pdfium.PdfiumError as e:
        raise RuntimeError(f"cannot render the PDF for OCR: {e}") from None
    choices = language_choices(binary)
    guess = 0  # the document's language so far: a Chinese scan reads its later pages in Chinese first
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
                text, words, guess = read_page(image, binary, page_timeout_s, choices, guess)
                emit(number, text, words)
            except (pdfium.PdfiumError, RuntimeError, subprocess.TimeoutExpired, OSError, ValueError):
                continue  # one unreadable page must not lose the others
    finally:
        pdf.close()


def _child_main() -> int:
    """`python -m ingest.ocr`: read one job (JSON on stdin), print one JSON line per page read."""
    import json
    import resource
    import sys

    job = json.loads(sys.stdin.read())
    cap = int(job.get("memory_mb") or 0) * 2**20
    if cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    def emit(number: int, text: str, words: list) -> None:
        sys.stdout.write(json.dumps({"page": number, "text": text, "words": words}) + "\n")
        sys.stdout.flush()

    try:
        _ocr_here(job["path"], job["pages"], job.get("password"), job["dpi"], job["page_timeout_s"], emit)
    except RuntimeError as e:
        sys.stdout.write(json.dumps({"error": str(e)}) + "\n")
        return 1
    return 0


def ocr_pdf_pages(
    path: str,
    page_numbers: list[int],
    password: str | None = None,
    *,
    dpi: int = DPI,
    page_timeout_s: float = PAGE_TIMEOUT_S,
    memory_mb: int = MEMORY_MB,
    words: dict[int, list] | None = None,
) -> dict[int, str]:
    """Text of the given 1-based pages, read by OCR. Pages that fail or time out are left out.
    `words`, when given, receives each page's word boxes (see `parse_tsv`).

    Runs in a child process with its own address-space cap: PDFium aborts the whole process when an
    allocation fails (a decompression bomb in a content stream, an image claiming 40 G pixels), and
    that must cost the OCR, not the ingest worker or a UI that parses in-process. Pages read before
    such a crash are kept. The password travels on stdin, never on the command line.
    Raises RuntimeError when OCR is not available or the file cannot be rendered at all; the caller
    (ingest.pdf) keeps its own "no text layer" outcome then.
    """
    import json
    import sys

    if not ocr_available():
        raise RuntimeError("OCR not available: tesseract with English data is not installed")
    pages = [int(n) for n in page_numbers]
    if not pages:
        return {}
    job = {"path": str(path), "pages": pages, "password": password, "dpi": dpi,
           "page_timeout_s": page_timeout_s, "memory_mb": memory_mb}
    total_timeout = 30 + page_timeout_s * len(pages)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ingest.ocr"], input=json.dumps(job).encode(), capture_output=True,
            timeout=total_timeout, check=False,
        )
        stdout = proc.stdout
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout or b""
    out: dict[int, str] = {}
    error = None
    for line in stdout.decode("utf-8", "replace").splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash
        if "error" in msg:
            error = msg["error"]
        elif "page" in msg:
            out[int(msg["page"])] = msg.get("text") or ""
            if words is not None:
                words[int(msg["page"])] = msg.get("words") or []
    if error and not out:
        raise RuntimeError(error)
    return out


if __name__ == "__main__":
    raise SystemExit(_child_main())
