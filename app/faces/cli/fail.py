"""How every command ends on bad input: one red line on stderr (and a hint where there is one), exit code 1
for a request that cannot be met, 2 for a usage error. The words come from `app.faces.present`, as in
every face; this module only prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console

from app.faces import present

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


def fail_with(e: BaseException, code: int = 1, *, unexpected: bool = False) -> NoReturn:
    """End the command with the failure `e` as present words it. A bug, which present does not know, is re-raised,
    or with `unexpected` ends the command too, as its kind and words on one line."""
    known = present.failure(e, os_errors=True)
    if known is None and unexpected:
        known = present.unexpected(e)
    if known is None:
        raise e
    fail(known.message, code, known.hint)


def guard(fn: Callable[[], T], code: int = 1) -> T:
    """Run a command body; the failures users cause become one line and exit `code` (never a traceback)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - handed to present; a bug is re-raised by fail_with
        fail_with(e, code)


or_fail = guard  # the older name: fn(), or its failure as one error line
