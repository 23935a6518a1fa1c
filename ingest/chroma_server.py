"""A local `chroma run` on loopback: the server mode's real peer, for tests and benchmarks.

Chroma ships the server (`chroma run`) with the package; this starts one on a free port in its own
process group, waits until it answers, and stops it by PID.
"""

from __future__ import annotations

from pathlib import Path

from ingest.local_server import free_port, start_local_server, stop_process  # noqa: F401 - re-exported


def start_chroma_server(path: Path, log: Path, timeout_s: float = 90.0):
    """A real `chroma run` on a free port (own process group); returns (Popen, url) once it answers."""
    import sys
    import urllib.request

    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        with urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=2) as r:
            return r.status == 200

    proc = start_local_server([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                              log, ready, "chroma run", timeout_s=timeout_s)
    return proc, url

