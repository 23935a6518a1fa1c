"""`longdoc serve` (HTTP API + MCP over streamable HTTP) and `longdoc mcp` (MCP over stdio).

Both stop everything they started on SIGTERM or SIGINT: the server finishes (up to a few seconds of
in-flight requests), then any parser processes an ingest job had running are ended before exit.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from app.faces.cli.children import stop_children
from app.faces.cli.fail import fail_with
from app.faces.cli.fail import usage as _fail
from app.faces.cli.root import _matter_name, cli, settings
from app.library import access
from app.library.recovery import keep_queue_moving
from app.library.worker import OWNER_VAR, stop_owned

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def exposure_problem(s, host: str) -> str | None:
    """Why binding the API to `host` must not start, or None. Tokens are always required, so beyond
    this machine there must be at least one to sign in with."""
    if host in LOOPBACK:
        return None
    if not access.any_tokens(s):
        return (f"refusing to serve on {host}: no API token exists, so nobody could sign in — create one with "
                "`longdoc token create --matter NAME --role reader`, or serve on 127.0.0.1")
    return None


@cli.command("serve")
def serve(
    host: str = typer.Option(None, "--host", help="Address to bind (default 127.0.0.1: this machine only)."),
    port: int = typer.Option(None, "--port", help="Port (default 8000)."),
    no_mcp: bool = typer.Option(False, "--no-mcp", help="Do not offer MCP over streamable HTTP at /mcp."),
) -> None:
    """Serve the HTTP API on http://127.0.0.1:8000/v1 (OpenAPI at /docs) and MCP at /mcp."""
    import uvicorn  # uvicorn: only when the server starts

    s = settings(api_host=host, api_port=port)
    problem = exposure_problem(s, s.api_host)
    if problem:
        _fail(problem)
    # fastapi and the MCP SDK (~3 s to import) load only when a server starts: `longdoc --help` and every other
    # command stay quick
    from app.faces.api.server import create_app

    app = create_app(s, mcp=not no_mcp)
    owner = os.environ.setdefault(OWNER_VAR, f"serve:{os.getpid()}")  # the local worker it starts is its own
    keep_queue_moving(s)  # jobs a killed worker left behind are handed on without a new submission
    typer.echo(f"longdoc API on http://{s.api_host}:{s.api_port}/v1 · docs at /docs" + ("" if no_mcp else " · MCP at /mcp")
               + f" (data: {s.home}; Ctrl-C to stop)", err=True)
    stopped: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        # uvicorn shuts down gracefully on these, then re-raises the signal to the handler it found: this
        # one, so the process goes on to stop its children instead of dying with them still running
        signal.signal(sig, lambda signum, frame: stopped.append(signum))
    try:
        uvicorn.run(app, host=s.api_host, port=s.api_port, log_level="warning", timeout_graceful_shutdown=5,
                    server_header=False)
    finally:
        stop_owned(s, owner, timeout_s=4.0)  # its job goes back to the queue and resumes with the next worker
        stop_children()
    # an ingest job may still hold the daemon job thread: its parser processes are gone, so leave now
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@cli.command("mcp")
def mcp_cmd(
    matter: str = typer.Option(None, "--matter", help="The matter tools act in by default (LONGDOC_MATTER)."),
) -> None:
    """Serve MCP over stdio (for Claude Desktop, IDEs…); with LONGDOC_TOKEN set, as that token."""
    from app.faces.mcp import run_stdio, stdio_principal  # the MCP SDK (~2 s to import): only for this command

    s = settings(matter=_matter_name(matter))
    try:
        who = stdio_principal(s)
        if who.single_matter:
            if matter and _matter_name(matter) != who.single_matter:
                _fail(f"LONGDOC_TOKEN opens matter '{who.single_matter}' only, not '{matter}'", 1)
            s = s.replace(matter=who.single_matter)
        access.authorize(s, who, s.matter)
    except access.AccessError as e:
        fail_with(e)

    def _term(signum, frame):
        # the stdio transport reads stdin on a thread that no cancellation reaches: stop here and now
        stop_children()
        sys.stderr.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    try:
        run_stdio(s)
    finally:
        stop_children()
