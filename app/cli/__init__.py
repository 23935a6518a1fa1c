"""The `longdoc` command. Thin: each group lives in its own module and calls `app/` functions.

Modules register their commands on `cli` when imported below; they print, nothing else in the
package does. Users never see a traceback: `main()` turns unexpected errors into one line.
"""

from __future__ import annotations

import sys

import typer

from app.config import Settings, load_settings

cli = typer.Typer(
    name="longdoc",
    help="Read long legal and scientific PDFs with page-cited answers over large contexts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state: dict = {}


@cli.callback()
def _root(
    home: str = typer.Option(None, "--home", help="Data folder (LONGDOC_HOME, default ./.longdoc)."),
    chroma_url: str = typer.Option(None, "--chroma-url", help="Chroma server URL (LONGDOC_CHROMA_URL)."),
    backend: str = typer.Option(None, "--backend", help="none|deepseek|openai|anthropic|transformers"),
    model: str = typer.Option(None, "--model", help="Model id (LONGDOC_MODEL)."),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI/Anthropic-compatible base URL."),
    embedder: str = typer.Option(None, "--embedder", help="sentence-transformers model path or name."),
) -> None:
    _state["overrides"] = dict(
        home=home, chroma_url=chroma_url, backend=backend, model=model, base_url=base_url, embedder=embedder
    )


def settings(**more) -> Settings:
    """The Settings for this invocation: env + global flags + command flags."""
    return load_settings(**{**_state.get("overrides", {}), **more})


# Command groups register themselves on import.
from app.cli import ingest as _ingest  # noqa: E402,F401
from app.cli import retrieval as _retrieval  # noqa: E402,F401
from app.cli import models as _models  # noqa: E402,F401
from app.cli import use as _use  # noqa: E402,F401
from app.cli import ui as _ui  # noqa: E402,F401
from app.cli import pages as _pages  # noqa: E402,F401


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
