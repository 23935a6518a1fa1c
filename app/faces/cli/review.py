"""`longdoc review` and `longdoc eval review` (registered on import): the review grid of issue 23.

Prints; the work is in app.answer.review (the use case) and app.answer.review_eval (the measures).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.answer.review import DEFAULT_BUDGET, export, review
from app.answer.review_eval import run_review_eval
from app.faces.cli.fail import guard as _guard
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
