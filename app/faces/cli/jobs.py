"""`longdoc jobs`, `longdoc worker`, `longdoc check`: the ingest jobs, the process that runs them, and
whether the library agrees with itself."""

from __future__ import annotations

import json
import sys
from typing import Optional
from urllib.parse import urlparse

import typer
from rich.console import Console
from rich.table import Table

from app.faces.cli.fail import fail_with
from app.faces.cli.fail import usage as _fail
from app.faces.cli.root import cli, settings
from app.library import jobs, worker
from app.library.check import check
from app.library.recovery import stalled_ids, status_text

_COLOUR = {"ready": "green", "failed": "red", "queued": "dim", "parsing": "yellow", "embedding": "cyan"}


@cli.command("jobs")
def jobs_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the jobs as JSON."),
    all_matters: bool = typer.Option(False, "--all", help="Every matter's jobs, not only this one's."),
    active: bool = typer.Option(False, "--active", help="Only jobs not finished yet."),
    limit: int = typer.Option(200, "--limit", help="The newest N jobs (0 = all)."),
) -> None:
    """List ingest jobs: matter, file, status, progress, message, worker."""
    try:
        s = settings()
        listed = jobs.list_jobs(s, None if all_matters else jobs.matter_of(s), limit=limit or None)
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma or Redis unreachable)
        fail_with(e, 2, unexpected=True)
    if active:
        listed = [j for j in listed if not j.done]
    stalled = stalled_ids(s)
    if as_json:
        rows = [{**j.as_dict(), "stalled": j.id in stalled} for j in listed]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    out = Console()
    if not listed:
        out.print("No jobs." + ("" if active else " Add files with: longdoc ingest PATH…"))
        return
    t = Table(show_lines=False)
    for col, kw in (("id", {}), ("matter", {}), ("file", {"overflow": "fold", "max_width": 40}), ("status", {}),
                    ("progress", {"justify": "right"}), ("message", {"overflow": "fold", "max_width": 60}),
                    ("worker", {}), ("updated", {})):
        t.add_column(col, **kw)
    for j in listed:
        c = "red" if j.id in stalled else _COLOUR.get(j.status, "")
        word = status_text(j, j.id in stalled)
        status = f"[{c}]{word}[/{c}]" if c else word
        if j.outcome and j.outcome not in ("ingested", "failed"):
            status += f" ({j.outcome})"
        t.add_row(j.id[:12], j.matter, j.file, status, f"{round(100 * j.progress)}%", j.message, j.worker or "",
                  j.updated_at[:19].replace("T", " "))
    out.print(t)
    counts: dict[str, int] = {}
    for j in listed:
        word = "stalled" if j.id in stalled else j.status
        counts[word] = counts.get(word, 0) + 1
    out.print(", ".join(f"{n} {k}" for k, n in counts.items()), highlight=False)


def _where(url: str | None) -> str:
    """host:port of a URL, without any password in it."""
    if not url:
        return "-"
    u = urlparse(url if "://" in url else "http://" + url)
    return f"{u.scheme}://{u.hostname}:{u.port or ''}".rstrip(":")


@cli.command("worker")
def worker_cmd(
    jobs_at_once: Optional[int] = typer.Option(None, "--jobs", help="Jobs held at once (LONGDOC_WORKER_JOBS; default parser processes × 2)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Parser processes (LONGDOC_WORKERS, default 2)."),
) -> None:
    """Run ingest jobs until stopped. With LONGDOC_BROKER_URL: take them from Redis (run one per machine,
    any number of machines) and write to LONGDOC_CHROMA_URL. Without: this machine's local queue."""
    try:
        s = settings(worker_jobs=jobs_at_once, workers=workers)
    except (ValueError, TypeError) as e:
        fail_with(e, 2, unexpected=True)
    err = Console(stderr=True)
    try:
        if s.broker_url:
            def started(name: str, threads: int) -> None:
                err.print(f"worker {name}: {threads} jobs at a time from {_where(s.broker_url)}, "
                          f"writing to {_where(s.chroma_url)} (Ctrl-C stops; unfinished jobs are redelivered)",
                          highlight=False)

            code = worker.run_broker(s, on_start=started)
        else:
            if worker.local_worker_running(s):
                _fail(f"a local worker already runs for {s.home}", code=1)
            err.print(f"local worker for {s.home}: {worker.job_threads(s)} jobs at a time (Ctrl-C stops)",
                      highlight=False)
            code = worker.run_local(s, idle_s=0)
    except KeyboardInterrupt:
        code = 0
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Redis unreachable)
        fail_with(e, 2, unexpected=True)
    raise typer.Exit(code)


@cli.command("check")
def check_cmd(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Consistency report: registry vs Chroma vs BM25 vs jobs. Exit 0 when they agree, 1 otherwise."""
    try:
        report = check(settings())
    except Exception as e:  # noqa: BLE001 - one line, never a traceback (e.g. Chroma or Redis unreachable)
        fail_with(e, 2, unexpected=True)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        out = Console()
        out.print(f"matter {report.matter}: {report.documents} documents ({report.ready} with vectors), "
                  f"{report.chunks} chunks, {report.jobs_active} jobs not finished", highlight=False)
        for n in report.in_progress:
            out.print(f"[cyan]in progress[/cyan] {n}", highlight=False)
        for p in report.problems:
            out.print(f"[red]problem[/red] {p}", highlight=False)
        out.print("consistent" if report.ok else f"{len(report.problems)} problems", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
