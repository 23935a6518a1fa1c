"""`longdoc ui` as a child for the browser tests: started in its own process group on a free port, waited for
until Streamlit reports healthy, and stopped with its whole group afterwards (one copy for every UI test that
needs a live server, so a change to how the UI starts is made once)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ingest.local_server import free_port, stop_group


def ui_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without its LONGDOC_* settings, offline, on `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(LONGDOC_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **extra)
    return env


@contextlib.contextmanager
def running_ui(env: dict[str, str], cwd: Path, *, timeout: float = 90):
    """Yield the base URL of a healthy `longdoc ui`; its log is `cwd/ui.log` (shown when it fails to start)."""
    port = free_port()
    longdoc = Path(sys.executable).with_name("longdoc")
    cmd = [str(longdoc)] if longdoc.exists() else [sys.executable, "-c", "from app.faces.cli import main; main()"]
    log_path = cwd / "ui.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd + ["ui", "--port", str(port), "--address", "127.0.0.1"], cwd=cwd, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + timeout
            while True:
                try:
                    if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read().strip() == b"ok":
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("longdoc ui did not start:\n" + log_path.read_text(errors="replace")[-3000:])
                time.sleep(0.5)
            yield url
        finally:
            stop_group(proc)
