"""Issue 27: a matter's quota and a full disk are each one clear line (413 / 507 on the API), and nothing is lost or
half-written. The full disk is real: LONGDOC_HOME on a small tmpfs, filled up."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import httpx
import pytest

from app.config import load_settings
from tests.api.conftest import cli_env, make_token, start_server, stop_server
from tests.conftest import SAMPLES
from tests.hardening.helpers import run_longdoc

PDF = SAMPLES / "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"
OTHER = SAMPLES / "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"
BIG = SAMPLES / "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf"  # 1.2 MB: more than the full disk has left


def _serve(home, log, **env):
    return start_server(home, log, timeout_s=120, env=env)


def _upload(url, token, path):
    with open(path, "rb") as fh:
        return httpx.post(url + "/v1/matters/alpha/documents", headers={"Authorization": f"Bearer {token}"},
                          files={"file": (path.name, fh, "application/pdf")}, timeout=300)


def _wait(url, token, job_id):
    deadline = time.monotonic() + 600
    while True:
        body = httpx.get(f"{url}/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        if body["status"] in ("ready", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.3)


def _one_line(text: str) -> None:
    assert "\n" not in text.strip() and "Traceback" not in text and "internal error" not in text, text


def test_an_upload_over_the_matters_quota_is_refused_with_its_reason(tmp_path):
    home = tmp_path / "home"
    s = load_settings(env={"LONGDOC_HOME": str(home)})
    from app.library import matters

    matters.create(s, "alpha")
    token = make_token(home, "alpha", "editor")
    quota = PDF.stat().st_size * 3  # room for the first document and its index, not for much more
    proc, url = _serve(home, tmp_path / "serve.log", LONGDOC_MATTER_QUOTA=str(quota))
    try:
        first = _upload(url, token, PDF)
        assert first.status_code == 202, first.text
        assert _wait(url, token, first.json()["job_id"])["status"] == "ready"
        over = _upload(url, token, OTHER)
        assert over.status_code == 413, over.text
        line = over.json()["error"]
        _one_line(line)
        assert "quota" in line and "LONGDOC_MATTER_QUOTA" in line and "storage purge" in line
        docs = httpx.get(url + "/v1/matters/alpha/documents", headers={"Authorization": f"Bearer {token}"}).json()
        assert [d["file"] for d in docs["documents"]] == [PDF.name], "the refusal loses nothing"
    finally:
        stop_server(proc)
    staged = [p for p in (home / "matters" / "alpha" / "uploads").rglob("*") if p.is_file()]
    assert not [p for p in staged if OTHER.name in p.name], staged


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()[:120]}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(mount, leave_bytes: int):
    filler = mount / "filler.bin"
    free = shutil.disk_usage(mount).free
    with open(filler, "wb") as fh:
        fh.truncate(0)
        chunk = b"\0" * (1 << 20)
        left = free - leave_bytes
        while left > 0:
            fh.write(chunk[: min(len(chunk), left)])
            left -= len(chunk)
    return filler


def test_a_full_disk_is_one_line_and_nothing_is_half_written(tmp_path, small_disk):
    home = small_disk / "home"
    s = load_settings(env={"LONGDOC_HOME": str(home)})
    from app.library import matters

    matters.create(s, "alpha")
    token = make_token(home, "alpha", "editor")
    proc, url = _serve(home, tmp_path / "serve.log")
    try:
        first = _upload(url, token, OTHER)
        assert first.status_code == 202, first.text
        assert _wait(url, token, first.json()["job_id"])["status"] == "ready"
        filler = _fill(small_disk, leave_bytes=256 * 1024)  # less than the next file
        full = _upload(url, token, BIG)
        assert full.status_code == 507, full.text
        line = full.json()["error"]
        _one_line(line)
        assert line.count("disk full") == 1 and "MB free" in line, line
        check = run_longdoc(["--matter", "alpha", "check", "--json"], cli_env(home), timeout=300)
        assert check.returncode in (0, 1) and "Traceback" not in check.stderr, check.stderr
        filler.unlink()  # space again: the same upload goes through, and what was there is intact
        again = _upload(url, token, BIG)
        assert again.status_code == 202, again.text
        assert _wait(url, token, again.json()["job_id"])["status"] == "ready"
        docs = httpx.get(url + "/v1/matters/alpha/documents", headers={"Authorization": f"Bearer {token}"}).json()
        assert sorted(d["file"] for d in docs["documents"]) == sorted([OTHER.name, BIG.name])
    finally:
        stop_server(proc)
    check = run_longdoc(["--matter", "alpha", "check"], cli_env(home), timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    os.sync()
