"""Issue 11's "Done when", end to end through the CLI: only DEEPSEEK_API_KEY set, LONGDOC_BASE_URL at a
loopback server that behaves like DeepSeek today (GET /models, thinking on unless switched off, reasoning
streamed before the answer, cache and reasoning usage, HTTP 400 "Model Not Exist")."""

from __future__ import annotations

import json
import os

import pytest
from conftest import KEY, KING
from fakeserver import FakeLLMServer
from typer.testing import CliRunner

from app.faces.cli import cli


@pytest.fixture(scope="module")
def deepseek_today():
    s = FakeLLMServer(persona="deepseek").start()
    yield s
    s.stop()


@pytest.fixture
def user(samples_home, deepseek_today, tmp_path, monkeypatch):
    """A user's folder holding a library (./.longdoc), and the only two variables the issue allows."""
    deepseek_today.queue.clear(), deepseek_today.requests.clear(), deepseek_today.gets.clear()
    monkeypatch.chdir(tmp_path)
    os.symlink(samples_home.home, tmp_path / ".longdoc")
    for k in [k for k in os.environ if k.startswith("LONGDOC_") or k in ("DEEPSEEK_API_KEY", "COMETAPI_KEY")]:
        monkeypatch.delenv(k)
    return {"DEEPSEEK_API_KEY": KEY, "LONGDOC_BASE_URL": deepseek_today.url}


def run(env, *args):
    return CliRunner().invoke(cli, list(args), env=env)


def test_ask_is_answered_by_deepseek_flash_with_thinking_explicitly_off(user, deepseek_today):
    r = run(user, "ask", "Which law governs the agreement?", "--docs", KING.name)
    assert r.exit_code == 0, r.output
    req = deepseek_today.requests[-1]
    assert req["path"] == "/chat/completions" and req["headers"]["authorization"] == f"Bearer {KEY}"
    body = req["json"]
    assert body["model"] == "deepseek-flash" and body["thinking"] == {"type": "disabled"}
    assert "reasoning_effort" not in body and body["stream"] is True
    assert "Hello, world." in r.stdout and "deepseek · deepseek-flash" in r.stdout
    assert "reasoning" not in r.stderr and KEY not in r.output


def test_thinking_turns_it_on_and_shows_the_reasoning_apart_from_the_answer(user, deepseek_today):
    r = run(user, "ask", "Which law governs the agreement?", "--docs", KING.name, "--thinking", "--effort", "max")
    assert r.exit_code == 0, r.output
    body = deepseek_today.requests[-1]["json"]
    assert body["thinking"] == {"type": "enabled"} and body["reasoning_effort"] == "max"
    assert "The question asks about the governing-law clause." in r.stderr and "── reasoning ──" in r.stderr
    assert "The question asks" not in r.stdout and "Hello, world." in r.stdout
    j = run(user, "ask", "Which law governs the agreement?", "--docs", KING.name, "--thinking", "--json")
    data = json.loads(j.stdout)
    assert data["reasoning"].startswith("The question asks") and data["answer"] == "Hello, world."
    assert data["usage"]["reasoning_tokens"] == 12 and data["usage"]["cached_tokens"] == 600
    bad = run(user, "ask", "Which law governs?", "--thinking", "--effort", "extreme")
    assert bad.exit_code == 1 and "low, high, max" in bad.stderr


def test_dry_run_json_reports_a_budget_near_1m_and_a_cost(user, deepseek_today):
    r = run(user, "ask", "Which law governs the agreement?", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["dry_run"]
    assert 1_000_000 < d["budget"] <= 1_048_576 and d["context_window"] == 1_048_576
    assert d["model"] == "deepseek-flash" and d["tokenizer"] == "deepseek-v4"
    assert d["estimated_cost_usd"] > 0 and d["estimated_cost_other_usd"] > 0 and d["price_window"] in ("peak", "off-peak")
    ratio = d["estimated_cost_other_usd"] / d["estimated_cost_usd"]
    assert ratio == pytest.approx(2.0, rel=1e-3) or ratio == pytest.approx(0.5, rel=1e-3)  # off-peak is half price
    assert d["cache_miss_tokens"] + d["cache_hit_tokens"] == d["prompt_tokens"] and d["packed_tokens"] > 10_000
    assert not deepseek_today.requests  # nothing was sent


def test_a_retired_name_ends_in_one_actionable_line_naming_the_replacement(user, deepseek_today):
    r = run({**user, "LONGDOC_MODEL": "deepseek-chat"}, "ask", "Which law governs?")
    assert r.exit_code == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "deepseek-chat" in lines[0] and "LONGDOC_MODEL=deepseek-flash" in lines[0]
    assert "budget" not in r.stderr and "Traceback" not in r.output
    assert not deepseek_today.requests and not deepseek_today.gets  # refused before any call
    r = run({**user, "LONGDOC_MODEL": "deepseek-reasoner"}, "doctor")
    assert r.exit_code == 1 and "LONGDOC_MODEL=deepseek-flash with --thinking" in r.stderr


def test_an_unknown_model_at_ask_time_names_the_served_models_never_a_budget(user, deepseek_today):
    r = run({**user, "LONGDOC_MODEL": "deepseek-v9-preview"}, "ask", "Which law governs?", "--docs", KING.name)
    assert r.exit_code == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "deepseek-v9-preview" in lines[0] and "deepseek-flash, deepseek-v4-pro" in lines[0] and "LONGDOC_MODEL" in lines[0]
    assert "budget" not in r.stderr.lower()


def test_doctor_lists_the_served_models_with_the_active_ones_window(user, deepseek_today):
    r = run(user, "doctor")
    assert r.exit_code == 0, r.output
    assert "served models" in r.stdout and "deepseek-flash, deepseek-v4-pro, deepseek-v4-flash" in r.stdout
    assert "1,048,576" in r.stdout and "393,216" in r.stdout and "switch" in r.stdout
    assert ("prices now (peak)" in r.stdout and "at the off-peak rate" in r.stdout) or (
        "prices now (off-peak)" in r.stdout and "at the peak rate" in r.stdout)
    assert deepseek_today.gets[-1]["path"] == "/models"
    assert deepseek_today.requests[-1]["json"]["thinking"] == {"type": "disabled"}  # the 1-token check
    j = json.loads(run(user, "doctor", "--json").stdout)
    assert j["model"] == "deepseek-flash" and j["is_served"] is True and j["context_window"] == 1_048_576
    gone = run({**user, "LONGDOC_MODEL": "deepseek-v9-preview"}, "doctor")
    assert gone.exit_code == 1 and "is not served" in gone.stderr and "deepseek-flash" in gone.stderr
