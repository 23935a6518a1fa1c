"""kill -9 in the middle of ingesting a 352-page document: the store stays consistent and re-ingest completes.

The document is the samples' text pages in turn (tests/fixtures/pdfs.py), so the test runs on any clone."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from ingest.store import open_store
from tests.fixtures import pdfs
from tests.hardening.helpers import cli_env, json_results, run_longdoc, start_longdoc

SEED = int(os.environ.get("LONGDOC_CRASH_SEED", "20261128"))
KILLS = 2


def _assert_consistent_and_whole(home) -> list:
    store = open_store(home)  # opening cleans up what a killed writer left behind
    assert store.check_consistency() == []
    docs = store.documents()
    for d in docs:  # a visible document is a complete one
        assert d.status == "ready"
        assert len(store.chunks(d.doc_id)) == d.chunks
    assert all(r.status == "ready" for r in store.all_rows())
    assert store.count_chunks() == sum(d.chunks for d in docs)
    return docs


@pytest.mark.slow
def test_kill_9_mid_ingest_leaves_a_consistent_store(tmp_path):
    book = pdfs.long_book()
    rng = random.Random(SEED)
    home = tmp_path / "home"
    env = cli_env(LONGDOC_HOME=str(home), LONGDOC_WORKERS="1")
    killed_at = []
    for attempt in range(KILLS):
        proc = start_longdoc(["ingest", str(book), "--json"], env, tmp_path / f"kill{attempt}.log")
        delay = rng.uniform(6.0, 30.0)  # the whole ingest takes ~40 s here: most kills land mid-way
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its parser workers, as a hard crash would
            killed_at.append(round(delay, 1))
        proc.wait(timeout=60)
        docs = _assert_consistent_and_whole(home)
        assert [d.file for d in docs] in ([], [book.name])
    assert killed_at, "the ingest finished before any kill: nothing was tested"

    out = run_longdoc(["ingest", str(book), "--json"], env, timeout=1500)
    assert out.returncode == 0, out.stderr[-3000:]
    (result,) = json_results(out.stdout)
    assert result["status"] in ("ingested", "unchanged") and result["pages"] == 352
    docs = _assert_consistent_and_whole(home)
    assert [d.file for d in docs] == [book.name] and docs[0].pages == 352
