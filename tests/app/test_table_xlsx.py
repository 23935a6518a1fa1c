"""An answer citing a table exports that table, whole, as XLSX (issue 24); a Word file read without LibreOffice
is counted and cited by clauses in the library list, `longdoc docs`, the API's document rows and the CLI's
Sources line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.ingest.test_docx_tables import ROWS, make_schedule

Q = "What is the amount of instalment 2?"


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    from app.config import load_settings
    from app.library import documents as library

    base = tmp_path_factory.mktemp("xlsx")
    s = load_settings(env={}, home=base / "home", workers=0, docx_render="off")
    assert library.ingest(s, [make_schedule(base / "schedule.docx")])[0].status == "ingested"
    return s


def _sheets(path):
    from openpyxl import load_workbook

    wb = load_workbook(str(path))
    return {ws.title: [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets}


def test_xlsx_export_holds_the_cited_table_whole(lib, tmp_path):
    from app.answer.ask import ask
    from app.answer.export import export
    from app.answer.table_export import tables_for

    a = ask(lib, Q)
    assert "Instalment 2 · Amount (EUR) = 240,000" in a.answer
    sheets = _sheets(export(a, tmp_path / "tables.xlsx", tables=tables_for(lib, a, ".xlsx")))
    assert list(sheets) == ["Table 3", "Sources"]
    rows = sheets["Table 3"]
    assert rows[0][0] == "Table 3 – Payment schedule"
    assert rows[1] == ["Instalment", "Due date", "Amount (EUR)", "Condition"]
    assert [tuple(r) for r in rows[2:2 + len(ROWS)]] == ROWS, "every row, across the table's blocks, once"
    assert "cl. 12.2" in rows[-1][0]
    assert sheets["Sources"][1][2] == "cl. 12.2"


def test_xlsx_of_an_answer_without_a_table_is_refused(lib, tmp_path):
    from app.answer.ask import ask
    from app.answer.export import export
    from app.answer.table_export import tables_for
    from app.errors import ExportError

    a = ask(lib, "When does the Agreement begin and how long does it continue?")
    assert a.citations and tables_for(lib, a, ".md") is None
    tables = tables_for(lib, a, ".xlsx")
    assert tables == [], [c.text for c in a.citations]
    with pytest.raises(ExportError, match="cites no table"):
        export(a, tmp_path / "t.xlsx", tables=tables)
    assert not (tmp_path / "t.xlsx").exists()


def test_cli_exports_tables_and_names_clauses(lib, tmp_path):
    from app.faces.cli import cli

    env = {"LONGDOC_HOME": str(lib.home), "LONGDOC_DOCX_RENDER": "off"}
    runner = CliRunner()
    out = tmp_path / "tables.xlsx"
    r = runner.invoke(cli, ["ask", Q, "--export", str(out)], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "[D1 cl. 12.2] schedule.docx, cl. 12.2" in r.stdout, r.stdout  # not the internal "D1 p.14"
    assert _sheets(out)["Table 3"][3][:3] == ["Instalment 2", "2 March 2027", "240,000"]
    r = runner.invoke(cli, ["docs"], env={**env, "COLUMNS": "200"}, catch_exceptions=False)
    assert r.exit_code == 0 and "clauses" in r.stdout, r.stdout
    assert "1 documents, 0 pages, " in r.stdout and " clauses, " in r.stdout


def test_library_rows_and_api_json_say_clauses(lib):
    from app.library import documents as library

    d = library.list_documents(lib)[0]
    assert library.page_count(d) == f"{d.pages} clauses" and library.profile_row(d)["page_unit"] == "clauses"
    data = json.loads(json.dumps(library.document_json(d)))
    assert data["page_unit"] == "clauses" and data["pages"] == d.pages
