"""Scale-out with real parts: Redis (Debian's redis-server) and a Chroma server on loopback, two
`longdoc worker` processes, 30 good PDFs and 3 bad ones; one worker is killed with SIGKILL mid-run.

Every good file ends ready exactly once, every bad one failed with its reason; the killed worker's
jobs are redelivered to the other and finished; no partial document, no duplicate chunk; `longdoc
check` is clean.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import pytest

from app.config import load_settings
from app.library import jobs
from ingest.store import open_store
from tests.hardening.helpers import cli_env, run_longdoc, start_longdoc
from tests.jobs.craft import bad_pdfs, good_pdfs

REDELIVER_S = 10  # a worker silent this long is presumed dead (the default is 60)


def _records(env: dict):
    s = load_settings(env=env)
    return s, jobs.records(s)


@pytest.mark.server
def test_two_workers_one_killed_every_file_once(tmp_path, redis_url, chroma_server):
    folder = tmp_path / "in"
    good = good_pdfs(folder, 30)
    bad = bad_pdfs(folder)
    coll = "j" + uuid.uuid4().hex[:10]
    env = cli_env(LONGDOC_BROKER_URL=redis_url, LONGDOC_CHROMA_URL=chroma_server, LONGDOC_COLLECTION=coll,
                  LONGDOC_WORKERS="1", LONGDOC_WORKER_JOBS="2", LONGDOC_REDELIVER_S=str(REDELIVER_S),
                  LONGDOC_OCR="off")
    workers = {}
    for name in ("w1", "w2"):
        workers[name] = start_longdoc(["worker"], {**env, "LONGDOC_HOME": str(tmp_path / name)}, tmp_path / f"{name}.log")
    settings, rec = _records({**env, "LONGDOC_HOME": str(tmp_path / "sub")})
    try:
        sub = run_longdoc(["--home", str(tmp_path / "sub"), "ingest", str(folder), "--no-wait", "--json"], env)
        assert sub.returncode == 0, sub.stderr[-2000:]
        submitted = json.loads(sub.stdout)
        assert len(submitted) == 33 and all(j["status"] == "queued" for j in submitted)
        ids = [j["id"] for j in submitted]

        # wait until w1 holds a job whose text is stored (it is embedding), then kill it and its parsers
        w1 = f"{os.uname().nodename}:{workers['w1'].pid}"
        deadline = time.monotonic() + 300
        held: list[str] = []
        while time.monotonic() < deadline and not held:
            rows = [rec.get(i) for i in ids]
            held = [r["id"] for r in rows if r["worker"] == w1 and r["status"] == "embedding"]
            assert workers["w1"].poll() is None, (tmp_path / "w1.log").read_text()[-3000:]
            time.sleep(0.1)
        assert held, "worker 1 never held a job"
        held = [r["id"] for r in (rec.get(i) for i in ids) if r["worker"] == w1 and r["status"] in ("parsing", "embedding")]
        os.killpg(workers["w1"].pid, signal.SIGKILL)
        killed_at = time.monotonic()
        workers["w1"].wait(timeout=30)

        # the rest (and w1's jobs, redelivered) finish on w2
        done = jobs.wait(settings, ids, timeout_s=400)
        assert all(j.done for j in done), [j.as_dict() for j in done if not j.done]
        redelivered_in = time.monotonic() - killed_at
    finally:
        for w in workers.values():
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
        for w in workers.values():
            try:
                w.wait(timeout=60)
            except Exception:  # noqa: BLE001 - a worker that will not stop is killed
                os.killpg(w.pid, signal.SIGKILL)

    by_file = {j.file: j for j in done}
    w2 = f"{os.uname().nodename}:{workers['w2'].pid}"
    for p in good:
        j = by_file[p.name]
        assert j.status == "ready" and j.outcome == "ingested" and j.chunks > 0, j.as_dict()
    for p, (outcome, fragment) in bad.items():
        j = by_file[p.name]
        assert j.status == "failed" and j.outcome == outcome and fragment in j.message, j.as_dict()
        assert "\n" not in j.message and "Traceback" not in j.message
    for jid in held:  # the killed worker's jobs: redelivered and finished by the other one
        row = rec.get(jid)
        assert row["status"] == "ready" and row["worker"] == w2 and row["attempts"] >= 2, row
    print(f"w1 held {len(held)} job(s) when killed; all done {redelivered_in:.1f} s later")
    assert redelivered_in < 240

    # one document per good file, whole, no duplicate chunk; the text-only copies gone
    store = open_store(tmp_path / "reader", chroma_url=chroma_server, collection=coll)
    docs = store.documents()
    assert sorted(d.file for d in docs) == sorted(p.name for p in good)
    assert len({d.doc_id for d in docs}) == 30 and all(d.status == "ready" for d in docs)
    assert store.count_chunks() == sum(d.chunks for d in docs)
    for d in docs:
        chunks = store.chunks(d.doc_id)
        assert len(chunks) == d.chunks and len({c.chunk_id for c in chunks}) == d.chunks
        assert [c.ordinal for c in chunks] == list(range(d.chunks))
    assert store.check_consistency() == []
    check = run_longdoc(["--home", str(tmp_path / "sub"), "check", "--json"], env)
    report = json.loads(check.stdout)
    assert check.returncode == 0 and report["ok"] and report["documents"] == 30, check.stdout + check.stderr
    # the same files again: nothing is queued, every good one is unchanged
    again = run_longdoc(["--home", str(tmp_path / "sub"), "ingest", *map(str, good), "--no-wait", "--json"], env)
    assert {j["status"] for j in json.loads(again.stdout)} == {"ready"}
    assert {j["outcome"] for j in json.loads(again.stdout)} == {"unchanged"}
