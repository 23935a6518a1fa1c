"""The `longdoc` command. Thin: each group lives in its own module and calls `app/` functions.

Modules register their commands on `cli` when imported below; they print, nothing else in the
package does. Users never see a traceback: `main()` turns unexpected errors into one line.
"""

from __future__ import annotations

import sys

import typer
import typer.core

from app.config import Settings, load_settings

_state: dict = {}


def _take_matter(ctx, param, value):
    """`--matter NAME` given after the command name: the same as before it."""
    if value is not None:
        _state.setdefault("overrides", {})["matter"] = _matter_name(value)
    return value


def _matter_name(value: str | None) -> str | None:
    from app.config import check_matter_name

    if value is None:
        return None
    try:
        return check_matter_name(value)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--matter")


# groups about matters and access themselves: their `--matter` (where they have one) names a target
_NO_ACTING_MATTER = ("matter", "token", "user")


def _with_matter_option(cmd) -> None:
    """Give every command (and every command of nested groups) a `--matter` option, unless it has its
    own (e.g. `token create --matter`, whose matter is the token's, not the one to act in)."""
    subs = getattr(cmd, "commands", None)
    if cmd.name in _NO_ACTING_MATTER:
        return
    if subs is not None:
        for sub in subs.values():
            _with_matter_option(sub)
        return
    if any(p.name == "matter" for p in cmd.params):
        return
    cmd.params.append(_matter_param())


def _matter_param():
    """The `--matter` option as typer builds it (typer's option class needs its own type description)."""
    if "param" not in _state:
        probe = typer.Typer()

        @probe.command()
        def _probe(matter: str = typer.Option(None, "--matter", is_eager=True, callback=_take_matter, metavar="NAME",
                                              help="Matter (workspace) to act in (LONGDOC_MATTER, default: default).")):
            pass

        param = next(p for p in typer.main.get_command(probe).params if p.name == "matter")
        param.expose_value = False  # the command never sees it: settings() does
        _state["param"] = param
    return _state["param"]


class _Root(typer.core.TyperGroup):
    def get_command(self, ctx, cmd_name):
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            _with_matter_option(cmd)
        return cmd


cli = typer.Typer(
    name="longdoc",
    cls=_Root,
    help="Read long legal and scientific PDFs with page-cited answers over large contexts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

@cli.callback()
def _root(
    home: str = typer.Option(None, "--home", help="Data folder (LONGDOC_HOME, default ./.longdoc)."),
    chroma_url: str = typer.Option(None, "--chroma-url", help="Chroma server URL (LONGDOC_CHROMA_URL)."),
    backend: str = typer.Option(None, "--backend", help="none|deepseek|openai|anthropic|transformers"),
    model: str = typer.Option(None, "--model", help="Model id (LONGDOC_MODEL)."),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI/Anthropic-compatible base URL."),
    embedder: str = typer.Option(None, "--embedder", help="sentence-transformers model path or name."),
    matter: str = typer.Option(None, "--matter", help="Matter (workspace) to act in (LONGDOC_MATTER, default: default)."),
) -> None:
    _state["overrides"] = dict(
        home=home, chroma_url=chroma_url, backend=backend, model=model, base_url=base_url, embedder=embedder,
        matter=_matter_name(matter),
    )


def settings(**more) -> Settings:
    """The Settings for this invocation: env + global flags + command flags (the matter must exist)."""
    try:
        s = load_settings(**{**_state.get("overrides", {}), **more})
        if not s.is_default_matter:
            from app import matters

            matters.require(s)
    except (ValueError, LookupError) as e:
        from rich.console import Console

        Console(stderr=True, highlight=False).print(f"[red]error:[/red] {e.args[0] if e.args else e}")
        raise SystemExit(2 if isinstance(e, ValueError) else 1)  # not an Exception: no command guard re-words it
    return s


# Command groups register themselves on import.
from app.cli import ingest as _ingest  # noqa: E402,F401
from app.cli import retrieval as _retrieval  # noqa: E402,F401
from app.cli import models as _models  # noqa: E402,F401
from app.cli import use as _use  # noqa: E402,F401
from app.cli import ui as _ui  # noqa: E402,F401
from app.cli import pages as _pages  # noqa: E402,F401
from app.cli import matter as _matter  # noqa: E402,F401
from app.cli import access as _access  # noqa: E402,F401
from app.cli import serve as _serve  # noqa: E402,F401
from app.cli import jobs as _jobs  # noqa: E402,F401
from app.cli import reembed as _reembed  # noqa: E402,F401


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
