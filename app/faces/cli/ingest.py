"""`longdoc ingest`, `longdoc docs`, `longdoc rm`, `longdoc restore`: put files in the library (as jobs), list it,
take them out, bring a deleted one back."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app.answer.describe import describe
from app.faces.cli.fail import fail_with
from app.faces.cli.fail import usage as _fail
from app.faces.cli.fit import Column, fit_table
from app.faces.cli.root import cli, settings
from app.library import documents as library
from app.library import jobs
from app.library.restore import restore
from model.base import ModelError

PROBLEMS = ("failed", "needs_password", "no_text")
OCR_MODES = ("auto", "off", "force")


def _summary_line(r) -> str:
    if r.status in PROBLEMS:
        return f"[red]{r.status:<14}[/red] {r.file}: {r.message}"
    detail = f"{r.pages} pages, {r.chunks} chunks, {r.seconds:.1f} s"
    extra = f" — {r.message}" if r.message else ""
    colour = "green" if r.status in ("ingested", "replaced") else "dim"
    return f"[{colour}]{r.status:<14}[/{colour}] {r.file} ({detail}){extra}"


@cli.command("ingest")
def ingest_cmd(
    paths: list[str] = typer.Argument(..., help="PDF, Word (.docx), .txt or .md files, or folders (searched recursively)."),
    password: Optional[str] = typer.Option(None, "--password", help="Password for encrypted PDFs."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Parser processes (LONGDOC_WORKERS, default 2)."),
    ocr: Optional[str] = typer.Option(None, "--ocr", help="OCR for pages without text: auto | off | force."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list of per-file outcomes."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait for the jobs (default), or print their ids."),
) -> None:
    """Add files to the library: one job per file. Identical bytes are skipped; a new version replaces the old.

    The jobs run in a worker (started here when none runs; with LONGDOC_BROKER_URL, `longdoc worker`
    on any machine), so they go on if this command stops; `longdoc jobs` shows them."""
    if ocr is not None and ocr not in OCR_MODES:
        _fail(f"--ocr must be one of {', '.join(OCR_MODES)}")
    if workers is not None and workers < 0:
        _fail("--workers must be 0 or more")
    try:
        s = settings(workers=workers, ocr=ocr)
    except (ValueError, TypeError) as e:
        fail_with(e, 2, unexpected=True)
    out = Console()
    err = Console(stderr=True)
    try:
        submitted = jobs.submit(s, [Path(p) for p in paths], password=password)
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma or Redis unreachable)
        fail_with(e, 2, unexpected=True)
    if not wait:
        if as_json:
            sys.stdout.write(json.dumps([j.as_dict() for j in submitted], ensure_ascii=False, indent=1) + "\n")
        else:
            for j in submitted:
                out.print(f"{j.id}  {j.status:<9} {j.file}" + (f" — {j.message}" if j.message else ""), highlight=False)
            out.print(f"{len(submitted)} jobs; follow them with: longdoc jobs", highlight=False)
        if any(j.outcome in PROBLEMS for j in submitted):
            raise typer.Exit(1)
        return
    if s.broker_url and any(not j.done for j in submitted):
        try:
            if not jobs.records(s).workers(within_s=max(30.0, float(s.redeliver_s))):
                err.print("no `longdoc worker` has been seen on this broker lately: the jobs wait in the queue "
                          "until one starts", highlight=False)
        except Exception:  # noqa: BLE001 - only a hint
            pass
    show_bar = not as_json and out.is_terminal
    try:
        if show_bar:
            done = _wait_with_bars(jobs, s, submitted, out)
        else:
            done = _wait_quietly(jobs, s, submitted, out, err, print_lines=not as_json)
    except KeyboardInterrupt:
        err.print("stopped waiting: the jobs go on in the worker (longdoc jobs)", highlight=False)
        raise typer.Exit(130) from None
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma or Redis unreachable)
        fail_with(e, 2, unexpected=True)
    results = [j.as_result() for j in done]
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1) + "\n")
    else:
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        out.print(", ".join(f"{n} {k}" for k, n in counts.items()) or "no files found", highlight=False)
    if any(r.status in PROBLEMS for r in results):
        raise typer.Exit(1)


def _wait_quietly(jobs, s, submitted, out: Console, err: Console, print_lines: bool):
    """One line per file as it ends; waits and notes (another writer, a missing worker) on stderr."""
    said: set[tuple[str, str]] = set()
    ended: set[str] = set()

    def progress(j) -> None:
        if j.done:
            if j.id not in ended:
                ended.add(j.id)
                if print_lines:
                    out.print(_summary_line(j.as_result()), highlight=False, soft_wrap=True)
        elif j.message.startswith("waiting") and (j.id, j.message) not in said:
            said.add((j.id, j.message))
            err.print(j.message, highlight=False)

    return jobs.wait(s, [j.id for j in submitted], progress=progress)


def _wait_with_bars(jobs, s, submitted, out: Console):
    """A bar per file: queued, parsing, then embedding (askable by keywords from there on)."""
    tasks: dict[str, int] = {}
    ended: set[str] = set()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as bars:
        def progress(j) -> None:
            name = j.file[:48]
            if j.done:
                if j.id in tasks:
                    bars.remove_task(tasks.pop(j.id))
                if j.id not in ended:
                    ended.add(j.id)
                    bars.console.print(_summary_line(j.as_result()), highlight=False, soft_wrap=True)
                return
            label = f"{name} ({j.status})"
            if j.message.startswith("waiting"):
                label = f"{name} ({j.message[:60]})"
            if j.id not in tasks:
                tasks[j.id] = bars.add_task(label, total=100)
            bars.update(tasks[j.id], description=label, completed=round(100 * j.progress))

        return jobs.wait(s, [j.id for j in submitted], progress=progress)


DOC_COLUMNS = [
    Column("id", lambda d: d.doc_id[:12]),
    Column("title", lambda d: d.title, drop=1, flex=True, min_width=16),
    # the profile (issue 16): what kind of document, whose, when
    Column("type", lambda d: d.profile.doc_type or d.domain, drop=2, flex=True, min_width=10),
    Column("parties", lambda d: "; ".join((d.profile.parties or d.profile.authors)[:3]), drop=5, flex=True,
           min_width=14),  # a paper's authors
    Column("date", lambda d: d.profile.date, drop=6),
    Column("pages", lambda d: str(d.pages) if library.page_unit(d) == "pages" else library.page_count(d),
           justify="right"),  # "28 clauses": a Word file read without LibreOffice
    Column("chunks", lambda d: str(d.chunks) + ("" if d.status == "ready" else "*"), drop=4, justify="right"),
    Column("ingested at", lambda d: d.ingested_at.replace("T", " ")[:16], drop=3),
    Column("file", lambda d: d.file, flex=True, min_width=28, middle=True, grow=1),  # what --docs takes
]


@cli.command("docs")
def docs_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the library as JSON (profiles included)."),
    find: str = typer.Option("", "--filter", "-f", help="Only documents whose title, parties, type, court, case number, "
                             "dates or file name hold these words."),
    domain: Optional[list[str]] = typer.Option(None, "--domain", help="contract | court opinion | paper | other (repeat)."),
    sort: str = typer.Option("file", "--sort", help="file | title | date | ingested | pages | type"),
    desc: bool = typer.Option(False, "--desc", help="Sort descending."),
    search: str = typer.Option("", "--search", "-s", help="Rank documents by how well their profiles match this "
                               "(BM25 + dense over the profiles), best first."),
) -> None:
    """List the documents in the library, with their profiles (type, parties, date)."""
    try:
        docs = library.filter_documents(library.list_documents(settings()), find, domain, sort, desc)
        if search.strip():
            docs = library.find_documents(settings(), search, docs)
    except (LookupError, ValueError) as e:
        fail_with(e)
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma unreachable)
        fail_with(e, 2, unexpected=True)
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
    if any(d.status != "ready" for d in docs):
        out.print("* vectors still being computed: found by keyword search and whole-document packing until then",
                  highlight=False)
    clauses = sum(d.pages for d in docs if library.page_unit(d) == "clauses")
    out.print(f"{len(docs)} documents, {sum(d.pages for d in docs) - clauses} pages, "
              + (f"{clauses} clauses, " if clauses else "") + f"{sum(d.chunks for d in docs)} chunks")


@cli.command("describe")
def describe_cmd(
    refs: Optional[list[str]] = typer.Argument(None, help="Documents (id, id prefix or file name); default: all without one."),
    again: bool = typer.Option(False, "--again", help="Also re-describe documents that have a description."),
) -> None:
    """Have the configured model add a two-sentence description to document profiles (optional)."""
    out = Console()
    try:
        done = describe(settings(), refs or None, again=again,
                        progress=lambda d, text: out.print(f"{d.doc_id[:12]} {d.title}: {text}", highlight=False))
    except (LookupError, ValueError, ModelError) as e:
        fail_with(e)
    library.forget_stores()
    out.print(f"{len(done)} document(s) described")


@cli.command("rm")
def rm_cmd(ref: str = typer.Argument(..., help="Document id, id prefix (6+ characters) or file name.")) -> None:
    """Remove a document and all its chunks from the library (restorable for LONGDOC_TRASH_DAYS: `longdoc restore`)."""
    s = settings()
    try:
        doc = library.delete_document(s, ref)
    except (LookupError, ValueError) as e:
        fail_with(e)
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma unreachable)
        fail_with(e, 2, unexpected=True)
    kept = any(e.doc_id == doc.doc_id for e in library.recently_deleted(s))
    note = f"; `longdoc restore {doc.doc_id[:12]}` brings it back" if kept else "; no copy of its file was left to restore"
    Console().print(f"removed {doc.file} ({doc.doc_id[:12]}, {doc.chunks} chunks){note}", highlight=False)


@cli.command("restore")
def restore_cmd(
    ref: Optional[str] = typer.Argument(None, help="A deleted document's id, id prefix (6+ characters) or file name; "
                                                   "none = list the recently deleted documents."),
) -> None:
    """Bring back a recently deleted document (ingested again from its kept file), or list them."""
    s = settings()
    out = Console()
    try:
        if not ref:
            gone = library.recently_deleted(s)
            for e in gone:
                out.print(f"{e.doc_id[:12]}  {e.as_dict()['deleted_at']}  {e.file}  ({e.pages} pages)", highlight=False)
            out.print(f"{len(gone)} recently deleted document(s); kept {s.trash_days:g} days", highlight=False)
            return
        job = restore(s, ref)
        done = jobs.wait(s, [job.id])
    except (LookupError, ValueError) as e:
        fail_with(e)
    except Exception as e:  # noqa: BLE001 - one line, never a traceback
        fail_with(e, 2, unexpected=True)
    r = done[0].as_result()
    out.print(_summary_line(r), highlight=False, soft_wrap=True)
    if r.status in PROBLEMS:
        raise typer.Exit(1)
