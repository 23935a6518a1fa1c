"""kill -9 of the worker in the middle of ingesting a 352-page document: the store stays consistent, the
job is put back and finished by the next worker, and `longdoc ingest` (which only waits) reports it.

The document is the samples' text pages in turn (tests/fixtures/pdfs.py), so the test runs on any clone."""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest

from app.config import load_settings
from app.library import jobs
from ingest.store import open_store
from tests.fixtures import pdfs
from tests.hardening.helpers import cli_env, json_results, run_longdoc, start_longdoc

SEED = int(os.environ.get("LONGDOC_CRASH_SEED", "20261128"))
KILLS = 2


def _assert_whole(home, live: set[str]) -> list:
    store = open_store(home)  # opening cleans up what a killed writer left behind
    assert store.check_consistency(live=live) == []
    docs = store.documents()
    for d in docs:  # a visible document is a complete one (its text at least; vectors maybe not yet)
        assert d.status in ("text", "ready")
        assert len(store.chunks(d.doc_id)) == d.chunks
    return docs


@pytest.mark.slow
def test_kill_9_of_the_worker_mid_ingest(tmp_path):
    book = pdfs.long_book()
    rng = random.Random(SEED)
    home = tmp_path / "home"
    env = cli_env(LONGDOC_HOME=str(home), LONGDOC_WORKERS="1")
    settings = load_settings(env=env)
    proc = start_longdoc(["ingest", str(book), "--json"], env, tmp_path / "ingest.log")
    killed_at = []
    try:
        for _ in range(KILLS):
            delay = rng.uniform(6.0, 30.0)  # the whole ingest takes ~40 s here: most kills land mid-way
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            held = [j for j in jobs.list_jobs(settings) if j.status in ("parsing", "embedding") and j.worker]
            if proc.poll() is not None or not held:
                continue
            pid = int(held[0].worker.rsplit(":", 1)[1])
            os.killpg(pid, signal.SIGKILL)  # the worker and its parser processes, as a hard crash would
            killed_at.append((round(delay, 1), held[0].status))
            time.sleep(0.5)
            _assert_whole(home, live={held[0].doc_id})
        assert killed_at, "the ingest finished before any kill: nothing was tested"
        assert proc.wait(timeout=1500) == 0, (tmp_path / "ingest.log").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    (result,) = json_results((tmp_path / "ingest.log").read_text())
    assert result["status"] == "ingested" and result["pages"] == 352, result
    docs = _assert_whole(home, live=set())
    assert [d.file for d in docs] == [book.name] and docs[0].pages == 352 and docs[0].status == "ready"
    (job,) = jobs.list_jobs(settings)
    assert job.status == "ready" and jobs.records(settings).get(job.id)["attempts"] == len(killed_at) + 1
    check = run_longdoc(["check", "--json"], env)
    assert check.returncode == 0 and json.loads(check.stdout)["ok"], check.stdout + check.stderr
    print(f"killed the worker at {killed_at}")
