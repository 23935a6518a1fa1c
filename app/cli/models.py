"""`longdoc doctor`: which model answers, its limits and prices, and whether the endpoint responds.

Never prints the key: only whether one is set. Exit 1 when a configured endpoint fails the check.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from app.cli import cli, settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def _price(p: float) -> str:
    return f"${p:g}"


@cli.command()
def doctor(
    call: bool = typer.Option(True, "--call/--no-call", help="Check the endpoint with a 1-token call."),
) -> None:
    """Show the active model backend, context window, prices, and whether the endpoint answers."""
    from app.llm import backend_for, streamlit_key
    from model.base import ChatOptions, ModelError
    from model.redact import scrub

    s = settings()
    try:
        backend = backend_for(s)
    except ModelError as e:
        err.print(f"[red]error:[/red] {scrub(e.message)}")
        raise typer.Exit(1)

    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    from app.library import get_embedder_for

    e = get_embedder_for(s)
    t.add_row("embedder", f"{e.name} · {e.backend} · window {e.max_tokens + 2} word pieces · batch {s.embed_batch}"
              + (f" ({e.note})" if e.note else ""))
    configured_name = (s.backend or "none").lower()
    t.add_row("backend", configured_name if backend.is_configured or configured_name == "none" else f"{configured_name} → none")
    if not backend.is_configured:
        t.add_row("model", backend.reason)
        t.add_row("api key", "set" if (s.api_key or streamlit_key()) else "unset")
        out.print(t)
        out.print("no model configured — answers are extractive (set LONGDOC_BACKEND / DEEPSEEK_API_KEY to use a model)")
        return

    model = backend.model
    thinking_model = getattr(backend, "model_for", lambda o: model)(ChatOptions(thinking=True))
    t.add_row("model", model + (f" (thinking: {thinking_model})" if thinking_model != model else ""))
    where = getattr(backend, "base_url", None) or getattr(backend, "device", "")
    t.add_row("endpoint" if backend.name != "transformers" else "device", str(where))
    t.add_row("api key", "set" if (s.api_key or streamlit_key()) else "unset")
    t.add_row("context window", f"{backend.context_window:,} tokens")
    max_out = f"{backend.max_output:,} tokens"
    if hasattr(backend, "max_output_for") and thinking_model != model:
        max_out += f" ({backend.max_output_for(ChatOptions(thinking=True)):,} with thinking)"
    t.add_row("max output", max_out)
    p = backend.prices
    if p is None:
        t.add_row("prices", "unknown for this model (costs shown as 'price unknown'; set prices_file)")
    elif p.output == 0 and p.input_cache_miss == 0:
        t.add_row("prices", "free (local)")
    else:
        t.add_row(
            "prices (USD / 1M tokens)",
            f"input {_price(p.input_cache_miss)} (cache hit {_price(p.input_cache_hit)}), output {_price(p.output)}",
        )
        est = backend.estimate_cost(100_000, 2_000)
        t.add_row("example", f"100K-token prompt + 2K answer ≈ ${est:.4f} (no cache)")
    t.add_row("timeouts", f"{s.timeout_s:g} s per attempt, up to {s.max_retries} {'retry' if s.max_retries == 1 else 'retries'}")
    out.print(t)
    if not call:
        return
    try:
        c = backend.complete([{"role": "user", "content": "Reply with OK."}], ChatOptions(stream=False, max_tokens=1))
    except ModelError as e:
        err.print(f"[red]endpoint check failed:[/red] {scrub(e.message)}")
        raise typer.Exit(1)
    cost = "price unknown" if c.cost_usd is None else f"${c.cost_usd:.6f}"
    out.print(
        f"endpoint check: [green]OK[/green] — {c.model} answered in {c.latency_s:.1f} s "
        f"({c.usage.prompt_tokens} prompt + {c.usage.output_tokens} output tokens, {cost})"
    )
