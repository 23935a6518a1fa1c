"""Issue 27: a job whose worker dies finishes by itself. kill -9 of `longdoc serve` together with its local worker
while a job is embedding; `longdoc serve` again, and nothing else: the job is ready within LONGDOC_REDELIVER_S +
60 s of the restart (plus the re-ingest itself), honestly reported as stalled meanwhile, and `check` is clean."""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import pytest

from app.config import load_settings
from app.library import jobs
from tests.api.conftest import cli_env, make_token, start_server, stop_server
from tests.fixtures import pdfs
from tests.hardening.helpers import run_longdoc

REDELIVER_S = 10


def _serve(home, log):
    return start_server(home, log, timeout_s=120,
                        env={"LONGDOC_REDELIVER_S": str(REDELIVER_S), "LONGDOC_MAX_FILE_MB": "200"})


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.slow
def test_kill_9_of_serve_and_its_worker_then_serve_again_finishes_the_job(tmp_path):
    home = tmp_path / "home"
    settings = load_settings(env={"LONGDOC_HOME": str(home), "LONGDOC_REDELIVER_S": str(REDELIVER_S)})
    from app.library import matters

    matters.create(settings, "alpha")
    token = make_token(home, "alpha", "editor")
    headers = {"Authorization": f"Bearer {token}"}
    book = pdfs.long_book()
    proc, url = _serve(home, tmp_path / "serve1.log")
    try:
        with open(book, "rb") as fh:
            r = httpx.post(url + "/v1/matters/alpha/documents", headers=headers,
                           files={"file": (book.name, fh, "application/pdf")}, timeout=300)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 600
        job = None
        while time.monotonic() < deadline:
            job = jobs.get_job(settings, job_id)
            if job.status == "embedding" and job.worker:
                break
            assert not job.done, f"the job ended before it could be killed mid-embedding: {job}"
            time.sleep(0.2)
        assert job is not None and job.status == "embedding", job
        worker_pid = int(job.worker.rsplit(":", 1)[1])
        _kill_group(proc.pid)  # the server …
        _kill_group(worker_pid)  # … and the local worker it started (its own session), as a crash would
        proc.wait(30)
    finally:
        if proc.poll() is None:
            _kill_group(proc.pid)

    deadline = time.monotonic() + 30  # SIGKILL is delivered at once, but a process group takes a moment to go
    while time.monotonic() < deadline and _group_alive(worker_pid):
        time.sleep(0.1)
    frozen = jobs.get_job(settings, job_id)
    assert frozen.status == "embedding"
    assert jobs.running_in_matter(settings, "alpha") == 0, "a job whose worker is gone does not block matter delete"
    from app.library.recovery import is_stalled

    assert is_stalled(settings, frozen), "reported as stalled, not as a frozen percentage"
    listing = run_longdoc(["--matter", "alpha", "jobs", "--json"], cli_env(home), timeout=120)
    assert [j["stalled"] for j in json.loads(listing.stdout)] == [True], listing.stdout

    restarted = time.monotonic()
    proc, url = _serve(home, tmp_path / "serve2.log")
    try:
        seen = []
        taken_over = None
        while True:
            body = httpx.get(f"{url}/v1/jobs/{job_id}", headers=headers, timeout=30).json()
            seen.append(body.get("state"))
            holder = jobs.get_job(settings, job_id).worker
            if taken_over is None and (holder != frozen.worker or body["status"] in ("ready", "failed")):
                taken_over = time.monotonic() - restarted
            if body["status"] in ("ready", "failed"):
                break
            # the bound of the issue, plus the re-ingest of 352 pages itself on a slow machine
            assert time.monotonic() - restarted < REDELIVER_S + 60 + 600, seen[-5:]
            time.sleep(0.5)
        assert body["status"] == "ready", body
        assert taken_over is not None and taken_over < REDELIVER_S + 60, f"handed on after {taken_over:.0f} s"
        assert body["stalled"] is False and body["state"] == "ready"
        check = run_longdoc(["--matter", "alpha", "check", "--json"], cli_env(home), timeout=300)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        stop_server(proc)
        for line in (home / "worker" / "worker.log").read_text(errors="replace").splitlines()[-3:]:
            print(line)


def test_a_failed_20_mb_junk_upload_leaves_no_file_behind(tmp_path):
    home = tmp_path / "home"
    settings = load_settings(env={"LONGDOC_HOME": str(home)})
    from app.library import matters

    matters.create(settings, "alpha")
    token = make_token(home, "alpha", "editor")
    headers = {"Authorization": f"Bearer {token}"}
    junk = tmp_path / "scan-of-the-lease.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + os.urandom(20 * 1024 * 1024))  # a PDF header, then noise
    proc, url = _serve(home, tmp_path / "serve.log")
    try:
        with open(junk, "rb") as fh:
            r = httpx.post(url + "/v1/matters/alpha/documents", headers=headers,
                           files={"file": (junk.name, fh, "application/pdf")}, timeout=300)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 300
        while (body := httpx.get(f"{url}/v1/jobs/{job_id}", headers=headers, timeout=30).json())["status"] not in (
                "ready", "failed"):
            assert time.monotonic() < deadline, body
            time.sleep(0.3)
        assert body["status"] == "failed" and body["message"], body
    finally:
        stop_server(proc)
    s = settings.replace(matter="alpha")
    left = [p for p in (home / "matters" / "alpha").rglob("*") if p.is_file() and p.stat().st_size > 1_000_000]
    assert left == [], f"the failed upload's bytes are still on disk: {left}"
    from pathlib import Path

    uploads = Path(s.uploads_dir)
    assert not [p for p in uploads.glob("*") if p.name != ".staging"], list(uploads.glob("*"))
