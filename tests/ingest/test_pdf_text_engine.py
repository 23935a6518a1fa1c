"""LONGDOC_PDF_TEXT=pdfium (the default): the same documents as pypdf reads them (text, pages, structure, evidence), several
times faster; a page pdfium cannot read goes to pypdf; a parser that dies inside pdfium on hostile input
gets pypdf's clean outcome; and a wrong engine name is one clear error."""

from __future__ import annotations

import re

import pytest

from ingest.pdf import TEXT_ENGINES, load_document
from tests.fixtures import pdfs
from tests.hardening import crafted


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("src", [pdfs.KING, pdfs.DYNAMEX, pdfs.SUCAMPO], ids=["king", "dynamex", "sucampo"])
def test_pdfium_reads_the_contracts_as_pypdf_does(src):
    a = load_document(src, ocr="off", text_engine="pypdf")
    b = load_document(src, ocr="off", text_engine="pdfium")
    assert b.page_count == a.page_count and b.title == a.title and b.domain == a.domain
    assert [(h.level, h.title) for h in b.headings] == [(h.level, h.title) for h in a.headings]
    wa, wb = _words(a.text).split(" "), _words(b.text).split(" ")
    assert abs(len(wa) - len(wb)) <= 0.01 * len(wa)  # the same text, up to a few spacing choices
    # the sentences a lawyer quotes come out verbatim in both (every long sentence of pypdf's text, nearly)
    sentences = [x for x in (_words(t) for t in re.split(r"(?<=[.;:])\s", a.text)) if len(x) >= 60]
    flat = _words(b.text)
    found = sum(x in flat for x in sentences)
    assert len(sentences) > 50 and found >= 0.97 * len(sentences), (found, len(sentences))
    assert "\ufffe" not in b.text and "\r" not in b.text and "\x02" not in b.text


def test_a_line_end_hyphen_is_decided_by_the_clean_up(tmp_path):
    """pdfium joins "pos-|sible" into "pos\\ufffesible"; written back as a line-end hyphen the clean-up joins a
    split word and keeps a real compound, as for pypdf's text."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in ["The parties agree that performance is pos-", "sible only after the non-", "compete period ends.",
                 "A non-compete clause binds both parties.", ""] * 3:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "hyphens.pdf"
    pdf.output(str(path))
    for engine in TEXT_ENGINES:
        text = _words(load_document(path, ocr="off", text_engine=engine).text)
        assert "performance is possible only" in text, (engine, text[:300])
        assert "after the non-compete period" in text, (engine, text[:300])


def test_pages_pdfium_cannot_read_go_to_pypdf():
    """The crafted file whose content streams fail to decode on 14 of 16 pages: pypdf raises on them, and the
    file's outcome stays the clear failure it has with pypdf alone (not a silent "no text")."""
    from ingest.types import FAILED, IngestError

    path = pdfs.pages_failing_everywhere()
    outcomes = []
    for engine in TEXT_ENGINES:
        with pytest.raises(IngestError) as e:
            load_document(path, ocr="off", text_engine=engine)
        outcomes.append((e.value.status, "text extraction failed" in e.value.message))
    assert outcomes[0] == outcomes[1] == (FAILED, True)


def test_a_parser_dying_in_pdfium_gets_pypdfs_outcome(tmp_path):
    """Through the pipeline's parser processes: a decompression bomb read with pdfium under the memory cap
    (native code: the process may die) still ends with a clear outcome for that file, and the next file of
    the batch ingests."""
    from ingest.embed import LazyEmbedder
    from ingest.pipeline import IngestConfig, ingest_paths
    from ingest.store import open_store

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_bomb.pdf").write_bytes(crafted.decompression_bomb(3.0))
    (folder / "b_contract.pdf").write_bytes(pdfs.DYNAMEX.read_bytes())
    store = open_store(tmp_path / "home")
    cfg = IngestConfig(ocr="off", memory_mb=1024, file_timeout_s=60, text_engine="pdfium", text_first=False)
    results = ingest_paths([folder], store=store, embedder=LazyEmbedder(), workers=1, config=cfg)
    by = {r.file: r for r in results}
    assert by["a_bomb.pdf"].status in ("failed", "no_text") and by["a_bomb.pdf"].message
    assert by["b_contract.pdf"].status == "ingested" and by["b_contract.pdf"].pages == 11


def test_a_wrong_engine_name_is_one_clear_error(tmp_path):
    from typer.testing import CliRunner

    from app.faces.cli import cli

    r = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "ingest", str(pdfs.DYNAMEX)],
                           env={"LONGDOC_PDF_TEXT": "mupdf"})
    assert r.exit_code != 0 and "LONGDOC_PDF_TEXT must be pdfium or pypdf (got 'mupdf')" in r.output
