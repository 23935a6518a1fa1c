"""Fixtures the UI tests share."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def llm():
    """A real OpenAI-protocol server on 127.0.0.1 (tests/model/fakeserver.py), stopped after the test."""
    sys.path.insert(0, str(ROOT / "tests" / "model"))
    from fakeserver import FakeLLMServer

    s = FakeLLMServer().start()
    yield s
    s.stop()
