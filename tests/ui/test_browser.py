"""End to end in a real browser: `longdoc ui` on a free port, Debian's chromium driven by Playwright.

Upload a sample PDF, see it listed, search, ask and open a citation, summarize and download the
DOCX (checked with python-docx). A screenshot is taken at every step into tests/output/ui/; the
README's screenshots (docs/screenshots/) are small copies of these.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import OUTPUT, SAMPLES
from tests.ui.server import running_ui, ui_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = OUTPUT / "ui"
README_SHOTS = ROOT / "docs" / "screenshots"
STEP_MS = 180_000  # one step may include loading the embedder on a busy 2-core machine

pytestmark = pytest.mark.slow


@pytest.fixture()
def ui_server(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    with running_ui(ui_env(tmp_path / "home"), tmp_path) as url:
        yield url, tmp_path


def _shot(page, name: str, readme: str | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    # the README's copies are refreshed on request (UPDATE_SCREENSHOTS=1) or when missing, so that
    # an ordinary test run leaves the committed files alone
    if readme and (os.environ.get("UPDATE_SCREENSHOTS") == "1" or not (README_SHOTS / f"{readme}.png").exists()):
        _small_copy(path, README_SHOTS / f"{readme}.png")


def _small_copy(src: Path, dst: Path, width: int = 1000, max_bytes: int = 150_000) -> None:
    """A README-sized copy: scaled down, palette-quantised PNG (≤ ~150 KB)."""
    from PIL import Image

    dst.parent.mkdir(parents=True, exist_ok=True)
    img = Image.open(src).convert("RGB")
    for w, colours in ((width, 128), (width, 64), (900, 48), (800, 32)):
        im = img.resize((w, round(img.height * w / img.width)), Image.LANCZOS) if img.width > w else img
        im.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
        if dst.stat().st_size <= max_bytes:
            return


def _area(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] label[data-testid="stRadioOption"]').filter(has_text=name).first.click()
    page.get_by_role("heading", name=name).first.wait_for(timeout=STEP_MS)
    _idle(page)


def _idle(page, timeout: int = STEP_MS) -> None:
    """Wait until Streamlit has finished the current script run (and its skeletons are drawn)."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    page.wait_for_timeout(400)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)


def launch(pw, width: int = 1400, height: int = 900, **options):
    """Chromium as every browser test runs it (Debian's, no sandbox, no GPU): the browser and one page whose steps
    wait up to STEP_MS."""
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    page = browser.new_page(viewport={"width": width, "height": height}, **options)
    page.set_default_timeout(STEP_MS)
    return browser, page


def open_library(page, url: str) -> None:
    """The UI's first screen (Library), its script run finished."""
    page.goto(url)
    page.get_by_role("heading", name="Library").wait_for()
    _idle(page)


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, "a traceback is shown in the page"


def test_upload_search_ask_summarize_in_a_browser(ui_server):
    from playwright.sync_api import sync_playwright

    url, tmp = ui_server
    pdf = next(SAMPLES.glob("DYNAMEX*.PDF"))
    with sync_playwright() as pw:
        browser, page = launch(pw, 1200, 800, accept_downloads=True)
        try:
            open_library(page, url)
            _shot(page, "00-empty")

            # 1. upload a PDF and wait for it to be listed
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
            page.get_by_text(f"{pdf.name} — ingested").wait_for()
            page.get_by_text("Documents (1)").wait_for()
            _idle(page)
            _no_exception(page)
            _shot(page, "01-library", readme="library")

            # 2. search for a term and see a passage with its page
            _area(page, "Search")
            box = page.get_by_label("Search the documents")
            box.fill("termination")
            box.press("Enter")
            first = page.locator("strong", has_text="1. ").first
            first.wait_for()
            _idle(page)
            head = page.locator('[data-testid="stMarkdownContainer"]', has_text="1. ").first.inner_text()
            assert pdf.name in head and "p." in head
            assert page.locator("mark").count() > 0
            page.get_by_text("in context").first.click()
            _shot(page, "02-search", readme="search")

            # 3. ask a question, see an answer with a citation, open the citation
            _area(page, "Ask")
            page.get_by_text("Extractive mode").wait_for()
            chat = page.locator('[data-testid="stChatInputTextArea"]')
            chat.fill("Which state's law governs this agreement?")
            t0 = time.monotonic()
            chat.press("Enter")
            cite = page.locator('[data-testid="stChatMessage"] button', has_text="[D1 p.").first
            cite.wait_for()
            # reported, not asserted: speed belongs in benchmarks, and CI machines vary
            print(f"first extractive answer shown after {time.monotonic() - t0:.1f} s")
            _idle(page)
            answer = page.locator('[data-testid="stChatMessage"]').nth(1).inner_text()
            assert "[D1 p." in answer
            _shot(page, "03-ask", readme="ask")
            cite.click()  # opens the cited page, the passage highlighted (tests/ui/test_browser_pages.py checks the pixels)
            pop = page.locator('[data-testid="stDialog"]').first
            pop.locator("img.ld-page").wait_for()
            assert pdf.name in pop.inner_text() and "p." in pop.inner_text()
            _no_exception(page)
            _shot(page, "03b-ask-citation", readme="ask-citation")
            page.keyboard.press("Escape")
            pop.wait_for(state="detached")

            # 4. summarize and download the DOCX
            _area(page, "Summaries")
            page.get_by_role("button", name="Summarize").click()
            dl = page.get_by_role("button", name="Download DOCX")
            dl.wait_for()
            _idle(page)
            _no_exception(page)
            _shot(page, "04-summary", readme="summaries")
            with page.expect_download() as info:
                dl.click()
            target = SHOTS / "summary.docx"
            info.value.save_as(str(target))

            # 5. compare and settings, for the README
            _area(page, "Compare")
            page.get_by_label("Aspects, comma-separated").fill("governing law, term, termination")
            page.get_by_role("button", name="Compare").click()
            page.get_by_role("button", name="Download XLSX").wait_for()
            _idle(page)
            _no_exception(page)
            _shot(page, "05-compare", readme="compare")
            _area(page, "Settings")
            page.get_by_text("Context budget").wait_for()
            _shot(page, "06-settings", readme="settings")
        except Exception:
            _shot(page, "99-failure")
            raise
        finally:
            browser.close()

    import docx

    doc = docx.Document(str(target))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "D1 p." in text
    assert pdf.name in text or "Summary" in text
    # uploads went to the data folder, nothing into the working directory
    assert not list(tmp.glob("*.PDF")) and list((tmp / "home" / "uploads").rglob("*.PDF"))


def test_ingest_progress_survives_a_reload(ui_server):
    """An upload becomes a job; reloading the page (a new browser session) still shows it and its
    progress, and the page follows it to the end by itself. The job is held mid-way deterministically:
    this test holds the store's write lock, as another writer would, until the reload has been checked."""
    import fcntl

    from playwright.sync_api import sync_playwright

    url, tmp = ui_server
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    pdf = sorted(SAMPLES.glob("*.PDF"), key=lambda p: p.stat().st_size)[0]
    fd = os.open(home / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    locked = True
    with sync_playwright() as pw:
        browser, page = launch(pw, 1200, 800)
        try:
            open_library(page, url)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
            page.get_by_text("waiting for another longdoc process").first.wait_for()
            page.locator('[data-testid="stProgress"]').first.wait_for()  # Streamlit draws elements one by one
            _shot(page, "10-job-running", readme="library-job")

            page.reload()  # a fresh session: nothing of the upload is in its memory
            page.get_by_role("heading", name="Library").wait_for()
            row = page.get_by_text(pdf.name).first
            row.wait_for()
            page.get_by_text("waiting for another longdoc process").first.wait_for()
            page.locator('[data-testid="stProgress"]').first.wait_for()  # Streamlit draws elements one by one
            page.get_by_text("Documents (0)").wait_for()  # drawn after the jobs panel: waited for, not raced
            _no_exception(page)

            fcntl.flock(fd, fcntl.LOCK_UN)
            locked = False
            page.get_by_text(f"{pdf.name} — ingested").wait_for()  # the page follows the job by itself
            page.get_by_text("Documents (1)").wait_for()
            _no_exception(page)
            _shot(page, "11-job-done")
        except Exception:
            _shot(page, "99-failure-reload")
            raise
        finally:
            if locked:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            browser.close()
