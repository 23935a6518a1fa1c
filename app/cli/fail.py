"""How every command ends on bad input: one red line on stderr (and a hint where there is one), exit code 1
for a request that cannot be met, 2 for a usage error — one place, so every face prints errors alike."""

from __future__ import annotations

from typing import Callable, NoReturn, TypeVar

import typer
from rich.console import Console

T = TypeVar("T")
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1, hint: str = "") -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True)
    if hint:
        err.print(f"[dim]→ {hint}[/dim]")
    raise typer.Exit(code)


def usage(message: str, code: int = 2) -> NoReturn:
    """A usage error (exit 2), as typer's own."""
    fail(message, code)


def or_fail(fn: Callable[[], T], code: int = 1) -> T:
    """fn(), or its LookupError/ValueError/OSError as one error line (the message, not the repr)."""
    try:
        return fn()
    except (LookupError, ValueError, OSError) as e:
        fail(str(e.args[0] if e.args else e), code)
