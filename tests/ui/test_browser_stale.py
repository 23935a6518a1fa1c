"""Issue 26 item 5 in a real browser: after the Library, an area that hangs or fails (or a failing callback) leaves
none of the Library's widgets greyed on the page.

Streamlit keeps the previous run's elements, faded (`data-stale`), until a run ends; a container drawn where
another stood inherits its children. So an area that hangs on a store that does not answer (a Chroma server
stopped with SIGSTOP) showed the Library's uploader, jobs and table greyed below its header for as long as the
store hung; an area that fails showed them until the rest of the run was done. The area's container now moves
when the area changes (common.area_box), which removes the previous area at once.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time

import pytest

from tests.ui.server import running_ui, ui_env
from tests.ui.test_browser import CHROMIUM, _idle, _no_exception, launch, open_library

pytestmark = pytest.mark.slow

LETTER = ("OUTSOURCING AGREEMENT\n\nThis Outsourcing Agreement is made between Harbour Holdings Ltd and Quayside "
          "Logistics Inc.\n\n1. Governing law. This Agreement is governed by the laws of the Province of Ontario.\n")

# the main part's element containers that are drawn faded (stale ones of an earlier run) and can be seen: an
# empty placeholder (stEmpty, no box) is nothing on the page
STALE_IN_MAIN = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')]
  .filter(e => e.getAttribute('data-stale') === 'true' || parseFloat(getComputedStyle(e).opacity) < 0.99)
  .filter(e => e.getBoundingClientRect().height > 0 && !e.querySelector(':scope > [data-testid="stEmpty"]'))
  .map(e => (e.innerText || e.outerHTML).slice(0, 120))"""


@pytest.fixture()
def chroma(tmp_path):
    from ingest.chroma_server import start_chroma_server, stop_process

    proc, url = start_chroma_server(tmp_path / "db", tmp_path / "chroma.log")
    try:
        yield proc, url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGCONT)  # a stopped server must be able to receive its SIGTERM
        except OSError:
            pass
        stop_process(proc)


@pytest.fixture()
def ui_server(tmp_path, chroma):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    proc, curl = chroma
    with running_ui(ui_env(tmp_path / "home", LONGDOC_CHROMA_URL=curl, LONGDOC_WORKERS="1"), tmp_path) as url:
        yield url, tmp_path, proc


def _click_area(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] label[data-testid="stRadioOption"]').filter(has_text=name).first.click()


def _library_with_a_document(page, tmp) -> None:
    _click_area(page, "Library")
    page.get_by_role("heading", name="Library").first.wait_for()
    _idle(page)
    if page.get_by_text("Documents (1)").count() == 0:
        letter = tmp / "outsourcing.txt"
        letter.write_text(LETTER)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(letter)])
        page.get_by_text("Documents (1)").wait_for()
        _idle(page)
    assert page.evaluate(STALE_IN_MAIN) == []


def _library_gone(page) -> None:
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Documents (1)").count() == 0, "the Library's table is still on the page"
    assert main.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0, "the Library's uploader is still on the page"


def test_an_area_that_hangs_or_fails_leaves_no_greyed_library_behind(ui_server):
    from playwright.sync_api import sync_playwright

    from ingest.chroma_server import stop_process

    url, tmp, chroma = ui_server
    with sync_playwright() as pw:
        browser, page = launch(pw, 1400, 900)
        try:
            open_library(page, url)
            _library_with_a_document(page, tmp)

            # 1. the store hangs (its server stopped): Search draws its header, then waits on the store
            os.killpg(chroma.pid, signal.SIGSTOP)
            try:
                _click_area(page, "Search")
                page.get_by_role("heading", name="Search").first.wait_for()
                deadline, stale = time.time() + 8, None
                while time.time() < deadline:
                    stale = page.evaluate(STALE_IN_MAIN)
                    if not stale:
                        break
                    page.wait_for_timeout(250)
                running = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
                assert running == "running", "the store did not hang: this step proves nothing"
                assert stale == [], f"the Library's widgets stay greyed while Search waits: {stale[:5]}"
                _library_gone(page)
            finally:
                os.killpg(chroma.pid, signal.SIGCONT)
            _idle(page)
            _no_exception(page)

            # 2. a callback fails (common.safe_callback): the delete asked for, the store gone before "Delete"
            _library_with_a_document(page, tmp)
            doc_id = hashlib.sha256(LETTER.encode()).hexdigest()  # a document's id is its bytes' hash
            page.locator(f".st-key-del_{doc_id} button:visible").first.click()
            confirm = page.locator(".st-key-confirm_box")
            confirm.wait_for()
            _idle(page)
            stop_process(chroma)
            confirm.get_by_role("button", name="Delete").click()
            page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]').first.wait_for()
            _idle(page)
            assert page.evaluate(STALE_IN_MAIN) == []
            _no_exception(page)

            # 3. the store fails (its server gone) after an area has drawn some widgets: Review draws its header
            #    and caption, then fails; the Documents picker and the warm-up fail after it
            _click_area(page, "Review")
            page.get_by_role("heading", name="Review").first.wait_for()
            _idle(page)
            page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]').first.wait_for()
            assert page.evaluate(STALE_IN_MAIN) == []
            _library_gone(page)
            _no_exception(page)
        finally:
            browser.close()


def test_a_failing_jobs_fragment_shows_a_message_not_streamlits_error_box(ui_server):
    """The Library's jobs panel reruns itself every second (st.fragment) while an ingest runs; those reruns run
    outside main's guard, so a store that went away showed Streamlit's redacted error box, faded between reruns."""
    from playwright.sync_api import sync_playwright

    from ingest.chroma_server import stop_process

    url, tmp, chroma = ui_server
    big = tmp / "long.txt"  # long enough that its ingest still runs when the store goes away
    big.write_text("\n\n".join(f"{i}. Clause {i}. The Supplier shall deliver the goods numbered {i} to the Buyer "
                               f"within {i} days of an order, and the Buyer shall pay within thirty days. " * 6
                               for i in range(1500)))
    with sync_playwright() as pw:
        browser, page = launch(pw, 1400, 900)
        try:
            open_library(page, url)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(big)])
            page.locator('[data-testid="stMain"] [data-testid="stProgress"]').first.wait_for()
            stop_process(chroma)
            page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]',
                         has_text="Library:").first.wait_for(timeout=30_000)
            page.wait_for_timeout(2500)  # two more reruns of the fragment
            _no_exception(page)
        finally:
            browser.close()
