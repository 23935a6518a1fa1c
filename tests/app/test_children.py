"""app/faces/cli/children.run_child: a child started by a longdoc command stops when longdoc is stopped.

Real processes: a parent Python running run_child (as `longdoc ui` does) and a child that records its PID
(and, in one test, a grandchild), signalled the way a service manager, a terminal or the OOM killer would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, signal, subprocess, sys, time
out = sys.argv[1]
if len(sys.argv) > 2 and sys.argv[2] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
pids = [os.getpid()]
if len(sys.argv) > 2 and sys.argv[2] == "grandchild":
    pids.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]).pid)
open(out + ".tmp", "w").write(" ".join(map(str, pids)))
os.replace(out + ".tmp", out)
time.sleep(120)
"""

PARENT = """
import sys
from app.faces.cli.children import run_child
sys.exit(run_child([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], grace_s=1.0))
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(tmp_path: Path, *mode: str) -> tuple[subprocess.Popen, list[int]]:
    marker = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, str(marker), *mode], cwd=ROOT, env=env,
                              start_new_session=True)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline and parent.poll() is None, "the child never started"
        time.sleep(0.05)
    return parent, [int(p) for p in marker.read_text().split()]


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _cleanup(parent: subprocess.Popen, pids: list[int]) -> None:
    for pid in [parent.pid, *pids]:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    parent.wait(timeout=10)


def test_exit_status_of_the_child_is_passed_on():
    from app.faces.cli.children import run_child

    assert run_child([sys.executable, "-c", "import sys; sys.exit(3)"]) == 3
    assert run_child([sys.executable, "-c", "pass"]) == 0


def test_sigterm_to_the_parent_stops_the_child_and_its_children(tmp_path):
    parent, pids = _start(tmp_path, "grandchild")
    try:
        assert all(_alive(p) for p in pids)
        os.kill(parent.pid, signal.SIGTERM)  # the parent only, as `kill PID` or systemd would
        assert parent.wait(timeout=10) == 0  # a requested stop is a clean stop
        assert _gone_within(pids, 5), "the child (or its own child) outlived the parent"
    finally:
        _cleanup(parent, pids)


def test_ctrl_c_is_forwarded(tmp_path):
    parent, pids = _start(tmp_path)
    try:
        os.kill(parent.pid, signal.SIGINT)
        assert parent.wait(timeout=10) == 0
        assert _gone_within(pids, 5)
    finally:
        _cleanup(parent, pids)


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    parent, pids = _start(tmp_path, "stubborn")
    try:
        started = time.monotonic()
        os.kill(parent.pid, signal.SIGTERM)
        assert parent.wait(timeout=15) == 0
        assert _gone_within(pids, 5)
        assert time.monotonic() - started >= 0.9  # it was given its grace period first
    finally:
        _cleanup(parent, pids)


def test_kill_9_of_the_parent_still_stops_the_child(tmp_path):
    """SIGKILL cannot be forwarded; the kernel tells the child instead (PR_SET_PDEATHSIG)."""
    parent, pids = _start(tmp_path)
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _gone_within(pids[:1], 5), "the child outlived a killed parent"
    finally:
        _cleanup(parent, pids)
