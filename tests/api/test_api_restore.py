"""Issue 26 item 5 over HTTP: a DELETE can be undone. The document is listed under its matter's deleted documents
(never another's), search stops seeing it at once, and POST …/restore ingests it again as a job."""

from __future__ import annotations

from tests.api.conftest import auth, wait_job

TEXT = b"Scratch note.\n\nThe boathouse at Pelican Quay is leased to Marlin Rowing Club until 2040.\n"


def test_a_deleted_document_is_listed_restorable_and_restored(api):
    ed, beta = auth(api.tokens["scratch_editor"]), auth(api.tokens["b_editor"])
    with api.client() as c:
        r = c.post("/v1/matters/scratch/documents", headers=ed, files={"file": ("boathouse.txt", TEXT, "text/plain")})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["job_id"], api.tokens["scratch_editor"])
        assert job["status"] == "ready", job
        doc = job["doc_id"]

        assert c.delete(f"/v1/matters/scratch/documents/{doc}", headers=ed).status_code == 200
        gone = c.get("/v1/matters/scratch/deleted", headers=ed).json()
        assert [d["doc_id"] for d in gone["deleted"]] == [doc] and gone["kept_days"] > 0
        assert "path" not in gone["deleted"][0]
        hits = c.post("/v1/matters/scratch/search", headers=ed, json={"query": "Pelican Quay boathouse lease"})
        assert hits.status_code in (200, 409) and doc not in hits.text  # 409: the matter is empty now
        # another matter neither lists nor restores it
        assert c.get("/v1/matters/beta/deleted", headers=beta).json()["deleted"] == []
        assert c.post(f"/v1/matters/beta/deleted/{doc}/restore", headers=beta).status_code == 404
        assert c.post(f"/v1/matters/scratch/deleted/{doc}/restore", headers=beta).status_code == 404
        r = c.post(f"/v1/matters/scratch/deleted/{doc}/restore", headers=ed)
        assert r.status_code == 202, r.text
        back = wait_job(c, r.json()["id"], api.tokens["scratch_editor"])
        assert back["status"] == "ready" and back["doc_id"] == doc, back
        assert c.get(f"/v1/matters/scratch/documents/{doc}", headers=ed).status_code == 200
        assert c.get("/v1/matters/scratch/deleted", headers=ed).json()["deleted"] == []
