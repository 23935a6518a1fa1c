"""The HTTP API takes a Word file like a PDF: upload → job → ask cites clause 12.3; a .doc, a zip bomb and an
encrypted .docx are refused at upload with one line saying why (the real `longdoc serve`, the real worker)."""

from __future__ import annotations

import zipfile

from ingest.docx_render import soffice
from tests.api.conftest import auth, make_token, wait_job
from tests.fixtures.word import make_contract


def test_upload_a_docx_and_ask_it(api, tmp_path):
    with api.client() as c:
        r = c.post("/v1/matters", headers=auth(api.tokens["admin"]), json={"name": "wordm"})
        assert r.status_code == 201, r.text
        tok = make_token(api.home, "wordm", "editor")
        src = make_contract(tmp_path / "supply.docx")
        r = c.post("/v1/matters/wordm/documents", headers=auth(tok),
                   files={"file": (src.name, src.read_bytes(),
                                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["job_id"], tok)
        assert job["status"] == "ready", job
        r = c.post("/v1/matters/wordm/ask", headers=auth(tok),
                   json={"question": "Within how many days must the Buyer pay each instalment?"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert "45 days" in body["answer"]
        cited = [x for x in body["citations"] if "within 45 days" in x["text"]]
        assert cited and "12.3" in cited[0]["section"] and cited[0]["file"] == "supply.docx"
        r = c.get(f"/v1/matters/wordm/documents/{job['doc_id']}/pages/{cited[0]['page_end']}", headers=auth(tok),
                  params={"highlight": "within 45 days of the invoice date"})
        if soffice() is not None:  # the worker laid it out: the page view is the rendered page, marked
            assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
            assert r.headers["X-Longdoc-Highlight-Found"] == "1"
            r = c.get(f"/v1/matters/wordm/documents/{job['doc_id']}/original", headers=auth(tok))
            assert r.status_code == 200 and r.content.startswith(b"%PDF-"), r.text[:200]
            assert 'filename="supply.pdf"' in r.headers["content-disposition"], "the rendering, named as a PDF"
        else:
            assert r.status_code == 409 and "without LibreOffice" in r.text, r.text

        # a Word 97–2003 file: refused at the door, saying what to save it as
        r = c.post("/v1/matters/wordm/documents", headers=auth(tok),
                   files={"file": ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "application/msword")})
        assert r.status_code == 415 and ".docx or PDF" in r.text, r.text

        # a zip bomb named .docx: refused at the door from its ZIP directory, before anything is inflated
        bomb = tmp_path / "bomb.docx"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("word/document.xml", b"<" + b"a" * (24 * 2**20) + b"/>")
        r = c.post("/v1/matters/wordm/documents", headers=auth(tok), files={"file": (bomb.name, bomb.read_bytes())})
        assert r.status_code == 422 and "zip bomb" in r.json()["error"] and "\n" not in r.json()["error"], r.text
        # a password-protected one, too, says what to do
        r = c.post("/v1/matters/wordm/documents", headers=auth(tok), files={"file": ("locked.docx", (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le")))})
        assert r.status_code == 422 and "without a password" in r.json()["error"], r.text
