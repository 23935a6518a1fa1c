"""`longdoc review`, `longdoc reviews` and `longdoc eval review` (registered on import): the review grid of issue 23.

Prints; the work is in app.answer.review (the use case), app.answer.review_jobs (reviews run as jobs: `review
--background`, `reviews` to list, show, stop and resume them — the records the API and the UI read) and
app.answer.review_eval (the measures).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.answer import review_jobs
from app.answer.review import DEFAULT_BUDGET, export, review
from app.answer.review_eval import run_review_eval
from app.faces.cli.fail import guard as _guard
from app.faces.cli.fail import usage as _usage
from app.faces.cli.retrieval import eval_app
from app.faces.cli.root import cli, settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _refs(docs: list[str] | None) -> list[str] | None:
    if not docs:
        return None
    return [d.strip() for d in docs if d and d.strip()] or None


@cli.command("review")
def review_cmd(
    question: str = typer.Argument(..., help="A question asked of every document (e.g. \"Which law governs it?\")."),
    more: list[str] | None = typer.Option(None, "--question", "-q", help="Another question (repeatable): one column each."),
    docs: list[str] | None = typer.Option(None, "--docs", help="Only these documents (ids, id prefixes or file names; repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as one JSON object."),
    export_to: Path | None = typer.Option(None, "--export", help="Also write the table: review.xlsx | .csv | .md | .docx | .json"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show documents × questions, tokens, price now and time; call nothing."),
    budget: int = typer.Option(0, "--budget", min=0, help="Evidence tokens per cell (default 16000): each document's best passages up to this much."),
    k: int = typer.Option(0, "--k", min=0, help="Evidence chunks per cell instead of a token budget."),
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=2500, help="Model calls in flight at once."),
    limit: int = typer.Option(0, "--limit", min=0, help="Stop after N new cells (the rest on the next run)."),
    background: bool = typer.Option(False, "--background", help="Run it as a job and print its id at once (follow it with `longdoc reviews ID`)."),
) -> None:
    """Review the library: each question asked of each document, one cited cell each (verdict, answer, evidence
    with its page). Cells are cached: a second run, a new question or a new document computes only what is new."""

    def body():
        s = settings()
        qs = [question, *(more or [])]
        size = dict(budget=budget or DEFAULT_BUDGET, k=k or None)
        if dry_run:
            table = review(s, qs, _refs(docs), **size, dry_run=True, concurrency=concurrency)
            _print_estimate(table, as_json)
            return
        if background:
            if limit or export_to is not None:
                _usage("--background runs the whole review as a job: no --limit or --export (export it with "
                       "`longdoc reviews ID --export FILE` when it is ready)")
            job = review_jobs.start(s, qs, _refs(docs), budget=budget or None, k=k or None, concurrency=concurrency)
            if as_json:
                print(json.dumps(job.as_dict(), ensure_ascii=False))
            else:
                print(job.id)
                err.print(f"review started: follow it with `longdoc reviews {job.id[:12]}`")
            return
        quiet = as_json or not err.is_terminal
        with Progress(TextColumn("[bold]review[/bold]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                      TimeElapsedColumn(), console=err, transient=True, disable=quiet) as bars:
            task = bars.add_task("retrieving …", total=None)

            def progress(ev: dict) -> None:
                bars.update(task, total=ev["total"], completed=ev["done"], description=ev.get("doc", ""))
                if quiet and not as_json:
                    err.print(f"{ev['done']}/{ev['total']} {ev.get('doc', '')}")

            table = review(s, qs, _refs(docs), **size, progress=progress, concurrency=concurrency, limit=limit or None)
        if export_to is not None:
            p = export(table, export_to)
            err.print(f"wrote {p}")
        if as_json:
            print(json.dumps(table.to_json(), ensure_ascii=False))
            return
        print_table(table)

    _guard(body)


_COLOUR = {"ready": "green", "failed": "red", "stopped": "yellow", "queued": "dim", "retrieving": "cyan",
           "running": "cyan", "interrupted": "red"}


@cli.command("reviews")
def reviews_cmd(
    job_id: str | None = typer.Argument(None, help="A review's id (or its first 6+ characters): show that one."),
    as_json: bool = typer.Option(False, "--json", help="Print the record(s) as JSON (as the API answers)."),
    cancel: bool = typer.Option(False, "--cancel", help="Stop that review: the cells done so far are kept."),
    resume: bool = typer.Option(False, "--resume", help="Start that (stopped or failed) review again: only its missing cells are computed."),
    wait: bool = typer.Option(False, "--wait", help="Follow that review until it ends, then print its table."),
    export_to: Path | None = typer.Option(None, "--export", help="Write that review's table: review.xlsx | .csv | .md | .docx | .json"),
    limit: int = typer.Option(20, "--limit", min=1, help="The newest N reviews."),
) -> None:
    """List this matter's reviews (state, documents done of total), or show, stop, resume or export one. Reading
    a review whose process died starts it again (up to LONGDOC_REVIEW_RETRIES times)."""

    def body():
        s = settings()
        if job_id is None:
            if cancel or resume or wait or export_to is not None:
                _usage("--cancel, --resume, --wait and --export need a review id (see `longdoc reviews`)")
            listed = review_jobs.list_reviews(s, limit)
            if as_json:
                print(json.dumps({"matter": s.matter, "reviews": [j.as_dict() for j in listed]}, ensure_ascii=False))
                return
            _print_jobs(listed)
            return
        jid = review_jobs.resolve_id(s, job_id)
        if cancel and resume:
            _usage("--cancel or --resume, not both")
        job = (review_jobs.cancel(s, jid, wait_s=30.0) if cancel else review_jobs.resume(s, jid) if resume
               else review_jobs.get(s, jid))
        if wait:
            job = _follow(s, job)
        if export_to is not None:
            err.print(f"wrote {export(review_jobs.table(s, jid), export_to)}")
        if as_json:
            print(json.dumps(job.as_dict(), ensure_ascii=False))
            return
        _print_jobs([job])
        if job.message:
            out.print(f"[dim]{_esc(job.message)}[/dim]")
        if wait and job.state in ("ready", "stopped") and review_jobs.has_table(s, jid):
            print_table(review_jobs.table(s, jid))

    _guard(body)


def _follow(s, job):
    """Poll the record (as the UI does) until the review ends, with a bar on a terminal."""
    with Progress(TextColumn("[bold]review[/bold]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bars:
        task = bars.add_task(job.state, total=None)
        while not job.finished:
            bars.update(task, total=job.total or None, completed=job.done, description=f"{job.state} {job.doc}")
            time.sleep(0.5)
            job = review_jobs.get(s, job.id)
    return job


def _print_jobs(jobs) -> None:
    if not jobs:
        out.print("No reviews. Start one with: longdoc review \"QUESTION\" --background")
        return
    t = Table(show_lines=False)
    for col, kw in (("id", {"no_wrap": True, "min_width": 12}), ("state", {"no_wrap": True}),
                    ("documents", {"justify": "right", "no_wrap": True}), ("cells", {"justify": "right"}),
                    ("questions", {"overflow": "fold", "max_width": 60}), ("started", {}), ("updated", {})):
        t.add_column(col, **kw)
    for j in jobs:
        c = _COLOUR.get(j.state, "")
        state = f"[{c}]{j.state}[/{c}]" if c else j.state
        cells = f"{j.computed} new, {j.cached} cached" if j.state in ("ready", "stopped") else ""
        t.add_row(j.id[:12], state, f"{j.done}/{j.total or '?'}", cells, _esc(" · ".join(j.questions)),
                  j.created_at[5:16].replace("T", " "), j.updated_at[5:19].replace("T", " "))
    out.print(t)


def _print_estimate(table, as_json: bool) -> None:
    e = table.estimate
    if as_json:
        print(json.dumps({"questions": table.questions, "dry_run": e.to_json()}, ensure_ascii=False))
        return
    out.print(f"{e.documents} documents × {e.questions} questions = {e.cells} cells "
              f"({e.cells_cached} cached, {e.cells - e.cells_cached} to compute)")
    if e.calls:
        out.print(f"{e.calls} calls to {e.backend} · {e.model}: {e.prompt_tokens:,} prompt + ~{e.output_tokens:,} output tokens")
        if e.cost_now_usd is not None:
            other = f"; {e.other_window}: ${e.cost_other_usd:.4f}" if e.other_window else ""
            out.print(f"price now ({e.price_window}): ${e.cost_now_usd:.4f}{other}")
        else:
            out.print("price unknown for this model")
    out.print(f"expected time: ~{e.seconds_expected:.0f} s (retrieval {e.retrieval_seconds:.1f} s"
              + (f", {e.concurrency} calls at a time, {e.seconds_per_call:.1f} s a call" if e.calls else "") + ")")
    if e.note:
        out.print(e.note)


def print_table(table) -> None:
    """The grid as a rich table (also under a whole-library `ask`'s answer)."""
    t = Table(show_lines=True)
    t.add_column("document", overflow="fold", max_width=40)
    for q in table.questions:
        t.add_column(q, overflow="fold")
    colour = {"yes": "green", "no": "red", "unclear": "yellow"}
    for r in table.rows:
        by_q = {c.question: c for c in r.cells}
        row = [r.doc]
        for q in table.questions:
            c = by_q.get(q)
            if c is None:
                row.append("")
                continue
            page = f" [dim](p.{c.evidence[0]['page']})[/dim]" if c.evidence else ""
            flag = " [red]⚠ quote not found[/red]" if c.quote_verified is False else ""
            row.append(f"[{colour[c.verdict]}]{c.verdict}[/{colour[c.verdict]}] {c.confidence:.2f}: "
                       f"{_esc(c.answer)}{page}{flag}")
        t.add_row(*row)
    out.print(t)
    cost = "" if table.cost_usd in (None, 0, 0.0) else f", ${table.cost_usd:.4f}"
    status = "" if table.complete else " — stopped before the end: run again to compute the rest"
    out.print(f"[dim]{table.mode} · {table.computed} cells computed, {table.cached} cached · "
              f"{table.seconds:.1f} s{cost}{status}[/dim]")


def _esc(text: str) -> str:
    return escape(text or "")


@eval_app.command("review")
def eval_review(
    set_dir: Path = typer.Option(..., "--set", help="Folder with questions.jsonl (e.g. ../shared/eval/review-cuad)."),
    store_dir: Path = typer.Option(..., "--store", help="A LONGDOC_HOME holding the set's documents."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    budget: int = typer.Option(0, "--budget", min=0, help="Evidence tokens per cell (default 16000)."),
    k: int = typer.Option(0, "--k", min=0, help="Evidence chunks per cell instead of a token budget."),
    kinds: str = typer.Option("cross-doc,single-doc", "--kinds", help="Which questions: cross-doc, single-doc."),
    limit: int = typer.Option(0, "--limit", min=0, help="Only the first N questions of each kind."),
    out_file: Path | None = typer.Option(None, "--out", help="Also write the JSON result to this file."),
) -> None:
    """Review recall (annotated clauses in the cells' evidence), false positives ("yes" without the clause),
    tokens and cost per document, with the model configured (none: extractive)."""

    def body():
        s = settings(home=str(store_dir.expanduser()), matter="default")
        chosen = tuple(x.strip() for x in kinds.split(",") if x.strip())
        rep = run_review_eval(s, set_dir.expanduser(), budget=budget or None, k=k or None, limit=limit, kinds=chosen,
                              progress=None if as_json else (lambda m: err.print(m)))
        if out_file is not None:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_text(json.dumps(rep, indent=1, ensure_ascii=False) + "\n")
        if as_json:
            print(json.dumps(rep, ensure_ascii=False))
            return
        c = rep.get("cross_doc")
        if c:
            out.print(f"library-wide: {c['questions']} questions, {c['pairs']} annotated pairs, recall {c['recall']:.3f}; "
                      f"{c['yes_cells']} 'yes' cells, {c['false_positives']} without an annotated clause "
                      f"({c['fp_share_of_yes']:.1%} of yes); {c['tokens_per_document']} tokens/document; {c['seconds']} s")
            for r in c["rows"]:
                out.print(f"  {r['category'] or r['id']:<28} recall {r['found']}/{r['pairs']}"
                          f" yes {r['yes']} fp {r['false_positives']} ({r['retrieval_seconds']} s retrieval)")
        sd = rep.get("single_doc")
        if sd:
            out.print(f"named single-document: {sd['questions']} questions, recall {sd['recall']:.3f} "
                      f"({sd['all_found']} all found); {sd['yes_cells']} yes, {sd['false_positives']} fp; {sd['seconds']} s")

    _guard(body)
