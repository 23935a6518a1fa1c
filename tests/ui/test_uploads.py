"""Uploads: staging per session, size limit, duplicates by hash, hostile names — on real files, real disk."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from app.config import load_settings
from app.library import uploads
from tests.conftest import SAMPLES


@pytest.fixture()
def settings(tmp_path):
    return load_settings(env={}, dotenv=tmp_path / "no.env", home=tmp_path / "home", max_file_mb=1)


def _sample_pdf() -> Path:
    return sorted(SAMPLES.glob("*.PDF"), key=lambda p: p.stat().st_size)[0]


def test_stage_writes_into_the_session_folder_with_its_hash(settings):
    pdf = _sample_pdf()
    data = pdf.read_bytes()
    s = uploads.stage(settings, "sess1", pdf.name, data)
    assert s.sha256 == hashlib.sha256(data).hexdigest()
    assert s.size == len(data)
    assert s.path.read_bytes() == data
    assert s.path.parent == uploads.staging_dir(settings, "sess1")
    assert settings.uploads_dir in s.path.parents
    # nothing left over besides the file itself (no .part files)
    assert [p.name for p in s.path.parent.iterdir()] == [s.name]


def test_stream_input_is_read_in_blocks(settings):
    pdf = _sample_pdf()
    with open(pdf, "rb") as f:
        s = uploads.stage(settings, "sess1", pdf.name, f)
    assert s.path.read_bytes() == pdf.read_bytes()


def test_too_large_is_refused_with_a_clear_message_and_nothing_written(settings):
    big = b"%PDF-1.4\n" + b"0" * (settings.max_file_mb * 2**20 + 10)
    with pytest.raises(uploads.UploadError) as e:
        uploads.stage(settings, "sess1", "big.pdf", big)
    assert "1 MB limit" in e.value.message and "max_file_mb" in e.value.message
    folder = uploads.staging_dir(settings, "sess1")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "/abs/path/x.pdf", "a\x00b.pdf", "..\\..\\win.pdf", "ctl\x07\x1bchars.pdf",
     "x" * 600 + ".pdf"],
)
def test_hostile_names_stay_inside_the_staging_folder(settings, name):
    s = uploads.stage(settings, "sess1", name, b"%PDF-1.4 hello")
    folder = uploads.staging_dir(settings, "sess1").resolve()
    assert s.path.resolve().parent == folder
    assert "/" not in s.name and "\\" not in s.name and "\x00" not in s.name
    assert all(ord(c) >= 32 for c in s.name)
    assert len(s.name.encode()) <= 255
    assert s.name.lower().endswith(".pdf")


def test_wrong_type_and_empty_are_refused(settings):
    with pytest.raises(uploads.UploadError, match="not a PDF"):
        uploads.stage(settings, "s", "evil.exe", b"MZ")
    with pytest.raises(uploads.UploadError, match="empty"):
        uploads.stage(settings, "s", "empty.pdf", b"")


def test_duplicates_in_a_batch_are_detected_by_hash(settings):
    pdf = _sample_pdf()
    data = pdf.read_bytes()
    staged, refused = uploads.stage_many(
        settings, "s", [("a.pdf", data), ("copy of a.pdf", data), ("other.txt", b"some text"), ("x.exe", b"1")]
    )
    assert [s.duplicate_of for s in staged] == [None, "a.pdf", None]
    assert [e.name for e in refused] == ["x.exe"]
    folder = uploads.staging_dir(settings, "s")
    assert sorted(p.name for p in folder.iterdir()) == ["a.pdf", "other.txt"]


def test_same_name_different_bytes_keeps_both(settings):
    staged, _ = uploads.stage_many(settings, "s", [("a.txt", b"one"), ("a.txt", b"two")])
    assert staged[0].name == "a.txt" and staged[1].name != "a.txt"
    assert staged[0].path.read_bytes() == b"one" and staged[1].path.read_bytes() == b"two"


def test_sessions_do_not_see_each_other(settings):
    a = uploads.stage(settings, "alice", "doc.txt", b"alice's text")
    b = uploads.stage(settings, "bob", "doc.txt", b"bob's text")
    assert a.path != b.path
    uploads.discard(settings, "alice")
    assert not a.path.exists() and b.path.read_bytes() == b"bob's text"


def test_keep_moves_into_content_addressed_folder(settings):
    s = uploads.stage(settings, "s", "doc.txt", b"hello")
    dest = uploads.keep(settings, s)
    assert dest == settings.uploads_dir / s.sha256[:16] / "doc.txt"
    assert dest.read_bytes() == b"hello" and not s.path.exists()
    # the same bytes from another session converge on the same file
    s2 = uploads.stage(settings, "t", "doc.txt", b"hello")
    assert uploads.keep(settings, s2) == dest


def test_clean_stale_removes_only_old_sessions(settings):
    old = uploads.stage(settings, "old", "a.txt", b"x").path.parent
    new = uploads.stage(settings, "new", "a.txt", b"y").path.parent
    past = time.time() - 3 * 24 * 3600
    os.utime(old, (past, past))
    assert uploads.clean_stale(settings) == 1
    assert not old.exists() and new.exists()


def test_encrypted_pdf_is_staged_like_any_other(settings):
    from tests.fixtures import pdfs

    pdf = pdfs.encrypted_rc4_user_password()
    s = uploads.stage(settings, "s", pdf.name, pdf.read_bytes())
    assert s.path.read_bytes()[:5] == b"%PDF-"


def test_forget_removes_the_kept_copy_only(settings):
    a = uploads.keep(settings, uploads.stage(settings, "s", "a.txt", b"aaa"))
    b = uploads.keep(settings, uploads.stage(settings, "s", "b.txt", b"bbb"))
    uploads.forget(settings, hashlib.sha256(b"aaa").hexdigest())
    assert not a.exists() and b.exists()
    uploads.forget(settings, "../../etc")  # not a hash: ignored
    assert b.exists()


def test_word_files_are_accepted_and_other_office_files_say_what_to_do(settings, tmp_path):
    from tests.fixtures.word import make_contract

    src = make_contract(tmp_path / "src.docx")
    s = uploads.stage(settings, "s", "Supply Agreement.docx", src.read_bytes())
    assert s.name == "Supply Agreement.docx" and s.path.is_file()
    with pytest.raises(uploads.UploadError, match="damaged ZIP") as e:  # a broken one: refused at the door
        uploads.stage(settings, "s", "cut.docx", src.read_bytes()[:2000])
    assert e.value.status == 422 and not list(uploads.staging_dir(settings, "s").glob("*cut*"))
    for name, says in (("old.doc", "Word 97–2003 .doc"), ("book.xlsx", "Excel"), ("deck.pptx", "PowerPoint"),
                       ("text.odt", "OpenDocument")):
        with pytest.raises(uploads.UploadError, match=says) as e:
            uploads.stage(settings, "s", name, b"\xd0\xcf\x11\xe0")
        assert e.value.status == 415
