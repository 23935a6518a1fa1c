"""A local `chroma run` on loopback: the server mode's real peer, for tests and benchmarks.

Chroma ships the server (`chroma run`) with the package; this starts one on a free port in its own
process group, waits until it answers, and stops it by PID.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chroma_server(path: Path, log: Path, timeout_s: float = 90.0):
    """A real `chroma run` on a free port (own process group); returns (Popen, url) once it answers."""
    import subprocess
    import sys
    import time
    import urllib.request

    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    out = open(log, "wb")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    out.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop_process(proc)
    raise RuntimeError(f"chroma run did not answer within {timeout_s} s: {log.read_text()[-2000:]}")


def stop_process(proc) -> None:
    """Stop a process we started, by its PID: TERM, then KILL if it lingers."""
    import signal
    import subprocess

    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
