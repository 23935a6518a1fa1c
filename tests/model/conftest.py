"""Fixtures for model tests: a real fault-injecting LLM server on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fakeserver import FakeLLMServer

KEY = "sk-test-SECRETKEY-0123456789abcdef"


@pytest.fixture(scope="module")
def _server():
    s = FakeLLMServer().start()
    yield s
    s.stop()


@pytest.fixture
def fake(_server):
    _server.queue.clear()
    _server.requests.clear()
    _server.gets.clear()
    yield _server
    _server.queue.clear()


@pytest.fixture
def key() -> str:
    return KEY
