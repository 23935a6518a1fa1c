"""Issue 26 item 5: a deleted document is restorable. Deleting takes it out of every search at once; its bytes wait
in the matter's trash (for LONGDOC_TRASH_DAYS, or until the matter goes); restore ingests them again as a job.
Another matter never lists or restores it. Real store, real worker, the real CLI."""

from __future__ import annotations

import subprocess
import time

import pytest

from app.config import load_settings
from app.errors import NoSuchDocument
from app.library import documents as library
from app.library import jobs, matters, trash
from app.library.restore import restore
from tests.api.conftest import cli_env, longdoc
from tests.conftest import ROOT

NOTE = ("Side letter between Harbour Holdings and Quayside Logistics.\n\n"
        "This side letter is governed by the laws of Ontario. The warehouse lease ends in 2031.\n")
OTHER = "An unrelated memorandum about office furniture and the cafeteria menu.\n"


@pytest.fixture()
def home(tmp_path):
    s = load_settings(env={}, home=tmp_path / "home", workers=1)
    matters.create(s, "alpha")
    matters.create(s, "beta")
    alpha = s.replace(matter="alpha")
    (tmp_path / "side-letter.txt").write_text(NOTE)
    (tmp_path / "memo.txt").write_text(OTHER)
    done = library.ingest(alpha, [tmp_path / "side-letter.txt", tmp_path / "memo.txt"])
    assert all(r.status == "ingested" for r in done), [r.as_dict() for r in done]
    library.forget_stores()
    return alpha, s.replace(matter="beta")


def _hits(s, query: str) -> set[str]:
    _, hits = library.routed_search(s, query, None, k=10)
    return {h.chunk.doc_id for h in hits}


def test_delete_hides_the_document_everywhere_and_restore_brings_it_back(home):
    alpha, beta = home
    doc = next(d for d in library.list_documents(alpha) if d.file == "side-letter.txt")
    assert doc.doc_id in _hits(alpha, "Ontario governing law side letter")

    library.delete_document(alpha, "side-letter.txt")
    assert [d.file for d in library.list_documents(alpha)] == ["memo.txt"]
    assert doc.doc_id not in _hits(alpha, "Ontario governing law side letter"), "search saw a deleted document"
    gone = library.recently_deleted(alpha)
    assert [(e.doc_id, e.file) for e in gone] == [(doc.doc_id, "side-letter.txt")]
    assert "path" not in gone[0].as_dict()
    # another matter neither lists nor restores it, by id or by name
    assert library.recently_deleted(beta) == []
    for ref in (doc.doc_id, doc.doc_id[:12], "side-letter.txt"):
        with pytest.raises(NoSuchDocument):
            restore(beta, ref)
    assert library.list_documents(beta) == []

    job = restore(alpha, doc.doc_id[:12])
    done = jobs.wait(alpha, [job.id], timeout_s=240)[0]
    assert done.outcome == "ingested", done
    library.forget_stores()
    back = library.get_document(alpha, "side-letter.txt")
    assert back.doc_id == doc.doc_id
    assert doc.doc_id in _hits(alpha, "Ontario governing law side letter")
    assert library.recently_deleted(alpha) == [], "a restored document leaves the trash"


def test_entries_expire_after_the_retention_period_and_go_with_the_matter(home):
    alpha, _ = home
    library.delete_document(alpha, "memo.txt")
    (entry,) = library.recently_deleted(alpha)
    assert trash.entries(alpha, now=entry.deleted_at + 29 * 86400)
    short = alpha.replace(trash_days=1.0)
    assert trash.entries(short, now=entry.deleted_at + 2 * 86400) == []
    assert not (trash.trash_dir(alpha) / entry.doc_id).exists(), "an expired entry is removed from disk"

    library.delete_document(alpha, "side-letter.txt")
    assert library.recently_deleted(alpha)
    matters.delete(alpha, "alpha")
    assert not trash.trash_dir(alpha).exists(), "deleting the matter purges its trash"


def test_the_cli_says_how_to_restore_lists_and_restores(home):
    alpha, _ = home
    env = cli_env(alpha.home, LONGDOC_MATTER="alpha", LONGDOC_WORKERS="1")

    def run(*args):
        return subprocess.run(longdoc(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    rm = run("rm", "side-letter.txt")
    assert rm.returncode == 0, rm.stderr
    assert "longdoc restore" in rm.stdout
    listed = run("restore")
    assert listed.returncode == 0 and "side-letter.txt" in listed.stdout and "1 recently deleted" in listed.stdout
    missing = run("restore", "nothing-like-this.txt")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr + missing.stdout
    t0 = time.monotonic()
    back = run("restore", "side-letter.txt")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "ingested" in back.stdout and "side-letter.txt" in back.stdout, (back.stdout, time.monotonic() - t0)
    library.forget_stores()
    assert {d.file for d in library.list_documents(alpha)} == {"side-letter.txt", "memo.txt"}
