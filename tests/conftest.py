"""Shared test fixtures. Real PDFs from ../shared, a real Chroma, no mocks of either."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
for _k in [k for k in os.environ if k.startswith("LONGDOC_") or k in ("DEEPSEEK_API_KEY", "COMETAPI_KEY")]:
    del os.environ[_k]  # tests start from defaults; each test sets what it needs

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT.parent / "shared").resolve()
DEV = SHARED / "eval" / "dev"
ROBUST = SHARED / "eval" / "robustness"
CUAD = SHARED / "corpus" / "cuad"
SAMPLES = ROOT / "data" / "samples"
OUTPUT = ROOT / "tests" / "output"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
