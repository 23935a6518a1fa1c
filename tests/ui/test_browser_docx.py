"""In a real browser: upload a Word file, ask, and open the cited clause — as a rendered page with the
words highlighted when LibreOffice is installed, as text with the reason when it is not (LONGDOC_DOCX_RENDER=off)."""

from __future__ import annotations

import re

import pytest

from ingest.docx_render import soffice
from tests.fixtures.word import make_contract
from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, _area, _idle, _no_exception, _shot, launch, open_library

pytestmark = pytest.mark.slow
QUESTION = "Within how many days must the Buyer pay each instalment?"


@pytest.mark.parametrize("render", ["auto", "off"])
def test_upload_a_docx_ask_and_open_the_cited_clause(render, tmp_path):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    if render == "auto" and soffice() is None:
        pytest.skip("LibreOffice (libreoffice-writer-nogui) not installed")
    src = make_contract(tmp_path / "supply.docx", filler=40)
    with running_ui(ui_env(tmp_path / "home", LONGDOC_DOCX_RENDER=render), tmp_path) as url, \
            sync_playwright() as pw:
        browser, page = launch(pw, 1300, 900)
        try:
            open_library(page, url)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(src))
            page.get_by_text("supply.docx — ingested").wait_for()
            _idle(page)
            _no_exception(page)

            _area(page, "Ask")
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            chat.fill(QUESTION)
            chat.press("Enter")
            # without LibreOffice the citation names the clauses its sentences lie in (12 to 12.3 here)
            want = "[D1 cl. 12" if render == "off" else "[D1 p."
            cite = page.locator('[data-testid="stChatMessage"] button', has_text=want).first
            cite.wait_for()
            _idle(page)
            _no_exception(page)
            assert "45 days" in page.locator('[data-testid="stChatMessage"]').nth(1).inner_text()
            cite.click()
            pop = page.locator('[data-testid="stDialog"]').first
            if render == "off":
                pop.get_by_text("without LibreOffice").first.wait_for()
                assert "cl. 12" in pop.inner_text() and "12.3 The Buyer shall pay" in pop.inner_text()
            else:
                img = pop.locator("img.ld-page").first
                img.wait_for()
                shown = pop.inner_text()
                # the rendered page of the cited passage, under the clause it lies in, its sentences marked
                assert "supply.docx" in shown and "12.3 The Buyer shall pay" in shown, shown[:300]
                cited = [int(x) for x in re.findall(r"\d+", cite.inner_text().split("p.", 1)[1])]
                assert cited[0] <= int(img.get_attribute("data-page")) <= cited[-1]
                assert img.get_attribute("data-found") == "1" and img.get_attribute("data-boxes") != "[]", \
                    "the quoted sentences are marked on the rendered page"
            _no_exception(page)
            _shot(page, f"09-docx-citation-{render}")
        except Exception:
            _shot(page, f"99-docx-failure-{render}")
            raise
        finally:
            browser.close()
