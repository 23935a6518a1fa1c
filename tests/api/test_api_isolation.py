"""The real server on loopback: an editor of alpha uploads a PDF, polls its job, asks and gets a cited
answer; a reader of beta never sees alpha's documents or text; roles and tokens are enforced."""

from __future__ import annotations

import json
import time

import httpx

from tests.api.conftest import A_PDF, A_PHRASES, auth, without_echo


def _no_alpha_text(payload) -> None:
    """No alpha phrase anywhere in what beta got back (the echo of beta's own question aside)."""
    text = json.dumps(without_echo(payload), ensure_ascii=False)
    for phrase in A_PHRASES:
        assert phrase.lower() not in text.lower(), f"beta saw alpha's text {phrase!r}"


def test_editor_uploads_polls_and_gets_a_cited_answer(api):
    job = api.a_job
    assert job["status"] == "ready" and job["doc_id"] and job["matter"] == "alpha"
    assert job["file"] == A_PDF.name and job["progress"] == 1.0
    assert "worker" not in job  # which host and pid ran it is nobody's business
    assert {"queued", "parsing", "embedding"} & set(job["seen"]) or job["seen"] == ["ready"]
    with api.client() as c:
        r = c.post("/v1/matters/alpha/ask", headers=auth(api.tokens["a_reader"]),
                   json={"question": "Which state's law governs this agreement?"})
        assert r.status_code == 200, r.text
        ans = r.json()
        assert ans["mode"] == "extractive" and ans["citations"], ans
        assert all(ci["verified"] for ci in ans["citations"])
        assert any(ci["doc_id"] == api.a_doc for ci in ans["citations"])
        assert "[D1 p." in ans["answer"]
        # the same JSON shape as `longdoc ask --json`
        assert {"question", "answer", "citations", "coverage", "documents", "cost_usd", "sentences"} <= set(ans)
        docs = c.get("/v1/matters/alpha/documents", headers=auth(api.tokens["a_reader"])).json()["documents"]
        assert [d["doc_id"] for d in docs] == [api.a_doc]
        assert "path" not in docs[0]  # the server's disk layout stays on the server


def test_streamed_ask_sends_deltas_then_the_same_answer(api):
    with api.client() as c:
        body = {"question": "How long does this agreement last?"}
        plain = c.post("/v1/matters/alpha/ask", headers=auth(api.tokens["a_reader"]), json=body).json()
        events = []
        with c.stream("POST", "/v1/matters/alpha/ask", json=body,
                      headers={**auth(api.tokens["a_reader"]), "Accept": "text/event-stream"}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            kind = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "delta" and kinds[-1] == "answer", kinds
    final = events[-1][1]
    assert final["answer"] == plain["answer"] and final["citations"] == plain["citations"]
    assert "".join(d["text"] for k, d in events if k == "delta") == final["answer"]


def test_beta_reader_never_sees_alpha(api):
    b = auth(api.tokens["b_reader"])
    with api.client() as c:
        # alpha's document ids: 404 under beta and under alpha, worded as for ids that never existed
        for path in (f"/v1/matters/beta/documents/{api.a_doc}", f"/v1/matters/alpha/documents/{api.a_doc}",
                     f"/v1/matters/alpha/documents/{api.a_doc[:8]}"):
            r = c.get(path, headers=b)
            assert r.status_code == 404, (path, r.text)
        unknown = c.get("/v1/matters/nosuch/documents", headers=b)
        granted_elsewhere = c.get("/v1/matters/alpha/documents", headers=b)
        assert unknown.status_code == granted_elsewhere.status_code == 404
        assert unknown.json()["error"].replace("nosuch", "X") == granted_elsewhere.json()["error"].replace("alpha", "X")
        assert c.delete(f"/v1/matters/beta/documents/{api.a_doc}", headers=auth(api.tokens["b_editor"])).status_code == 404
        assert c.get(f"/v1/jobs/{api.a_job['id']}", headers=b).status_code == 404
        # what beta does see: only its own matter and document
        assert c.get("/v1/matters", headers=b).json() == {"matters": [{"name": "beta", "role": "reader", "documents": 1}]}
        listing = c.get("/v1/matters/beta/documents", headers=b).json()
        assert [d["doc_id"] for d in listing["documents"]] == [api.b_doc]
        _no_alpha_text(listing)
        for body in ({"query": "Dynamex transportation services marketing agreement"},
                     {"query": "Dynamex", "docs": [api.a_doc]}):
            r = c.post("/v1/matters/beta/search", headers=b, json=body)
            if "docs" in body:
                assert r.status_code == 404, r.text  # alpha's id is unknown in beta
            else:
                assert r.status_code == 200 and r.json()["hits"], r.text
                assert {h["doc_id"] for h in r.json()["hits"]} == {api.b_doc}
            _no_alpha_text(r.json())
        r = c.post("/v1/matters/beta/ask", headers=b, json={"question": "What does the Dynamex agreement say about termination?"})
        assert r.status_code == 200
        assert {ci["doc_id"] for ci in r.json()["citations"]} <= {api.b_doc}
        _no_alpha_text(r.json())
        r = c.post("/v1/matters/beta/context", headers=b, json={"question": "Dynamex"})
        assert r.status_code == 200 and {p["doc_id"] for p in r.json()["passages"]} <= {api.b_doc}
        _no_alpha_text(r.json())


def test_roles_and_tokens(api):
    pdf = {"file": ("x.pdf", A_PDF.read_bytes(), "application/pdf")}
    with api.client() as c:
        # a beta reader cannot upload into alpha (not its matter: 404) nor into beta (reader: 403)
        assert c.post("/v1/matters/alpha/documents", headers=auth(api.tokens["b_reader"]), files=pdf).status_code == 404
        r = c.post("/v1/matters/beta/documents", headers=auth(api.tokens["b_reader"]), files=pdf)
        assert r.status_code == 403 and "editor" in r.json()["error"]
        assert c.delete(f"/v1/matters/alpha/documents/{api.a_doc}", headers=auth(api.tokens["a_reader"])).status_code == 403
        # no token, a wrong one, a malformed header: 401 on every /v1 route but health
        for headers in ({}, auth("ldk_not-a-token"), {"Authorization": "Basic abc"}):
            for method, path in (("GET", "/v1/matters"), ("GET", "/v1/matters/alpha/documents"),
                                 ("POST", "/v1/matters/alpha/search"), ("GET", f"/v1/jobs/{api.a_job['id']}")):
                r = c.request(method, path, headers=headers, json={"query": "x"})
                assert r.status_code == 401, (method, path, headers, r.text)
                assert r.json()["error"]
        assert c.get("/v1/health").status_code == 200
        # creating matters needs an all-matters admin token
        assert c.post("/v1/matters", headers=auth(api.tokens["a_editor"]), json={"name": "gamma"}).status_code == 403
        r = c.post("/v1/matters", headers=auth(api.tokens["admin"]), json={"name": "gamma"})
        assert r.status_code == 201 and r.json()["name"] == "gamma"
        assert c.post("/v1/matters", headers=auth(api.tokens["admin"]), json={"name": "gamma"}).status_code == 409
        names = [m["name"] for m in c.get("/v1/matters", headers=auth(api.tokens["admin"])).json()["matters"]]
        assert {"default", "alpha", "beta", "gamma"} <= set(names)
        assert "gamma" not in [m["name"] for m in c.get("/v1/matters", headers=auth(api.tokens["a_editor"])).json()["matters"]]


def test_exports_download_and_leave_nothing_behind(api):
    with api.client() as c:
        r = c.post("/v1/matters/alpha/ask/export?format=docx", headers=auth(api.tokens["a_reader"]),
                   json={"question": "Who are the parties?"})
        assert r.status_code == 200 and r.content[:2] == b"PK"
        assert 'filename="answer.docx"' in r.headers["content-disposition"]
        r = c.post("/v1/matters/alpha/compare/export?format=csv", headers=auth(api.tokens["a_reader"]),
                   json={"aspects": ["governing law", "term"]})
        assert r.status_code == 200 and "governing law" in r.text.lower()
        assert c.post("/v1/matters/alpha/summarize/export?format=xlsx", headers=auth(api.tokens["a_reader"]),
                      json={}).status_code == 422  # a summary is not a matrix
    out = api.home / "matters" / "alpha" / "out"
    for _ in range(50):  # removed by a background task once the download has been sent
        left = [p for p in out.rglob("*") if p.is_file()]
        if not left:
            break
        time.sleep(0.1)
    assert left == []


def test_openapi_lists_exactly_the_routes(api):
    spec = httpx.get(api.url + "/openapi.json").json()
    paths = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    want = {
        ("GET", "/v1/health"), ("GET", "/v1/matters"), ("POST", "/v1/matters"),
        ("GET", "/v1/matters/{m}/documents"), ("POST", "/v1/matters/{m}/documents"), ("GET", "/v1/jobs/{job_id}"),
        ("GET", "/v1/matters/{m}/documents/{doc_id}"), ("DELETE", "/v1/matters/{m}/documents/{doc_id}"),
        ("GET", "/v1/matters/{m}/documents/{doc_id}/pages/{page}"), ("GET", "/v1/matters/{m}/documents/{doc_id}/original"),
        ("POST", "/v1/matters/{m}/search"), ("POST", "/v1/matters/{m}/context"), ("POST", "/v1/matters/{m}/ask"),
        ("POST", "/v1/matters/{m}/summarize"), ("POST", "/v1/matters/{m}/compare"),
        ("POST", "/v1/matters/{m}/ask/export"), ("POST", "/v1/matters/{m}/summarize/export"),
        ("POST", "/v1/matters/{m}/compare/export"),
        # restorable deletes (issue 26; another matter's: tests/api/test_api_restore.py)
        ("GET", "/v1/matters/{m}/deleted"), ("POST", "/v1/matters/{m}/deleted/{doc_id}/restore"),
        # review jobs (issue 23; another matter's: tests/api/test_api_review.py)
        ("POST", "/v1/matters/{m}/reviews"), ("GET", "/v1/matters/{m}/reviews"), ("GET", "/v1/matters/{m}/reviews/{job_id}"),
        ("POST", "/v1/matters/{m}/reviews/{job_id}/resume"), ("POST", "/v1/matters/{m}/reviews/{job_id}/cancel"),
        ("GET", "/v1/matters/{m}/reviews/{job_id}/table"), ("GET", "/v1/matters/{m}/reviews/{job_id}/export"),
    }
    assert paths == want
    assert httpx.get(api.url + "/docs").status_code == 200


def test_tokens_never_reach_logs_or_answers(api):
    with api.client() as c:
        # a rejected token is not echoed back, nor written to the log
        r = c.get("/v1/matters", headers=auth("ldk_leak-me-not-0123456789"))
        assert r.status_code == 401 and "leak-me-not" not in r.text
        c.post("/v1/matters/alpha/search", headers=auth(api.tokens["a_reader"]), json={"query": "term"})
    files = [api.home / "serve.log", api.home / "jobs.sqlite3", api.home / "access.sqlite3"]
    for f in files:
        data = f.read_bytes()
        for secret in [*api.tokens.values(), "ldk_leak-me-not-0123456789"]:
            assert secret.encode() not in data, f"a token is in {f.name}"
