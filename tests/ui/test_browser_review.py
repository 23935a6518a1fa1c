"""The Review area in a real browser (issue 23): add two questions, see the estimate, run the review over a small
library of real PDFs the test builds, watch its progress (and find it again after a reload), click a cell and see
its page with the clause highlighted, download the XLSX and read it back with openpyxl; a whole-library question in
Ask comes back as a review grid with a button to the Review area."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures.pdfs import small_contracts
from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, SHOTS, _area, _idle, _no_exception, _shot, launch, open_library

pytestmark = pytest.mark.slow

LAW = "Which law governs the agreement?"
TERM = "Can the agreement be terminated?"


@pytest.fixture()
def review_ui(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    from app.config import load_settings
    from app.library import documents as library

    home = tmp_path / "home"
    s = load_settings(env={}, home=home)
    pdfs = small_contracts(3)
    results = library.ingest(s, pdfs)
    assert all(r.status == "ingested" for r in results), [r.as_dict() for r in results]
    with running_ui(ui_env(home), tmp_path) as url:
        yield url, [p.name for p in pdfs], s


def _add(page, question: str) -> None:
    box = page.get_by_label("Question", exact=True)
    box.fill(question)
    box.press("Tab")
    _idle(page)
    page.get_by_role("button", name="Add question").click()
    page.get_by_text(question).first.wait_for()
    _idle(page)


def test_review_area_runs_a_job_opens_a_cell_and_downloads_the_xlsx(review_ui):
    from openpyxl import load_workbook
    from playwright.sync_api import sync_playwright

    url, names, _ = review_ui
    with sync_playwright() as pw:
        browser, page = launch(pw, 1400, 900, accept_downloads=True)
        try:
            open_library(page, url)
            _area(page, "Review")
            _add(page, LAW)
            _add(page, TERM)
            run = page.get_by_role("button", name="Run review")
            assert run.is_disabled(), "the run waits for the estimate"
            page.get_by_role("button", name="Estimate cost and time").click()
            page.get_by_text("3 documents × 2 questions = 6 cells").wait_for()
            _idle(page)
            assert run.is_enabled()
            run.click()
            page.get_by_text(re.compile(r"Review (queued|retrieving|running|ready): \d+/")).first.wait_for()
            page.locator('[data-testid="stProgress"]').first.wait_for()
            _shot(page, "20-review-progress")
            page.get_by_text(re.compile(r"Review ready: 3/3 documents")).first.wait_for()
            _idle(page)

            page.reload()  # a new session: the review is found again from its record
            page.get_by_role("heading", name="Library").wait_for()
            _idle(page)
            _area(page, "Review")
            page.get_by_text(re.compile(r"Review ready: 3/3 documents")).first.wait_for()
            cells = page.locator('[data-testid="stMain"] button:visible').filter(has_text=re.compile(r"^\W*\w*\s*p\.\d+$"))
            cells.first.wait_for()
            _idle(page)
            assert cells.count() == 6, [cells.nth(i).inner_text() + "|" + str(cells.nth(i).is_visible()) for i in range(cells.count())]
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert all(n in body for n in names) and LAW in body and TERM in body
            _no_exception(page)
            _shot(page, "21-review-grid", readme="review")

            cells.first.click()  # the first document's governing-law cell
            pop = page.locator('[data-testid="stDialog"]').first
            img = pop.locator("img.ld-page")
            img.wait_for()
            assert img.get_attribute("data-found") == "1", "the clause is highlighted on its page"
            boxes = json.loads(img.get_attribute("data-boxes"))
            top, bottom = min(b[1] for b in boxes), max(b[3] for b in boxes)
            assert 0 < bottom - top < 0.4, (top, bottom)  # the clause, not the whole page
            pop.get_by_text("Go to the highlighted passage").click()
            assert names[0] in pop.inner_text() or any(n in pop.inner_text() for n in names)
            _shot(page, "22-review-cell")
            page.keyboard.press("Escape")
            pop.wait_for(state="detached")

            dl = page.get_by_role("button", name="Download XLSX")
            dl.wait_for()
            with page.expect_download() as info:
                dl.click()
            target = SHOTS / "review.xlsx"
            SHOTS.mkdir(parents=True, exist_ok=True)
            info.value.save_as(str(target))

            # a whole-library question in Ask is answered by a review, with the way to the Review area
            _area(page, "Ask")
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            wide = "Which contracts can be terminated by either party?"
            chat.fill(wide)
            chat.press("Enter")
            page.get_by_text("Reviewed 3 documents").first.wait_for()
            to_review = page.get_by_role("button", name="Open in Review")
            to_review.wait_for()
            _idle(page)
            msg = page.locator('[data-testid="stChatMessage"]').nth(1)
            assert msg.locator("button:visible").filter(has_text=re.compile(r"p\.\d+$")).count() == 3
            _no_exception(page)
            to_review.click()
            page.get_by_role("heading", name="Review").wait_for()
            _idle(page)
            listed = page.locator('[data-testid="stMain"]').inner_text()
            assert wide in listed and "Run review" in listed
        except Exception:
            _shot(page, "99-review-failure")
            raise
        finally:
            browser.close()

    wb = load_workbook(target)
    ws = wb["review"]
    assert [ws["A1"].value, ws["B1"].value, ws["C1"].value] == ["document", LAW, TERM]
    assert sorted(ws.cell(row=r, column=1).value for r in range(2, 5)) == sorted(names)
    for r in range(2, 5):
        for c in (2, 3):
            v = ws.cell(row=r, column=c).value
            assert re.match(r"(YES|NO|UNCLEAR): .*\(p\.\d+\)$", v, re.S), v
    assert wb["evidence"].max_row == 7  # a header and one row per cell


def test_a_running_review_shows_after_a_reload_stops_on_request_and_resumes(review_ui):
    """A review mid-way in another process (its record says running, 1 of 3 documents, held by a live process):
    a new browser session shows its progress; Stop asks its process to stop, and when it has (here: dies) the
    page says stopped by itself — not restarted, as a crashed review would be — and Resume finishes it."""
    import subprocess

    from playwright.sync_api import sync_playwright

    from app.library import review_records

    url, names, s = review_ui
    holder = subprocess.Popen(["sleep", "600"], start_new_session=True)
    try:
        job = review_records.create(s, [LAW], None, {"budget": 16000, "k": None, "concurrency": 4})
        review_records.update(s, job.id, status="running", pid=holder.pid, host=review_records.HOST, done=1, total=3,
                              doc=names[0])
        with sync_playwright() as pw:
            browser, page = launch(pw, 1400, 900)
            try:
                open_library(page, url)
                _area(page, "Review")
                page.get_by_text("Review running: 1/3 documents").first.wait_for()
                page.locator('[data-testid="stProgress"]').first.wait_for()
                _shot(page, "23-review-running")
                page.reload()
                page.get_by_role("heading", name="Library").wait_for()
                _idle(page)
                _area(page, "Review")
                page.get_by_text("Review running: 1/3 documents").first.wait_for()
                page.get_by_role("button", name="Stop").click()
                _idle(page)
                assert review_records.cancel_requested(s, job.id)
                holder.kill()
                holder.wait()
                page.get_by_text("Review stopped").first.wait_for()  # the page polls the record by itself
                _shot(page, "24-review-stopped")
                page.get_by_role("button", name="Resume").click()
                page.get_by_text("Review ready: 3/3 documents").first.wait_for()
                _idle(page)
                cells = page.locator('[data-testid="stMain"] button:visible').filter(has_text=re.compile(r"p\.\d+$"))
                assert cells.count() == 3
                _no_exception(page)
            except Exception:
                _shot(page, "99-review-resume-failure")
                raise
            finally:
                browser.close()
        done = review_records.get(s, job.id)
        assert done.status == "ready" and done.runs == 1 and done.computed == 3
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
