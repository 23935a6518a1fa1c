"""ask / summarize / compare / eval answers from the CLI on the ingested samples, extractive default."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from conftest import DYNAMEX, KING, env_for, find_page
from typer.testing import CliRunner

from app.faces.cli import cli

GOV_KING = "the laws of the State of New York"
GOV_DYNAMEX = "laws of the Province of Ontario"


@pytest.fixture(scope="module")
def run(samples_home):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), env=env_for(samples_home), catch_exceptions=False)

    return invoke


def test_ask_governing_law_json_cites_the_right_page(run, samples_home):
    doc_id, page = find_page(samples_home, "KINGPHARMA", GOV_KING)
    r = run("ask", "What is the governing law for this contract?", "--docs", KING.name, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["mode"] == "extractive" and data["backend"] == "none" and data["cost_usd"] == 0
    assert data["answer"].startswith("Extractive answer (no model configured)")
    top = data["citations"][0]
    assert top["doc_id"] == doc_id and top["page_start"] <= page <= top["page_end"], top
    assert "New York" in top["text"] and top["verified"] is True and top["label"].startswith("D1 p.")
    cov = data["coverage"][0]
    assert cov["doc_id"] == doc_id and cov["pages_total"] == 59 and cov["pages_in_context"]
    assert {"question", "answer", "model", "reasoning", "usage"} <= set(data)


def test_ask_across_documents_and_not_in_documents(run):
    r = run("ask", "Which law governs these agreements?", "--json")
    data = json.loads(r.stdout)
    texts = " ".join(c["text"] for c in data["citations"])
    assert "Ontario" in texts and "New York" in texts
    assert len({c["doc_id"] for c in data["citations"]}) >= 2
    r = run("ask", "What is the melting point of tungsten in kelvin?", "--json")
    data = json.loads(r.stdout)
    assert data["not_found"] is True and "Not in the documents" in data["answer"]


def test_plain_output_dry_run_and_clean_errors(run):
    r = run("ask", "What is the governing law?", "--docs", DYNAMEX.name)
    assert r.exit_code == 0 and "Ontario" in r.stdout and "Sources" in r.stdout and "$0" in r.stdout
    r = run("ask", "What is the governing law?", "--dry-run")
    assert r.exit_code == 0 and "no model configured — extractive, $0" in r.stdout and "tokens packed" in r.stdout
    r = run("ask", "What is the governing law?", "--docs", "no-such-contract.pdf")
    assert r.exit_code == 1 and "no document matches 'no-such-contract.pdf'" in r.stderr
    assert "Traceback" not in r.output
    r = run("summarize", "--export", "summary.xyz")
    assert r.exit_code == 1 and "cannot export" in r.stderr and "Traceback" not in r.output
    r = run("summarize", "--style", "poetic")
    assert r.exit_code == 1 and "unknown style" in r.stderr


def test_summarize_exports_markdown_and_docx(run, tmp_path):
    md, dx = tmp_path / "out" / "summary.md", tmp_path / "out" / "summary.docx"
    r = run("summarize", "--style", "brief", "--export", str(md))
    assert r.exit_code == 0, r.output
    r = run("summarize", "--style", "brief", "--export", str(dx))
    assert r.exit_code == 0, r.output
    text = md.read_text()
    assert "Extractive summary (no model configured)" in text and "Agreements and differences" in text
    assert "## Sources" in text and "[D1 p." in text and "[D2 p." in text
    import docx

    d = docx.Document(str(dx))
    body = "\n".join(p.text for p in d.paragraphs)
    assert "Sources" in body and "Agreements and differences" in body and "sha256" in body


def test_summarize_legal_json_has_each_aspect_with_pages(run, samples_home):
    _, page = find_page(samples_home, "KINGPHARMA", GOV_KING)
    r = run("summarize", "--docs", KING.name, "--style", "legal", "--json")
    data = json.loads(r.stdout)
    heads = {s["heading"]: s for s in data["sections"]}
    assert {"Parties", "Term and renewal", "Governing law", "Termination", "Payment"} <= set(heads)
    gov = heads["Governing law"]
    assert "New York" in gov["text"] and gov["labels"] == [f"D1 p.{page}"] or f"p.{page}" in gov["labels"][0]
    assert data["strategy"] == "extractive" and data["citations"] and data["cost_usd"] == 0


def test_compare_matrix_csv_xlsx(run, tmp_path):
    args = ["compare", "--docs", KING.name, "--docs", DYNAMEX.name, "--aspects", "governing law, audit rights, warp drive"]
    r = run(*args, "--export", str(tmp_path / "m.csv"))
    assert r.exit_code == 0, r.output
    r = run(*args, "--export", str(tmp_path / "m.xlsx"), "--json")
    data = json.loads(r.stdout)
    cells = {(c["file"][:5], c["aspect"]): c for c in data["cells"]}
    assert "Ontario" in cells[("DYNAM", "governing law")]["answer"]
    assert "New York" in cells[("KINGP", "governing law")]["answer"]
    assert cells[("KINGP", "governing law")]["label"].startswith("D2 p.")
    assert cells[("KINGP", "warp drive")]["found"] is False
    rows = list(csv.reader(open(tmp_path / "m.csv", encoding="utf-8")))
    assert rows[0][1].startswith("D1 DYNAMEX") and rows[0][2].startswith("D2 KINGPHARMA")
    assert rows[1][0] == "governing law" and "Ontario" in rows[1][1] and "[D1 p." in rows[1][1]
    assert rows[3] == ["warp drive", "not found", "not found"]
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "m.xlsx")
    assert "Ontario" in wb["Matrix"]["B2"].value and wb["Sources"].max_row >= 3


def test_eval_answers_scores_a_small_set(run, samples_home, tmp_path):
    set_dir = tmp_path / "miniset"
    set_dir.mkdir()
    for p in (KING, DYNAMEX):
        shutil.copy(p, set_dir / p.name)
    qs = [
        {"id": "g1", "question": "What is the governing law for this contract?", "answer": "New York",
         "evidence": ["governed in all respects by, the laws of the State of New York"], "doc": KING.name},
        {"id": "g2", "question": "What is the governing law for this contract?", "answer": "Ontario",
         "evidence": ["This Agreement shall be governed and construed in accordance with the laws of the Province of Ontario."],
         "doc": DYNAMEX.name},
        {"id": "n1", "question": "What is the melting point of tungsten?", "answer": "Not answerable", "answerable": False,
         "doc": DYNAMEX.name},
    ]
    (set_dir / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in qs) + "\n")
    r = run("eval", "answers", "--set", str(set_dir), "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    row = rep["modes"][0]
    assert row["mode"] == "extractive" and row["answerable"] == 2 and row["unanswerable"] == 1
    assert row["answer_ok"] == 1.0 and row["page_ok"] == 1.0 and row["refused_ok"] == 1
    assert not (samples_home.home / "eval").exists()  # same files as the library: nothing re-ingested
    r = run("eval", "answers", "--set", str(set_dir))
    assert "answer ok" in r.stdout and "extractive" in r.stdout
