"""Whole-library questions in ask (issue 23): a question that selects among the documents and names none is
answered by a review — the table plus a short synthesis — in the CLI (the API's test is tests/api/test_api_review.py)."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import KING, env_for, generative
from test_review import EvidenceServer
from typer.testing import CliRunner

from app.answer.review import cache_dir
from app.answer.sweep import is_library_wide
from app.faces.cli import cli

WIDE = [
    "Which contracts are governed by New York law?",
    "Which of our supply agreements can be terminated for convenience?",
    "List every agreement that caps the supplier's liability.",
    "List all the documents with a non-compete clause",
    "All agreements that contain an audit right",
    "How many of the contracts have a most favoured nation clause?",
    "Do any of these contracts require insurance?",
    "In which contracts is there an exclusivity clause?",
    "Find the leases that allow subletting",
    "哪些合同约定了仲裁？",
    "列出所有包含保密条款的协议",
    "所有合同中的违约金条款是多少？",
    "每份合同的管辖法律是什么？",
]
NARROW = [
    "Which law governs the agreement?",
    "What is the termination notice period?",
    "Which party pays for shipping?",
    "Consider the Promotion Agreement between Depomed and King; which state's law governs it?",
    "What does this contract say about audits?",
    "Which section of the agreement covers indemnification?",
    "What are all the obligations of the distributor?",
    "本合同适用哪个法律？",
    "各方在本合同项下的义务是什么？",
    "合同中的所有权条款是什么？",
    "What are the colors of this document? List all the colors in the list format",
    "What are the amounts on the checks? Enumerate each amount within a list",
    "List all the obligations of the licensee",
    "Which of these contracts is governed by the law of this agreement's parent?",
    "这份合同中列出的所有协议有哪些？",
]


@pytest.mark.parametrize("q", WIDE)
def test_questions_that_select_among_the_documents_are_library_wide(q):
    assert is_library_wide(q), q


@pytest.mark.parametrize("q", NARROW)
def test_questions_about_one_document_are_not(q):
    assert not is_library_wide(q), q


@pytest.fixture(scope="module")
def home(samples_home, tmp_path_factory):
    from app.library import documents as library

    dst = tmp_path_factory.mktemp("sweep") / "home"
    shutil.copytree(samples_home.home, dst)
    s = samples_home.replace(home=dst)
    yield s
    library.forget_stores(s)


def test_cli_ask_answers_a_whole_library_question_with_a_review_table(home):
    shutil.rmtree(cache_dir(home), ignore_errors=True)
    q = "Which contracts are governed by the laws of a state?"
    r = CliRunner().invoke(cli, ["ask", q, "--json"], env=env_for(home))
    assert r.exit_code == 0, r.output
    ans = json.loads(r.stdout)
    assert ans["context_mode"] == "review" and ans["mode"] == "extractive"
    table = ans["review"]
    assert table["questions"] == [q] and len(table["rows"]) == 4
    yes = [row["doc"] for row in table["rows"] if row["cells"][0]["verdict"] == "yes"]
    assert ans["answer"].startswith("Reviewed 4 documents")
    assert all(doc in ans["answer"] for doc in yes)
    assert len(ans["citations"]) == len(yes) and all(c["doc_id"] and c["page_start"] >= 1 for c in ans["citations"])
    # a dry run: the review's estimate, nothing computed
    shutil.rmtree(cache_dir(home), ignore_errors=True)
    r = CliRunner().invoke(cli, ["ask", q, "--dry-run", "--json"], env=env_for(home))
    dry = json.loads(r.stdout)
    assert dry["dry_run"]["documents"] == 4 and dry["dry_run"]["estimated_cost_usd"] == 0.0
    assert dry["review"]["dry_run"]["cells"] == 4 and not list(cache_dir(home).rglob("*.json"))
    r = CliRunner().invoke(cli, ["ask", q, "--dry-run"], env=env_for(home))
    assert r.exit_code == 0 and "review of 4 documents" in r.stdout, r.stdout
    # the printed face shows the grid too
    r = CliRunner().invoke(cli, ["ask", q], env=env_for(home))
    assert r.exit_code == 0 and "Reviewed 4 documents" in r.stdout and "document" in r.stdout
    # a question about one named document is not a review
    r = CliRunner().invoke(cli, ["ask", "Which law governs the agreement?", "--docs", KING.name, "--json"],
                           env=env_for(home))
    assert "review" not in json.loads(r.stdout)
    # nor when switched off
    r = CliRunner().invoke(cli, ["ask", q, "--json"], env={**env_for(home), "LONGDOC_ASK_REVIEW": "false"})
    assert "review" not in json.loads(r.stdout)


def test_with_a_model_the_synthesis_is_one_short_call_over_the_cells(home):
    shutil.rmtree(cache_dir(home), ignore_errors=True)
    server = EvidenceServer(persona="deepseek").start()
    try:
        s = generative(home, server)
        from app.answer.ask import ask

        ans = ask(s, "Which agreements can be terminated for convenience?")
        calls = [r for r in server.requests if r["path"].endswith("/chat/completions")]
        assert len(calls) == 4 + 1  # one review call per document, then the synthesis
        synth = calls[-1]["json"]["messages"]
        assert "synthesis" in synth[0]["content"] and synth[1]["content"].count("\n- ") == 4
        assert ans.review is not None and ans.mode == "generative" and ans.context_mode == "review"
        assert ans.cost_usd is not None and ans.cost_usd > 0
    finally:
        server.stop()
