"""Reviews as jobs (issue 23): a review runs in its own process, its record shows per-document progress to any
face, its table is the CLI's, and a job killed midway and resumed computes only the missing cells — over a copy
of the samples library, with a real loopback DeepSeek-protocol server for the model runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

import pytest
from conftest import KING, env_for, generative
from test_review import LAW, TERM, SlowServer
from typer.testing import CliRunner

from app.answer import review_jobs
from app.answer.review import cache_dir
from app.faces.cli import cli
from app.library import review_records

VOLATILE = ("cached", "seconds", "retrieval_seconds", "computed", "usage", "cost_usd")


@pytest.fixture(scope="module")
def home(samples_home, tmp_path_factory):
    from app.library import documents as library

    dst = tmp_path_factory.mktemp("review_jobs") / "home"
    shutil.copytree(samples_home.home, dst)
    s = samples_home.replace(home=dst)
    yield s
    library.forget_stores(s)


@pytest.fixture
def fresh(home):
    shutil.rmtree(cache_dir(home), ignore_errors=True)
    return home


def wait_done(settings, job_id: str, timeout_s: float = 240, seen: list | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = review_jobs.get(settings, job_id)
        if seen is not None:
            seen.append((job.state, job.done, job.total))
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"review {job_id} not done: {review_jobs.get(settings, job_id)}")


def stable(table: dict) -> dict:
    """A table without what differs between two runs of it (timings, and cached vs computed)."""
    return {"questions": table["questions"],
            "rows": [{**r, "cells": [{k: v for k, v in c.items() if k not in VOLATILE} for c in r["cells"]]}
                     for r in table["rows"]]}


def test_a_review_job_records_progress_and_its_table_is_the_cli_table(fresh):
    job = review_jobs.start(fresh, [LAW, TERM])
    assert job.state in ("queued", "retrieving", "running") and job.questions == [LAW, TERM]
    assert "pid" not in job.as_dict() and "host" not in job.as_dict()
    seen: list = []
    done = wait_done(fresh, job.id, seen=seen)
    assert done.state == "ready", done
    assert done.total == 4 and done.done == 4 and done.computed == 8 and done.cached == 0
    assert done.as_dict()["progress"] == 1.0
    assert any(s == "running" and 0 < d <= t for s, d, t in seen) or seen[0][0] == "ready"
    table = review_jobs.table_json(fresh, job.id)
    assert [len(r["cells"]) for r in table["rows"]] == [2, 2, 2, 2]
    # the CLI's --json: the same table (computed by the job, now read from the cache)
    r = CliRunner().invoke(cli, ["review", LAW, "--question", TERM, "--json"], env=env_for(fresh))
    assert r.exit_code == 0, r.output
    cli_table = json.loads(r.stdout)
    assert cli_table["cached"] == 8 and cli_table["computed"] == 0
    assert stable(cli_table) == stable(table)
    # another reader (a reload) finds it as the matter's latest
    assert review_jobs.list_reviews(fresh)[0].id == job.id
    # the same review again: every cell from the cache, nothing computed, shown as done
    again = wait_done(fresh, review_jobs.start(fresh, [LAW, TERM]).id)
    assert again.state == "ready" and again.computed == 0 and again.cached == 8 and again.done == again.total == 4
    assert stable(review_jobs.table_json(fresh, again.id)) == stable(table)


def test_a_killed_review_job_resumes_computing_only_the_missing_cells(fresh):
    server = SlowServer(persona="deepseek").start()
    try:
        s = generative(fresh, server)
        job = review_jobs.start(s, [LAW, TERM], concurrency=1)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            rec = review_records.get(s, job.id)
            if rec.done >= 1:
                break
            time.sleep(0.05)
        rec = review_records.get(s, job.id)
        assert rec.status == "running" and 1 <= rec.done < 4, rec
        os.killpg(rec.pid, signal.SIGKILL)  # the job's process and its session: killed like a crash
        deadline = time.monotonic() + 30
        while review_jobs.get(s, job.id).state != "interrupted" and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = review_jobs.get(s, job.id)
        assert killed.state == "interrupted" and killed.finished, killed
        with pytest.raises(Exception) as e:
            review_jobs.table_json(s, job.id)
        assert getattr(e.value, "status", None) == 409
        have = len(list((cache_dir(s) / "cells").rglob("*.json")))
        assert 2 <= have < 8 and have % 2 == 0, have  # whole documents (one call holds both questions)
        before = len([r for r in server.requests if r["path"].endswith("/chat/completions")])
        review_jobs.resume(s, job.id)
        done = wait_done(s, job.id)
        assert done.state == "ready" and done.runs == 2, done
        assert done.cached == have and done.computed == 8 - have  # only the missing cells
        calls = len([r for r in server.requests if r["path"].endswith("/chat/completions")]) - before
        assert calls == (8 - have) // 2
        table = review_jobs.table_json(s, job.id)
        assert table["mode"] == "generative" and all(len(r["cells"]) == 2 for r in table["rows"])
        assert "SECRETKEY" not in json.dumps(table) and "SECRETKEY" not in json.dumps(done.as_dict())
        rec_file = review_records.jobs_dir(s) / f"{job.id}.json"
        assert "SECRETKEY" not in rec_file.read_text()
    finally:
        server.stop()


def test_a_review_job_of_another_matter_is_not_found(fresh):
    from app.errors import NotFound

    job = review_jobs.start(fresh, [LAW], [KING.name])
    other = fresh.replace(matter="elsewhere")
    with pytest.raises(NotFound):
        review_jobs.get(other, job.id)
    with pytest.raises(NotFound):
        review_jobs.table_json(other, job.id)
    assert review_jobs.list_reviews(other) == []
    wait_done(fresh, job.id)


def test_a_review_job_refuses_no_questions_and_unknown_documents(fresh):
    from app.errors import LongdocError

    with pytest.raises(LongdocError):
        review_jobs.start(fresh, ["  "])
    with pytest.raises(LongdocError):
        review_jobs.start(fresh, [LAW], ["no-such-document.pdf"])
    with pytest.raises(LongdocError):
        review_jobs.get(fresh, "../../etc/passwd")


def test_a_cells_page_view_opens_on_its_clause_not_the_whole_passage(fresh):
    from app.answer.highlight import squash
    from app.answer.review import review
    from app.answer.review_view import clause_targets
    from app.library import documents as library

    t = review(fresh, [LAW], [KING.name])
    c = t.rows[0].cells[0]
    where = clause_targets(fresh, t)[(c.doc_id, LAW)]
    assert where.text and squash(where.text) in squash(c.answer) and len(where.text) < len(c.evidence[0]["text"])
    chunks = [ch for ch in library.get_store(fresh).chunks(c.doc_id) if ch.page_start <= where.page <= ch.page_end]
    assert any(squash(where.text)[:120] in squash(ch.text) for ch in chunks)  # on the page it opens
    assert c.evidence[0]["page"] <= where.page <= c.evidence[0]["page_end"]


def test_a_review_job_refused_by_the_provider_fails_with_what_to_do_and_no_key(fresh):
    from fakeserver import FakeLLMServer, Scenario

    server = FakeLLMServer(persona="deepseek").start()
    try:
        server.push(*[Scenario(kind="status", status=401,
                               body={"error": {"message": "Authentication Fails (no such key)", "type": "auth"}})] * 8)
        s = generative(fresh, server)
        job = review_jobs.start(s, [LAW], [KING.name])
        done = wait_done(s, job.id)
        assert done.state == "failed" and done.message, done
        assert "internal error" not in done.message and "SECRETKEY" not in done.message
        assert "SECRETKEY" not in (review_records.jobs_dir(s) / f"{job.id}.log").read_text()
    finally:
        server.stop()
