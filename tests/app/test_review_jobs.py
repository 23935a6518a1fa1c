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
from test_review import LAW, TERM, SlowServer, copied_samples
from typer.testing import CliRunner

from app.answer import review_jobs
from app.answer.review import cache_dir
from app.faces.cli import cli
from app.library import review_records

VOLATILE = ("cached", "seconds", "retrieval_seconds", "computed", "usage", "cost_usd")


@pytest.fixture(scope="module")
def home(samples_home, tmp_path_factory):
    yield from copied_samples(samples_home, tmp_path_factory, "review_jobs")


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
    # progress only goes forward (an extractive review of 4 documents can finish between two polls on a busy
    # machine; the slow-server tests below watch it stand mid-way)
    order = ("queued", "retrieving", "running", "ready")
    assert [order.index(s) for s, _, _ in seen] == sorted(order.index(s) for s, _, _ in seen), seen
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen), seen
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


def _wait_running(s, job_id: str, at_least: int = 1):
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        rec = review_records.get(s, job_id)
        if rec.done >= at_least and rec.status == "running":
            return rec
        time.sleep(0.05)
    raise AssertionError(f"review {job_id} never ran: {review_records.get(s, job_id)}")


def _model_calls(server) -> int:
    return len([r for r in server.requests if r["path"].endswith("/chat/completions")])


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped): a review's process killed by a crash."""
    import subprocess

    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_a_killed_review_job_is_restarted_by_the_next_reader_and_computes_only_the_missing_cells(fresh):
    server = SlowServer(persona="deepseek").start()
    try:
        s = generative(fresh, server)
        job = review_jobs.start(s, [LAW, TERM], concurrency=1)
        rec = _wait_running(s, job.id)
        assert 1 <= rec.done < 4, rec
        os.killpg(rec.pid, signal.SIGKILL)  # the job's process and its session: killed like a crash (OOM, reboot)
        deadline = time.monotonic() + 30
        while review_records.get(s, job.id).state != "interrupted" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert review_records.get(s, job.id).state == "interrupted"
        have = len(list((cache_dir(s) / "cells").rglob("*.json")))
        assert 2 <= have < 8 and have % 2 == 0, have  # whole documents (one call holds both questions)
        before = _model_calls(server)
        seen = review_jobs.get(s, job.id)  # a reader (a UI poll, the API, the CLI) notices: it runs again
        assert seen.state in ("queued", "retrieving", "running") and seen.recoveries == 1, seen
        assert seen.pid != rec.pid and review_records.process_alive(seen.pid)
        done = wait_done(s, job.id)
        assert done.state == "ready" and done.runs == 2 and done.recoveries == 1, done
        assert done.cached == have and done.computed == 8 - have  # only the missing cells
        assert _model_calls(server) - before == (8 - have) // 2
        table = review_jobs.table_json(s, job.id)
        assert table["mode"] == "generative" and all(len(r["cells"]) == 2 for r in table["rows"])
        assert "SECRETKEY" not in json.dumps(table) and "SECRETKEY" not in json.dumps(done.as_dict())
        rec_file = review_records.jobs_dir(s) / f"{job.id}.json"
        assert "SECRETKEY" not in rec_file.read_text()
    finally:
        server.stop()


def _interrupted(s, **more):
    """A review record left "running" by a process that died (as a crash leaves it)."""
    job = review_records.create(s, [LAW], [KING.name], {"budget": 16000, "k": None, "concurrency": 2})
    review_records.update(s, job.id, status="running", pid=_dead_pid(), host=review_records.HOST, done=0, total=1,
                          runs=1, **more)
    assert review_records.get(s, job.id).state == "interrupted"
    return job


def test_a_review_that_keeps_dying_fails_with_the_reason_after_the_retries(fresh):
    s = fresh.replace(review_retries=2)
    job = _interrupted(s, recoveries=2)  # restarted twice already, and dead again
    got = review_jobs.get(s, job.id)
    assert got.state == "failed" and got.runs == 1 and got.recoveries == 2, got
    assert "stopped unexpectedly 3 times" in got.message and "Resume" in got.message
    assert {j.id: j for j in review_jobs.list_reviews(s)}[job.id].state == "failed"  # stays failed
    # one retry left: restarted (the list is a reader too), and it finishes
    job = _interrupted(s, recoveries=1)
    assert {j.id: j for j in review_jobs.list_reviews(s)}[job.id].state in ("queued", "retrieving", "running", "ready")
    done = wait_done(s, job.id)
    assert done.state == "ready" and done.recoveries == 2 and done.runs == 2, done
    # retries off: an interrupted review fails at once, and a person's Resume starts it again (retries anew)
    s0 = fresh.replace(review_retries=0)
    job = _interrupted(s0)
    got = review_jobs.get(s0, job.id)
    assert got.state == "failed" and "stopped unexpectedly once" in got.message, got
    again = wait_done(s0, review_jobs.resume(s0, job.id).id)
    assert again.state == "ready" and again.recoveries == 0 and again.runs == 2, again


def test_two_readers_noticing_a_dead_review_at_once_start_one_process(fresh):
    from concurrent.futures import ThreadPoolExecutor

    s = fresh.replace(review_retries=2)
    job = _interrupted(s)
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: review_jobs.get(s, job.id), range(8)))
    assert all(j.state != "interrupted" for j in seen)
    assert {j.recoveries for j in seen} == {1}
    done = wait_done(s, job.id)
    assert done.state == "ready" and done.runs == 2 and done.recoveries == 1, done  # one process ran it


def test_a_review_job_stopped_on_request_keeps_its_cells_and_resume_finishes_it(fresh):
    server = SlowServer(persona="deepseek").start()
    try:
        s = generative(fresh, server)
        job = review_jobs.start(s, [LAW, TERM], concurrency=1)
        _wait_running(s, job.id)
        stopped = review_jobs.cancel(s, job.id, wait_s=30)
        assert stopped.state == "stopped" and "Resume" in stopped.message, stopped
        assert 1 <= stopped.done < 4, stopped
        pid = review_records.get(s, job.id).pid
        deadline = time.monotonic() + 20
        while review_records.process_alive(pid) and time.monotonic() < deadline:
            review_jobs.list_reviews(s)  # reaps it
            time.sleep(0.1)
        assert not review_records.process_alive(pid)  # its process ended by itself
        table = review_jobs.table_json(s, job.id)  # the cells done so far
        assert table["complete"] is False and 1 <= len(table["rows"]) < 4
        have = len(list((cache_dir(s) / "cells").rglob("*.json")))
        assert have == 2 * len(table["rows"]), have
        assert review_jobs.get(s, job.id).state == "stopped"  # a stopped review is not restarted by a reader
        assert review_jobs.cancel(s, job.id).state == "stopped"  # twice: no harm
        before = _model_calls(server)
        done = wait_done(s, review_jobs.resume(s, job.id).id)
        assert done.state == "ready" and done.cached == have and done.computed == 8 - have, done
        assert _model_calls(server) - before == (8 - have) // 2
        assert review_jobs.cancel(s, job.id).state == "ready"  # a finished review stays as it is
    finally:
        server.stop()


def test_stopping_a_review_whose_process_died_stops_it_without_a_restart(fresh):
    job = _interrupted(fresh)
    got = review_jobs.cancel(fresh, job.id)
    assert got.state == "stopped" and got.recoveries == 0 and got.runs == 1, got
    assert review_jobs.get(fresh, job.id).state == "stopped"
    from app.errors import NotFound

    with pytest.raises(NotFound):
        review_jobs.cancel(fresh.replace(matter="elsewhere"), job.id)


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


def test_the_cli_starts_a_review_in_the_background_lists_shows_stops_and_resumes_it(fresh):
    run = CliRunner()
    env = env_for(fresh)
    r = run.invoke(cli, ["review", LAW, "--docs", KING.name, "--background"], env=env)
    assert r.exit_code == 0, r.output
    job_id = r.stdout.strip()
    assert len(job_id) == 32 and review_records.get(fresh, job_id) is not None, r.stdout
    r = run.invoke(cli, ["reviews", job_id[:8], "--wait", "--json"], env=env)
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["id"] == job_id and shown["state"] == "ready" and shown["done"] == shown["total"] == 1, shown
    assert shown == {**review_jobs.get(fresh, job_id).as_dict()}  # the API's record, word for word
    listed = json.loads(run.invoke(cli, ["reviews", "--json"], env=env).stdout)
    assert job_id in [j["id"] for j in listed["reviews"]] and listed["matter"] == fresh.matter
    r = run.invoke(cli, ["reviews"], env=env)
    assert r.exit_code == 0 and job_id[:12] in r.stdout and "ready" in r.stdout, r.output
    # stop (its process is gone: stopped at once), then resume: it finishes
    dead = _interrupted(fresh)
    r = run.invoke(cli, ["reviews", dead.id, "--cancel"], env=env)
    assert r.exit_code == 0 and "stopped" in r.stdout, r.output
    assert review_records.get(fresh, dead.id).status == "stopped"
    r = run.invoke(cli, ["reviews", dead.id, "--resume", "--wait"], env=env)
    assert r.exit_code == 0 and "ready" in r.stdout, r.output
    assert review_records.get(fresh, dead.id).status == "ready"
    # a bad id or flag: one line, no traceback
    r = run.invoke(cli, ["reviews", "0" * 32], env=env)
    assert r.exit_code != 0 and "no review" in r.output and "Traceback" not in r.output
    r = run.invoke(cli, ["reviews", "--cancel"], env=env)
    assert r.exit_code == 2 and "need a review id" in r.output
    r = run.invoke(cli, ["review", LAW, "--background", "--limit", "1"], env=env)
    assert r.exit_code == 2 and "--background" in r.output


def test_an_extractive_review_stops_between_documents_when_asked(fresh):
    from app.answer.review import review

    seen: list = []
    t = review(fresh, [LAW, TERM], progress=seen.append, cancel=lambda: len(seen) >= 1)
    assert not t.complete and len(seen) == 1 and t.computed == 2 and len(t.rows) == 1, (t.computed, len(t.rows))
    rest = review(fresh, [LAW, TERM])  # the rest, the first document's cells from the cache
    assert rest.complete and rest.cached == 2 and rest.computed == 6
