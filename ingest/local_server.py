"""Start a real server (chroma, redis-server, longdoc serve) on loopback for tests and benchmarks.

One shape for all of them: a free port, the child in its own process group with its output in a log file,
a readiness probe polled until it answers, and a clear error (with the log's tail) when the child exits or
never answers — in which case it is stopped, never left running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc) -> None:
    """Stop a process we started, by its PID: TERM, then KILL if it lingers."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def stop_group(proc) -> None:
    """Stop a child started in its own session and everything it started: TERM to its group, KILL if it lingers."""
    import contextlib

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def start_local_server(cmd: Sequence[str], log: Path, ready: Callable[[], bool], name: str, *,
                       timeout_s: float = 90.0, poll_s: float = 0.3, stop: Callable = stop_process,
                       **popen) -> subprocess.Popen:
    """Popen(cmd) in its own session, output to `log`; returns once `ready()` is true. `ready` may raise
    OSError (or anything the caller's client raises for a refused connection: it is retried)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, **popen)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {_tail(log)}")
        try:
            if ready():
                return proc
        except Exception:  # noqa: BLE001 - not answering yet (connection refused, reset, timeout)
            pass
        time.sleep(poll_s)
    stop(proc)
    raise RuntimeError(f"{name} did not answer within {timeout_s} s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return ""
