"""A local `redis-server` on loopback (Debian's package): the broker's real peer, for tests and benchmarks.

Started on a free port in its own process group, with no persistence to disk beyond its own folder,
and stopped by PID — like ingest/chroma_server.py for Chroma.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.local_server import free_port, start_local_server, stop_process


def redis_server_path() -> str | None:
    return shutil.which("redis-server") or (str(Path("/usr/bin/redis-server")) if Path("/usr/bin/redis-server").exists() else None)


def start_redis_server(folder: Path, timeout_s: float = 30.0):
    """A real redis-server on 127.0.0.1:<free port>; returns (Popen, url) once it answers PING."""
    import redis  # the Redis client: only where a redis-server is started (tests, bench)

    exe = redis_server_path()
    if exe is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    proc = start_local_server(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no",
         "--protected-mode", "yes"],
        folder / "redis.log", lambda: redis.Redis.from_url(url, socket_timeout=2).ping(), "redis-server",
        timeout_s=timeout_s, poll_s=0.1)
    return proc, url


__all__ = ["start_redis_server", "stop_process", "redis_server_path"]
