"""`longdoc ui` starts a headless Streamlit server on 127.0.0.1; `clean-uploads` removes abandoned uploads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from app.faces.cli import cli
from app.faces.cli.ui import UI_SCRIPT, streamlit_command
from ingest.chroma_server import free_port


def test_command_line_is_headless_local_and_private():
    cmd = streamlit_command(8555, "127.0.0.1", 200)
    pairs = dict(zip(cmd[5::2], cmd[6::2]))
    assert cmd[1:5] == ["-m", "streamlit", "run", str(UI_SCRIPT)] and Path(UI_SCRIPT).is_file()
    assert pairs["--server.headless"] == "true"
    assert pairs["--server.address"] == "127.0.0.1"
    assert pairs["--server.port"] == "8555"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--server.maxUploadSize"] == "200"


def test_longdoc_ui_serves_on_localhost(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env["LONGDOC_HOME"] = str(tmp_path / "home")
    stale = tmp_path / "home" / "uploads" / ".staging" / "old-session"
    stale.mkdir(parents=True)
    (stale / "x.pdf").write_bytes(b"%PDF")
    past = time.time() - 2 * 24 * 3600
    os.utime(stale, (past, past))
    longdoc = Path(sys.executable).with_name("longdoc")
    log = open(tmp_path / "ui.log", "wb")
    proc = subprocess.Popen([str(longdoc), "ui", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, ok = time.time() + 90, False
        while time.time() < deadline and proc.poll() is None:
            try:
                ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok"
                if ok:
                    break
            except OSError:
                time.sleep(0.5)
        out = (tmp_path / "ui.log").read_text(errors="replace")
        assert ok, out[-2000:]
        assert f"http://127.0.0.1:{port}" in out
        assert "removed 1 abandoned upload folder" in out and not stale.exists()
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
        assert b"<noscript>" in page or b"streamlit" in page.lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def test_clean_uploads_command(tmp_path):
    root = tmp_path / "home" / "uploads" / ".staging"
    (root / "old").mkdir(parents=True)
    (root / "new").mkdir(parents=True)
    past = time.time() - 3 * 3600
    os.utime(root / "old", (past, past))
    r = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "clean-uploads", "--hours", "1"])
    assert r.exit_code == 0, r.output
    assert "removed 1 staging folder" in r.output
    assert not (root / "old").exists() and (root / "new").exists()


def _children_of(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (read from /proc, so no helper process is needed)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_to_longdoc_ui_stops_streamlit_and_frees_the_port(tmp_path):
    """`kill PID` (SIGTERM) on `longdoc ui` alone — not its group — must not leave Streamlit serving."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env["LONGDOC_HOME"] = str(tmp_path / "home")
    longdoc = Path(sys.executable).with_name("longdoc")
    log = open(tmp_path / "ui.log", "wb")
    proc = subprocess.Popen([str(longdoc), "ui", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    children: list[int] = []
    try:
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None and not _listening(port):
            time.sleep(0.3)
        assert _listening(port), (tmp_path / "ui.log").read_text(errors="replace")[-2000:]
        children = _children_of(proc.pid)
        assert children, "no Streamlit child found"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        deadline = time.time() + 15
        while time.time() < deadline and (any(_alive(c) for c in children) or _listening(port)):
            time.sleep(0.2)
        assert not any(_alive(c) for c in children), "Streamlit outlived longdoc ui"
        assert not _listening(port), f"port {port} still served after longdoc ui stopped"
    finally:
        for pid in [proc.pid, *children]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=20)
        log.close()
