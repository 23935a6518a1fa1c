"""`longdoc serve` and `longdoc mcp` stop every process they started on SIGTERM within 10 s — also with an ingest
job running: serve stops the local worker it started, the job goes back to the queue, and the next worker (here
the one `jobs.wait` starts) finishes it."""

from __future__ import annotations

import subprocess
import time

import httpx

from tests.api.conftest import ROOT, SAMPLES, auth, cli_env, group_alive, longdoc, make_token, start_server, stop_server

BIG = SAMPLES / "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf"


def test_serve_stops_its_parser_processes_on_sigterm(tmp_path):
    from app.config import load_settings
    from app.library import jobs, matters

    s = load_settings(env={}, home=tmp_path)
    matters.create(s, "alpha")
    token = make_token(tmp_path, "alpha", "editor")
    proc, url = start_server(tmp_path, tmp_path / "serve.log")
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            r = c.post("/v1/matters/alpha/documents", headers=auth(token),
                       files={"file": (BIG.name, BIG.read_bytes(), "application/pdf")})
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            deadline = time.monotonic() + 60
            status = "queued"
            while time.monotonic() < deadline and status == "queued":
                status = c.get(f"/v1/jobs/{job_id}", headers=auth(token)).json()["status"]
                time.sleep(0.1)
            assert status in ("parsing", "embedding", "ready"), status
        held = jobs.get_job(s, job_id).worker
        kids = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        started = time.monotonic()
        clean = stop_server(proc, timeout_s=30)
        assert clean, f"processes of the server's group outlived it (group had {kids})"
        assert proc.returncode == 0
        if held:  # the local worker serve started (its own session) stops with it, within 10 s
            worker_pid = int(held.rsplit(":", 1)[1])
            while group_alive(worker_pid) and time.monotonic() - started < 10:
                time.sleep(0.1)
            assert not group_alive(worker_pid), "serve's local worker outlived it"
        # the job goes back to the queue and the next worker finishes it
        (job,) = jobs.wait(s, [job_id], timeout_s=300)
        assert job.status == "ready", job.as_dict()
    finally:
        if proc.poll() is None or group_alive(proc.pid):
            stop_server(proc)


def test_mcp_stdio_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen(longdoc("mcp"), cwd=ROOT, env=cli_env(tmp_path), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        time.sleep(4)  # imported and serving
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert stop_server(proc, timeout_s=20)
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            stop_server(proc)


def test_refuses_to_bind_beyond_localhost_without_sign_in(tmp_path):
    env = cli_env(tmp_path)
    done = subprocess.run(longdoc("serve", "--host", "0.0.0.0", "--port", "1"), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no API token exists" in done.stderr
    done = subprocess.run(longdoc("ui", "--address", "0.0.0.0", "--port", "1"), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no sign-in is configured" in done.stderr
