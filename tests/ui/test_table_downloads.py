"""The UI under an answer citing a table offers the cited tables as XLSX; the library counts a clause-paged Word
file in clauses (issue 24). AppTest against a real library holding a .docx made by python-docx."""

from __future__ import annotations

import io

import pytest

from tests.ingest.test_docx_tables import ROWS, make_schedule
from tests.ui.test_app import _app, _go, _text


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from app.config import load_settings
    from app.library import documents as library

    base = tmp_path_factory.mktemp("ui-tables")
    s = load_settings(env={}, home=base / "home", workers=0, docx_render="off")
    assert library.ingest(s, [make_schedule(base / "schedule.docx")])[0].status == "ingested"
    return s.home


def test_an_answer_citing_a_table_offers_it_as_xlsx(monkeypatch, tmp_path, home):
    from openpyxl import load_workbook

    at = _go(_app(monkeypatch, tmp_path, home), "Ask")
    at.chat_input(key="ask_input").set_value("What is the amount of instalment 2?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    buttons = [b for b in at.get("download_button") if b.proto.label == "Download the cited tables (XLSX)"]
    assert len(buttons) == 1
    wb = load_workbook(io.BytesIO(at.session_state["tables_xlsx"][next(iter(at.session_state["tables_xlsx"]))]))
    assert [tuple(r) for r in wb["Table 3"].iter_rows(min_row=3, max_row=2 + len(ROWS), values_only=True)] == ROWS
    at.chat_input(key="ask_input").set_value("When does the Agreement begin?").run()
    assert len([b for b in at.get("download_button") if b.proto.label.startswith("Download the cited")]) == 1, \
        "an answer citing no table offers none"


def test_the_library_counts_clauses(monkeypatch, tmp_path, home):
    at = _app(monkeypatch, tmp_path, home)
    assert " clauses" in _text(at)
