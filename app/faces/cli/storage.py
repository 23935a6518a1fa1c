"""`longdoc storage [--json]` and `longdoc storage purge`: what each matter holds on disk, and freeing what is safe."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from app.faces.cli.fail import or_fail as _run
from app.faces.cli.root import cli, settings
from app.library import matters, storage

out = Console(highlight=False, soft_wrap=True)
storage_app = typer.Typer(help="Disk use per matter (originals, uploads, failed uploads, index, page cache, exports); "
                               "`purge` frees failed uploads and the page cache.", invoke_without_command=True)
cli.add_typer(storage_app, name="storage")
_KINDS = ("originals", "uploads", "failed_uploads", "index", "page_cache", "exports")


@storage_app.callback()
def storage_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON."),
                all_matters: bool = typer.Option(True, "--all/--this", help="Every matter, or only --matter's.")) -> None:
    """What each matter holds on disk."""
    if ctx.invoked_subcommand is not None:
        return
    s = settings()
    rows = _run(lambda: [storage.usage(s.replace(matter=m.name)) for m in matters.list_matters(s)] if all_matters
                else [storage.usage(s)])
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in rows], indent=1) + "\n")
        return
    t = Table()
    t.add_column("matter")
    for k in (*_KINDS, "total", "quota"):
        t.add_column(k.replace("_", " "), justify="right")
    for r in rows:
        t.add_row(r.matter, *(storage.human(getattr(r, k)) for k in _KINDS), storage.human(r.total),
                  storage.human(r.quota) if r.quota else "none")
    out.print(t)
    freeable = sum(r.freeable for r in rows)
    if freeable:
        out.print(f"{storage.human(freeable)} can be freed with: longdoc storage purge")


@storage_app.command("purge")
def purge_cmd(all_matters: bool = typer.Option(False, "--all", help="Every matter, not only --matter's."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Free failed and abandoned uploads and the page cache (documents, originals and the index are kept)."""
    s = settings()
    names = [m.name for m in _run(lambda: matters.list_matters(s))] if all_matters else [s.matter]
    freed = {n: _run(lambda n=n: storage.purge(s.replace(matter=n))) for n in names}
    if as_json:
        sys.stdout.write(json.dumps({"freed": freed, "total": sum(freed.values())}) + "\n")
        return
    for n, b in freed.items():
        out.print(f"{n}: freed {storage.human(b)}")
