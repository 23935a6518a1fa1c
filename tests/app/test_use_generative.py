"""Generative ask / summarize / compare against a real OpenAI-protocol server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from conftest import DYNAMEX, KEY, KING, Scenario, env_for, find_page, generative
from typer.testing import CliRunner

from app.answer.ask import ask
from app.answer.compare import compare
from app.answer.export import export
from app.answer.summarize import summarize
from app.faces.cli import cli
from model.base import ContentDelta, Finish

GOV_QUOTE = "construed under and in accordance with, and governed in all respects by, the laws of the State of New York"


@pytest.fixture(scope="module")
def gov(samples_home):
    return find_page(samples_home, "KINGPHARMA", GOV_QUOTE)


def test_ask_streams_verifies_and_reports_usage(samples_home, llm, gov, tmp_path):
    _, page = gov
    s = generative(samples_home, llm)
    llm.push(Scenario(content=[f'The agreement is "{GOV_QUOTE}" [D1 p.{page}]. ',
                               "It was signed on the moon in 1850 [D1 p.1]."]))
    events = []
    ans = ask(s, "What is the governing law?", docs=[KING.name], on_event=events.append)
    assert ans.mode == "generative" and ans.backend == "deepseek" and ans.model == "deepseek-flash"
    assert "".join(e.text for e in events if isinstance(e, ContentDelta)) == ans.answer
    assert isinstance(events[-1], Finish)
    flags = [(s_.labels, s_.supported) for s_ in ans.sentences]
    assert flags == [([f"D1 p.{page}"], True), (["D1 p.1"], False)]
    assert ans.verified_share == 0.5
    by = {c.label: c for c in ans.citations}
    assert by[f"D1 p.{page}"].verified and "New York" in by[f"D1 p.{page}"].text
    assert ans.usage["prompt_tokens"] == 1000 and ans.usage["cached_tokens"] == 600 and ans.cost_usd > 0
    # what the server received: documents fenced in the system message, the question last
    msgs = llm.requests[-1]["json"]["messages"]
    assert msgs[0]["role"] == "system" and "<documents>" in msgs[0]["content"] and "PROMOTION AGREEMENT" in msgs[0]["content"]
    assert msgs[-1] == {"role": "user", "content": "What is the governing law?"}
    assert ans.context_mode == "whole"
    # exports of a generative answer never carry the key
    for suf in (".md", ".json", ".docx"):
        p = export(ans, tmp_path / f"a{suf}")
        assert KEY.encode() not in p.read_bytes()
    assert "deepseek-flash" in (tmp_path / "a.md").read_text()

    # a second question over the same documents: same prefix → the dry run says it is likely cached
    dry = ask(s, "When does it expire?", docs=[KING.name], dry_run=True)
    assert dry.dry_run.prefix_cached_likely is True and dry.dry_run.estimated_cost_usd > 0
    assert dry.dry_run.prompt_tokens > dry.dry_run.packed_tokens > 1000
    other = ask(s, "When does it expire?", docs=[DYNAMEX.name], dry_run=True)
    assert other.dry_run.prefix_cached_likely is False
    assert len(llm.requests) == 1  # dry runs send nothing


def test_followup_history_and_cut_stream(samples_home, llm):
    s = generative(samples_home, llm)
    history = [{"role": "user", "content": "What is the governing law of the Dynamex agreement?"},
               {"role": "assistant", "content": "Ontario [D1 p.10].", "reasoning_content": "SECRET-REASONING-XYZ"}]
    llm.push(Scenario(kind="cut", content=["Ontario law ", "applies ", "to it", "."], cut_after=3))
    ans = ask(s, "And does it allow assignment?", docs=[DYNAMEX.name], history=history)
    assert ans.incomplete is True and ans.answer.startswith("Ontario law")
    assert ans.rewritten_query.startswith("What is the governing law of the Dynamex agreement?")
    msgs = llm.requests[-1]["json"]["messages"]
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert all("reasoning_content" not in m for m in msgs) and "SECRET-REASONING-XYZ" not in json.dumps(msgs)


def test_cli_generative_answer_and_model_errors(samples_home, llm, gov):
    _, page = gov
    runner = CliRunner()
    env = env_for(samples_home, llm)
    llm.push(Scenario(content=[f'It is "{GOV_QUOTE}" [D1 p.{page}]. The moon clause applies [D1 p.2].']))
    r = runner.invoke(cli, ["ask", "Which law governs?", "--docs", KING.name], env=env)
    assert r.exit_code == 0, r.output
    assert "Not backed by the cited passages (1)" in r.stdout and "✓" in r.stdout and "✗" in r.stdout
    assert "deepseek · deepseek-flash" in r.stdout and "quotes checked verbatim: 50% of cited sentences found in their passages" in r.stdout and "verified" not in r.stdout.split("deepseek · ")[-1]
    llm.push(Scenario(kind="status", status=401, body={"error": {"message": "Authentication Fails (invalid key)"}}))
    r = runner.invoke(cli, ["ask", "Which law governs?", "--docs", KING.name], env=env)
    assert r.exit_code == 1 and "model call failed" in r.stderr and "API_KEY" in r.stderr
    assert "Traceback" not in r.output and KEY not in r.output
    r = runner.invoke(cli, ["ask", "Which law governs?", "--docs", KING.name, "--dry-run"], env=env)
    assert r.exit_code == 0 and "estimated cost: $" in r.stdout and "at most $" in r.stdout and "deepseek-flash" in r.stdout


def test_summarize_one_pass_and_hierarchical(samples_home, llm, gov):
    _, page = gov
    s = generative(samples_home, llm)
    llm.push(Scenario(content=[f"The Promotion Agreement is governed by the laws of the State of New York [D1 p.{page}]."]))
    one = summarize(s, docs=[KING.name], style="brief")
    assert one.strategy == "one-pass" and one.calls == 1 and one.verified_share == 1.0
    assert "one-paragraph executive summary" in llm.requests[-1]["json"]["messages"][-1]["content"]

    seen = []
    llm.push(Scenario(content=["Dynamex agreement summary [D1 p.1]."]),
             Scenario(content=["Promotion agreement summary [D1 p.1]."]),
             Scenario(content=["Both are commercial agreements [D1 p.1; D2 p.1]."]))
    hier = summarize(s, docs=[KING.name, DYNAMEX.name], style="legal", budget=3000, progress=seen.append)
    assert hier.strategy == "hierarchical" and hier.calls == 3
    assert [sec.heading.split()[0] for sec in hier.sections] == ["D1", "D2"]
    assert "[D2 p.1]" in hier.sections[1].text  # the second document's own "D1" renumbered
    assert hier.usage["prompt_tokens"] == 3000 and hier.cost_usd > 0
    synth = llm.requests[-1]["json"]["messages"]
    assert "Agreements and differences" in synth[-1]["content"] and "[D2 p.1]" in synth[0]["content"]
    assert seen[-1]["done"] == seen[-1]["total"] and any(e.get("doc") == KING.name for e in seen)
    assert {c.label for c in hier.citations} == {"D1 p.1", "D2 p.1"}


def test_compare_generative_json_cells_per_document_when_they_do_not_fit_one_window(samples_home, llm, gov):
    _, page = gov
    s = generative(samples_home, llm, budget=20_000)  # neither 1M window holds both: one call per document
    dynamex = {"aspects": {"governing law": {"answer": "The laws of the Province of Ontario.", "label": "D1 p.10"},
                           "audit rights": {"answer": "not found", "label": None}}}
    king = {"aspects": {"governing law": {"answer": "The laws of the State of New York.", "label": f"D1 p.{page}"},
                        "audit rights": {"answer": "Each party may audit the other's records.", "label": "D1 p.3"}}}
    llm.push(Scenario(content=["```json\n" + json.dumps(dynamex) + "\n```"]), Scenario(content=[json.dumps(king)]))
    m = compare(s, docs=[KING.name, DYNAMEX.name], aspects="governing law, audit rights")
    assert llm.requests[-1]["json"].get("response_format", {}).get("type") == "json_object"
    gl_k = next(c for c in m.cells if c.file == KING.name and c.aspect == "governing law")
    assert gl_k.citation.label == f"D2 p.{page}" and gl_k.citation.verified and "New York" in gl_k.answer
    gl_d = next(c for c in m.cells if c.file == DYNAMEX.name and c.aspect == "governing law")
    assert gl_d.citation.label == "D1 p.10" and "Ontario" in gl_d.answer
    assert not next(c for c in m.cells if c.file == DYNAMEX.name and c.aspect == "audit rights").found
    audit_k = next(c for c in m.cells if c.file == KING.name and c.aspect == "audit rights")
    assert audit_k.found and audit_k.citation.label == "D2 p.3"
    assert m.usage["prompt_tokens"] == 2000 and m.mode == "generative" and m.strategy == "per-document"


def test_compare_reads_every_document_in_one_call_when_they_fit_the_window(samples_home, llm, gov):
    _, page = gov
    s = generative(samples_home, llm)
    both = {"documents": {
        "D1": {"governing law": {"answer": "The laws of the Province of Ontario.", "label": "D1 p.10"},
               "audit rights": {"answer": "not found", "label": None}},
        "D2": {"governing law": {"answer": "The laws of the State of New York.", "label": f"D2 p.{page}"},
               "audit rights": {"answer": "Each party may audit the other's records.", "label": "D2 p.3"}}}}
    llm.push(Scenario(content=["```json\n" + json.dumps(both) + "\n```"]))
    m = compare(s, docs=[KING.name, DYNAMEX.name], aspects="governing law, audit rights")
    assert len(llm.requests) == 1 and m.strategy == "one-pass"
    req = llm.requests[-1]["json"]
    assert req["response_format"] == {"type": "json_object"} and req["thinking"] == {"type": "disabled"}
    system = req["messages"][0]["content"]
    assert "## D1 ·" in system and "## D2 ·" in system and '"D1", "D2"' in req["messages"][-1]["content"]
    gl_k = next(c for c in m.cells if c.file == KING.name and c.aspect == "governing law")
    assert gl_k.citation.label == f"D2 p.{page}" and gl_k.citation.verified and "New York" in gl_k.answer
    gl_d = next(c for c in m.cells if c.file == DYNAMEX.name and c.aspect == "governing law")
    assert gl_d.citation.label == "D1 p.10" and "Ontario" in gl_d.answer
    assert not next(c for c in m.cells if c.file == DYNAMEX.name and c.aspect == "audit rights").found
    d = compare(s, docs=[KING.name, DYNAMEX.name], aspects="governing law", dry_run=True)
    assert d.dry_run.calls == 1 and d.strategy == "one-pass" and d.dry_run.budget > 1_000_000
