"""Issue 25 on a Chinese PDF the test builds (服务合同.pdf, CJK font from the system, skipped without one):
the legal summary's Chinese fields, quotes that keep the document's full-width punctuation in answers,
citations and exports, and the cited sentence highlighted on its page."""

from __future__ import annotations

import io

import pytest

from app.answer import pages
from app.answer.ask import ask
from app.answer.export import export
from app.answer.summarize import summarize
from app.config import load_settings
from app.library import documents as library
from tests.fixtures import zh_contract


@pytest.fixture(scope="module")
def contract(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zh_pdf")
    pdf = zh_contract.build(folder)
    if pdf is None:
        pytest.skip(zh_contract.NO_FONT)
    s = load_settings(env={}, home=folder / "home")
    assert [r.status for r in library.ingest(s, [pdf])] == ["ingested"]
    return s, pdf


def _fields(summary) -> dict[str, object]:
    return {sec.heading.split(" · ")[-1]: sec for sec in summary.sections}


@pytest.mark.parametrize("field, words, article", [
    ("适用法律", "适用中华人民共和国法律", "第十二条"),
    ("期限与终止", "提前六十日书面通知", "第十条"),
    ("付款", "服务费人民币十二万元", "第五条"),
    ("违约责任", "违约金", "第十一条"),
    ("争议解决", "北京仲裁委员会", "第十三条"),
])
def test_the_legal_summary_finds_the_chinese_clauses(contract, field, words, article):
    s, _ = contract
    fields = _fields(summarize(s, style="legal"))
    assert field in fields, list(fields)
    sec = fields[field]
    assert words in sec.text, sec.text
    page = zh_contract.page_of(article)
    assert any(_pages(label)[0] <= page <= _pages(label)[-1] for label in sec.labels), (sec.text, sec.labels)


def _pages(label: str) -> list[int]:
    return [int(p) for p in label.split("p.")[1].replace("–", " ").split()]


def test_quotes_keep_the_documents_punctuation_everywhere(contract, tmp_path):
    s, _ = contract
    ans = ask(s, "甲方每季度应支付多少服务费？")
    first = ans.sentences[0].text
    printed = "甲方应于每季度开始后十五日内向乙方支付当季服务费人民币十二万元（¥120,000）。"
    assert printed in first, first
    assert f"“{first}”" in ans.answer or first in ans.answer
    assert any(printed in c.text for c in ans.citations), "citations quote the page as printed"
    for fmt in ("md", "docx"):
        out = export(ans, tmp_path / f"answer.{fmt}")
        if fmt == "md":
            text = out.read_text(encoding="utf-8")
        else:
            import docx

            text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
            text += "\n".join(c.text for t in docx.Document(str(out)).tables for r in t.rows for c in r.cells)
        assert "十二万元（" in text and "120,000）。" in text.replace("\\", ""), fmt


def _pixels(png: bytes):
    from PIL import Image, ImageChops

    return Image.open(io.BytesIO(png)).convert("RGB"), ImageChops


def test_the_cited_chinese_sentence_is_highlighted_on_its_page(contract):
    s, _ = contract
    ans = ask(s, "本合同适用哪国法律？")
    cite = ans.citations[0]
    assert cite.page_start == zh_contract.page_of("第十二条")
    lit = pages.citation_view(s, cite)
    plain = pages.page_image(s, cite.doc_id, cite.page_start)
    assert lit.found and lit.boxes, "the quote is found on its page"
    a, chops = _pixels(lit.png)
    b, _ = _pixels(plain.png)
    assert chops.difference(a, b).getbbox() is not None, "the highlight changes pixels"


def test_cli_page_highlight_marks_a_chinese_quote(contract, tmp_path):
    import json

    from typer.testing import CliRunner

    from app.faces.cli import cli

    s, _ = contract
    quote = "任何一方可以提前六十日书面通知对方解除本合同。"
    page = zh_contract.page_of("第十条")
    runner = CliRunner()
    env = {"LONGDOC_HOME": str(s.home), "HF_HUB_OFFLINE": "1"}
    plain = runner.invoke(cli, ["page", "服务合同.pdf", str(page), "--out", str(tmp_path / "a.png")], env=env)
    assert plain.exit_code == 0, plain.output
    marked = runner.invoke(cli, ["page", "服务合同.pdf", str(page), "--highlight", quote, "--out", str(tmp_path / "b.png"),
                                 "--json"], env=env)
    assert marked.exit_code == 0, marked.output
    assert json.loads(marked.stdout)["found"]
    a, chops = _pixels((tmp_path / "a.png").read_bytes())
    b, _ = _pixels((tmp_path / "b.png").read_bytes())
    assert chops.difference(a, b).getbbox() is not None


def _has_chi_sim() -> bool:
    import shutil
    import subprocess

    if not shutil.which("tesseract"):
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return "chi_sim" in langs


def test_an_ocr_chinese_page_is_highlighted(contract, tmp_path):
    """The contract's third page as an image-only scan: OCR'd with chi_sim, the quote still marked on it."""
    if not _has_chi_sim():
        pytest.skip("Tesseract with chi_sim is not installed (Debian tesseract-ocr-chi-sim; .ci/run installs it)")
    import pypdfium2 as pdfium

    _, pdf = contract
    page = zh_contract.page_of("第十二条")
    image = pdfium.PdfDocument(str(pdf))[page - 1].render(scale=200 / 72).to_pil().convert("L")
    scan = tmp_path / "扫描件.pdf"
    image.save(scan, "PDF", resolution=200)
    s = load_settings(env={}, home=tmp_path / "home")
    assert [r.status for r in library.ingest(s, [scan])] == ["ingested"]
    lit = pages.page_image(s, "扫描件.pdf", 1, highlight="本合同的订立、效力、解释和履行适用中华人民共和国法律。")
    plain = pages.page_image(s, "扫描件.pdf", 1)
    assert lit.ocr and lit.found, lit
    a, chops = _pixels(lit.png)
    b, _ = _pixels(plain.png)
    assert chops.difference(a, b).getbbox() is not None


def test_the_cli_with_a_chinese_file_name(contract, tmp_path):
    """`longdoc ingest/docs/ask --export/summarize --export` with 服务合同.pdf: the name as written, the exports Chinese."""
    import json

    from typer.testing import CliRunner

    from app.faces.cli import cli

    _, pdf = contract
    env = {"LONGDOC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    runner = CliRunner()
    done = runner.invoke(cli, ["ingest", str(pdf)], env=env)
    assert done.exit_code == 0 and "服务合同.pdf" in done.output, done.output
    listed = runner.invoke(cli, ["docs", "--json"], env=env)
    assert listed.exit_code == 0 and "服务合同.pdf" in json.dumps(json.loads(listed.stdout), ensure_ascii=False)
    out = tmp_path / "答复.md"
    asked = runner.invoke(cli, ["ask", "本合同适用哪国法律？", "--docs", "服务合同.pdf", "--export", str(out)], env=env)
    assert asked.exit_code == 0, asked.output
    assert "适用中华人民共和国法律" in asked.output and "第十二条" in asked.output
    assert "适用中华人民共和国法律" in out.read_text(encoding="utf-8")
    summary = tmp_path / "摘要.pdf"
    done = runner.invoke(cli, ["summarize", "--style", "legal", "--export", str(summary)], env=env)
    assert done.exit_code == 0, done.output
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(summary))
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))).replace("\r", "").replace("\n", "")
    assert "适用法律" in text and "北京仲裁委员会" in text
