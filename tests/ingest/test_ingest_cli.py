"""`longdoc ingest / docs / rm` as a user runs them: exit codes, --json, one line per problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from app.faces.cli import cli

runner = CliRunner()


def invoke(home: Path, *args: str):
    return runner.invoke(cli, ["--home", str(home), *args])


def test_ingest_json_docs_rm(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("ARTICLE I\n\nThe seller shall deliver the goods by March. Payment is due in thirty days.\n")
    (src / "b.md").write_text("# Notes\n\nA second short document about arbitration in Geneva.\n")
    home = tmp_path / "home"

    r = invoke(home, "ingest", str(src), "--json", "--workers", "0")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["file"] for x in rows] == ["a.txt", "b.md"]
    assert all(set(x) == {"file", "doc_id", "status", "pages", "chunks", "seconds", "message"} for x in rows)
    assert [x["status"] for x in rows] == ["ingested", "ingested"]

    again = invoke(home, "ingest", str(src / "a.txt"), "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)[0]["status"] == "unchanged"

    docs = invoke(home, "docs", "--json")
    listed = json.loads(docs.stdout)
    assert sorted(d["file"] for d in listed) == ["a.txt", "b.md"] and all(d["status"] == "ready" for d in listed)
    table = invoke(home, "docs")
    assert table.exit_code == 0 and "a.txt" in table.stdout and "2 documents" in table.stdout

    doc_id = rows[0]["doc_id"]
    gone = invoke(home, "rm", doc_id[:8])
    assert gone.exit_code == 0 and "removed a.txt" in gone.stdout
    assert [d["file"] for d in json.loads(invoke(home, "docs", "--json").stdout)] == ["b.md"]
    missing = invoke(home, "rm", "a.txt")
    assert missing.exit_code == 1 and "no document matches 'a.txt'" in missing.output
    assert "Traceback" not in missing.output


def test_problem_files_one_line_each_and_exit_code_1(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "fake.pdf").write_bytes(b"<!DOCTYPE html><html>login</html>")
    (src / "good.txt").write_text("A good file. It still gets in.\n")
    r = invoke(tmp_path / "home", "ingest", str(src), str(tmp_path / "nope.pdf"), "--workers", "1")
    assert r.exit_code == 1, r.output
    lines = r.stdout.splitlines()
    assert sum("fake.pdf: not a PDF" in ln for ln in lines) == 1
    assert any(ln.startswith("ingested") and "good.txt" in ln for ln in lines)
    assert any("nope.pdf: no such file" in ln for ln in lines)
    assert "Traceback" not in r.output


def test_bad_option_values_say_so(tmp_path):
    r = invoke(tmp_path / "home", "ingest", str(tmp_path), "--ocr", "sometimes")
    assert r.exit_code == 2 and "--ocr must be one of auto, off, force" in r.output


def test_real_console_script_json_and_no_traceback(tmp_path):
    """The installed `longdoc` command, as a subprocess: only bad files, so no model is loaded."""
    bad = tmp_path / "empty.pdf"
    bad.write_bytes(b"")
    from tests.fixtures import pdfs

    enc = pdfs.encrypted_rc4_user_password()
    args = [str(Path(sys.executable).parent / "longdoc"), "--home", str(tmp_path / "home"), "ingest", str(bad), str(enc), "--json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0]["status"] == "failed" and rows[0]["message"].startswith("not a PDF")
    assert rows[1]["status"] == "needs_password"
    assert "Traceback" not in out.stderr


def test_docs_table_fits_an_80_column_terminal(samples_home):
    """One line per document at 80 columns (file names shortened in the middle, least useful columns
    left out and said so); everything at 200 columns; full values always in --json."""
    from rich.cells import cell_len

    home = str(samples_home.home)
    full = json.loads(runner.invoke(cli, ["--home", home, "docs", "--json"]).stdout)
    assert len(full) == 4 and any(len(d["file"]) > 60 for d in full)

    r = runner.invoke(cli, ["--home", home, "docs"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(cell_len(ln) for ln in lines) <= 80, r.stdout
    for d in full:
        rows = [ln for ln in lines if d["doc_id"][:12] in ln]
        assert len(rows) == 1, r.stdout  # the row did not wrap onto further lines
        shown = rows[0].split("│")[-2].strip()
        # the start and the end of the name both stay: "KINGPHARMACEUTIC…ION AGREEMENT.PDF"
        assert d["file"].startswith(shown.split("…")[0]) and d["file"].endswith(shown.split("…")[-1]), shown
        assert len(shown.split("…")[0]) >= 10 and len(shown.split("…")[-1]) >= 10
        assert str(d["pages"]) in rows[0]
    assert "not shown at this width; see --json" in r.stdout and "chunks" in r.stdout.split("\n(")[-1]
    assert len([ln for ln in lines if ln.startswith("│")]) == 4

    wide = runner.invoke(cli, ["--home", home, "docs"], env={"COLUMNS": "220"})
    for d in full:
        assert d["file"] in wide.stdout and d["ingested_at"].replace("T", " ")[:16] in wide.stdout
    assert "not shown" not in wide.stdout
    assert all(h in wide.stdout for h in ("type", "parties", "chunks", "ingested at"))


def test_shorten_keeps_both_ends_and_the_width():
    from rich.cells import cell_len

    from app.faces.cli.fit import shorten

    name = "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"
    for w in (12, 20, 33, 64):
        s = shorten(name, w, middle=True)
        assert cell_len(s) <= w and s.startswith(name[:4]) and s.endswith(name[-4:]) and "…" in s
    assert shorten(name, 200, middle=True) == name
    assert cell_len(shorten("契約書の全文と附属書類一式", 9)) <= 9  # wide characters count double
    assert shorten("PROMOTION AGREEMENT", 10) == "PROMOTION…"
