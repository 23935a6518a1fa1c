"""In a real browser: ask, click a citation, and the cited page appears with the quoted words highlighted —
across a page break (both pages) and on an OCR'd page.

`longdoc ui` runs against the samples' library with a generative backend: a real OpenAI-protocol server on
127.0.0.1 (tests/model/fakeserver.py) answers with two quotes. The image shown in the page is read back from
the browser and compared with the same page rendered without a highlight: every changed pixel must lie in
the boxes the page reports, and the quoted words — found by pdfium's own text search, or read back by
Tesseract on the scanned map — must be marked.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from tests.app.test_page_view import BREAK_SENTENCE, KING, SLIP, TESSERACT, changed, inside, pdfium_boxes, read_back
from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, STEP_MS, _area, _idle, _no_exception, _shot, launch, open_library

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

ANSWER = [
    'Minutes of the committee\'s meetings "', BREAK_SENTENCE, '" [D2 p.13–14]. ',
    'The first appendix is a "Map of Reach II" [D3 p.29].',
]


@pytest.fixture()
def ui_on_samples(samples_home, llm, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    env = ui_env(samples_home.home, LONGDOC_BACKEND="deepseek", LONGDOC_BASE_URL=llm.url + "/v1",
                 LONGDOC_MODEL="deepseek-flash", LONGDOC_API_KEY="sk-test-PAGES-0123", LONGDOC_MAX_RETRIES="0")
    with running_ui(env, tmp_path) as url:
        yield url


def _shown(page, number: int) -> tuple[np.ndarray, list]:
    """The page image the viewer shows for PDF page `number`, as pixels, and the boxes it reports."""
    import io
    import json

    from PIL import Image

    img = page.locator(f'[data-testid="stDialog"] img.ld-page[data-page="{number}"]')
    img.wait_for(timeout=STEP_MS)
    src = img.get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")).astype(int)
    return pixels, [tuple(b) for b in json.loads(img.get_attribute("data-boxes"))]


def _check_marked(samples_home, doc, number: int, shown: np.ndarray, boxes: list) -> np.ndarray:
    from app.answer import pages
    from app.answer.page_render import pixel_boxes
    from tests.app.test_page_view import _rgb

    plain = pages.page_image(samples_home, doc, number, width=shown.shape[1])
    assert plain.height == shown.shape[0]
    diff = changed(_rgb(plain.png), shown)
    assert diff.sum() > 100, f"page {number}: nothing is highlighted"
    assert not (diff & ~inside(diff, pixel_boxes(boxes, shown.shape[1], shown.shape[0]), pad=1)).any(), \
        f"page {number}: pixels changed outside the passage's boxes"
    return diff


def test_click_a_citation_and_see_the_page_with_the_passage_highlighted(ui_on_samples, samples_home, llm):
    from fakeserver import Scenario
    from playwright.sync_api import sync_playwright

    from app.answer import pages
    from app.library import documents as library

    store = library.get_store(samples_home)
    king, slip = store.find_document(KING), store.find_document(SLIP)
    llm.push(Scenario(content=ANSWER))
    with sync_playwright() as pw:
        browser, page = launch(pw, 1400, 950)
        try:
            open_library(page, ui_on_samples)
            _area(page, "Ask")
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            chat.fill("What happens to the minutes of the committee, and what is the first appendix?")
            chat.press("Enter")
            # the page-break citation: its printed pages and the PDF pages to open
            across = page.get_by_role("button", name="[D2 pp. 12–13 (PDF pp. 13–14)]")
            across.wait_for()
            _idle(page)
            _no_exception(page)
            assert "⚠" not in across.inner_text(), "the quote is verified"
            across.click()
            shown, boxes = _shown(page, 13)
            _idle(page)
            dialog = page.locator('[data-testid="stDialog"]')
            dialog.get_by_text("Go to the highlighted passage").click()
            page.wait_for_timeout(300)
            assert dialog.locator(".ld-page-frame").evaluate("e => e.scrollTop") > 0, "the link scrolls to the passage"
            _shot(page, "07-page-view", readme="page-view")
            diff = _check_marked(samples_home, king, 13, shown, boxes)
            pdf = pages.original_pdf(samples_home, king)
            for x0, y0, x1, y1 in pdfium_boxes(pdf, 13, "unanimous ratification", shown.shape[1], shown.shape[0]):
                assert diff[y0:y1, x0:x1].mean() > 0.3, "page 13: the quoted words are highlighted"
            # the passage runs onto the next page: Next shows its end, highlighted too
            page.locator('[data-testid="stDialog"]').get_by_role("button", name="Next ▶").click()
            shown, boxes = _shown(page, 14)
            diff = _check_marked(samples_home, king, 14, shown, boxes)
            for x0, y0, x1, y1 in pdfium_boxes(pdf, 14, "by both parties", shown.shape[1], shown.shape[0]):
                assert diff[y0:y1, x0:x1].mean() > 0.3, "page 14: the end of the quote is highlighted"
            assert page.locator('[data-testid="stDialog"]').get_by_role("button", name="Download PDF").count() == 1
            page.keyboard.press("Escape")
            page.locator('[data-testid="stDialog"]').wait_for(state="detached")

            # the OCR'd appendix map: highlighted from Tesseract's word boxes kept at ingest
            ocr_cite = page.get_by_role("button", name="[D3 p.29]")  # the appendix prints no page number
            ocr_cite.click()
            shown, boxes = _shown(page, 29)
            _idle(page)
            _no_exception(page)
            _shot(page, "08-page-view-ocr")
            assert "OCR" in page.locator('[data-testid="stDialog"]').inner_text()
            diff = _check_marked(samples_home, slip, 29, shown, boxes)
            if TESSERACT:
                from PIL import Image

                ys, xs = np.nonzero(diff)
                plain = pages.page_image(samples_home, slip, 29, width=shown.shape[1])
                import io

                crop = Image.open(io.BytesIO(plain.png)).crop((xs.min() - 10, ys.min() - 10, xs.max() + 10, ys.max() + 10))
                assert "reach" in read_back(crop), "Tesseract reads the quoted words back from the highlighted region"
        except Exception:
            _shot(page, "99-page-view-failure")
            raise
        finally:
            browser.close()
    sent = llm.requests[-1]["json"]["messages"][0]["content"]
    assert "[D2 p.13" in sent, "the model was shown PDF-page labels"
