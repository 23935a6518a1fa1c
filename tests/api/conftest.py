"""A real `longdoc serve` on loopback (uvicorn in a subprocess, its own process group) over a real home
with two matters: alpha holds a CUAD contract uploaded through the API, beta a small text of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ingest.local_server import start_local_server
from tests.conftest import ROOT, SAMPLES, _free_port

A_PDF = SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"
# words that occur in alpha's contract only: if beta ever sees them, isolation failed
A_PHRASES = ("Dynamex", "Marketing and Transportation Services", "DYNAMEX")
B_TEXT = (
    "Beta Holdings memorandum.\n\n"
    "The lease of the warehouse at 12 Harbour Road runs for seven years from 1 March 2024. "
    "Rent is payable quarterly in advance. The tenant may break the lease after year three on six months' notice.\n"
)


def cli_env(home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(PYTHONPATH=str(ROOT), LONGDOC_HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false", LONGDOC_WORKERS="1")
    env.update(extra)
    return env


def longdoc(*args: str) -> list[str]:
    """The `longdoc` command as this checkout runs it."""
    return [sys.executable, "-c", "from app.faces.cli import main; main()", *args]


MAX_FILE_MB = 4  # the test server's upload limit (small, so the over-limit upload is quick to send)


def start_server(home: Path, log: Path, *extra: str, timeout_s: float = 90.0, env: dict | None = None):
    """`longdoc serve` on a free port in its own process group; (Popen, base URL) once /v1/health answers.
    `env`: more settings for the server (LONGDOC_* and the like), over the test server's upload limit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_local_server(longdoc("serve", "--port", str(port), *extra), log,
                              lambda: httpx.get(url + "/v1/health", timeout=2).status_code == 200, "longdoc serve",
                              timeout_s=timeout_s, stop=stop_server, cwd=ROOT,
                              env=cli_env(home, **{"LONGDOC_MAX_FILE_MB": str(MAX_FILE_MB), **(env or {})}))
    return proc, url


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_server(proc, timeout_s: float = 30.0) -> bool:
    """SIGTERM the server only (not its group): True when it and every process it started are gone in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (proc.poll() is None or group_alive(proc.pid)):
        time.sleep(0.2)
    clean = proc.poll() is not None and not group_alive(proc.pid)
    if not clean and group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)  # our own group: never leave it behind
        proc.wait(10)
    return clean


def make_token(home: Path, matter: str, role: str) -> str:
    """`longdoc token create`, as a user runs it: the token is the last line."""
    done = subprocess.run(longdoc("token", "create", "--matter", matter, "--role", role), cwd=ROOT, env=cli_env(home),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def wait_job(client: httpx.Client, job_id: str, token: str, timeout_s: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        r = client.get(f"/v1/jobs/{job_id}", headers=auth(token))
        assert r.status_code == 200, r.text
        job = r.json()
        seen.append(job["status"])
        if job["status"] in ("ready", "failed"):
            job["seen"] = seen
            return job
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} not done in {timeout_s} s: {seen[-5:]}")


def auth(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


@dataclass
class Api:
    url: str
    home: Path
    proc: subprocess.Popen
    tokens: dict[str, str]
    a_doc: str = ""
    b_doc: str = ""
    a_job: dict = field(default_factory=dict)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=180)


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    from app.config import load_settings
    from app.library import matters

    home = tmp_path_factory.mktemp("api_home")
    s = load_settings(env={}, home=home)
    for name in ("alpha", "beta", "scratch"):
        matters.create(s, name)
    tokens = {
        "a_editor": make_token(home, "alpha", "editor"),
        "a_reader": make_token(home, "alpha", "reader"),
        "b_reader": make_token(home, "beta", "reader"),
        "b_editor": make_token(home, "beta", "editor"),
        "admin": make_token(home, "*", "admin"),
        "scratch_editor": make_token(home, "scratch", "editor"),
    }
    proc, url = start_server(home, home / "serve.log")
    api = Api(url, home, proc, tokens)
    try:
        with api.client() as c:
            r = c.post("/v1/matters/alpha/documents", headers=auth(tokens["a_editor"]),
                       files={"file": (A_PDF.name, A_PDF.read_bytes(), "application/pdf")})
            assert r.status_code == 202, r.text
            api.a_job = wait_job(c, r.json()["job_id"], tokens["a_editor"])
            assert api.a_job["status"] == "ready", api.a_job
            api.a_doc = api.a_job["doc_id"]
            r = c.post("/v1/matters/beta/documents", headers=auth(tokens["b_editor"]),
                       files={"file": ("beta-lease.txt", B_TEXT.encode(), "text/plain")})
            assert r.status_code == 202, r.text
            job = wait_job(c, r.json()["job_id"], tokens["b_editor"])
            assert job["status"] == "ready", job
            api.b_doc = job["doc_id"]
        yield api
    finally:
        api.stopped_cleanly = stop_server(proc)


def without_echo(payload):
    """What a reply says apart from the asker's own words: the question or query, and the route's readings of
    it (its ask and listed items), which repeat whatever the asker typed — an alpha name typed by a beta user
    is no leak; alpha's text in anything else is."""
    if not isinstance(payload, dict):
        return payload
    out = {k: v for k, v in payload.items() if k not in ("query", "question", "rewritten_query")}
    if isinstance(out.get("route"), dict):
        out["route"] = {k: v for k, v in out["route"].items() if k not in ("question", "ask", "items")}
    return out
