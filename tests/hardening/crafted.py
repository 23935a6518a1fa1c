"""Hostile PDFs written byte by byte: the parser traps that fuzzing rarely finds on its own."""

from __future__ import annotations

import zlib


def build_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF whose object i+1 is objects[i], with a correct xref table and trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _page_doc(page_extra: bytes, more: list[bytes], content: bytes = b"BT /F1 12 Tf 72 720 Td (hello) Tj ET") -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> " + page_extra + b" >> >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return build_pdf(objs + more)


def deep_nesting(depth: int = 200_000) -> bytes:
    """An array nested `depth` levels deep inside the page's resources: recursive parsers overflow."""
    nested = b"[" * depth + b"]" * depth
    return _page_doc(b"/Deep " + nested, [])


def page_tree_loop() -> bytes:
    """/Pages whose Kids point back at itself (and a page whose parent is a loop): walkers never end."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Parent 2 0 R /Count 2 >>",
    ]
    return build_pdf(objs)


def huge_image(width: int = 200_000, height: int = 200_000) -> bytes:
    """A page that is one image claiming 40 G pixels (deflated zeros, so the file is small): renderers
    that trust /Width and /Height allocate gigabytes. No text layer, so OCR would render it."""
    row_bytes = 2_000_000  # the stream holds far fewer rows than claimed
    data = zlib.compress(b"\x00" * row_bytes, 9)
    image = _stream(
        data,
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode" % (width, height),
    )
    return _page_doc(b"/XObject << /Im1 6 0 R >>", [image], content=b"q 612 0 0 792 0 0 cm /Im1 Do Q")


def bomb_stream(gigabytes: float = 3.0) -> bytes:
    """A valid zlib stream of a few MB that inflates to `gigabytes` GB of spaces.

    Built in seconds, not minutes: after one 64 MiB block the compressor's window is all spaces, so
    every further block compresses (sync-flushed) to the same bytes, which are simply repeated; the
    Adler-32 trailer is then recomputed for the full content so strict decoders accept it too.
    """
    head = b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n"
    block = b" " * (64 << 20)
    blocks = max(2, int(gigabytes * 1024 / 64))
    comp = zlib.compressobj(9)
    first = comp.compress(head) + comp.compress(block) + comp.flush(zlib.Z_SYNC_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_SYNC_FLUSH)
    tail = comp.flush()
    checksum = zlib.adler32(head)
    for _ in range(blocks):
        checksum = zlib.adler32(block, checksum)
    return first + again * (blocks - 1) + tail[:-4] + checksum.to_bytes(4, "big")


def decompression_bomb(gigabytes: float = 3.0) -> bytes:
    """The page's content stream: a few MB of deflate that inflates to `gigabytes` GB of spaces."""
    data = bomb_stream(gigabytes)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(data, b"/Filter /FlateDecode"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return build_pdf(objs)


def many_pages(count: int) -> bytes:
    """`count` tiny pages sharing one content stream: tests the page limit without a big file."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(count))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        _stream(b"BT /F1 12 Tf 72 720 Td (page text here) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for _ in range(count):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
                    b"/Resources << /Font << /F1 4 0 R >> >> >>")
    return build_pdf(objs)


def with_bad_page(src, out, page: int = 2):
    """A copy of the PDF `src` whose page `page` has a content stream its decoder rejects (as in the
    fuzzed Ghostscript file of the robustness folder); written to `out`, returned."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, NumberObject, StreamObject

    writer = PdfWriter(clone_from=PdfReader(src))
    bad = StreamObject()
    bad._data = b"zz not hex zz>"
    bad[NameObject("/Filter")] = NameObject("/ASCIIHexDecode")
    bad[NameObject("/Length")] = NumberObject(len(bad._data))
    writer.pages[page - 1][NameObject("/Contents")] = writer._add_object(bad)
    with open(out, "wb") as f:
        writer.write(f)
    return out
