"""The page view over the API: a reader of alpha gets a page of alpha's contract as a PNG with a quote
highlighted — rendered from the copy the job's worker kept — and the original PDF; beta's reader gets
neither (404, as for ids that never existed)."""

from __future__ import annotations

import io

from tests.api.conftest import A_PDF, auth

QUOTE = "Marketing and Transportation Services"


def test_pages_and_the_original_pdf_per_matter(api):
    a, b = auth(api.tokens["a_reader"]), auth(api.tokens["b_reader"])
    base = f"/v1/matters/alpha/documents/{api.a_doc}"
    with api.client() as c:
        r = c.get(f"{base}/pages/1", headers=a, params={"highlight": QUOTE, "width": 600})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png" and r.headers["x-longdoc-highlight-found"] == "1"
        from PIL import Image

        assert Image.open(io.BytesIO(r.content)).size[0] == 600
        plain = c.get(f"{base}/pages/1", headers=a, params={"width": 600})
        assert plain.status_code == 200 and plain.headers["x-longdoc-highlight-found"] == "0"
        assert plain.content != r.content
        pdf = c.get(f"{base}/original", headers=a)
        assert pdf.status_code == 200 and pdf.content == A_PDF.read_bytes()
        assert pdf.headers["content-type"] == "application/pdf"
        r = c.get(f"{base}/pages/999", headers=a)
        assert r.status_code == 404 and "no page 999" in r.json()["error"]
        # beta: not its matter's document, under either matter
        for path in (f"{base}/pages/1", f"{base}/original", f"/v1/matters/beta/documents/{api.a_doc}/pages/1"):
            assert c.get(path, headers=b).status_code == 404, path
        # a text document has no page image: 409 with the reason
        r = c.get(f"/v1/matters/beta/documents/{api.b_doc}/pages/1", headers=b)
        assert r.status_code == 409 and "text file" in r.json()["error"]
