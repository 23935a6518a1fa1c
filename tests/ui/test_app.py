"""Each UI area driven with Streamlit's AppTest against a real store (the samples), no mocks.

The areas only call app/ functions, so what is checked here is the drawing and the wiring:
the right call with the session's documents and settings, results shown with pages and
citations, errors as messages (never an exception in the page), the key never echoed.
"""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
UI = str(ROOT / "app" / "faces" / "ui" / "main.py")
TIMEOUT = 180


def _home(fixture) -> Path:
    """The fixture may give the home folder itself or a Settings object."""
    if isinstance(fixture, (str, Path)):
        return Path(fixture)
    return Path(fixture.home)


def _app(monkeypatch, tmp_path, home: Path, **env) -> AppTest:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's working directory
    monkeypatch.setenv("LONGDOC_HOME", str(home))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(UI, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _go(at: AppTest, area: str) -> AppTest:
    at.sidebar.radio(key="area").set_value(area).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _docs(home: Path) -> dict[str, str]:
    """file name → doc_id of the documents in `home` (AppTest shows options by their labels)."""
    from app.config import load_settings
    from app.library import documents as library

    return {d.file: d.doc_id for d in library.list_documents(load_settings(env={"LONGDOC_HOME": str(home)}))}


def _text(at: AppTest) -> str:
    """What the page shows: the Markdown sources with their backslash escapes read as a browser shows them
    (text from documents is escaped so that it is never markup: app/ui_pages/common.md)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [s.value for s in at.success] + [w.value for w in at.warning] + [e.value for e in at.error]
    return _shown("\n".join(str(p) for p in parts))


def _shown(markdown: str) -> str:
    """A Markdown source as the browser shows it: backslash escapes read (app/ui_pages/common.md escapes text from
    documents so that it is never markup)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


# ---- Library -------------------------------------------------------------------------------


def test_library_lists_the_samples(monkeypatch, tmp_path, samples_home):
    at = _app(monkeypatch, tmp_path, _home(samples_home))
    text = _text(at)
    for pdf in SAMPLES.glob("*.[pP][dD][fF]"):
        assert pdf.name in text
    assert "Documents (4)" in [h.value for h in at.subheader][0]
    # the sidebar picker offers every document
    assert len(at.sidebar.multiselect(key="selected_docs").options) == 4


def _until_jobs_done(at: AppTest, timeout: float = TIMEOUT) -> AppTest:
    """Rerun the page (as its once-a-second refresh does) until no ingest job of the page is running."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        assert not at.exception, [e.value for e in at.exception]
        running = at.session_state["jobs_running"] if "jobs_running" in at.session_state else set()
        if not running:
            at.run()  # the run after the last job ended draws the documents
            return at
        assert time.monotonic() < deadline, _text(at)
        time.sleep(0.5)
        at.run()


def _job_id(home: Path, name: str, outcome: str) -> str:
    from app.config import load_settings
    from app.library import jobs

    s = load_settings(env={"LONGDOC_HOME": str(home)})
    return [j for j in jobs.list_jobs(s) if j.file == name and j.outcome == outcome][-1].id


def test_upload_ingest_password_retry_and_delete(monkeypatch, tmp_path):
    home = tmp_path / "home"
    # one parser process: this checks the page's wiring; the worker has its own tests (and the browser test)
    at = _app(monkeypatch, tmp_path, home, LONGDOC_WORKERS="1")
    assert "The library is empty" in _text(at)
    small = sorted(SAMPLES.glob("*.PDF"), key=lambda p: p.stat().st_size)[0]
    files = [
        (small.name, small.read_bytes(), "application/pdf"),
        ("copy.pdf", small.read_bytes(), "application/pdf"),  # same bytes: a duplicate
        ("notes.txt", b"This side letter is governed by the laws of Ontario.\n\nIt ends in 2031.", "text/plain"),
        ("fake.pdf", b"<html>not a pdf</html>", "application/pdf"),
    ]
    from tests.fixtures import pdfs

    encrypted = pdfs.encrypted_rc4_user_password()  # built from a sample page (no ../shared needed)
    files.append((encrypted.name, encrypted.read_bytes(), "application/pdf"))
    at.file_uploader(key="uploader").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    # the jobs are listed at once (queued or running), then finish in the local worker
    assert f"**{small.name}**" in _text(at)
    _until_jobs_done(at)
    text = _text(at)
    assert f"**{small.name}** — ingested" in text
    assert "**copy.pdf** — duplicate of" in text
    assert "**notes.txt** — ingested" in text
    assert "**fake.pdf** — unreadable" in text and "not a PDF" in text
    assert "Documents (2)" in at.subheader[0].value
    # everything landed in the data folder, nothing in the working directory
    assert not any(p.suffix.lower() in (".pdf", ".txt") for p in tmp_path.iterdir())
    kept = sorted(p.name for p in (home / "uploads").rglob("*") if p.is_file() and ".staging" not in p.parts)
    assert small.name in kept and "notes.txt" in kept and "fake.pdf" not in kept
    # the library records where the kept copy lies
    from app.config import load_settings as _ls
    from app.library import documents as _lib

    for d in _lib.list_documents(_ls(env={"LONGDOC_HOME": str(home)})):
        assert Path(d.path).is_file() and ".staging" not in Path(d.path).parts

    # the password round trip (on the job's own password field)
    assert f"**{encrypted.name}** — needs a password" in text
    jid = _job_id(home, encrypted.name, "needs_password")
    at.text_input(key=f"pw_{jid}").input("wrong-one")
    at.button(key=f"retry_{jid}").click().run()
    _until_jobs_done(at)
    assert "wrong password" in _text(at).lower()
    jid = _job_id(home, encrypted.name, "needs_password")
    at.text_input(key=f"pw_{jid}").input(pdfs.PASSWORD_RC4)
    at.button(key=f"retry_{jid}").click().run()
    _until_jobs_done(at)
    assert f"**{encrypted.name}** — ingested" in _text(at)
    assert "Documents (3)" in at.subheader[0].value
    # the password is never drawn back into the page (the file's own name happens to contain it)
    assert "openpassword" not in _text(at).replace("userpw_openpassword", "")
    assert all(not v.value for v in at.text_input if v.key and v.key.startswith("pw_"))

    # delete the text file from the table
    from app.config import load_settings
    from app.library import documents as library

    s = load_settings(env={"LONGDOC_HOME": str(home)})
    note = next(d for d in library.list_documents(s) if d.file == "notes.txt")
    at.button(key=f"del_{note.doc_id}").click().run()
    assert any(d.file == "notes.txt" for d in library.list_documents(s)), "the icon alone must only ask"
    assert "Delete **notes.txt** and all its chunks?" in _text(at)
    at.button(key="del_cancel").click().run()
    assert "Delete **notes.txt** and all its chunks?" not in _text(at)
    at.button(key=f"del_{note.doc_id}").click().run()
    at.button(key="del_confirm").click().run()
    assert "Deleted notes.txt" in _text(at)
    assert all(d.file != "notes.txt" for d in library.list_documents(s))
    assert not list((home / "uploads").rglob("notes.txt")), "the kept copy leaves the uploads (for the trash)"
    # its job no longer says "ingested"; it is listed under Recently deleted, and restored from there
    assert "**notes.txt** — ingested" not in _text(at)
    assert [e.file for e in library.recently_deleted(s)] == ["notes.txt"]
    at.button(key=f"restore_{note.doc_id}").click().run()
    _until_jobs_done(at)
    assert "**notes.txt** — ingested" in _text(at)
    assert any(d.file == "notes.txt" for d in library.list_documents(s))
    assert library.recently_deleted(s) == []


def test_oversized_upload_is_refused(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path, tmp_path / "home", LONGDOC_MAX_FILE_MB="1")
    big = b"%PDF-1.4\n" + b"0" * (2 * 2**20)
    at.file_uploader(key="uploader").set_value([("big.pdf", big, "application/pdf")]).run()
    text = _text(at)
    assert "**big.pdf** — refused: too large" in text and "1 MB limit" in text
    assert "The library is empty" in text


def test_a_broken_store_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LONGDOC_HOME", str(blocker))
    at = AppTest.from_file(UI, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.error, "expected an error message in the page"


# ---- Search --------------------------------------------------------------------------------


def test_search_shows_ranked_passages_with_pages_and_highlights(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Search")
    at.text_input(key="search_q").input("governing law").run()
    assert not at.exception and not at.error
    md = [m.value for m in at.markdown]
    heads = [m for m in md if m.startswith("**1. ")]
    assert heads and " · p." in _shown(heads[0])
    assert any("<mark>" in m and "governing" in m.lower() for m in md)
    # each hit opens in its page context, with the passage shaded
    assert any(_shown(e.label).startswith("Open p.") for e in at.expander)
    assert any("border-left:3px solid" in m for m in md)


def test_search_filters_by_document_and_domain(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Search")
    ids = _docs(_home(samples_home))
    scotus = next(i for f, i in ids.items() if "scotus" in f.lower())
    at.multiselect(key="search_docs").set_value([scotus])
    at.text_input(key="search_q").input("water").run()
    heads = [m.value for m in at.markdown if m.value.startswith("**1. ") or m.value.startswith("**2. ")]
    assert heads and all("tarrant" in h.lower() for h in heads)
    # a domain with no chosen document says so
    dom = at.multiselect(key="search_domains")
    other = [d for d in dom.options if d != "court opinion"]
    if other:
        dom.set_value([other[0]]).run()
        assert "No document matches these filters." in _text(at)


# ---- Ask -----------------------------------------------------------------------------------


def test_ask_extractive_with_citations_followup_and_new_conversation(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Ask")
    assert "Extractive mode" in _text(at)
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.chat_message) == 2
    answer_md = "\n".join(m.value for m in at.chat_message[1].markdown)
    assert "[D" in answer_md and "p." in answer_md
    # citations are buttons that open the cited page, the passage highlighted (the page viewer dialog)
    state = at.session_state["chat"]
    ans = state[-1]["answer"]
    assert ans.citations and ans.mode == "extractive"
    buttons = [b for b in at.chat_message[1].button if _shown(b.label).startswith("[D")]
    assert buttons and _shown(buttons[0].label).startswith(f"[{ans.citations[0].display_label}")
    buttons[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any('class="ld-page"' in m.value and 'data-found="1"' in m.value for m in at.markdown)
    assert any("cost" in c.value for c in at.chat_message[1].caption)
    assert any(e.label.startswith("Coverage") for e in at.expander)

    at.chat_input(key="ask_input").set_value("and what about termination?").run()
    assert not at.exception and not at.error
    assert len(at.chat_message) == 4
    follow = at.session_state["chat"][-1]["answer"]
    assert follow.rewritten_query and follow.rewritten_query != "and what about termination?"
    assert "termination" in follow.rewritten_query.lower()

    at.button(key="new_chat").click().run()
    assert len(at.chat_message) == 0 and at.session_state["chat"] == []


def test_ask_uses_only_the_selected_documents(monkeypatch, tmp_path, samples_home):
    at = _app(monkeypatch, tmp_path, _home(samples_home))
    one = next(i for f, i in _docs(_home(samples_home)).items() if f.upper().startswith("DYNAMEX"))
    at.sidebar.multiselect(key="selected_docs").set_value([one]).run()
    _go(at, "Ask")
    assert "1 selected document" in _text(at)
    at.chat_input(key="ask_input").set_value("What is the term of the agreement?").run()
    ans = at.session_state["chat"][-1]["answer"]
    assert ans.citations and {c.doc_id for c in ans.citations} == {one}


# ---- Summaries and Compare -----------------------------------------------------------------


def test_summary_with_downloads(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Summaries")
    ids = _docs(_home(samples_home))
    at.multiselect(key="sum_docs").set_value([ids[min(ids)]])
    at.selectbox(key="sum_style").set_value("legal")
    at.button(key="sum_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download Markdown", "Download DOCX", "Download PDF", "Download JSON"]
    result, stem, files = at.session_state["summary"]
    import docx
    import pypdf

    d = docx.Document(io.BytesIO(files[".docx"]))
    body = "\n".join(p.text for p in d.paragraphs)
    assert result.citations and result.citations[0].label in body + "\n".join(
        c.text for t in d.tables for r in t.rows for c in r.cells)
    assert files[".pdf"][:5] == b"%PDF-" and len(pypdf.PdfReader(io.BytesIO(files[".pdf"])).pages) >= 1
    assert b'"summary"' in files[".json"] and files[".md"].strip()
    assert not d.inline_shapes
    pdf_pages = len(pypdf.PdfReader(io.BytesIO(files[".pdf"])).pages)
    # the cited pages, highlighted, appended to the DOCX and PDF downloads on request
    at.checkbox(key="sum_page_images").check().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _, _, files = at.session_state["summary"]
    assert len(docx.Document(io.BytesIO(files[".docx"])).inline_shapes) >= 1
    assert len(pypdf.PdfReader(io.BytesIO(files[".pdf"])).pages) > pdf_pages


def test_compare_matrix_with_downloads(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Compare")
    ids = _docs(_home(samples_home))
    contracts = [i for f, i in sorted(ids.items()) if "scotus" not in f.lower()][:2]
    at.multiselect(key="cmp_docs").set_value(contracts)
    at.text_input(key="cmp_aspects").input("governing law, term")
    at.button(key="cmp_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # the matrix is a grid of cells; each cell's citation is a button that opens its page
    cells = "\n".join(m.value for m in at.markdown)
    assert "**governing law**" in cells and "**term**" in cells
    cell_buttons = [b for b in at.button if (b.key or "").startswith("cmp_cell")]
    assert cell_buttons and all(_shown(b.label).startswith("[D") for b in cell_buttons)
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download XLSX", "Download Markdown"]
    cell_buttons[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any('class="ld-page"' in m.value for m in at.markdown)
    assert "Download PDF" in [b.label for b in at.get("download_button")], "the viewer offers the original PDF"
    m, files = at.session_state["matrix"]
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(files[".xlsx"]))
    assert wb.active.max_row >= 2
    assert b"governing law" in files[".csv"].lower()


# ---- Settings ------------------------------------------------------------------------------


def test_settings_key_never_echoed_and_saved_0600_only_when_asked(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Settings")
    key = "sk-test-DO-NOT-SHOW-4242"
    at.selectbox(key="set_backend").set_value("deepseek")
    at.text_input(key="set_model").input("deepseek-flash")
    at.text_input(key="set_api_key").input(key)
    at.button(key="FormSubmitter:model_form-Apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["overrides"]["api_key"] == key
    assert at.text_input(key="set_api_key").value == ""
    assert key not in _text(at)
    assert "deepseek · deepseek-flash" in _text(at)
    assert not (tmp_path / ".env").exists()
    # the budget slider goes up to the model's window (1M) less the reserved answer and prompt
    slider = at.slider(key="set_budget")
    assert slider.max == 1_048_576 - 8192 - 2048
    assert "$" in _text(at) and ("at the peak rate" in _text(at) or "at the off-peak rate" in _text(at))
    assert at.selectbox(key="set_effort").options == ["default", "low", "high", "max"]
    # now ask for it to be saved
    at.text_input(key="set_api_key").input(key)
    at.checkbox(key="set_save_key").check()
    at.button(key="FormSubmitter:model_form-Apply").click().run()
    env = tmp_path / ".env"
    assert env.exists() and stat.S_IMODE(env.stat().st_mode) == 0o600
    assert key in env.read_text()
    assert key not in _text(at)
    # and the Ask area now estimates before sending
    _go(at, "Ask")
    assert "Extractive mode" not in _text(at)
    at.button(key="ask_estimate").click().run()
    assert any("Next call: about" in c.value for c in at.caption), _text(at)


def test_settings_with_a_retired_model_say_what_to_set_and_keep_the_form(monkeypatch, tmp_path, samples_home):
    at = _app(monkeypatch, tmp_path, _home(samples_home), LONGDOC_BACKEND="deepseek", LONGDOC_MODEL="deepseek-reasoner",
              DEEPSEEK_API_KEY="sk-test-retired-4242")
    at.sidebar.radio(key="area").set_value("Settings").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("LONGDOC_MODEL=deepseek-flash with --thinking" in e for e in errors), errors
    at.text_input(key="set_model").input("deepseek-flash")
    at.checkbox(key="set_thinking").check()
    at.selectbox(key="set_effort").set_value("max")
    at.button(key="FormSubmitter:model_form-Apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    over = at.session_state["overrides"]
    assert over["model"] == "deepseek-flash" and over["thinking"] is True and over["effort"] == "max"
    assert "deepseek · deepseek-flash" in _text(at) and "a request switch" in _text(at)


# ---- Ask with a generative backend (a real OpenAI-protocol server on 127.0.0.1) --------------


def _generative(monkeypatch, tmp_path, home, url) -> AppTest:
    return _app(monkeypatch, tmp_path, home, LONGDOC_BACKEND="openai", LONGDOC_BASE_URL=url + "/v1",
                LONGDOC_MODEL="fake-model", LONGDOC_API_KEY="sk-test-UI-SECRET-123", LONGDOC_MAX_RETRIES="0")


def test_ask_generative_streams_with_reasoning_usage_and_history(monkeypatch, tmp_path, samples_home, llm):
    from fakeserver import Scenario

    llm.push(
        Scenario(content=["The agreements are governed by ", "the law of the stated state [D1 p.1]."],
                 reasoning=["Looking for the ", "governing-law clause."]),
        Scenario(content=["Either party may terminate on notice [D1 p.1]."]),
    )
    at = _go(_generative(monkeypatch, tmp_path, _home(samples_home), llm.url), "Ask")
    text = _text(at)
    assert "Extractive mode" not in text and "fake-model" in text
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ans = at.session_state["chat"][-1]["answer"]
    assert ans.mode == "generative" and "governed by" in ans.answer
    assert ans.reasoning.startswith("Looking for the")
    exp = next(e for e in at.chat_message[1].expander if e.label == "Reasoning")
    assert exp.proto.expanded is False
    assert any("prompt 1,000 tokens (600 cached)" in c.value for c in at.chat_message[1].caption)
    assert any(_shown(b.label).startswith("[D1 p.1") for b in at.chat_message[1].button)

    at.chat_input(key="ask_input").set_value("and what about termination?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sent = llm.requests[-1]["json"]["messages"]
    contents = [m.get("content") or "" for m in sent]
    assert any("governed by" in c for c in contents), "the earlier answer goes back to the model"
    assert not any("governing-law clause" in c for c in contents), "reasoning is never sent back"
    assert "sk-test-UI-SECRET-123" not in _text(at)


def test_model_faults_are_messages_that_say_what_to_do(monkeypatch, tmp_path, samples_home, llm):
    from fakeserver import Scenario

    llm.push(Scenario(kind="status", status=401, body={"error": {"message": "Authentication Fails", "type": "auth"}}))
    at = _go(_generative(monkeypatch, tmp_path, _home(samples_home), llm.url), "Ask")
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "API key" in errors
    assert "sk-test-UI-SECRET-123" not in errors
    assert at.session_state["chat"] == [], "a failed call leaves no dangling question"
    llm.push(Scenario(kind="status", status=429, body={"error": {"message": "Rate limit reached", "type": "rate"}}))
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception
    assert "wait a minute and retry" in " ".join(e.value for e in at.error)  # the words every face uses (present)
