"""`longdoc matter create|list|rename|delete`: the workspaces that keep documents apart."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from app.faces.cli.fail import fail as _fail
from app.faces.cli.fail import or_fail as _run
from app.faces.cli.root import cli, settings
from app.library import matters

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

matter_app = typer.Typer(help="Matters: separate libraries (documents, vectors, uploads, exports) in one installation.",
                         no_args_is_help=True)
cli.add_typer(matter_app, name="matter")


@matter_app.command("create")
def create_cmd(name: str = typer.Argument(..., help="Lowercase letters, digits, '-' or '_', e.g. acme-v-beta.")) -> None:
    """Create an empty matter."""
    m = _run(lambda: matters.create(settings(), name))
    out.print(f"created matter {m.name} — add documents with: longdoc ingest --matter {m.name} PATH…")


@matter_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the matters and how many documents each holds."""
    rows = _run(lambda: matters.list_matters(settings(), count=True))
    if as_json:
        sys.stdout.write(json.dumps([m.as_dict() for m in rows], indent=1) + "\n")
        return
    t = Table()
    for col in ("matter", "documents", "created"):
        t.add_column(col)
    for m in rows:
        t.add_row(m.name, str(m.documents), m.created_at.replace("T", " ").rstrip("Z") or "—")
    out.print(t)


@matter_app.command("rename")
def rename_cmd(
    name: str = typer.Argument(..., help="The matter's current name."),
    new_name: str = typer.Argument(..., help="Its new name."),
) -> None:
    """Rename a matter (documents, tokens and users' grants move with it)."""
    m = _run(lambda: matters.rename(settings(), name, new_name))
    out.print(f"renamed matter {name} to {m.name}")


@matter_app.command("delete")
def delete_cmd(
    name: str = typer.Argument(..., help="The matter to delete."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a matter: its documents, vectors, keyword index, uploaded files, exports, tokens and grants."""
    s = settings()
    if not yes:
        if not sys.stdin.isatty():
            _fail("deleting a matter cannot be undone: add --yes to confirm")
        typer.confirm(f"Delete matter '{name}' with all its documents and files?", abort=True)
    n = _run(lambda: matters.delete(s, name))
    out.print(f"deleted matter {name} ({n} document{'' if n == 1 else 's'})")
