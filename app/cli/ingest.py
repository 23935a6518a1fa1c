"""`longdoc ingest`, `longdoc docs`, `longdoc rm`: put files in the library, list it, take them out."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app.cli import cli, settings
from app.cli.fit import Column, fit_table

PROBLEMS = ("failed", "needs_password", "no_text")
OCR_MODES = ("auto", "off", "force")


def _fail(message: str, code: int = 2) -> None:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _summary_line(r) -> str:
    if r.status in PROBLEMS:
        return f"[red]{r.status:<14}[/red] {r.file}: {r.message}"
    detail = f"{r.pages} pages, {r.chunks} chunks, {r.seconds:.1f} s"
    extra = f" — {r.message}" if r.message else ""
    colour = "green" if r.status in ("ingested", "replaced") else "dim"
    return f"[{colour}]{r.status:<14}[/{colour}] {r.file} ({detail}){extra}"


@cli.command("ingest")
def ingest_cmd(
    paths: List[str] = typer.Argument(..., help="PDF, .txt or .md files, or folders (searched recursively)."),
    password: Optional[str] = typer.Option(None, "--password", help="Password for encrypted PDFs."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Parser processes (LONGDOC_WORKERS, default 2)."),
    ocr: Optional[str] = typer.Option(None, "--ocr", help="OCR for pages without text: auto | off | force."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list of per-file outcomes."),
) -> None:
    """Add files to the library. Identical bytes are skipped; a new version of a file replaces the old."""
    from app import library

    if ocr is not None and ocr not in OCR_MODES:
        _fail(f"--ocr must be one of {', '.join(OCR_MODES)}")
    if workers is not None and workers < 0:
        _fail("--workers must be 0 or more")
    try:
        s = settings(workers=workers, ocr=ocr)
    except (ValueError, TypeError) as e:
        _fail(f"bad setting: {e}")
    out = Console()
    err = Console(stderr=True)
    show_bar = not as_json and out.is_terminal
    try:
        if show_bar:
            results = _ingest_with_bars(library, s, paths, password, out)
        else:
            def progress(ev: dict) -> None:
                if ev.get("event") == "wait":
                    err.print(ev["message"], highlight=False)
                elif ev.get("event") == "result" and not as_json:
                    out.print(_summary_line(ev["result"]), highlight=False, soft_wrap=True)

            results = library.ingest(s, paths, password=password, progress=progress)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma server unreachable)
        _fail(f"{type(e).__name__}: {' '.join(str(e).split())[:300]}")
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1) + "\n")
    else:
        if not show_bar:
            # missing paths never produce a progress event; say so here
            for r in results:
                if r.message.startswith("no such file"):
                    out.print(_summary_line(r), highlight=False, soft_wrap=True)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        out.print(", ".join(f"{n} {k}" for k, n in counts.items()) or "no files found", highlight=False)
    if any(r.status in PROBLEMS for r in results):
        raise typer.Exit(1)


def _ingest_with_bars(library, s, paths, password, out: Console):
    """A bar per file: pages parsed, then pages embedded."""
    tasks: dict[int, int] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as bars:
        loading = bars.add_task("loading the embedder…", total=None)

        def progress(ev: dict) -> None:
            kind, i = ev.get("event"), ev.get("index")
            if loading in bars.task_ids:
                bars.remove_task(loading)
            name = str(ev.get("file", ""))[:48]
            if kind == "file" and ev.get("stage") == "parsing" and i not in tasks:
                tasks[i] = bars.add_task(f"{name} (parsing)", total=None)
            elif kind == "parsed" and i in tasks:
                bars.update(tasks[i], description=f"{name} (embedding)", total=ev["pages"], completed=0)
            elif kind == "embedding" and i in tasks:
                bars.update(tasks[i], completed=round(ev["pages"] * ev["done"] / max(1, ev["total"])))
            elif kind == "result":
                if i in tasks:
                    bars.remove_task(tasks.pop(i))
                bars.console.print(_summary_line(ev["result"]), highlight=False, soft_wrap=True)
            elif kind == "wait":
                bars.console.print(f"[yellow]{ev['message']}[/yellow]", highlight=False)
            elif kind == "index":
                bars.add_task("updating the keyword index…", total=None)

        results = library.ingest(s, paths, password=password, progress=progress)
    for r in results:
        if r.message.startswith("no such file"):
            out.print(_summary_line(r), highlight=False, soft_wrap=True)
    return results


DOC_COLUMNS = [
    Column("id", lambda d: d.doc_id[:12]),
    Column("title", lambda d: d.title, drop=1, flex=True, min_width=16),
    Column("domain", lambda d: d.domain, drop=2),
    Column("pages", lambda d: str(d.pages), justify="right"),
    Column("chunks", lambda d: str(d.chunks), drop=4, justify="right"),
    Column("ingested at", lambda d: d.ingested_at.replace("T", " ")[:16], drop=3),
    Column("file", lambda d: d.file, flex=True, min_width=28, middle=True, grow=1),  # what --docs takes
]


@cli.command("docs")
def docs_cmd(as_json: bool = typer.Option(False, "--json", help="Print the library as JSON.")) -> None:
    """List the documents in the library."""
    from app import library

    try:
        docs = library.list_documents(settings())
    except Exception as e:  # noqa: BLE001
        _fail(f"{type(e).__name__}: {' '.join(str(e).split())[:300]}")
    if as_json:
        sys.stdout.write(json.dumps([dataclasses.asdict(d) for d in docs], ensure_ascii=False, indent=1) + "\n")
        return
    out = Console()
    if not docs:
        out.print("The library is empty. Add files with: longdoc ingest PATH…")
        return
    table, dropped = fit_table(docs, DOC_COLUMNS, out.width)
    out.print(table)
    if dropped:
        out.print(f"[dim]({', '.join(dropped)}: not shown at this width; see --json)[/dim]", highlight=False)
    out.print(f"{len(docs)} documents, {sum(d.pages for d in docs)} pages, {sum(d.chunks for d in docs)} chunks")


@cli.command("rm")
def rm_cmd(ref: str = typer.Argument(..., help="Document id, id prefix (6+ characters) or file name.")) -> None:
    """Remove a document and all its chunks from the library."""
    from app import library

    try:
        doc = library.remove(settings(), ref)
    except LookupError as e:
        _fail(str(e.args[0] if e.args else e), code=1)
    except Exception as e:  # noqa: BLE001
        _fail(f"{type(e).__name__}: {' '.join(str(e).split())[:300]}")
    Console().print(f"removed {doc.file} ({doc.doc_id[:12]}, {doc.chunks} chunks)", highlight=False)
