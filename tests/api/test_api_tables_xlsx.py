"""The HTTP API exports the tables an answer cites as XLSX (`…/ask/export?format=xlsx`) and says what a document's
"pages" are (`page_unit`) — the real `longdoc serve` and worker, a .docx made by python-docx (issue 24)."""

from __future__ import annotations

import io

from ingest.docx_render import soffice
from tests.api.conftest import auth, make_token, wait_job
from tests.ingest.test_docx_tables import ROWS, make_schedule


def test_ask_export_xlsx_holds_the_cited_table_and_documents_name_their_unit(api, tmp_path):
    from openpyxl import load_workbook

    with api.client() as c:
        r = c.post("/v1/matters", headers=auth(api.tokens["admin"]), json={"name": "tablesm"})
        assert r.status_code == 201, r.text
        tok = make_token(api.home, "tablesm", "reader")
        ed = make_token(api.home, "tablesm", "editor")
        src = make_schedule(tmp_path / "schedule.docx")
        r = c.post("/v1/matters/tablesm/documents", headers=auth(ed), files={"file": (src.name, src.read_bytes())})
        assert r.status_code == 202, r.text
        assert wait_job(c, r.json()["job_id"], ed)["status"] == "ready"
        r = c.post("/v1/matters/tablesm/ask/export", headers=auth(tok), params={"format": "xlsx"},
                   json={"question": "What is the amount of instalment 2?"})
        assert r.status_code == 200, r.text
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["Table 3", "Sources"]
        assert [tuple(x) for x in wb["Table 3"].iter_rows(min_row=3, max_row=2 + len(ROWS), values_only=True)] == ROWS
        r = c.post("/v1/matters/tablesm/ask/export", headers=auth(tok), params={"format": "xlsx"},
                   json={"question": "When does the Agreement begin?"})
        assert r.status_code == 400 and "cites no table" in r.json()["error"], r.text
        r = c.get("/v1/matters/tablesm/documents", headers=auth(tok))
        (doc,) = r.json()["documents"]
        assert doc["page_unit"] == ("pages" if soffice() is not None else "clauses"), doc
