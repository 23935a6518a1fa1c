"""One PDF page → a PNG at a chosen width, with boxes painted as a highlighter would.

pypdfium2 renders the page and gives each character's box; boxes are handed around as fractions of
the rendered page (x0, y0, x1, y1; top-left origin), so they do not depend on the image width and a
scanned page's boxes (Tesseract's, in the same frame) need no conversion. The highlight multiplies a
yellow into the page: ink stays black, paper turns yellow, and nothing outside the boxes changes.
"""

from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass

HIGHLIGHT_RGB = (255, 222, 40)
PAD = 0.18  # of a line's height, added around each box so the marker covers ascenders and descenders
MAX_PIXELS = 40_000_000  # same bound as OCR: a poster-sized page is rendered smaller, not in gigabytes


class RenderError(Exception):
    """The page cannot be drawn (no such page, unreadable or protected file); the message says which."""


Box = tuple[float, float, float, float]  # fractions of the page: x0, y0, x1, y1 (top-left origin)


@dataclass
class PageText:
    """The characters pdfium reads off a page, and how to turn character spans into boxes."""

    text: str
    _textpage: object
    _page: object
    width: float  # the page's displayed size in points (rotation applied)
    height: float

    def boxes(self, spans: list[tuple[int, int]]) -> list[Box]:
        """Line boxes (fractions of the page) covering the characters of each [start, end) span."""
        import pypdfium2.raw as pdfium_c  # pdfium: only when a page is drawn

        out: list[Box] = []
        w, h = 10_000, max(1, round(10_000 * self.height / max(self.width, 1e-6)))
        dx, dy = ctypes.c_int(), ctypes.c_int()

        def to_frac(x: float, y: float) -> tuple[float, float]:
            pdfium_c.FPDF_PageToDevice(self._page, 0, 0, w, h, 0, x, y, dx, dy)
            return dx.value / w, dy.value / h

        for start, end in spans:
            if end <= start:
                continue
            n = self._textpage.count_rects(start, end - start)
            for i in range(n):
                left, bottom, right, top = self._textpage.get_rect(i)
                (x0, y0), (x1, y1) = to_frac(left, bottom), to_frac(right, top)
                out.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        return merge_line_boxes(out)


def merge_line_boxes(boxes: list[Box]) -> list[Box]:
    """Join boxes of one line (vertical overlap, small horizontal gap) into one, so a highlighted line
    reads as one stroke rather than a box per text object."""
    out: list[list[float]] = []
    for x0, y0, x1, y1 in sorted(boxes, key=lambda b: (round((b[1] + b[3]) / 2, 3), b[0])):
        if out:
            a = out[-1]
            hgt = max(a[3] - a[1], y1 - y0, 1e-6)
            overlap = min(a[3], y1) - max(a[1], y0)
            if overlap > 0.5 * min(a[3] - a[1], y1 - y0) and x0 - a[2] < 1.5 * hgt:
                a[0], a[1], a[2], a[3] = min(a[0], x0), min(a[1], y0), max(a[2], x1), max(a[3], y1)
                continue
        out.append([x0, y0, x1, y1])
    return [tuple(b) for b in out]  # type: ignore[misc]


def open_pdf(path: str):
    import pypdfium2 as pdfium  # pdfium: only when a page is drawn

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        msg = str(e).lower()
        if "password" in msg:
            raise RenderError("the PDF is password-protected: its pages cannot be shown (the text view is)") from None
        raise RenderError(f"the PDF cannot be opened for display ({e})") from None
    except OSError as e:
        raise RenderError(f"the PDF cannot be read ({e.strerror or e})") from None


def page_count(pdf) -> int:
    return len(pdf)


def _page(pdf, number: int):
    if not 1 <= number <= len(pdf):
        raise RenderError(f"no page {number}: the document has {len(pdf)} page{'s' if len(pdf) != 1 else ''}")
    return pdf[number - 1]


def page_text(pdf, number: int) -> PageText:
    """The page's characters, one per pdfium character index (so spans map back to boxes exactly)."""
    import pypdfium2.raw as pdfium_c  # pdfium: only when a page is drawn

    page = _page(pdf, number)
    tp = page.get_textpage()
    n = tp.count_chars()
    chars = []
    for i in range(n):
        u = pdfium_c.FPDFText_GetUnicode(tp, i)
        chars.append(chr(u) if 0 < u < 0x110000 and not 0xD800 <= u < 0xE000 else " ")
    w, h = page.get_size()
    return PageText("".join(chars), tp, page, float(w), float(h))


def render_png(pdf, number: int, width: int, boxes: list[Box] = ()) -> tuple[bytes, int, int]:
    """The page as PNG bytes `width` pixels wide (aspect kept), the boxes highlighted; (png, width, height)."""
    page = _page(pdf, number)
    pw, ph = page.get_size()
    scale = (width - 1e-6) / max(pw, 1e-6)  # pdfium rounds the pixel width up: land on `width` exactly
    if pw * ph * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / max(pw * ph, 1e-6)) ** 0.5
    try:
        bitmap = page.render(scale=scale, may_draw_forms=False)
        image = bitmap.to_pil().convert("RGB")
    except Exception as e:  # noqa: BLE001 - pdfium refuses odd pages in many ways; the text view remains
        raise RenderError(f"page {number} cannot be drawn ({type(e).__name__})") from None
    if boxes:
        image = paint(image, boxes)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # level 1: ~40 ms for a page, files ~10% larger than 6
    return buf.getvalue(), image.width, image.height


def pixel_boxes(boxes: list[Box], width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Boxes in pixels of a `width` × `height` image, padded as `paint` pads them."""
    out = []
    for x0, y0, x1, y1 in boxes:
        pad = PAD * (y1 - y0) * height
        out.append((max(0, int(x0 * width - pad)), max(0, int(y0 * height - pad)),
                    min(width, int(x1 * width + pad + 1)), min(height, int(y1 * height + pad + 1))))
    return out


def paint(image, boxes: list[Box]):
    """Multiply the highlight colour into the union of the (padded) boxes of a PIL RGB image, once,
    so boxes that touch do not darken where they overlap."""
    from PIL import Image, ImageChops, ImageDraw  # Pillow: only when a page is highlighted

    rects = [r for r in pixel_boxes(boxes, image.width, image.height) if r[2] > r[0] and r[3] > r[1]]
    if not rects:
        return image
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for x0, y0, x1, y1 in rects:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=255)
    left, top = min(r[0] for r in rects), min(r[1] for r in rects)
    right, bottom = max(r[2] for r in rects), max(r[3] for r in rects)
    area = (left, top, right, bottom)
    region = image.crop(area)
    tinted = ImageChops.multiply(region, Image.new("RGB", region.size, HIGHLIGHT_RGB))
    image.paste(Image.composite(tinted, region, mask.crop(area)), (left, top))
    return image
