"""`longdoc search`, `longdoc context` and `longdoc eval retrieval` (registered on import).

Prints; the work is in retrieval.search / retrieval.pack / retrieval.evaluate. Failures a user causes
(unknown document, empty library, missing re-rank model, bad eval set) print one line and exit 1.
`eval_app` is the `longdoc eval` group: other areas add their evaluations to it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.answer.eval_costs import cost_curve
from app.answer.passages import (
    default_budget,  # noqa: F401 - re-exported (bench, tests)
    packed_context,
    resolve,
    search_passages,
)
from app.config import Settings
from app.faces.cli.fail import guard
from app.faces.cli.root import cli, settings
from app.library import documents as library
from ingest.pipeline import expand_paths
from retrieval.evaluate import METHODS, EvalError, load_questions, run_eval

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

eval_app = typer.Typer(help="Evaluate retrieval and answers on a question set.", no_args_is_help=True)
cli.add_typer(eval_app, name="eval")

def _split_refs(docs: Optional[list[str]]) -> Optional[list[str]]:
    """--docs may repeat or hold a comma-separated list; file names may contain commas, so a piece that
    is itself a whole ref is kept as given (resolution tries the whole string first)."""
    if not docs:
        return None
    return [d.strip() for d in docs if d.strip()] or None


def _resolve(s: Settings, refs: Optional[list[str]]):
    return resolve(s, refs)


def _write_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# ---------------------------------------------------------------------------------------------------------
# search


@cli.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="What to look for."),
    docs: Optional[list[str]] = typer.Option(None, "--docs", "-d", help="Only these documents (id, id prefix or file name; repeat or comma-separate)."),
    k: int = typer.Option(10, "--k", "-k", min=1, max=1000, help="How many passages."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid | dense | bm25"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    route_opt: Optional[bool] = typer.Option(None, "--route/--no-route", help="Read only the documents the query names "
                                              "(default: LONGDOC_ROUTING, on)."),
) -> None:
    """Ranked passages for QUERY (dense + BM25 fused), with pages and sections; a query that names documents
    ("… in the Promotion Agreement between Depomed and King") searches those."""

    def body():
        data = search_passages(settings(), query, _split_refs(docs), k=k, mode=mode, routing=route_opt)
        rows = data["hits"]
        rt = data.get("route")
        if as_json:
            _write_json(data)
            return
        if rt and rt.get("reason"):
            out.print("route: " + rt["reason"], markup=False)
        if not rows:
            out.print("No matching passages.")
            return
        for r in rows:
            why = ", ".join(
                x for x in (
                    f"dense #{r['dense_rank']}" if r["dense_rank"] else "",
                    f"bm25 #{r['bm25_rank']}" if r["bm25_rank"] else "",
                ) if x
            )
            out.print(f"[bold]{r['rank']:>3}. [{r['label']}][/bold] {r['file']}, {r['pages_display']}" + (f" — {r['section']}" if r["section"] else "") + f" [dim]({why})[/dim]")
            text = " ".join(r["text"].split())
            out.print("     " + (text[:400] + ("…" if len(text) > 400 else "")))

    guard(body)


# ---------------------------------------------------------------------------------------------------------
# context


def coverage_table(packed) -> Table:
    t = Table(title=f"Coverage — {packed.tokens:,} of {packed.budget:,} tokens, mode: {packed.mode}")
    for col in ("doc", "file", "pages in context", "pages missing", "tokens", "whole"):
        t.add_column(col)
    for c in packed.coverage:
        t.add_row(
            c.label,
            c.file,
            f"{len(c.pages_in_context)}/{c.pages_total}  {_ranges(c.pages_in_context)}",
            _ranges(c.pages_missing) or "—",
            f"{c.tokens:,}",
            ("yes" if c.whole else "no") + ("" if c.vectors else " · vectors pending: keyword search only"),
        )
    return t


def _ranges(pages: list[int]) -> str:
    out_: list[str] = []
    for p in sorted(pages):
        if out_ and p == out_[-1][1] + 1:
            out_[-1][1] = p
        else:
            out_.append([p, p])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in out_)


@cli.command("context")
def context_cmd(
    question: str = typer.Argument(..., help="The question the context is packed for."),
    docs: Optional[list[str]] = typer.Option(None, "--docs", "-d", help="Only these documents (id, id prefix or file name)."),
    budget: int = typer.Option(0, "--budget", "-b", min=0, help="Token budget (default: LONGDOC_BUDGET, else the active model's window − reserves)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (passages, coverage and the rendered context)."),
    route_opt: Optional[bool] = typer.Option(None, "--route/--no-route", help="Read only the documents the question "
                                              "names (default: LONGDOC_ROUTING, on)."),
) -> None:
    """The packed context a model would receive for QUESTION, its route (which documents and why) and its
    coverage report."""

    def body():
        packed, data = packed_context(settings(), question, _split_refs(docs), budget=budget, routing=route_opt)
        if as_json:
            _write_json(data)
            return
        text = data["context"]
        out.print(text, markup=False)
        out.print()
        out.print(coverage_table(packed))
        if packed.route is not None and packed.route.reason:
            out.print(f"Route: {packed.route.reason}", markup=False)

    guard(body)


# ---------------------------------------------------------------------------------------------------------
# eval retrieval


def _parse_budgets(text: str) -> list[int]:
    try:
        vals = [int(x.strip().lower().replace("k", "000")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--budgets must be comma-separated token counts, e.g. 4000,16000 (got {text!r})") from None
    if not vals or any(v <= 0 for v in vals):
        raise ValueError("--budgets must be positive token counts")
    return vals


def results_table(report) -> Table:
    t = Table(title=f"Evidence recall (citation precision) — {report.set}, {'open' if report.open else 'closed'} setting, "
                    f"{next(iter(next(iter(report.methods.values())).values()))['n'] if report.methods else 0} questions with evidence")
    t.add_column("method")
    for b in report.budgets:
        t.add_column(f"{b // 1000}K" if b % 1000 == 0 else str(b), justify="right")
    for m, row in report.methods.items():
        cells = []
        for b in report.budgets:
            r = row[str(b)]
            cells.append(f"{r['evidence_recall']:.3f} ({r['citation_precision']:.2f})")
        t.add_row(m, *cells)
    return t


def cost_table(report, costs: dict) -> Table:
    """longdoc's method: mean tokens packed and USD per question at each budget (first question / follow-up)."""
    method = "longdoc" if "longdoc" in report.methods else next(iter(report.methods), None)
    t = Table(title=f"Cost per question — {method}, {costs['model']} ({costs['provider']}, prices read {costs['read']}), "
                    f"a {costs['answer_tokens']}-token answer; first question / follow-up over the same documents "
                    f"(cache hit where they were packed whole)")
    t.add_column("budget")
    t.add_column("recall", justify="right")
    t.add_column("mean tokens packed", justify="right")
    t.add_column("packed whole", justify="right")
    keys = [k for k in ("off_peak", "peak") if method and any(f"{k}_miss_usd" in c for c in costs["methods"][method].values())]
    for k in keys:
        t.add_column(f"{k.replace('_', '-')} USD", justify="right")
    if method is None:
        return t
    for b in report.budgets:
        r, c = report.methods[method][str(b)], costs["methods"][method][str(b)]
        cells = [f"${c[f'{k}_miss_usd']:.4f} / ${c[f'{k}_hit_usd']:.4f}" for k in keys]
        t.add_row(f"{b:,}", f"{r['evidence_recall']:.3f}", f"{r['mean_tokens']:,.0f}", f"{r.get('whole_share', 0):.0%}", *cells)
    return t


@eval_app.command("retrieval")
def eval_retrieval(
    set_dir: Path = typer.Option(..., "--set", help="Folder of PDFs + questions.jsonl."),
    budgets: str = typer.Option("4000,16000,32000,64000,128000,256000,512000,1000000", "--budgets",
                                help="Comma-separated token budgets (up to DeepSeek V4's 1M window)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    open_set: bool = typer.Option(False, "--open", help="Pack over the whole set, not just each question's documents."),
    store_dir: Optional[Path] = typer.Option(None, "--store", help="Ingest into (and keep) this LONGDOC_HOME instead of a temporary one."),
    limit: int = typer.Option(0, "--limit", min=0, help="Only the first N questions (quick runs)."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result to this file."),
    methods: Optional[str] = typer.Option(None, "--methods", help="Which of longdoc,naive,dense,bm25,unrouted to run "
                                          "(default longdoc,naive,dense,bm25; with --distractors longdoc,unrouted)."),
    distractors: Optional[Path] = typer.Option(None, "--distractors", help="Also ingest this folder's documents and "
                                               "search everything (the open setting in a large library)."),
    distractor_limit: int = typer.Option(0, "--distractor-limit", min=0, help="Only N of the distractors, evenly "
                                         "spread over the folder (quick runs, CI)."),
) -> None:
    """Evidence recall and citation precision of the packer vs naive top-2 RAG, per token budget; with
    --distractors, recall per question kind (named, cross-doc, names-nothing) in a library the set is lost in."""

    def body():
        sizes = _parse_budgets(budgets)
        default = "longdoc,unrouted" if distractors is not None else "longdoc,naive,dense,bm25"
        chosen = tuple(m.strip() for m in (methods or default).split(",") if m.strip())
        bad = [m for m in chosen if m not in METHODS]
        if bad or not chosen:
            raise EvalError(f"unknown method(s) {', '.join(bad) or '(none)'}; choose from {', '.join(METHODS)}")
        sd = set_dir.expanduser()
        if not sd.is_dir():
            raise EvalError(f"{sd} is not a folder")
        extra = _distractor_files(distractors, distractor_limit) if distractors is not None else []
        opened = open_set or distractors is not None
        if store_dir is not None:
            report = _run_eval(settings(home=str(store_dir.expanduser()), matter="default"), sd, sizes, opened, chosen,
                               limit, as_json, extra)
        else:
            with tempfile.TemporaryDirectory(prefix="longdoc-eval-") as tmp:
                report = _run_eval(settings(home=tmp, chroma_url=None, matter="default"), sd, sizes, opened, chosen,
                                   limit, as_json, extra)

        costs = cost_curve(report, settings())
        data = {**report.as_dict(), "costs": costs}
        if out_file is not None:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_text(json.dumps({**report.as_dict(details=True), "costs": costs}, indent=2) + "\n",
                                encoding="utf-8")
        if as_json:
            _write_json(data)
            return
        out.print(results_table(report))
        if report.by_kind and (report.open or len(report.by_kind) > 1):
            out.print(kinds_table(report))
        if report.routing:
            r = report.routing
            out.print(f"Routing: read exactly the question's documents for {r['exact']}/{r['n']}, "
                      f"at least them for {r['covers']}/{r['n']} (library: {report.library.get('documents', 0)} documents, "
                      f"{report.library.get('chunks', 0):,} chunks).")
        out.print(cost_table(report, costs))
        u = report.unanswerable
        out.print(f"Reported apart (no evidence to recall): {u['n']} question(s) — {u['not_answerable']} unanswerable, "
                  f"{u['no_evidence_given']} without evidence annotations.  {report.seconds:.0f} s.")

    guard(body)


def kinds_table(report) -> Table:
    t = Table(title="Evidence recall · share of packed tokens from the question's own documents, per question kind")
    t.add_column("kind")
    t.add_column("method")
    t.add_column("n", justify="right")
    for b in report.budgets:
        t.add_column(f"{b // 1000}K" if b % 1000 == 0 else str(b), justify="right")
    for kind, per_m in report.by_kind.items():
        for m, row in per_m.items():
            n = next(iter(row.values()))["n"] if row else 0
            t.add_row(kind, m, str(n), *[f"{row[str(b)]['evidence_recall']:.3f} · {row[str(b)]['right_share']:.2f}"
                                         if str(b) in row else "" for b in report.budgets])
    return t


def _distractor_files(folder: Path, limit: int) -> list[Path]:
    """The distractor documents (the ingest rules: .pdf/.txt/.md, notes like README/SOURCE skipped); with
    `limit`, that many spread evenly over the sorted list, so a sample is not all one kind of file."""
    folder = folder.expanduser()
    if not folder.is_dir():
        raise EvalError(f"--distractors {folder} is not a folder")
    files, _ = expand_paths([folder])
    if not files:
        raise EvalError(f"--distractors {folder} holds no .pdf, .txt or .md files")
    if limit and limit < len(files):
        step = len(files) / limit
        files = [files[int(i * step)] for i in range(limit)]
    return files


def _run_eval(s: Settings, set_dir: Path, budgets: list[int], open_set: bool, methods: tuple[str, ...], limit: int,
              quiet: bool, extra: list[Path] | None = None):
    questions = load_questions(set_dir)
    files = sorted({f for q in questions[: limit or None] for f in q.docs}) if not open_set else sorted(
        p.name for p in set_dir.iterdir() if p.suffix.lower() in (".pdf", ".txt", ".md")
    )
    missing = [f for f in files if not (set_dir / f).is_file()]
    if missing:
        raise EvalError(f"{len(missing)} document(s) named in questions.jsonl are not in {set_dir}: {missing[0]}")
    paths = [set_dir / f for f in files] + list(extra or [])
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("ingesting", total=len(paths))
        done: set[str] = set()

        def on_ingest(ev: dict) -> None:
            name = str(ev.get("file") or "")
            if ev.get("event") == "result" and name:
                done.add(name)
            bar.update(task, completed=min(len(done), len(paths)), description=f"ingesting {name[:40]}")

        results = library.ingest(s, paths, progress=on_ingest)
        named = set(files)
        bad = [r for r in results if r.status not in ("ingested", "unchanged", "replaced") and r.file in named]
        if bad:
            raise EvalError(f"could not ingest {bad[0].file}: {bad[0].message or bad[0].status}")
        skipped = [r for r in results if r.status not in ("ingested", "unchanged", "replaced")]
        if skipped and not quiet:
            err.print(f"[yellow]{len(skipped)} distractor(s) could not be ingested (left out): {skipped[0].file}: "
                      f"{skipped[0].message or skipped[0].status}[/yellow]")
        bar.update(task, completed=len(paths))
        store = library.get_store(s)
        embedder = library.get_embedder_for(s)
        etask = bar.add_task("evaluating", total=None)

        def on_eval(what: str, i: int, n: int) -> None:
            bar.update(etask, completed=i, total=n, description=f"evaluating {what}")

        try:
            return run_eval(store, embedder, set_dir, budgets=budgets, open_set=open_set, methods=methods,
                            limit=limit or None, progress=on_eval, routing=s.routing)
        finally:
            library.forget_stores()
