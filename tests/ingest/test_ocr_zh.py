"""OCR of scanned Chinese pages with the real Tesseract (chi_sim): a page this test draws with a CJK font and scans
to an image-only PDF, and a page of the dev-zh scan when ../shared is present."""

from __future__ import annotations

import glob
import shutil
import subprocess

import pytest
from parse_cache import SHARED, need

from ingest import ocr
from ingest.pdf import load_document

needs_chinese_ocr = pytest.mark.skipif(
    shutil.which("tesseract") is None or "chi_sim" not in ocr.installed_languages(shutil.which("tesseract") or ""),
    reason="Tesseract with Simplified Chinese is not installed (Debian tesseract-ocr-chi-sim; .ci/run installs it)",
)

LINES = [
    "第十条　建立劳动关系，应当订立书面劳动合同。",
    "已建立劳动关系，未同时订立书面劳动合同的，",
    "应当自用工之日起一个月内订立书面劳动合同。",
    "第十二条　本合同适用中华人民共和国法律。",
]


def _cjk_font() -> str | None:
    """A font with Chinese glyphs from the system (Debian fonts-noto-cjk, or whatever fontconfig knows)."""
    for pattern in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/**/NotoSansCJK*.ttc",
                    "/usr/share/fonts/**/NotoSerifCJK*.ttc", "/usr/share/fonts/**/wqy*.tt[cf]"):
        hits = sorted(glob.glob(pattern, recursive=True))
        if hits:
            return hits[0]
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
        return files[0] if files else None
    return None


@pytest.fixture(scope="module")
def scanned_chinese_page(tmp_path_factory):
    """An image-only PDF: the lines above drawn at 200 dpi with a CJK font (no text layer at all)."""
    font_file = _cjk_font()
    if font_file is None:
        pytest.skip("no CJK font on this machine (Debian fonts-noto-cjk; .ci/run installs it)")
    from PIL import Image, ImageDraw, ImageFont

    dpi = 200
    img = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)  # A4
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(font_file, 44)
    y = 200
    for line in LINES:
        draw.text((150, y), line, font=font, fill=0)
        y += 90
    path = tmp_path_factory.mktemp("zh-scan") / "扫描件.pdf"
    img.save(path, "PDF", resolution=dpi)
    return path


def test_languages_offer_chinese_where_installed():
    binary = shutil.which("tesseract")
    if binary is None:
        pytest.skip("Debian tesseract-ocr is not installed")
    choices = ocr.language_choices(binary)
    assert choices[0] == "eng"
    if "chi_sim" in ocr.installed_languages(binary):
        assert choices[1].startswith("chi_sim") and choices[1].endswith("+eng")
        assert ("chi_sim_vert" in choices[1]) == ("chi_sim_vert" in ocr.installed_languages(binary))


def test_spaces_between_chinese_characters_are_dropped():
    assert ocr.join_cjk("劳 动 合 同 法 第 十 条 ， 应 当") == "劳动合同法第十条，应当"
    assert ocr.join_cjk("Article 10 of the 劳动 合同法 applies") == "Article 10 of the 劳动合同法 applies"


@needs_chinese_ocr
def test_a_scanned_chinese_page_reads_as_chinese(scanned_chinese_page):
    words: dict[int, list] = {}
    got = ocr.ocr_pdf_pages(str(scanned_chinese_page), [1], words=words)
    text = got[1]
    for phrase in ("建立劳动关系", "订立书面劳动合同", "一个月内", "中华人民共和国法律"):
        assert phrase in text, text
    assert words[1], "word boxes for the page view's highlight"


@needs_chinese_ocr
def test_a_scanned_chinese_pdf_ingests_with_ocr(scanned_chinese_page):
    doc = load_document(scanned_chinese_page, ocr="auto")
    assert list(doc.ocr_pages) == [1]
    assert "适用中华人民共和国法律" in doc.text


@pytest.mark.slow
@needs_chinese_ocr
def test_the_dev_zh_scan_reads_like_its_text_layer_twin():
    """Page 3 of 劳动合同法_scan.pdf (a real scan): its articles read as the born-digital copy prints them."""
    scan = need(SHARED / "eval" / "dev-zh" / "劳动合同法_scan.pdf")
    text = ocr.ocr_pdf_pages(str(scan), [3])[3]
    for phrase in ("用人单位自用工之日起即与劳动者建立劳动关系", "应当订立书面劳动合同", "用人单位应当建立职工名册备查"):
        assert phrase in text, text[:400]
