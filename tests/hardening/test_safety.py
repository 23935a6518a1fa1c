"""Names and paths from users never lead a write outside the data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.safety import MAX_NAME_BYTES, UnsafePathError, ensure_inside, safe_child, safe_filename


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\evil.pdf", "evil.pdf"),
        ("/etc/shadow", "shadow"),
        ("C:\\Users\\me\\contract.pdf", "contract.pdf"),
        ("..", ""),
        ("...", ""),
        (".hidden.pdf", "hidden.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("bad\nname\r.pdf", "badname.pdf"),
        ("  spaced   out  .pdf ", "spaced out.pdf"),
        ('q<u>o:t"e|s?*.pdf', "quotes.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("nul", "_nul"),
        ("Vertrag über Miete.pdf", "Vertrag über Miete.pdf"),
        ("right\u202eto-left.pdf", "rightto-left.pdf"),
        ("", ""),
    ],
)
def test_safe_filename_cases(raw, expected):
    assert safe_filename(raw) == expected


def test_very_long_names_are_shortened_keeping_the_extension():
    name = "x" * 5000 + ".pdf"
    out = safe_filename(name)
    assert out.endswith(".pdf") and len(out.encode()) <= MAX_NAME_BYTES
    multibyte = "ü" * 3000 + ".pdf"
    out = safe_filename(multibyte)
    assert out.endswith(".pdf") and len(out.encode()) <= MAX_NAME_BYTES
    out.encode("utf-8")  # still valid UTF-8: cut on a character boundary


def test_a_long_name_really_can_be_created(tmp_path):
    path = safe_child(tmp_path, "é" * 4000 + ".pdf")
    path.write_bytes(b"%PDF-1.4")
    assert path.parent == tmp_path.resolve()


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=600))
def test_any_name_becomes_one_component_or_nothing(name):
    out = safe_filename(name)
    assert "/" not in out and "\\" not in out and "\x00" not in out
    assert out not in (".", "..") and not out.startswith(".")
    assert len(out.encode("utf-8")) <= MAX_NAME_BYTES
    assert all(c.isprintable() for c in out)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_any_name_written_through_safe_child_stays_inside(tmp_path_factory, name):
    base = tmp_path_factory.mktemp("data")
    try:
        target = safe_child(base, name)
    except UnsafePathError:
        return  # nothing usable in the name: refused, which is a clear outcome
    target.write_bytes(b"x")
    assert target.parent == base.resolve()
    assert [p.name for p in base.iterdir()] == [target.name]


@pytest.mark.parametrize(
    "path",
    [
        "../outside.pdf",
        "sub/../../outside.pdf",
        "/etc/passwd",
        "/tmp/elsewhere.pdf",
        ".",
        "",
        "a\x00b",
    ],
)
def test_ensure_inside_refuses_escapes(tmp_path, path):
    base = tmp_path / "data"
    base.mkdir()
    with pytest.raises(UnsafePathError) as e:
        ensure_inside(base, path)
    assert e.value.message


def test_ensure_inside_refuses_a_sibling_with_a_common_prefix(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(UnsafePathError):
        ensure_inside(tmp_path / "data", tmp_path / "data-evil" / "x.pdf")


def test_ensure_inside_refuses_a_symlink_pointing_out(tmp_path):
    base = tmp_path / "data"
    base.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, base / "link")
    with pytest.raises(UnsafePathError):
        ensure_inside(base, "link/file.pdf")


def test_ensure_inside_accepts_real_children(tmp_path):
    base = tmp_path / "data"
    (base / "uploads").mkdir(parents=True)
    assert ensure_inside(base, "uploads/a.pdf") == (base / "uploads" / "a.pdf").resolve()
    assert ensure_inside(base, base / "uploads" / "x" / ".." / "b.pdf") == (base / "uploads" / "b.pdf").resolve()
    assert ensure_inside(str(base), Path("out/summary.md")).parent == (base / "out").resolve()


def test_upload_staging_uses_the_guard(tmp_path):
    """The UI's upload path writes hostile names inside the uploads folder only."""
    from app.config import load_settings
    from app.library import uploads

    s = load_settings(env={}, home=tmp_path / "home")
    hostile = ["../../escape.pdf", "/abs/olute.pdf", "nul\x00byte.pdf", "y" * 3000 + ".pdf", "..\\win.pdf"]
    for i, name in enumerate(hostile):
        staged = uploads.stage(s, "../../sess", name, b"%PDF-1.4\n" + bytes([i]) * 10)
        assert Path(s.uploads_dir).resolve() in staged.path.resolve().parents
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all((tmp_path / "home" / "uploads").resolve() in p.resolve().parents for p in written)
