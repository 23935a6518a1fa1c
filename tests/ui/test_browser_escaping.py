"""Issue 27: nothing from a document runs in the page. A document whose title, parties, file name and text carry
<img>, <a>, <script>, javascript: and Markdown link and image tricks is listed, searched, quoted, summarized,
compared, reviewed and opened in a real browser; none of it becomes an element or a link that hides where it leads in any
area, and the text stays readable as written."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import SAMPLES
from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, _area, _idle, _no_exception, launch, open_library

pytestmark = pytest.mark.slow

FILE = "evil [click](javascript:window.__pwned=5) <i>x.md"  # no "/": it is a file name
TEXT = """# <img src="x-planted.png" onerror="window.__pwned=1"> Services Agreement [home](https://evil.example/t)

This Services Agreement is made between <a href="https://evil.example/p">Evil Party</a> Inc. and
[Beta](https://evil.example/q) LLC. <script>window.__pwned=2</script>

1. Governing law. This agreement is governed by the laws of the State of New York. See
[the rules](javascript:window.__pwned=3) and ![logo](https://evil.example/logo.png) at www.evil.example and
<iframe src="https://evil.example/f"></iframe> for $5 or $6 :red[now].

2. Term. The term is [* ****] years and [*****] months from the Effective Date.
"""


def _clean(page, area: str) -> None:
    """No element made from the planted text, no script of it ran, and no link hides where it leads: a Markdown
    link trick stays text, and the only links are bare URLs the browser shows as they are (Streamlit turns any
    URL-looking text into a link after rendering; its visible text is then its destination)."""
    _no_exception(page)
    for sel in ('img[src*="x-planted"]', 'img[src*="evil.example"]', 'a[href^="javascript"]', "iframe"):
        found = page.locator(sel)
        assert found.count() == 0, f"{area}: {sel} became an element: " + found.first.evaluate(
            "e => (e.parentElement || e).outerHTML.slice(0, 600)")
    for link in page.locator('a[href*="evil.example"]').all():
        text, href = link.inner_text().strip(), unquote(link.get_attribute("href") or "")
        assert text and text.rstrip("/") in href, f"{area}: a link hides its destination: {text!r} → {href!r}"
    assert page.evaluate("typeof window.__pwned") == "undefined", f"{area}: a planted script ran"
    assert page.locator("script", has_text="__pwned").count() == 0, f"{area}: a planted <script> is in the page"


@pytest.fixture()
def planted_ui(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    from app.config import load_settings
    from app.library import documents as library

    home = tmp_path / "home"
    doc = tmp_path / FILE
    doc.write_text(TEXT, encoding="utf-8")
    s = load_settings(env={}, home=home)
    results = library.ingest(s, [doc, next(SAMPLES.glob("DYNAMEX*.PDF"))])
    assert all(r.status == "ingested" for r in results), [r.as_dict() for r in results]
    with running_ui(ui_env(home), tmp_path) as url:
        yield url


def test_no_document_text_becomes_markup_in_any_area(planted_ui):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page = launch(pw, 1400, 900)
        try:
            open_library(page, planted_ui)
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert "Documents (2)" in body
            assert "<i>x" in body or "[click](javascript" in body, "the file name is shown as written"
            _clean(page, "Library")

            _area(page, "Search")
            box = page.get_by_label("Search the documents")
            box.fill("governing law New York rules")
            box.press("Enter")
            page.locator("strong", has_text="1. ").first.wait_for()
            _idle(page)
            _clean(page, "Search")
            page.get_by_text("in context").first.click()
            _idle(page)
            _clean(page, "Search in context")

            _area(page, "Ask")
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            chat.fill("Which law governs the Services Agreement and what is its term?")
            chat.press("Enter")
            page.locator('[data-testid="stChatMessage"] button', has_text="D").first.wait_for()
            _idle(page)
            answer = page.locator('[data-testid="stChatMessage"]').nth(1).inner_text()
            _clean(page, "Ask")
            if "years" in answer:  # CUAD's redaction markers are shown as written, not as emphasis
                assert "[* ****] years" in answer or "[*****] months" in answer, answer
            page.locator('[data-testid="stChatMessage"] button', has_text="D").first.click()
            page.locator('[data-testid="stDialog"]').first.wait_for()
            _idle(page)
            _clean(page, "page view")
            page.keyboard.press("Escape")

            _area(page, "Summaries")
            page.get_by_role("button", name="Summarize").click()
            page.get_by_text("Download").first.wait_for()
            _idle(page)
            _clean(page, "Summaries")

            _area(page, "Compare")
            page.get_by_role("button", name="Compare").click()
            page.get_by_text("Download").first.wait_for()
            _idle(page)
            _clean(page, "Compare")

            _area(page, "Review")  # issue 23: the grid shows file names and clauses as written
            box = page.get_by_label("Question", exact=True)
            box.fill("Which law governs the agreement? See [the rules](javascript:window.__pwned=4) <b>now</b>")
            box.press("Tab")
            _idle(page)
            page.get_by_role("button", name="Add question").click()
            _idle(page)
            page.get_by_role("button", name="Estimate cost and time").click()
            page.get_by_text("2 documents × 1 questions").wait_for()
            _idle(page)
            page.get_by_role("button", name="Run review").click()
            page.get_by_text("Review ready").first.wait_for()
            page.get_by_role("button", name="Download XLSX").wait_for()
            _idle(page)
            _clean(page, "Review")
            grid = page.locator('[data-testid="stMain"]').inner_text()
            assert FILE in grid, "the file name is shown as written in the grid"
            assert "[the rules](javascript:window.__pwned=4) <b>now</b>" in grid, "the question is shown as written"
            # the planted document's cell quotes its clause with every Markdown special as written
            assert "[the rules](javascript:window.__pwned=3) and ![logo](https://evil.example/logo.png)" in grid, grid
            page.locator('[data-testid="stMain"] button:visible').filter(has_text="p.1").first.click()
            page.locator('[data-testid="stDialog"]').first.wait_for()
            _idle(page)
            _clean(page, "Review page view")
            page.keyboard.press("Escape")
        finally:
            shots = Path(__file__).resolve().parents[2] / "tests" / "output" / "ui"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "escaping-last.png"), full_page=True)
            browser.close()
