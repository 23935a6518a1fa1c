"""Every export format, opened with a real reader, carries the content, metadata and sources."""

from __future__ import annotations

import csv
import json
import re

import pytest

from app.answer import extractive
from app.answer.export import ExportError, export
from app.answer.results import Answer, Cell, Citation, DocInfo, Matrix, SentenceSupport, Summary, SummarySection

KEY = "sk-test-SECRETKEY-0123456789abcdef"


@pytest.fixture(scope="module")
def results(king_packed):
    packed, docs = king_packed
    d = docs[0]
    info = [DocInfo(d.doc_id, d.file, d.title, d.page_count, d.domain, "D1")]
    units = extractive.units_from_packed(packed)
    ea = extractive.answer("What is the governing law for this contract?", units)
    ans = Answer("What is the governing law for this contract?", ea.text, "extractive", "none", None,
                 citations=ea.citations, sentences=ea.sentences, coverage=packed.coverage, documents=info,
                 verified_share=1.0)
    picked = extractive.central(units, 3)
    summ = Summary("brief", "Extractive summary (no model configured).\n\n### Überblick — “quotes” ✓\n" +
                   " ".join(f"{u.text} [{u.label}]" for u in picked), "extractive", "none", None, "extractive",
                   sections=[SummarySection("Überblick", "x")], citations=extractive.citations_for(picked),
                   documents=info, sentences=[SentenceSupport(u.text, [u.label], True, "extract") for u in picked])
    gl = extractive.best_for_aspect(units, extractive.aspect("governing law")).units[0]
    cit = Citation(gl.label, gl.doc_id, gl.file, gl.page_start, gl.page_end, gl.section, gl.text, True)
    m = Matrix(["governing law", "audit rights"], info,
               [Cell(d.doc_id, d.file, "governing law", gl.text, cit, True),
                Cell(d.doc_id, d.file, "audit rights", "not found", None, False)],
               "generative", "deepseek", "deepseek-flash", usage={"prompt_tokens": 1200, "cached_tokens": 600,
                                                                 "output_tokens": 50}, cost_usd=0.00042)
    return ans, summ, m, gl


def _pdf_text(path):
    import re
    import unicodedata

    from pypdf import PdfReader

    text = "\n".join(pg.extract_text() for pg in PdfReader(str(path)).pages)
    return re.sub(r"[ \t]+", " ", unicodedata.normalize("NFC", text))


def _docx_text(path):
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts), d


def test_answer_exports_open_and_carry_citations(results, tmp_path):
    ans, _, _, _ = results
    label = ans.citations[0].label
    for suf in (".md", ".docx", ".pdf", ".json"):
        p = export(ans, tmp_path / f"answer{suf}")
        assert p.is_file() and p.stat().st_size > 200
    md = (tmp_path / "answer.md").read_text()
    shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md)  # as a Markdown viewer shows it (document text is escaped)
    assert "## Sources" in md and f"[{label}]" in shown and "laws of the State of New York" in shown
    assert f"\\[{label}\\]" in md, "a label is text, not a Markdown link"
    assert ans.documents[0].sha256 in md and "extractive" in md and "Date" in md
    text, d = _docx_text(tmp_path / "answer.docx")
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]
    assert "Sources" in headings and "Documents" in headings and ans.title in headings
    assert f"[{label}]" in text and ans.documents[0].sha256 in text and "New York" in text
    pdf_text = _pdf_text(tmp_path / "answer.pdf")
    assert label in pdf_text and "Sources" in pdf_text and "New York" in pdf_text
    data = json.loads((tmp_path / "answer.json").read_text())
    assert data["mode"] == "extractive" and data["citations"][0]["label"] == label
    assert set(["question", "answer", "backend", "model", "citations", "reasoning", "coverage", "usage", "cost_usd"]) <= set(data)
    assert {"doc_id", "file", "pages_in_context", "pages_total", "tokens"} <= set(data["coverage"][0])


def test_unicode_survives_pdf_and_docx(results, tmp_path):
    _, summ, _, _ = results
    export(summ, tmp_path / "s.pdf")
    export(summ, tmp_path / "s.docx")
    pdf_text = _pdf_text(tmp_path / "s.pdf")
    assert "Überblick" in pdf_text and summ.citations[0].label in pdf_text
    text, _ = _docx_text(tmp_path / "s.docx")
    assert "Überblick — “quotes” ✓" in text


def test_matrix_exports_csv_xlsx_md(results, tmp_path):
    _, _, m, gl = results
    export(m, tmp_path / "m.csv")
    export(m, tmp_path / "m.xlsx")
    export(m, tmp_path / "m.md")
    rows = list(csv.reader(open(tmp_path / "m.csv", encoding="utf-8")))
    assert rows[0][0] == "aspect" and rows[0][1].startswith("D1 ")
    assert rows[1][0] == "governing law" and f"[{gl.label}]" in rows[1][1]
    assert rows[2] == ["audit rights", "not found"]
    flat = [c for r in rows for c in r]
    assert "# sources" in flat and m.documents[0].sha256 in flat and "$0.0004" in flat
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "m.xlsx")
    assert wb.sheetnames == ["Matrix", "Sources", "Documents", "About"]
    assert wb["Matrix"]["A2"].value == "governing law" and gl.label in wb["Matrix"]["B2"].value
    assert wb["Sources"]["A2"].value == gl.label and "New York" in wb["Sources"]["E2"].value
    about = {r[0].value: r[1].value for r in wb["About"].iter_rows()}
    assert "deepseek-flash" in about["Mode"] and "prompt 1,200" in about["Tokens"]
    assert "| governing law |" in (tmp_path / "m.md").read_text()


def test_bad_suffix_and_matrix_only_formats_are_refused_cleanly(results, tmp_path):
    ans, _, _, _ = results
    with pytest.raises(ExportError, match="comparison matrices"):
        export(ans, tmp_path / "a.csv")
    with pytest.raises(ExportError, match="use one of"):
        export(ans, tmp_path / "a.txt")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_document_text_stays_text_in_every_export(results, tmp_path):
    """Issues 26/27: a redaction marker keeps its asterisks in DOCX, PDF and Markdown, and HTML or a link in a
    passage or title is text in the Markdown export, never markup."""
    import dataclasses

    from app.answer.verbatim import md_text

    ans, _, _, _ = results
    planted = "The term is [* ****] years and [*****] months. <img src=x onerror=alert(1)> [go](javascript:alert(1))"
    c0 = dataclasses.replace(ans.citations[0], text=planted)
    ans = dataclasses.replace(ans, answer=planted + " [" + c0.label + "]", citations=[c0, *ans.citations[1:]],
                              question="<b>Which term?</b> [x](https://evil.example)")
    md = export(ans, tmp_path / "a.md").read_text()
    for markup in (r"<img", r"<b>", r"\]\(javascript", r"\]\(https://evil"):  # only escaped, never live
        assert not re.search(r"(?<!\\)" + markup, md), markup
    assert md_text("[* ****] years") in md
    text, _ = _docx_text(export(ans, tmp_path / "a.docx"))
    assert "[* ****] years and [*****] months" in text
    from pypdf import PdfReader

    pdf_text = " ".join(p.extract_text() for p in PdfReader(str(export(ans, tmp_path / "a.pdf"))).pages)
    assert "[* ****] years" in " ".join(pdf_text.split())


def _chinese_answer(results):
    import dataclasses

    ans, _, _, _ = results
    zh = "第十二条 本合同适用中华人民共和国法律。因本合同引起的争议，提交北京仲裁委员会仲裁。"
    c0 = dataclasses.replace(ans.citations[0], text=zh)
    return dataclasses.replace(ans, question="本合同适用哪国法律？", answer=f"本合同适用中华人民共和国法律 [{c0.label}]。",
                               citations=[c0, *ans.citations[1:]])


def test_a_pdf_export_of_chinese_text_embeds_a_cjk_font(results, tmp_path):
    """Issue 25: the PDF export of a Chinese answer holds the Chinese it shows (DejaVu has no CJK glyphs)."""
    import pypdfium2 as pdfium

    from app.answer.export import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk; .ci/run does)")
    pdf = pdfium.PdfDocument(str(export(_chinese_answer(results), tmp_path / "zh.pdf")))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = "".join(text.split())
    assert "本合同适用中华人民共和国法律" in flat and "北京仲裁委员会" in flat


def test_without_a_cjk_font_a_chinese_pdf_export_says_what_to_install(results, tmp_path, monkeypatch):
    from app.answer import export as exp
    from app.errors import ExportError

    monkeypatch.setattr(exp, "CJK_FONT_CANDIDATES", ())
    monkeypatch.setattr(exp, "CJK_FONT_DIRS", (str(tmp_path / "no-fonts"),))
    with pytest.raises(ExportError, match="fonts-noto-cjk"):
        export(_chinese_answer(results), tmp_path / "zh.pdf")
    assert not (tmp_path / "zh.pdf").exists()
