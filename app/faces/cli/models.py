"""`longdoc doctor`: which model answers, its window, thinking style and prices now, and what the endpoint serves.

Never prints the key: only whether one is set. Exit 1 when the configured model is retired or not
served, or when the endpoint fails the 1-token check.
"""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from app.answer.llm import backend_for, streamlit_key
from app.answer.model_status import STYLE_WORDS, status
from app.faces import present
from app.faces.cli.root import cli, settings
from app.library.documents import get_embedder_for
from model.base import ChatOptions, ModelError
from model.redact import scrub

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _price(p: float) -> str:
    return f"${p:g}"


def _rates(r) -> str:
    return f"input {_price(r.input_cache_miss)} (cache hit {_price(r.input_cache_hit)}), output {_price(r.output)}"


@cli.command()
def doctor(
    call: bool = typer.Option(True, "--call/--no-call", help="Check the endpoint with a 1-token call."),
    models: bool = typer.Option(True, "--models/--no-models", help="List what the endpoint serves (GET /models)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (no 1-token call)."),
) -> None:
    """Show the active model: window, output cap, thinking style, prices now and at the other rate, served models."""
    s = settings()
    try:
        st = status(s, list_models=models)
    except ModelError as e:
        err.print(f"[red]error:[/red] {scrub(present.failure(e).line)}", markup=True)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(st.as_dict(), indent=2) + "\n")
        raise typer.Exit(1 if st.is_served is False else 0)

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()

    e = get_embedder_for(s)
    t.add_row("embedder", f"{e.name} · {e.backend} · window {e.max_tokens + 2} word pieces · batch {s.embed_batch}"
              + (f" ({e.note})" if e.note else ""))
    configured_name = (s.backend or "none").lower()
    t.add_row("backend", configured_name if st.configured or configured_name == "none" else f"{configured_name} → none")
    if not st.configured:
        t.add_row("model", st.reason)
        t.add_row("api key", "set" if (s.api_key or streamlit_key()) else "unset")
        t.add_row("context", f"{st.context_window:,} tokens (the default model's window sizes extractive contexts)")
        out.print(t)
        out.print("no model configured — answers are extractive (set LONGDOC_BACKEND / DEEPSEEK_API_KEY to use a model)")
        return

    t.add_row("model", st.model + (f" (served by {st.served_by})" if st.served_by else ""))
    t.add_row("endpoint" if st.backend != "transformers" else "device", st.endpoint)
    t.add_row("api key", "set" if (s.api_key or streamlit_key()) else "unset")
    window = f"{st.context_window:,} tokens"
    if st.served_window and st.served_window != st.context_window:
        window += f" (the server reports max_model_len {st.served_window:,}; budgets use the smaller)"
    t.add_row("context window", window)
    t.add_row("max output", f"{st.max_output:,} tokens" + (
        f" ({st.max_output_thinking:,} with thinking)" if st.max_output_thinking and st.max_output_thinking != st.max_output else
        " (reasoning included)" if st.thinking_style == "switch" else ""))
    think = STYLE_WORDS.get(st.thinking_style, st.thinking_style)
    if st.thinking_style != "none":
        think += f" · {'on for every call' if st.thinking_on else 'off unless --thinking (sent off explicitly)' if st.thinking_style == 'switch' else 'off unless --thinking'}"
        if st.thinking_model:
            think += f" · thinking model {st.thinking_model}"
        if st.efforts:
            think += f" · effort {st.effort or 'default'} (--effort {'|'.join(st.efforts)})"
    t.add_row("thinking", think)
    t.add_row("tokenizer", st.tokenizer)
    t.add_row("reads", " and ".join(st.inputs))
    if st.now is None:
        t.add_row("prices", "unknown for this model (costs shown as 'price unknown'; add it with LONGDOC_CATALOG_FILE)")
    elif st.now.output == 0 and st.now.input_cache_miss == 0:
        t.add_row("prices", "free (local)")
    else:
        label = "prices now" if st.now.window == "flat" else f"prices now ({st.now.window})"
        t.add_row(f"{label}, USD/1M", _rates(st.now))
        if st.other is not None:
            t.add_row(f"at the {st.other.window} rate", _rates(st.other) + f" · switches at {st.next_change}")
            t.add_row("peak hours", st.peak_label)
    if st.source:
        t.add_row("catalog", f"{st.source} (read {st.read})" if st.read else st.source)
    t.add_row("timeouts", f"{s.timeout_s:g} s per attempt, up to {s.max_retries} {'retry' if s.max_retries == 1 else 'retries'}")
    out.print(t)
    if st.served is not None:
        mark = "" if st.is_served is None else (" — the active model is among them" if st.is_served else "")
        out.print(f"served models (GET /models): {', '.join(st.served) or '(none listed)'}{mark}")
    elif st.served_error:
        out.print(f"served models: could not list them ({scrub(st.served_error)})")
    for n in st.notes:
        out.print(f"[yellow]note:[/yellow] {n}")
    if st.is_served is False:
        err.print(f"[red]error:[/red] model '{st.model}' is not served at {st.endpoint}; it serves: "
                  f"{', '.join(st.served)} — set LONGDOC_MODEL (or --model) to one of them")
        raise typer.Exit(1)
    if not call:
        return

    backend = backend_for(s)
    try:
        c = backend.complete([{"role": "user", "content": "Reply with OK."}], ChatOptions(stream=False, max_tokens=1))
    except ModelError as ex:
        err.print(f"[red]endpoint check failed:[/red] {scrub(present.failure(ex).line)}")
        raise typer.Exit(1) from None
    cost = "price unknown" if c.cost_usd is None else f"${c.cost_usd:.6f}"
    out.print(
        f"endpoint check: [green]OK[/green] — {c.model} answered in {c.latency_s:.1f} s "
        f"({c.usage.prompt_tokens} prompt + {c.usage.output_tokens} output tokens, {cost})"
    )
