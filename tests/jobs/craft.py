"""Cheap real PDFs for the job tests: two-page PDFs cut from the CUAD sample contracts with pypdf, and
bad files whose outcomes are known (not a PDF, truncated, encrypted)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLES

MIN_CHARS = 400  # a slice whose pages carry less text (a signature page) is skipped


def good_pdfs(folder: Path, n: int, pages: int = 2) -> list[Path]:
    """`n` distinct PDFs of `pages` pages each, cut round-robin from the sample contracts."""
    from pypdf import PdfReader, PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SAMPLES.glob("*.PDF"))  # the CUAD contracts (the court opinion is .pdf)
    readers = [PdfReader(str(p)) for p in sources]
    slices: list[list[tuple[int, int]]] = []
    for k, r in enumerate(readers):
        mine = []
        for start in range(0, len(r.pages) - pages + 1, pages):
            text = "".join((r.pages[i].extract_text() or "") for i in range(start, start + pages))
            if len(text.strip()) >= MIN_CHARS:
                mine.append((k, start))
        slices.append(mine)
    order = [s for group in zip(*slices) for s in group] + [s for group in slices for s in group[min(map(len, slices)):]]
    out = []
    for k, start in order[:n]:
        w = PdfWriter()
        for i in range(start, start + pages):
            w.add_page(readers[k].pages[i])
        path = folder / f"{sources[k].stem[:24]}-p{start + 1:02d}.pdf"
        with open(path, "wb") as f:
            w.write(f)
        out.append(path)
    assert len(out) == n, f"only {len(out)} slices with text in the samples"
    return out


def bad_pdfs(folder: Path) -> dict[Path, tuple[str, str]]:
    """Bad files → (outcome, message fragment) the job must end with."""
    from pypdf import PdfReader, PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    src = sorted(SAMPLES.glob("*.PDF"))[0]
    html = folder / "login-page.pdf"
    html.write_bytes(b"<!DOCTYPE html><html><body>Session expired, please log in</body></html>")
    cut = folder / "truncated.pdf"
    cut.write_bytes(src.read_bytes()[:3000])
    enc = folder / "locked.pdf"
    w = PdfWriter()
    for p in PdfReader(str(src)).pages[:2]:
        w.add_page(p)
    w.encrypt("secret-pw", algorithm="AES-128")
    with open(enc, "wb") as f:
        w.write(f)
    return {
        html: ("failed", "not a PDF"),
        cut: ("failed", "unreadable PDF"),
        enc: ("needs_password", "needs a password"),
    }
