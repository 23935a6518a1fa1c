"""Issue 25 in a real browser: upload 服务合同.pdf (a Chinese PDF with a Chinese file name), ask in Chinese without a
model, see the answer cite 第十二条's page, open the cited page with the sentence highlighted (pixels compared with
the page drawn plain), download the original under its Chinese name, and download a PDF summary whose text
extracts as the Chinese the page shows.

Skipped with the reason where Debian's chromium or a CJK font is missing."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from tests.fixtures import zh_contract
from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, _area, _idle, _no_exception, _shot, launch, open_library

pytestmark = pytest.mark.slow
NAME = "服务合同.pdf"
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{6,}")


@pytest.fixture()
def zh_ui(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    folder = tmp_path / "in"
    folder.mkdir()
    pdf = zh_contract.build(folder, NAME)
    if pdf is None:
        pytest.skip(zh_contract.NO_FONT)
    with running_ui(ui_env(tmp_path / "home"), tmp_path) as url:
        yield url, tmp_path, pdf


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_a_chinese_contract_in_the_browser(zh_ui):
    from playwright.sync_api import sync_playwright

    url, tmp, pdf = zh_ui
    article_page = zh_contract.page_of("第十二条")
    with sync_playwright() as pw:
        browser, page = launch(pw, 1200, 900, accept_downloads=True)
        try:
            open_library(page, url)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
            page.get_by_text(f"{NAME} — ingested").wait_for()
            _idle(page)
            _no_exception(page)

            _area(page, "Ask")
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            chat.fill("本合同适用哪国法律？")
            chat.press("Enter")
            cite = page.locator('[data-testid="stChatMessage"] button', has_text=f"[D1 p.{article_page}").first
            cite.wait_for()
            _idle(page)
            answer = page.locator('[data-testid="stChatMessage"]').nth(1).inner_text()
            assert "适用中华人民共和国法律" in answer and "Not in the documents" not in answer, answer
            assert "第十二条" in answer
            _shot(page, "zh-01-ask")
            cite.click()
            pop = page.locator('[data-testid="stDialog"]').first
            img = pop.locator(f'img.ld-page[data-page="{article_page}"]')
            img.wait_for()
            assert NAME in pop.inner_text()
            import json

            boxes = json.loads(img.get_attribute("data-boxes"))
            assert boxes, "the quoted sentence is located on its page"
            shown = _pixels(base64.b64decode(img.get_attribute("src").split(",", 1)[1]))
            _no_exception(page)
            _shot(page, "zh-02-cited-page")
            # the original, downloaded from the page view under its Chinese name
            with page.expect_download() as got:
                pop.get_by_role("button", name="Download PDF").click()
            assert got.value.suggested_filename == NAME
            original = tmp / "original.pdf"
            got.value.save_as(str(original))
            assert original.read_bytes() == pdf.read_bytes()
            page.keyboard.press("Escape")
            pop.wait_for(state="detached")

            _area(page, "Summaries")
            page.get_by_role("button", name="Summarize").click()
            dl = page.get_by_role("button", name="Download PDF")
            dl.wait_for()
            _idle(page)
            _no_exception(page)
            summary_shown = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="D1 p.").first.inner_text()
            assert "适用中华人民共和国法律" in summary_shown, summary_shown
            _shot(page, "zh-03-summary")
            with page.expect_download() as info:
                dl.click()
            target = tmp / "summary.pdf"
            info.value.save_as(str(target))
        except Exception:
            _shot(page, "zh-99-failure")
            raise
        finally:
            browser.close()

    # the cited page as the viewer showed it differs from the plain page: the sentence is marked
    from app.answer import pages
    from app.config import load_settings

    s = load_settings(env={}, home=tmp / "home")
    plain = _pixels(pages.page_image(s, NAME, article_page, width=shown.shape[1]).png)
    assert plain.shape == shown.shape and (np.abs(plain - shown).sum(axis=2) > 30).sum() > 100

    # the PDF summary holds the Chinese the page showed, as text
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(target))
    text = re.sub(r"\s+", "", "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))))
    runs = _HAN_RUN.findall(summary_shown)
    assert runs, summary_shown
    missing = [r for r in runs if r not in text]
    assert not missing, (missing, text[:500])
