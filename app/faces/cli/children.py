"""Run a long-lived child (Streamlit, a web server, a worker) so that stopping longdoc stops it too.

`subprocess.call` alone leaves the child serving when longdoc is stopped with SIGTERM (a service manager,
`kill PID`, a container stop): Python dies at once and the child is re-parented, still holding the port.
Here the child gets its own process group (so its own children go with it), SIGTERM/SIGINT/SIGHUP sent to
longdoc are forwarded to that group, a child that ignores them is killed after a grace period, and on Linux
the child is also told to stop if longdoc itself is killed outright (kill -9: PR_SET_PDEATHSIG).
Hand-written because the standard library has each piece but no function that ties them together.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
GRACE_S = 10.0  # after a forwarded stop signal, how long the child may take before it is killed
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to send SIGTERM to this (child) process when its parent dies (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_child(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    own_group: bool = True,
    grace_s: float = GRACE_S,
) -> int:
    """Run `cmd` until it exits or longdoc is told to stop; return the exit status to pass on.

    A stop asked of longdoc (SIGTERM, SIGINT = Ctrl-C, SIGHUP) is forwarded to the child's group and
    counts as a clean stop (0) once the child is gone. `own_group=False` keeps the child in longdoc's
    process group, for children that must read the terminal (a background group cannot).
    """
    stop: list[int] = []
    proc: subprocess.Popen | None = None

    def forward(signum, _frame) -> None:
        stop.append(signum)
        if proc is not None and proc.poll() is None:
            if own_group:
                _signal_group(proc, signum)
            else:
                proc.send_signal(signum)

    previous = {}
    for sig in FORWARDED:
        try:
            previous[sig] = signal.signal(sig, forward)
        except (ValueError, OSError):  # not the main thread: the caller handles signals
            pass
    try:
        proc = subprocess.Popen(
            list(cmd),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            process_group=0 if own_group else None,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        if stop:  # a stop arrived while the child was starting
            forward(stop[-1], None)
        deadline = None
        while True:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if stop and deadline is None:
                deadline = time.monotonic() + grace_s
            if deadline is not None and time.monotonic() > deadline:
                _signal_group(proc, signal.SIGKILL) if own_group else proc.kill()
                code = proc.wait()
                break
        return 0 if stop else code
    finally:
        if proc is not None and proc.poll() is None:  # longdoc is leaving for another reason
            _signal_group(proc, signal.SIGTERM) if own_group else proc.terminate()
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL) if own_group else proc.kill()
                proc.wait()
        if proc is not None and own_group:
            _signal_group(proc, signal.SIGKILL)  # anything the child left behind in its group
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_children(timeout_s: float = 5.0) -> int:
    """End the multiprocessing children this process started (ingest's parser pool); returns how many.

    Repeats until none is left for a moment: a job thread whose pool just broke may start a fresh one."""
    import multiprocessing as mp  # only when children are stopped: the CLI starts without it
    n = 0
    quiet = 0
    deadline = time.monotonic() + 3 * timeout_s
    while quiet < 2 and time.monotonic() < deadline:
        kids = mp.active_children()
        quiet = quiet + 1 if not kids else 0
        for p in kids:
            p.terminate()
        for p in kids:
            p.join(timeout_s)
            if p.is_alive():
                p.kill()
                p.join(1)
        n += len(kids)
        time.sleep(0.2)
    return n
