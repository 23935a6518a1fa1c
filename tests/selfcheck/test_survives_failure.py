"""One failing test never takes the run down: a planted failure runs in a child pytest with the project's own
configuration and conftest, and is reported as one failure among passes, not an INTERNALERROR."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "tests/selfcheck/planted_failure.py"


def _run(**env) -> tuple[int, str]:
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PLANTED], cwd=ROOT,
                       env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def test_a_planted_failure_is_one_failure_and_the_run_goes_on():
    code, out = _run()
    assert "INTERNALERROR" not in out, out[-3000:]
    assert re.search(r"\b1 failed, 3 passed\b", out), out[-3000:]
    assert code == 1
    assert "planted failure" in out  # the failure itself is shown


@pytest.mark.skipif(sys.version_info[:3] != (3, 11, 7), reason="the AST bug the guard works around is CPython 3.11.7's")
def test_without_the_guard_the_same_failure_takes_the_run_down():
    """What the guard is for: the same planted failure crashes pytest itself on 3.11.7."""
    code, out = _run(LONGDOC_AST_GUARD="off")
    assert "AST constructor recursion depth mismatch" in out
    assert code == 3  # INTERNALERROR: the tests after the failure never ran
