"""Issue 26 item 5 in a real browser (Debian's chromium, 1,400 px wide, sidebar open): the Library's rows and
heads fit, a delete asks first and can be undone, the jobs panel says each thing once, a refused file says why,
citation buttons name their document, a failed area leaves nothing greyed behind — and the whole UI in Chinese.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, _area, _idle, _no_exception, launch, open_library

pytestmark = pytest.mark.slow

LETTER = ("OUTSOURCING AGREEMENT\n\nThis Outsourcing Agreement is made between Harbour Holdings Ltd and Quayside "
          "Logistics Inc.\n\n1. Governing law. This Agreement is governed by the laws of the Province of Ontario.\n\n"
          "2. Term. The Agreement ends on 31 December 2031 unless terminated earlier.\n")
MEMO = "Memorandum on office furniture.\n\nThe cafeteria menu changes every Monday. Chairs are replaced yearly.\n"


@pytest.fixture()
def ui_server(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    with running_ui(ui_env(tmp_path / "home", LONGDOC_WORKERS="1"), tmp_path) as url:
        yield url, tmp_path


def _upload(page, *paths) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(p) for p in paths])


def _jobs_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _lines(page, locator) -> int:
    """How many lines the text of `locator` is drawn on (1 = not wrapped)."""
    return locator.evaluate("""el => {
        const r = document.createRange(); r.selectNodeContents(el);
        return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; }""")


def test_library_rows_delete_restore_and_messages(ui_server):
    from playwright.sync_api import sync_playwright

    url, tmp = ui_server
    letter, memo = tmp / "outsourcing.txt", tmp / "memo.txt"
    letter.write_text(LETTER)
    memo.write_text(MEMO)
    broken = tmp / "broken.pdf"
    broken.write_bytes(b"<html>not a pdf at all</html>")
    slides = tmp / "slides.pptx"
    slides.write_bytes(b"PK\x03\x04 not something longdoc reads")
    with sync_playwright() as pw:
        browser, page = launch(pw, 1400, 900)
        try:
            open_library(page, url)
            _upload(page, letter, memo)
            page.get_by_text("Documents (2)").wait_for()
            _idle(page)
            _no_exception(page)

            # the delete icon is whole, inside its column and the window
            dels = page.locator('div[class*="st-key-del_"] button:visible')
            assert dels.count() == 2
            for i in range(dels.count()):
                button = dels.nth(i)
                b = button.bounding_box()
                col = button.locator("xpath=ancestor::*[@data-testid='stColumn'][1]").bounding_box()
                glyph = button.locator("span[role=img]").first
                g = glyph.bounding_box()
                clip = glyph.locator("xpath=ancestor::*[@data-testid='stMarkdownContainer'][1]")
                c = clip.bounding_box()
                assert b and col and g and c
                assert col["x"] - 0.5 <= b["x"] and b["x"] + b["width"] <= col["x"] + col["width"] + 0.5, (b, col)
                # the glyph lies whole inside what clips it (a sliver before: its box cut to a few pixels)
                assert c["x"] - 0.5 <= g["x"] and g["x"] + g["width"] <= c["x"] + c["width"] + 0.5, (g, c)
                assert clip.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the icon overflows its box"
                assert b["x"] + b["width"] <= 1400 and g["width"] >= 12, g
            # column heads are never broken inside a word ("Page s", "Chun ks")
            for name in ("Pages", "Chunks", "Ingested", "Date"):
                head = page.locator('[data-testid="stMarkdownContainer"] :is(strong, span)', has_text=re.compile(f"^{name}$"))
                assert _lines(page, head.first) == 1, f"the head {name!r} wraps"

            # delete asks first: one click only asks
            memo_id = hashlib.sha256(MEMO.encode()).hexdigest()  # a document's id is its bytes' hash
            page.locator(f".st-key-del_{memo_id} button:visible").first.click()
            confirm = page.locator(".st-key-confirm_box")
            confirm.wait_for()
            assert "memo.txt" in confirm.inner_text()
            _idle(page)
            assert page.get_by_text("Documents (2)").count() == 1, "the icon alone deleted the document"
            confirm.get_by_role("button", name="Delete").click()
            page.get_by_text("Documents (1)").wait_for()
            _idle(page)
            text = _jobs_text(page)
            assert "memo.txt — ingested" not in text, "a deleted document is still listed as ingested"
            # and it can be undone
            page.get_by_text("Recently deleted (1)").click()
            page.locator(f".st-key-restore_{memo_id} button:visible").first.click()
            page.get_by_text("Documents (2)").wait_for()
            _idle(page)
            _no_exception(page)

            # a re-upload says so once; a bad file is one row however often it is tried; a refused kind says why
            _upload(page, letter)
            page.get_by_text(re.compile(r"outsourcing\.txt — already in the library")).first.wait_for()
            _upload(page, broken)
            page.get_by_text(re.compile(r"broken\.pdf — unreadable")).first.wait_for()
            _upload(page, broken)
            _idle(page)
            page.wait_for_timeout(1500)
            _idle(page)
            text = _jobs_text(page)
            row = next(line for line in text.splitlines() if "outsourcing.txt — already" in line)
            assert row.count("already in the library") == 1, row
            assert len(re.findall(r"broken\.pdf — unreadable", text)) == 1, text
            _upload(page, slides)
            page.get_by_text(re.compile(r"slides\.pptx — refused: ")).first.wait_for()
            assert "not a PDF" in _jobs_text(page)

            # a citation button names its document as well as its label
            _area(page, "Ask")
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            chat.fill("Which law governs the Outsourcing Agreement?")
            chat.press("Enter")
            cite = page.locator('[data-testid="stChatMessage"] button', has_text="[D").first
            cite.wait_for()
            _idle(page)
            label = cite.inner_text().strip()
            assert re.match(r"^\[D\d+ p\.\d+[^\]]*\]\s*\S", label), label
            assert "Outsourcing" in label or "outsourcing" in label, label

            # the same page in Simplified Chinese, chosen in Settings
            _area(page, "Settings")
            page.locator(".st-key-set_lang input").first.click()
            page.get_by_role("option", name="简体中文").click()
            page.get_by_role("heading", name="设置").wait_for()
            _idle(page)
            page.locator('[data-testid="stSidebar"] label[data-testid="stRadioOption"]').filter(has_text="文档库").click()
            page.get_by_role("heading", name="文档库").wait_for()
            page.get_by_text("文档（2）").wait_for()
            _idle(page)
            assert page.get_by_text("导入任务").count() >= 1
            assert "Ingest jobs" not in _jobs_text(page)
            _no_exception(page)
        finally:
            browser.close()
