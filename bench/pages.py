"""Page view speed and highlight recall: `python -m bench pages [--home DIR] [--limit N] [--width W]`.

Every page of the samples is rendered as a citation opens it: the page, width 1200, one sentence of the
page's text highlighted. Measured per page: the first render (empty cache: open the PDF, read the page's
characters, locate the sentence, render, encode the PNG, write it) and a cached view; the naive
alternative in the same run is rendering on every view (no cache). Highlight recall is compared with the
naive way of finding the quote: pdfium's own text search (FPDFText_Find) for the sentence as the library
stores it (after clean-up: hyphenation joined, ligatures spelled out, spacing normalised).
Target: first render ≤ 300 ms. Writes bench/results/pages.json.
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _arg(argv: list[str], name: str, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0


def _quote(page_text: str) -> str | None:
    """The longest sentence of a page (40–300 characters): what a citation excerpt looks like."""
    from app.answer.cite import split_sentences

    best = [s.strip() for s in split_sentences(page_text) if 40 <= len(s.strip()) <= 300]
    return max(best, key=len) if best else None


def _naive_found(pdf_path: Path, page: int, quote: str) -> bool:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        tp = pdf[page - 1].get_textpage()
        return tp.search(" ".join(quote.split()), match_case=False).get_next() is not None
    finally:
        pdf.close()


def run(argv: list[str]) -> dict:
    from app.answer import pages
    from app.config import load_settings
    from app.library import documents as library
    from ingest.pdf import load_document

    home = Path(_arg(argv, "--home", str(ROOT / "bench" / ".cache" / "pages_home")))
    limit = _arg(argv, "--limit", 0)
    width = _arg(argv, "--width", 1200)
    settings = load_settings(env={}, home=home, backend="none")
    if not library.list_documents(settings):
        library.ingest(settings, [ROOT / "data" / "samples"])
    shutil.rmtree(settings.pages_dir, ignore_errors=True)
    docs = [d for d in library.list_documents(settings) if d.file.lower().endswith(".pdf")]

    rows = []
    warm = docs[0]
    pages.page_image(settings, warm, 1, width=width - 1)  # imports and pdfium loaded once, not counted
    for d in docs:
        src = pages.original_pdf(settings, d)
        parsed = load_document(src)
        for pg in parsed.pages:
            if limit and len(rows) >= limit:
                break
            quote = _quote(pg.text)
            t = time.perf_counter()
            first = pages.page_image(settings, d, pg.number, highlight=quote, width=width)
            t_first = time.perf_counter() - t
            t = time.perf_counter()
            again = pages.page_image(settings, d, pg.number, highlight=quote, width=width)
            t_cached = time.perf_counter() - t
            assert again.cached
            rows.append({
                "file": d.file, "page": pg.number, "ocr": pg.ocr, "quote": bool(quote),
                "first_ms": round(t_first * 1000, 1), "cached_ms": round(t_cached * 1000, 2),
                "found": first.found if quote else None,
                "naive_found": _naive_found(src, pg.number, quote) if quote else None,
                "png_kb": round(first.path.stat().st_size / 1024, 1),
            })
    digital = [r for r in rows if not r["ocr"]]
    scanned = [r for r in rows if r["ocr"]]
    quoted = [r for r in rows if r["quote"]]

    def stats(rs, key):
        xs = [r[key] for r in rs]
        return {"n": len(xs), "p50": round(statistics.median(xs), 1) if xs else None,
                "p95": round(_pct(xs, 0.95), 1) if xs else None, "max": round(max(xs), 1) if xs else None}

    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {__import__('os').cpu_count()} cores".strip(),
        "width": width,
        "pages": len(rows),
        "first_render_ms": stats(rows, "first_ms"),
        "first_render_ms_digital": stats(digital, "first_ms"),
        "first_render_ms_ocr": stats(scanned, "first_ms"),
        "cached_ms": stats(rows, "cached_ms"),
        "naive_no_cache_ms": stats(rows, "first_ms"),
        "cached_speedup_p50": round(statistics.median([r["first_ms"] for r in rows]) /
                                    max(1e-6, statistics.median([r["cached_ms"] for r in rows])), 1),
        "within_300ms": round(sum(r["first_ms"] <= 300 for r in rows) / max(1, len(rows)), 3),
        "highlight_found": round(sum(bool(r["found"]) for r in quoted) / max(1, len(quoted)), 3),
        "naive_search_found": round(sum(bool(r["naive_found"]) for r in quoted) / max(1, len(quoted)), 3),
        "quotes": len(quoted),
        "png_kb_mean": round(statistics.mean(r["png_kb"] for r in rows), 1) if rows else None,
        "rows": rows,
    }
    print(f"{len(rows)} pages of {len(docs)} PDFs at width {width} (a sentence of each page highlighted)")
    print(f"{'':28} {'p50':>8} {'p95':>8} {'max':>8}")
    for label, key in (("first render, all pages", "first_render_ms"), ("  digital pages", "first_render_ms_digital"),
                       ("  OCR'd (scanned) pages", "first_render_ms_ocr"), ("cached view", "cached_ms")):
        s = result[key]
        if s["n"]:
            print(f"{label:28} {s['p50']:>6} ms {s['p95']:>6} ms {s['max']:>6} ms  (n={s['n']})")
    print(f"first render ≤ 300 ms on {result['within_300ms']:.0%} of pages; cached view {result['cached_speedup_p50']}× faster "
          f"than rendering on every view (the naive way)")
    print(f"highlight located: {result['highlight_found']:.0%} of {len(quoted)} quotes "
          f"(pdfium's plain text search for the same quotes: {result['naive_search_found']:.0%})")
    print(f"PNG size: {result['png_kb_mean']} KiB on average")
    out = ROOT / "bench" / "results" / "pages.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
