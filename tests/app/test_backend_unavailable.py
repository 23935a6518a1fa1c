"""Issue 21: the model path on today's SDKs, and an SDK that cannot be built, in every face.

With DEEPSEEK_API_KEY and LONGDOC_BASE_URL at a loopback imitation of DeepSeek's API, the API's ask answers (the
CLI's is tests/app/test_deepseek_today_cli.py, the UI's tests/ui/test_app.py). Then the failure of 2026-12-07 is
planted — the OpenAI SDK's client constructor raising the TypeError that openai 3.63 on httpx2 2.17 raised — and
each face must give one actionable line naming the cause: the CLI (exit 1, no traceback), the UI (Settings still
renders and lets the user choose another backend), the API (503 JSON, never "internal error (TypeError)"), MCP.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "model"))
from fakeserver import FakeLLMServer  # noqa: E402

from app.faces.cli import cli  # noqa: E402
from tests.api.conftest import cli_env, longdoc, stop_server  # noqa: E402
from tests.conftest import SAMPLES, _free_port  # noqa: E402

KEY = "sk-test-UNBUILDABLE-0123456789"
CAUSE = "Invalid timeout: expected a number, `None`, a tuple or `httpx2.Timeout`, got <class 'httpx.Timeout'>."
# the same fault in a child process: planted through sitecustomize, before any longdoc code runs
SITECUSTOMIZE = textwrap.dedent(f'''
    import openai

    def _refuse(self, *args, **kwargs):
        raise TypeError({CAUSE!r})

    openai.OpenAI.__init__ = _refuse
''')


@pytest.fixture(scope="module")
def deepseek():
    s = FakeLLMServer(persona="deepseek").start()
    yield s
    s.stop()


@pytest.fixture
def broken_sdk(monkeypatch):
    import openai

    def refuse(self, *args, **kwargs):
        raise TypeError(CAUSE)

    monkeypatch.setattr(openai.OpenAI, "__init__", refuse)


def _env(deepseek) -> dict:
    return {"DEEPSEEK_API_KEY": KEY, "LONGDOC_BASE_URL": deepseek.url, "LONGDOC_MAX_RETRIES": "0"}


def _one_actionable_line(text: str) -> None:
    assert "could not be started with openai" in text and "Invalid timeout" in text, text
    assert "make install" in text and "LONGDOC_BACKEND=none" in text, text
    assert "Traceback" not in text and KEY not in text, text


@pytest.mark.parametrize("args", [
    ["ask", "Which law governs the agreement?"],
    ["ask", "Which law governs the agreement?", "--thinking"],
    ["summarize", "--style", "brief"],
    ["doctor"],
])
def test_cli_says_one_line_and_exits_1(samples_home, deepseek, broken_sdk, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["--home", str(samples_home.home), *args], env=_env(deepseek))
    assert r.exit_code == 1, r.output
    _one_actionable_line(r.output)
    assert len([ln for ln in r.output.splitlines() if "could not be started" in ln]) == 1


def test_ui_ask_answers_with_deepseek_today(samples_home, deepseek, tmp_path, monkeypatch):
    """The UI's Ask page with only DEEPSEEK_API_KEY and LONGDOC_BASE_URL set: deepseek-flash answers, thinking
    switched off explicitly."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LONGDOC_HOME", str(samples_home.home))
    for k, v in _env(deepseek).items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(str(ROOT / "app" / "faces" / "ui" / "main.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="area").set_value("Ask").run()
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ans = at.session_state["chat"][-1]["answer"]
    assert ans.mode == "generative" and ans.model == "deepseek-flash" and ans.answer
    assert deepseek.requests[-1]["json"]["thinking"] == {"type": "disabled"}


def test_ui_settings_still_render_and_another_backend_can_be_chosen(samples_home, deepseek, broken_sdk, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LONGDOC_HOME", str(samples_home.home))
    for k, v in _env(deepseek).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("LONGDOC_BACKEND", "deepseek")
    at = AppTest.from_file(str(ROOT / "app" / "faces" / "ui" / "main.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.sidebar.radio(key="area").set_value("Ask").run()
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception, [e.value for e in at.exception]
    _one_actionable_line(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", " ".join(e.value for e in at.error)))  # as shown
    assert at.session_state["chat"] == [], "a failed call leaves no dangling question"
    at.sidebar.radio(key="area").set_value("Settings").run()
    assert not at.exception, [e.value for e in at.exception]  # the page that lets the user choose another renders
    at.selectbox(key="set_backend").set_value("none")
    at.button(key="FormSubmitter:model_form-Apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["overrides"]["backend"] == "none"
    at.sidebar.radio(key="area").set_value("Ask").run()
    at.chat_input(key="ask_input").set_value("Which law governs the agreements?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["chat"][-1]["answer"].mode == "extractive"


def _serve(home: Path, deepseek, extra_path: Path | None):
    from ingest.local_server import start_local_server

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = cli_env(home, LONGDOC_BACKEND="deepseek", **_env(deepseek))
    if extra_path is not None:
        env["PYTHONPATH"] = f"{extra_path}:{env['PYTHONPATH']}"
    proc = start_local_server(longdoc("serve", "--port", str(port)), home / "serve.log",
                              lambda: httpx.get(url + "/v1/health", timeout=2).status_code == 200, "longdoc serve",
                              timeout_s=90, stop=stop_server, cwd=ROOT, env=env)
    return proc, url


def _token(home: Path) -> str:
    import subprocess

    done = subprocess.run(longdoc("token", "create", "--matter", "default", "--role", "reader"), cwd=ROOT,
                          env=cli_env(home), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def served_home(tmp_path_factory):
    from app.config import load_settings
    from app.library import documents as library

    home = tmp_path_factory.mktemp("model_faces")
    s = load_settings(env={}, home=home)
    library.ingest(s, [SAMPLES / "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"])
    return home, _token(home)


def test_api_ask_answers_with_deepseek_today(served_home, deepseek):
    home, token = served_home
    proc, url = _serve(home, deepseek, None)
    try:
        r = httpx.post(url + "/v1/matters/default/ask", headers={"Authorization": f"Bearer {token}"},
                       json={"question": "Which law governs the agreement?"}, timeout=120)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["mode"] == "generative" and body["answer"], body
        sent = deepseek.requests[-1]["json"]
        assert sent["model"] == "deepseek-flash" and sent["thinking"] == {"type": "disabled"}
    finally:
        stop_server(proc)


def test_api_and_mcp_say_503_with_the_cause(served_home, deepseek, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    home, token = served_home
    proc, url = _serve(home, deepseek, tmp_path)
    try:
        r = httpx.post(url + "/v1/matters/default/ask", headers={"Authorization": f"Bearer {token}"},
                       json={"question": "Which law governs the agreement?"}, timeout=120)
        assert r.status_code == 503, r.text
        line = r.json()["error"]
        _one_actionable_line(line)
        assert "\n" not in line and "internal error" not in line

        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        async def main():
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(120.0))
            async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
                return await client.call_tool("ask", {"question": "Which law governs the agreement?"})

        result = anyio.run(main)
        assert result.is_error
        text = " ".join(getattr(c, "text", "") for c in result.content)
        _one_actionable_line(text)
        assert json.dumps(text).count("could not be started") == 1
    finally:
        stop_server(proc)


@pytest.mark.parametrize("args", [
    ["ask", "Which law governs the agreement?", "--dry-run"],
    ["context", "Which law governs the agreement?", "--budget", "4000"],
])
def test_what_needs_no_call_never_builds_the_client(samples_home, deepseek, broken_sdk, tmp_path, monkeypatch, args):
    """Issue 27: a dry run and a context read the model's facts (window, prices), never its SDK client."""
    monkeypatch.chdir(tmp_path)
    sent = len(deepseek.requests)
    r = CliRunner().invoke(cli, ["--home", str(samples_home.home), *args], env=_env(deepseek))
    assert r.exit_code == 0, r.output
    assert "could not be started" not in r.output
    assert len(deepseek.requests) == sent, "nothing is sent"
