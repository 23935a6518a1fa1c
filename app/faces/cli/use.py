"""`longdoc ask | summarize | compare` and `longdoc eval answers` (registered on import).

Prints; the work is in app.ask / app.summarize / app.compare / app.export. User-caused failures
(unknown document, bad export name, model errors) print one line saying what to do, exit 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.answer.ask import ask
from app.answer.compare import compare
from app.answer.evaluate_answers import evaluate_answers
from app.answer.export import (
    EVIDENCE_SUFFIXES,
    MATRIX_SUFFIXES,
    NOT_FOUND_CELL,
    TEXT_SUFFIXES,
    ExportError,
    export,
    matrix_rows,
)
from app.answer.pages import evidence_pages
from app.answer.printed_pages import display_text
from app.answer.results import CLAUSE_MARK, checked_note
from app.answer.summarize import STYLES, summarize
from app.answer.table_export import tables_for
from app.faces import present
from app.faces.cli.fail import fail, guard
from app.faces.cli.review import print_table as print_review_table
from app.faces.cli.root import cli, settings
from model.base import ContentDelta, ReasoningDelta
from model.registry import EFFORTS

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

try:  # RETR's `eval` group; created here only when that module has not registered it
    from app.faces.cli.retrieval import eval_app  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the retrieval CLI being present
    eval_app = typer.Typer(help="Evaluate retrieval and answers on a question set.", no_args_is_help=True)
    cli.add_typer(eval_app, name="eval")




def _fail(message: str, hint: str = "") -> None:
    fail(message, 1, hint)


def _model_settings(thinking: bool, effort: Optional[str]):
    """The invocation's Settings with --thinking / --effort applied (an unknown effort fails with the choices)."""
    s = settings()
    if thinking:
        s = s.replace(thinking=True)
    if effort is not None:
        e = effort.strip().lower()
        if e not in EFFORTS:
            _fail(f"unknown --effort '{effort}'", f"choose one of {', '.join(EFFORTS)}")
        s = s.replace(effort=e)
    return s


def _docs(docs: Optional[list[str]]) -> Optional[list[str]]:
    return [d for d in docs if d.strip()] if docs else None


def _json(data: dict) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _print_dry_run(d) -> None:
    out.print("[bold]dry run[/bold] — nothing was sent")
    if d.budget:
        window = f" (window {d.context_window:,}, {d.tokenizer} tokens)" if d.context_window else ""
        out.print(f"context: {d.packed_tokens:,} tokens packed of a {d.budget:,} budget{window} over {d.documents} document(s)")
    else:
        out.print(f"{d.documents} document(s), read in full")
    if d.backend == "none":
        out.print("no model configured — extractive, $0")
        return
    out.print(f"prompt: ~{d.prompt_tokens:,} tokens in {d.calls} call(s) · up to {d.max_output:,} output tokens per call"
              + (" · thinking on" if d.thinking else ""))
    out.print(f"cache: ~{d.cache_hit_tokens:,} tokens at the cache-hit price, ~{d.cache_miss_tokens:,} at the miss price — "
              + ("prefix likely cached (same documents as the last call)" if d.prefix_cached_likely else "not cached (new documents or first call)"))
    rate = f" ({d.price_window} rate)" if d.price_window and d.price_window != "flat" else ""
    line = f"estimated cost: {present.money(d.estimated_cost_usd)}{rate} with a {d.answer_tokens:,}-token answer"
    if d.other_window:
        line += f"; {present.money(d.estimated_cost_other_usd)} at the {d.other_window} rate"
    out.print(line + f" · on {d.backend} · {d.model}")
    if d.max_cost_usd is not None:
        out.print(f"at most {present.money(d.max_cost_usd)} if every call used its whole output room")


def _print_citations(citations) -> None:
    if not citations:
        return
    out.print("\n[bold]Sources[/bold]")
    for c in citations:
        mark = "[green]✓[/green]" if c.verified else "[red]✗[/red]"
        where = f"{c.file}, {c.pages}" if c.file else "not in the context"
        sec = f" · {c.section}" if c.section else ""
        label = c.display_label if CLAUSE_MARK in (c.printed_start or "") else c.label  # "D1 cl. 12.3", not "D1 p.14"
        out.print(f" {mark} [{label}] {where}{sec}")


def _print_route(route) -> None:
    """Which documents were read and why ("reading: Promotion Agreement — matched: Depomed, King")."""
    if route is None or not getattr(route, "reason", ""):
        return
    out.print("\n[bold]Route[/bold]")
    out.print("  " + route.reason, markup=False)


def _print_coverage(coverage) -> None:
    rows = present.coverage_rows(coverage)
    if not rows:
        return
    out.print("\n[bold]Read[/bold]")
    for r in rows:
        out.print(f"  {r.label} {r.file}: {r.what} ({r.tokens:,} tokens)")


def _check_page_images(path: Optional[Path], page_images: bool) -> None:
    """Before any work: --page-images needs a .docx/.pdf --export."""
    if not page_images:
        return

    if path is None or path.suffix.lower() not in EVIDENCE_SUFFIXES:
        _fail("--page-images goes with a .docx or .pdf export", "add --export FILE.docx (or .pdf)")


def _export(result, path: Optional[Path], page_images: bool = False) -> None:
    if path is None:
        return

    evidence = None
    if page_images:
        if path.suffix.lower() not in EVIDENCE_SUFFIXES:
            raise ExportError(f"--page-images goes with a .docx or .pdf export, not {path.suffix or path.name}")
        evidence = evidence_pages(settings(), result)
    written = export(result, path, evidence=evidence, tables=tables_for(settings(), result, path.suffix))
    err.print(f"written: {written}" + (f" (with {sum(1 for e in evidence if e.path)} page image(s))" if evidence else ""))


@cli.command("ask")
def ask_cmd(
    question: str = typer.Argument(..., help="The question (quote it)."),
    docs: Optional[list[str]] = typer.Option(None, "--docs", "-d", help="Document id, id prefix or file name; repeat for several (default: all)."),
    budget: Optional[int] = typer.Option(None, "--budget", help="Context budget in the model's tokens (default: its window − reserves)."),
    thinking: bool = typer.Option(False, "--thinking", help="Think before answering (off otherwise, and sent off explicitly)."),
    effort: Optional[str] = typer.Option(None, "--effort", help="Thinking effort: low | high | max (with --thinking; default high)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show tokens and estimated cost; send nothing."),
    export_to: Optional[Path] = typer.Option(None, "--export", help="Also write the answer to FILE (.md .docx .pdf .json; .xlsx: the cited tables, whole)."),
    route_opt: Optional[bool] = typer.Option(None, "--route/--no-route", help="Read only the documents the question "
                                              "names (default: LONGDOC_ROUTING, on)."),
    page_images: bool = typer.Option(False, "--page-images", help="With a .docx/.pdf --export: append each cited page, the passage highlighted."),
) -> None:
    """Ask a question across the documents; the answer cites pages like [D2 p.14]. A question that names its
    documents ("Consider the Promotion Agreement between …;") is answered from them; the route is shown."""
    _check_page_images(export_to, page_images)

    streamed = {"any": False, "reasoning": False}
    live = not as_json and not dry_run and sys.stdout.isatty()

    def on_event(ev) -> None:
        if not live:
            return
        if isinstance(ev, ReasoningDelta) and ev.text and thinking:
            streamed["reasoning"] = True
            err.print(ev.text, end="", style="dim", markup=False)
        elif isinstance(ev, ContentDelta) and ev.text:
            streamed["any"] = True
            sys.stdout.write(ev.text)
            sys.stdout.flush()

    def body():
        s = _model_settings(thinking, effort)
        if route_opt is not None:
            s = s.replace(routing=route_opt)
        return ask(s, question, docs=_docs(docs), budget=budget, on_event=on_event, dry_run=dry_run)

    started = time.monotonic()
    ans = guard(body)
    if as_json:
        _json(ans.to_json())
        guard(lambda: _export(ans, export_to, page_images))
        return
    if ans.dry_run is not None:
        _print_dry_run(ans.dry_run)
        if ans.review is not None:  # a whole-library question: the review it would run
            out.print(ans.dry_run.message, markup=False)
        _print_route(ans.route)
        return
    if ans.reasoning and not streamed["reasoning"]:  # thinking that was not streamed live: shown apart, first
        err.print("[dim]── reasoning ──[/dim]")
        err.print(ans.reasoning, style="dim", markup=False)
        err.print("[dim]── answer ──[/dim]")
    elif streamed["reasoning"]:
        err.print()
    if streamed["any"]:
        sys.stdout.write("\n")
    else:
        out.print(display_text(ans.answer, ans.citations), markup=False)
    if ans.incomplete:
        err.print("[yellow]warning:[/yellow] the answer is incomplete (the model stopped early); what arrived is shown")
    bad = [s for s in ans.sentences if s.supported is False]
    if bad:
        out.print(f"\n[yellow]Not backed by the cited passages ({len(bad)}):[/yellow]")
        for s in bad:
            out.print(f"  ✗ {s.text}", markup=False)
    if ans.review is not None:  # a whole-library question: answered by a review (issue 23)
        print_review_table(ans.review)
    _print_citations(ans.citations)
    _print_route(ans.route)
    _print_coverage(ans.coverage)
    share = f" · {checked_note(ans)}" if checked_note(ans) else ""
    out.print(f"\n[dim]{present.usage_line(ans)}{share} · {time.monotonic() - started:.1f}s[/dim]")
    guard(lambda: _export(ans, export_to, page_images))


class _Bar:
    """A rich progress bar fed by the `progress` callbacks of summarize/compare (dict events)."""

    def __init__(self, enabled: bool, label: str):
        self.enabled = enabled
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                 TimeElapsedColumn(), console=err, transient=True, disable=not enabled)
        self.task = self.progress.add_task(label, total=1)
        self.label = label

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def __call__(self, event: dict) -> None:
        what = event.get("doc") or event.get("stage") or ""
        self.progress.update(self.task, completed=event.get("done", 0), total=max(1, event.get("total") or 1),
                             description=f"{self.label}: {what}"[:70])


@cli.command("summarize")
def summarize_cmd(
    docs: Optional[list[str]] = typer.Option(None, "--docs", "-d", help="Document id, id prefix or file name; repeat for several (default: all)."),
    style: str = typer.Option("brief", "--style", help="brief | legal | scientific | detailed"),
    budget: Optional[int] = typer.Option(None, "--budget", help="Context budget in the model's tokens (default: its window − reserves)."),
    export_to: Optional[Path] = typer.Option(None, "--export", help="Write the summary to FILE (.md .docx .pdf .json)."),
    page_images: bool = typer.Option(False, "--page-images", help="With a .docx/.pdf --export: append each cited page, the passage highlighted."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show tokens and estimated cost; send nothing."),
    thinking: bool = typer.Option(False, "--thinking", help="Think before writing (off otherwise)."),
    effort: Optional[str] = typer.Option(None, "--effort", help="Thinking effort: low | high | max."),
) -> None:
    """Summarize documents (one pass when they fit, else per document then a synthesis)."""
    _check_page_images(export_to, page_images)

    if style not in STYLES:
        _fail(f"unknown style '{style}'", f"choose one of {', '.join(STYLES)}")
    if export_to is not None:
        if export_to.suffix.lower() not in TEXT_SUFFIXES:
            _fail(f"cannot export a summary to '{export_to.name}'", f"use one of {', '.join(TEXT_SUFFIXES)}" +
                  (" (.csv/.xlsx are for `longdoc compare`)" if export_to.suffix.lower() in MATRIX_SUFFIXES else ""))

    with _Bar(not as_json and sys.stderr.isatty(), "summarizing") as bar:
        result = guard(lambda: summarize(_model_settings(thinking, effort), docs=_docs(docs), style=style, budget=budget,
                                          progress=bar, dry_run=dry_run))
    if result.dry_run is not None:
        _json(result.to_json()) if as_json else _print_dry_run(result.dry_run)
        return
    if as_json:
        _json(result.to_json())
    else:
        out.print(f"[bold]{result.title}[/bold]\n")
        out.print(display_text(result.summary, result.citations), markup=False)
        if result.incomplete:
            err.print("[yellow]warning:[/yellow] the summary is incomplete (the model stopped early)")
        bad = [s for s in result.sentences if s.supported is False]
        if bad:
            out.print(f"\n[yellow]Not backed by the cited passages ({len(bad)}):[/yellow]")
            for s in bad:
                out.print(f"  ✗ {s.text}", markup=False)
        strategy = "" if result.mode == "extractive" else f"{result.strategy} · "
        out.print(f"\n[dim]{strategy}{present.usage_line(result)}[/dim]")
    guard(lambda: _export(result, export_to, page_images))


@cli.command("compare")
def compare_cmd(
    docs: Optional[list[str]] = typer.Option(None, "--docs", "-d", help="Document id, id prefix or file name; repeat for several (default: all)."),
    aspects: Optional[str] = typer.Option(None, "--aspects", help='Comma-separated, e.g. "governing law,term,termination,liability cap" (default: by domain).'),
    export_to: Optional[Path] = typer.Option(None, "--export", help="Write the matrix to FILE (.csv .xlsx .md .docx .pdf .json)."),
    page_images: bool = typer.Option(False, "--page-images", help="With a .docx/.pdf --export: append each cited page, the passage highlighted."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show tokens and estimated cost; send nothing."),
    thinking: bool = typer.Option(False, "--thinking", help="Think before answering (off otherwise)."),
    effort: Optional[str] = typer.Option(None, "--effort", help="Thinking effort: low | high | max."),
) -> None:
    """Compare documents aspect by aspect: one cited cell per document × aspect (one call when they fit the window)."""
    _check_page_images(export_to, page_images)

    with _Bar(not as_json and sys.stderr.isatty(), "comparing") as bar:
        m = guard(lambda: compare(_model_settings(thinking, effort), docs=_docs(docs), aspects=aspects, dry_run=dry_run,
                                   progress=bar))
    if m.dry_run is not None:
        _json(m.to_json()) if as_json else _print_dry_run(m.dry_run)
        return
    if as_json:
        _json(m.to_json())
    else:
        header, rows = matrix_rows(m)  # the same rows as every export of the matrix
        t = Table(title=m.title, show_lines=True)
        t.add_column(header[0], style="bold")
        for name in header[1:]:
            t.add_column(name[:40])
        for row in rows:
            t.add_row(escape(row[0]), *("[dim]not found[/dim]" if c == NOT_FOUND_CELL else escape(c) for c in row[1:]))
        out.print(t)
        if m.mode == "extractive":
            out.print("[dim]extractive comparison (no model configured): each cell quotes the best-matching sentence · $0[/dim]")
        else:
            out.print(f"[dim]{present.usage_line(m)}[/dim]")
    guard(lambda: _export(m, export_to, page_images))


@eval_app.command("answers")
def eval_answers_cmd(
    set_dir: Path = typer.Option(..., "--set", help="A folder of PDFs with questions.jsonl (e.g. ../shared/eval/dev)."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N questions."),
    generative: Optional[bool] = typer.Option(None, "--generative/--no-generative", help="Also score the configured model (default: when one is configured)."),
) -> None:
    """Score answers on a question set: expected text or evidence in the answer, and the cited page."""
    def body():
        s = settings()
        with _Bar(not as_json and sys.stderr.isatty(), "answering") as bar:
            return evaluate_answers(s, set_dir, limit=limit, generative=generative, progress=bar)

    report = guard(body)
    if as_json:
        _json(report)
        return
    t = Table(title=f"answers on {set_dir} ({report['questions']} questions)")
    for col in ("mode", "answerable", "answer ok", "cited page ok", "refused (unanswerable)", "mean s"):
        t.add_column(col, justify="right" if col != "mode" else "left")
    for row in report["modes"]:
        t.add_row(
            row["mode"], str(row["answerable"]), f"{row['answer_ok']:.0%}", f"{row['page_ok']:.0%}",
            f"{row['refused_ok']}/{row['unanswerable']}", f"{row['mean_seconds']:.2f}",
        )
    out.print(t)
    if report.get("notes"):
        for n in report["notes"]:
            out.print(f"[dim]{n}[/dim]")
