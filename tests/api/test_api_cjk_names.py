"""Issue 25: a document with a Chinese file name through the HTTP API — upload, listing, page view, the original's
download (Content-Disposition with RFC 5987 `filename*`), answers and a PDF export that name it."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from tests.api.conftest import auth, wait_job
from tests.fixtures import zh_contract

NAME = "服务合同.pdf"


def test_a_chinese_file_name_end_to_end(api, tmp_path):
    pdf = zh_contract.build(tmp_path, NAME)
    if pdf is None:
        pytest.skip(zh_contract.NO_FONT)
    tok = api.tokens["scratch_editor"]
    base = "/v1/matters/scratch"
    with api.client() as c:
        r = c.post(f"{base}/documents", headers=auth(tok), files={"file": (NAME, pdf.read_bytes(), "application/pdf")})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["job_id"], tok)
        assert job["status"] == "ready", job
        doc = job["doc_id"]
        listed = c.get(f"{base}/documents", headers=auth(tok)).json()
        rows = listed["documents"] if isinstance(listed, dict) else listed
        assert any(d.get("file") == NAME for d in rows), rows
        page = zh_contract.page_of("第十二条")
        r = c.get(f"{base}/documents/{doc}/pages/{page}", headers=auth(tok), params={"highlight": "适用中华人民共和国法律"})
        assert r.status_code == 200 and r.headers["x-longdoc-highlight-found"] == "1"
        r = c.get(f"{base}/documents/{doc}/original", headers=auth(tok))
        assert r.status_code == 200 and r.content == pdf.read_bytes()
        disposition = r.headers["content-disposition"]
        assert "filename*=utf-8''" in disposition.lower(), disposition
        assert unquote(disposition.split("''", 1)[1]) == NAME
        r = c.post(f"{base}/ask", headers=auth(tok), json={"question": "本合同适用哪国法律？"})
        assert r.status_code == 200, r.text
        ans = r.json()
        assert any(ci["file"] == NAME and ci["page_start"] == page for ci in ans["citations"]), ans["citations"]
        r = c.post(f"{base}/summarize/export", headers=auth(tok), params={"format": "pdf"},
                   json={"style": "legal"})
        assert r.status_code == 200, r.text[:300]
        import io

        import pypdfium2 as pdfium

        doc_pdf = pdfium.PdfDocument(io.BytesIO(r.content))
        text = "".join(doc_pdf[i].get_textpage().get_text_range() for i in range(len(doc_pdf)))
        assert "适用中华人民共和国法律" in text.replace("\r", "").replace("\n", "")
