"""`longdoc ui`: start the Streamlit app, headless, bound to localhost unless told otherwise."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from app.faces import signin
from app.faces.cli.children import run_child
from app.faces.cli.fail import fail_with
from app.faces.cli.root import cli, settings
from app.faces.signin import ui_exposure_problem
from app.library import uploads
from app.library.recovery import keep_queue_moving
from app.library.worker import OWNER_VAR, stop_owned

UI_SCRIPT = Path(__file__).resolve().parents[1] / "ui" / "main.py"


def streamlit_command(port: int, address: str, max_upload_mb: int, secrets_file: Path | None = None) -> list[str]:
    """The exact command line; kept apart so tests start the UI the same way users do. With `secrets_file`
    (the [auth] longdoc wrote for an identity provider) Streamlit reads that file instead of its usual ones."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(UI_SCRIPT),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",
        str(max_upload_mb),
        "--server.fileWatcherType",
        "none",
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "minimal",
        "--global.developmentMode",
        "false",
        *(["--secrets.files", str(secrets_file)] if secrets_file else []),
    ]


@cli.command("ui")
def ui(
    port: int = typer.Option(None, "--port", help="Port (LONGDOC_UI_PORT, default 8501)."),
    address: str = typer.Option(None, "--address", help="Address to bind (default 127.0.0.1: this machine only)."),
) -> None:
    """Open the web UI (Streamlit) on http://127.0.0.1:8501."""
    s = settings(ui_port=port, ui_address=address)

    problem = ui_exposure_problem(s, s.ui_address)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    env = dict(os.environ)
    # the UI process builds its own Settings from the environment: hand the global flags down that way
    for name in ("home", "chroma_url", "backend", "model", "base_url", "embedder", "matter",
                 "oidc_metadata_url", "oidc_client_id", "oidc_redirect_uri"):
        value = getattr(s, name)
        if value is not None:
            env["LONGDOC_" + name.upper()] = str(value)
    # Streamlit reads the provider's secrets from the file written below, not from the environment
    for name in ("LONGDOC_OIDC_CLIENT_SECRET", "LONGDOC_OIDC_COOKIE_SECRET"):
        env.pop(name, None)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")

    try:
        secrets_file = signin.write_streamlit_secrets(s)
    except (OSError, ValueError) as e:
        fail_with(e, 2)
    stale = uploads.clean_stale(s)
    if stale:
        typer.echo(f"removed {stale} abandoned upload folder(s) from earlier sessions")
    typer.echo(f"longdoc UI on http://{s.ui_address}:{s.ui_port}  (data: {s.home}; Ctrl-C to stop)")
    if secrets_file:
        typer.echo(f"sign-in through the identity provider at {signin.metadata_url(s)}; "
                   f"it sends users back to {signin.redirect_uri(s)}")
    # Streamlit runs as a child that stops with longdoc (SIGTERM, Ctrl-C, or longdoc killed outright)
    owner = os.environ.setdefault(OWNER_VAR, f"ui:{os.getpid()}")  # the local worker this UI starts is its own
    env[OWNER_VAR] = owner
    keep_queue_moving(s)  # jobs a killed worker left behind are handed on without a new submission
    try:
        code = run_child(streamlit_command(s.ui_port, s.ui_address, s.max_file_mb, secrets_file), env=env)
    finally:
        stop_owned(s, owner, timeout_s=4.0)  # its job goes back to the queue and resumes with the next worker
    raise typer.Exit(code)


@cli.command("clean-uploads")
def clean_uploads(
    hours: float = typer.Option(24.0, "--hours", help="Remove staging folders idle for longer than this."),
) -> None:
    """Remove files that UI sessions uploaded but never ingested (the per-session staging folders)."""
    n = uploads.clean_stale(settings(), older_than_s=hours * 3600)
    typer.echo(f"removed {n} staging folder(s)")
