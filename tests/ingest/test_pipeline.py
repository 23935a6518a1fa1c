"""Files → store end to end: real PDFs, real worker processes, a real embedded Chroma.

Each file ends in one outcome with a one-line message; bad files never stop the batch.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from ingest.embed import LazyEmbedder
from ingest.pipeline import BATCH, expand_paths, ingest_paths
from ingest.store import open_store
from tests.fixtures import pdfs

ROBUST = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "robustness"

# the odd files built from data/samples/ (tests/fixtures/pdfs.py), one per trap of the robustness folder
EXPECTED = {
    "broken_pages_tree.pdf": ("failed", "unreadable PDF: Invalid object in /Pages"),
    "brotli_filter.pdf": ("ingested", ""),
    "encrypted_aes128_pw_ELXRTQWS_image_only.pdf": ("needs_password", "needs a password (--password)"),
    "encrypted_aes256_pw_abc.pdf": ("needs_password", "needs a password (--password)"),
    "encrypted_emptypw_rc4-40.pdf": ("ingested", ""),
    "encrypted_rc4_userpw_openpassword.pdf": ("needs_password", "needs a password (--password)"),
    "pages_failing_14_of_16.pdf": ("failed", "unreadable PDF: text extraction failed"),
    "unopenable_trailer.pdf": ("failed", "unreadable PDF: Trailer cannot be read"),
    "malformed_xref_keyword_missing.pdf": ("ingested", ""),
    "scanned_stamped_contract.pdf": ("no_text", "no text layer — scanned?"),
    "scanned_opinion_image_only.pdf": ("no_text", "no text layer — scanned?"),
    "two_column_layout.pdf": ("ingested", ""),
}
BUILDERS = [pdfs.broken_page_tree, pdfs.brotli_filter, pdfs.encrypted_aes128_without_text, pdfs.encrypted_aes256,
            pdfs.encrypted_empty_user_password, pdfs.encrypted_rc4_user_password, pdfs.pages_failing_everywhere,
            pdfs.unopenable_trailer, pdfs.malformed_xref, pdfs.scanned_stamped_contract, pdfs.scanned_opinion,
            pdfs.two_columns]

# the same through the pipeline on the real files (extended: only where ../shared is)
REAL = {
    "broken_pages_tree_unreadable_metadata.pdf": ("failed", "unreadable PDF: Invalid object in /Pages"),
    "brotli_filter_prototype.pdf": ("ingested", ""),
    "compressed_objstreams_117pp_geotopo_de.pdf": ("ingested", ""),
    "encrypted_aes128_pdfjs-issue3371_pw_ELXRTQWS.pdf": ("needs_password", "needs a password (--password)"),
    "encrypted_aes256_pdfjs-issue6010_pw_abc.pdf": ("needs_password", "needs a password (--password)"),
    "encrypted_emptypw_rc4-40_pdfjs-bug900822.pdf": ("ingested", ""),
    "encrypted_rc4_userpw_openpassword.pdf": ("needs_password", "needs a password (--password)"),
    "fuzzed_ghostscript_16pp.pdf": ("failed", "unreadable PDF: text extraction failed"),
    "fuzzed_unopenable_pdfbox-3148.pdf": ("failed", "unreadable PDF: Trailer cannot be read"),
    "malformed_xref_keyword_missing.pdf": ("ingested", ""),
    "scanned_complaint_EDMich_2-18-cv-12857.pdf": ("no_text", "no text layer — scanned?"),
    "scanned_court_doc_image_only.pdf": ("no_text", "no text layer — scanned?"),
    "two_column_layout.pdf": ("ingested", ""),
}


def run(paths, home, *, workers=2, password=None, progress=None, **config):
    """ingest_paths with the batch config (OCR off unless asked) changed by `config`."""
    store = open_store(home)
    cfg = dataclasses.replace(BATCH, **{"ocr": "off", **config})
    return store, ingest_paths([Path(p) for p in paths], store=store, embedder=LazyEmbedder(), config=cfg,
                               workers=workers, password=password, progress=progress)


@pytest.fixture(scope="module")
def robust_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robust_in")
    for build in BUILDERS:
        src = build()
        shutil.copy(src, folder / src.name)
    events: list[dict] = []
    store, results = run([folder], tmp_path_factory.mktemp("robust_home"), progress=events.append)
    return store, results, events


def _check_outcomes(store, results, expected) -> None:
    got = {r.file: r for r in results}
    assert set(got) == set(expected)
    for name, (status, fragment) in expected.items():
        r = got[name]
        assert r.status == status, (name, r.as_dict())
        assert fragment in r.message, (name, r.message)
        assert "\n" not in r.message and "Traceback" not in r.message
        if status == "ingested":
            assert r.doc_id and r.pages > 0 and r.chunks > 0
    # the batch went on past every bad file, and only whole documents are visible
    ready = {d.file for d in store.documents()}
    assert ready == {n for n, (s, _) in expected.items() if s == "ingested"}
    assert store.check_consistency() == []


def test_odd_files_folder_each_file_gets_its_outcome(robust_run):
    store, results, _ = robust_run
    _check_outcomes(store, results, EXPECTED)


@pytest.mark.slow
def test_real_robustness_folder_each_file_gets_its_outcome(tmp_path):
    """The real files of ../shared/eval/robustness through the pipeline (extended)."""
    if not ROBUST.is_dir():
        pytest.skip("needs ../shared: eval/robustness is absent")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in REAL:
        shutil.copy(ROBUST / name, folder / name)
    store, results = run([folder], tmp_path / "home")
    _check_outcomes(store, results, REAL)


def test_progress_events_cover_every_file(robust_run):
    _, results, events = robust_run
    done = [e for e in events if e["event"] == "result"]
    assert len(done) == len(results)
    assert {e["file"] for e in events if e["event"] == "parsed"} == {r.file for r in results if r.status == "ingested"}
    assert any(e["event"] == "embedding" for e in events)


def test_failed_pages_are_listed_and_the_rest_ingested(tmp_path):
    """A readable PDF with one page whose content stream is garbage (as in the fuzzed Ghostscript file)."""
    out = shutil.copy(pdfs.one_bad_page(), tmp_path / "one_bad_page.pdf")
    store, [r] = run([out], tmp_path / "home", workers=0)
    assert r.status == "ingested" and r.pages == 3
    assert r.message == "page 2 could not be read"
    assert store.find_document("one_bad_page.pdf").failed_pages == [2]


def test_passwords_right_and_wrong(tmp_path):
    enc = pdfs.encrypted_rc4_user_password()
    _, [ok] = run([enc], tmp_path / "a", password=pdfs.PASSWORD_RC4, workers=0)
    assert ok.status == "ingested" and ok.chunks >= 1
    _, [bad] = run([enc], tmp_path / "b", password="not-it", workers=0)
    assert bad.status == "needs_password" and "wrong password" in bad.message


def test_unchanged_replaced_and_not_a_pdf(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    note = src / "note.txt"
    note.write_text("The first version of the note. It names Alice as the buyer.\n")
    (src / "README.md").write_text("folder notes are skipped when walking a folder\n")
    (src / "fake.pdf").write_bytes(b"<!DOCTYPE html><html><body>Session expired</body></html>")
    (src / "empty.pdf").write_bytes(b"")
    home = tmp_path / "home"

    store, results = run([src, tmp_path / "missing.pdf"], home, workers=1)
    by = {r.file: r for r in results}
    assert set(by) == {"missing.pdf", "note.txt", "fake.pdf", "empty.pdf"}
    assert by["missing.pdf"].status == "failed" and by["missing.pdf"].message.startswith("no such file")
    assert by["note.txt"].status == "ingested"
    for name in ("fake.pdf", "empty.pdf"):
        assert by[name].status == "failed" and by[name].message.startswith("not a PDF"), by[name]
    first = store.find_document("note.txt")

    # identical bytes: a no-op, also under another name
    copy = src / "copy-of-note.txt"
    shutil.copy(note, copy)
    _, again = run([note, copy], home, workers=0)
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert "same bytes as note.txt" in again[1].message
    assert store.find_document("note.txt").ingested_at == first.ingested_at

    # new bytes under the same name: replaced, the old version gone
    note.write_text("The second version of the note. It names Bob as the buyer.\n")
    store, [r] = run([note], home, workers=0)
    assert r.status == "replaced" and first.doc_id[:12] in r.message
    assert store.get_document(first.doc_id) is None and store.chunks(first.doc_id) == []
    now = store.find_document("note.txt")
    assert "Bob" in store.document_text(now.doc_id)
    assert [c.doc_id for c, _ in store.bm25_search("Alice", 5)] == []
    assert store.check_consistency() == []


def test_expand_paths_recurses_and_skips_folder_notes(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.PDF", "a/b/y.md", "a/b/z.txt", "a/SOURCES.md", "a/.hidden.pdf", "a/b/w.DOCX", "a/b/skip.xlsx",
                 "a/b/skip.doc"):
        (tmp_path / name).write_text("x")
    files, missing = expand_paths([tmp_path / "a", tmp_path / "a" / "b" / "z.txt", tmp_path / "nope"])
    assert sorted(f.name for f in files) == ["w.DOCX", "x.PDF", "y.md", "z.txt"]
    assert [m.file for m in missing] == ["nope"]


def test_time_limit_fails_only_that_file(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A small good file that comes after a slow one. It still gets ingested.\n")
    store, results = run([pdfs.long_book(), good], tmp_path / "home", workers=1, file_timeout_s=1)
    assert results[0].status == "failed" and "per-file time limit" in results[0].message
    assert results[1].status == "ingested"
    assert [d.file for d in store.documents()] == ["good.txt"]


def test_memory_cap_fails_only_that_file(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("lorem ipsum dolor sit amet " * 3_000_000)  # 81 MB of text: more than a 40 MiB allowance
    good = tmp_path / "good.txt"
    good.write_text("Another small good file. It is ingested although the file before it ran out of memory.\n")
    store, results = run([big, good], tmp_path / "home", workers=1, memory_mb=40)
    assert results[0].status == "failed" and "ran out of memory" in results[0].message, results[0]
    assert results[1].status == "ingested"
    assert [d.file for d in store.documents()] == ["good.txt"]


@pytest.mark.slow
def test_long_document_ingests_under_the_memory_cap(tmp_path):
    store, [r] = run([pdfs.long_book()], tmp_path / "home", workers=1, memory_mb=2048)
    assert r.status == "ingested" and r.pages == 352 and r.chunks > 500, r.as_dict()
    assert store.check_consistency() == []
