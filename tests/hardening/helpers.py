"""Shared bits of the hardening tests: running the real `longdoc` CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.fixtures import pdfs

LONGDOC = Path(sys.executable).parent / "longdoc"


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a `longdoc` subprocess: offline, no inherited LONGDOC_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def start_longdoc(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`longdoc ARGS` in its own process group, stdout+stderr to `log` (read it after it ends)."""
    out = open(log, "wb")
    try:
        return subprocess.Popen([str(LONGDOC), *args], cwd=str(ROOT), env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        out.close()


def run_longdoc(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(LONGDOC), *args], cwd=str(ROOT), env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def json_results(text: str) -> list[dict]:
    """The JSON list `longdoc ingest --json` prints (last JSON array in the output)."""
    start = text.rfind("\n[")
    start = 0 if start < 0 and text.startswith("[") else start + 1
    return json.loads(text[start:])


def small_contracts(n: int) -> list[Path]:
    """n (≤ 4) small real contracts that embed in seconds: two-page extracts of the samples."""
    return pdfs.small_contracts(n)
