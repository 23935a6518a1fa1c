"""Review over the real server (issue 23): start a review job, poll it, fetch its table (the CLI's --json) and
its files; whole-library questions in ask come back as a review; another matter's review is never visible —
over HTTP and MCP."""

from __future__ import annotations

import io
import json
import shutil
import time

import anyio
import pytest
from typer.testing import CliRunner

from tests.api.conftest import A_PHRASES, auth, make_token, start_server, stop_server

LAW = "Which law governs the agreement?"
TERM = "Can the agreement be terminated for convenience?"
VOLATILE = ("cached", "seconds", "retrieval_seconds", "computed", "usage", "cost_usd")


def wait_review(c, matter: str, job_id: str, token: str, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    states = []
    while time.monotonic() < deadline:
        r = c.get(f"/v1/matters/{matter}/reviews/{job_id}", headers=auth(token))
        assert r.status_code == 200, r.text
        job = r.json()
        states.append(job["state"])
        if job["state"] in ("ready", "stopped", "failed", "interrupted"):
            job["states"] = states
            return job
        time.sleep(0.2)
    raise AssertionError(f"review {job_id} not done: {states[-5:]}")


def stable(table: dict) -> dict:
    return {"questions": table["questions"],
            "rows": [{**r, "cells": [{k: v for k, v in c.items() if k not in VOLATILE} for c in r["cells"]]}
                     for r in table["rows"]]}


@pytest.fixture(scope="module")
def samples_api(samples_home, tmp_path_factory):
    """`longdoc serve` over a copy of the four sample contracts, with a reader token."""
    home = tmp_path_factory.mktemp("review_api") / "home"
    shutil.copytree(samples_home.home, home)
    token = make_token(home, "default", "reader")
    proc, url = start_server(home, home / "serve.log")
    try:
        yield url, home, token, samples_home.replace(home=home)
    finally:
        stop_server(proc)


def test_api_review_job_gives_the_cli_table_and_its_files(samples_api):
    import httpx
    from openpyxl import load_workbook

    from app.faces.cli import cli

    url, home, token, s = samples_api
    with httpx.Client(base_url=url, timeout=180) as c:
        est = c.post("/v1/matters/default/reviews", headers=auth(token),
                     json={"questions": [LAW, TERM], "dry_run": True})
        assert est.status_code == 202, est.text
        assert est.json()["dry_run"]["cells"] == 8 and est.json()["dry_run"]["cost_now_usd"] == 0.0
        r = c.post("/v1/matters/default/reviews", headers=auth(token), json={"questions": [LAW, TERM]})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        early = c.get(f"/v1/matters/default/reviews/{job_id}/table", headers=auth(token))
        assert early.status_code in (200, 409)
        job = wait_review(c, "default", job_id, token)
        assert job["state"] == "ready" and job["done"] == job["total"] == 4 and job["progress"] == 1.0, job
        assert "pid" not in job and "host" not in job
        table = c.get(f"/v1/matters/default/reviews/{job_id}/table", headers=auth(token)).json()
        listed = c.get("/v1/matters/default/reviews", headers=auth(token)).json()["reviews"]
        assert listed[0]["id"] == job_id
        x = c.get(f"/v1/matters/default/reviews/{job_id}/export", params={"format": "xlsx"}, headers=auth(token))
        assert x.status_code == 200, x.text
        wb = load_workbook(io.BytesIO(x.content))
        assert [wb["review"]["B1"].value, wb["review"]["C1"].value] == [LAW, TERM]
        assert wb["review"]["A2"].value == table["rows"][0]["doc"] and "(p." in wb["review"]["B2"].value
        for fmt in ("csv", "md", "docx", "json"):
            f = c.get(f"/v1/matters/default/reviews/{job_id}/export", params={"format": fmt}, headers=auth(token))
            assert f.status_code == 200 and f.content, fmt
        bad = c.get(f"/v1/matters/default/reviews/{job_id}/export", params={"format": "pptx"}, headers=auth(token))
        assert bad.status_code == 422
    # the shape ...
    assert table["questions"] == [LAW, TERM]
    for row in table["rows"]:
        assert {"doc", "doc_id", "cells"} <= set(row)
        for cell in row["cells"]:
            assert {"question", "verdict", "answer", "evidence"} <= set(cell)
            assert all({"text", "page"} <= set(e) for e in cell["evidence"])
    # ... and the CLI's table for the same library and questions
    r = CliRunner().invoke(cli, ["review", LAW, "--question", TERM, "--json"], env={"LONGDOC_HOME": str(home)})
    assert r.exit_code == 0, r.output
    assert stable(json.loads(r.stdout)) == stable(table)


def test_api_cancels_a_running_review_and_a_dead_one_restarts_by_itself(samples_api):
    """POST …/cancel asks the review's process to stop; one whose process died is started again by the next
    status read (here a record held by a stand-in process, then killed: as a crash leaves it)."""
    import subprocess

    import httpx

    from app.library import review_records

    url, home, token, s = samples_api
    holder = subprocess.Popen(["sleep", "600"], start_new_session=True)
    try:
        with httpx.Client(base_url=url, timeout=180) as c:
            def held() -> str:
                job = review_records.create(s, [LAW], None, {"budget": 16000, "k": None, "concurrency": 4})
                review_records.update(s, job.id, status="running", pid=holder.pid, host=review_records.HOST,
                                      done=1, total=4, runs=1)
                return job.id

            stop_id, dead_id = held(), held()
            r = c.post(f"/v1/matters/default/reviews/{stop_id}/cancel", headers=auth(token))
            assert r.status_code == 202 and r.json()["state"] == "running", r.text
            assert r.json()["message"] == "stopping on request"
            holder.kill()
            holder.wait()
            stopped = c.get(f"/v1/matters/default/reviews/{stop_id}", headers=auth(token)).json()
            assert stopped["state"] == "stopped" and stopped["recoveries"] == 0, stopped  # not restarted
            restarted = c.get(f"/v1/matters/default/reviews/{dead_id}", headers=auth(token)).json()
            assert restarted["state"] != "interrupted" and restarted["recoveries"] == 1, restarted
            done = wait_review(c, "default", dead_id, token)
            assert done["state"] == "ready" and done["runs"] == 2 and done["done"] == done["total"], done
            r = c.post(f"/v1/matters/default/reviews/{stop_id}/resume", headers=auth(token))
            assert r.status_code == 202, r.text
            assert wait_review(c, "default", stop_id, token)["state"] == "ready"
            again = c.post(f"/v1/matters/default/reviews/{stop_id}/cancel", headers=auth(token))
            assert again.status_code == 202 and again.json()["state"] == "ready"  # finished: left as it is
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_api_ask_answers_a_whole_library_question_with_the_review(samples_api):
    import httpx

    url, _, token, _ = samples_api
    with httpx.Client(base_url=url, timeout=180) as c:
        r = c.post("/v1/matters/default/ask", headers=auth(token),
                   json={"question": "Which contracts are governed by the laws of a state?"})
        assert r.status_code == 200, r.text
        ans = r.json()
        assert ans["context_mode"] == "review" and len(ans["review"]["rows"]) == 4
        assert ans["answer"].startswith("Reviewed 4 documents")
        one = c.post("/v1/matters/default/ask", headers=auth(token), json={"question": LAW}).json()
        assert "review" not in one


def test_a_review_in_one_matter_is_invisible_from_another(api):
    import httpx

    a, b = auth(api.tokens["a_reader"]), auth(api.tokens["b_reader"])
    with httpx.Client(base_url=api.url, timeout=180) as c:
        r = c.post("/v1/matters/alpha/reviews", headers=a, json={"questions": [LAW]})
        assert r.status_code == 202, r.text
        a_job = r.json()["id"]
        assert wait_review(c, "alpha", a_job, api.tokens["a_reader"])["state"] == "ready"
        for path in (f"/v1/matters/beta/reviews/{a_job}", f"/v1/matters/alpha/reviews/{a_job}",
                     f"/v1/matters/beta/reviews/{a_job}/table", f"/v1/matters/alpha/reviews/{a_job}/table",
                     f"/v1/matters/alpha/reviews/{a_job}/export"):
            assert c.get(path, headers=b).status_code == 404, path
        for path in (f"/v1/matters/beta/reviews/{a_job}/cancel", f"/v1/matters/alpha/reviews/{a_job}/cancel",
                     f"/v1/matters/beta/reviews/{a_job}/resume"):
            assert c.post(path, headers=b).status_code == 404, path
        assert c.post("/v1/matters/alpha/reviews", headers=b, json={"questions": [LAW]}).status_code == 404
        assert c.get("/v1/matters/beta/reviews", headers=b).json()["reviews"] == []
        r = c.post("/v1/matters/beta/reviews", headers=b, json={"questions": [LAW]})
        b_job = r.json()["id"]
        assert wait_review(c, "beta", b_job, api.tokens["b_reader"])["state"] == "ready"
        table = c.get(f"/v1/matters/beta/reviews/{b_job}/table", headers=b).json()
        assert [row["doc_id"] for row in table["rows"]] == [api.b_doc]
        blob = json.dumps(table).lower()
        assert not any(p.lower() in blob for p in A_PHRASES)

    # MCP: the same, through the SDK's client
    from tests.api.test_mcp import _data, _http

    async def main():
        async with _http(api, api.tokens["b_reader"]) as client:
            got = _data(await client.call_tool("review", {"questions": [TERM], "wait_s": 120}))
            assert got["job"]["state"] == "ready" and [r["doc_id"] for r in got["rows"]] == [api.b_doc]
            assert not any(p.lower() in json.dumps(got).lower() for p in A_PHRASES)
            status = _data(await client.call_tool("review_status", {"job_id": got["job"]["id"]}))
            assert status["questions"] == [TERM]
            other = await client.call_tool("review_status", {"job_id": a_job})
            assert other.is_error
            other = await client.call_tool("review_status", {"job_id": a_job, "matter": "alpha"})
            assert other.is_error
            stopped = _data(await client.call_tool("review_cancel", {"job_id": got["job"]["id"]}))
            assert stopped["job"]["state"] == "ready"  # it had finished: left as it is
            assert (await client.call_tool("review_cancel", {"job_id": a_job})).is_error
            assert (await client.call_tool("review_resume", {"job_id": a_job, "matter": "alpha"})).is_error

    anyio.run(main)


def test_review_routes_refuse_bad_input_with_a_clear_4xx(api):
    import httpx

    a = auth(api.tokens["a_reader"])
    bodies = [{}, {"questions": []}, {"questions": "x"}, {"questions": [""]}, {"questions": ["q" * 3000]},
              {"questions": ["q"], "extra": 1}, {"questions": ["q"], "budget": 0}, {"questions": ["q"], "k": 10_000},
              {"questions": ["q"] * 51}, {"questions": ["q"], "concurrency": 0}, {"questions": [1, 2]}]
    with httpx.Client(base_url=api.url, timeout=60) as c:
        for body in bodies:
            r = c.post("/v1/matters/alpha/reviews", headers=a, json=body)
            assert 400 <= r.status_code < 500 and "error" in r.json(), (body, r.status_code, r.text)
        r = c.post("/v1/matters/alpha/reviews", headers=a, json={"questions": ["q"], "docs": ["nosuch.pdf"]})
        assert r.status_code in (400, 404) and "error" in r.json(), r.text
        for jid in ("..", "%2e%2e", "a" * 5000, "..%2F..%2Fetc%2Fpasswd", "0" * 32, "*", "𝔞"):
            for tail in ("", "/table", "/export"):
                r = c.get(f"/v1/matters/alpha/reviews/{jid}{tail}", headers=a)
                assert r.status_code in (404, 422) and "error" in r.json(), (jid, tail, r.status_code, r.text)
            for tail in ("/resume", "/cancel"):
                r = c.post(f"/v1/matters/alpha/reviews/{jid}{tail}", headers=a)
                assert r.status_code in (404, 405, 422), (jid, tail, r.status_code)
        assert c.post("/v1/matters/alpha/reviews", json={"questions": ["q"]}).status_code == 401
