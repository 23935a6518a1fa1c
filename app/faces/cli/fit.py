"""Fit a one-row-per-item table to the terminal: drop the least useful columns first, then shorten the
long text columns with an ellipsis, so no row wraps (rich would otherwise fold a 60-character file name
over seven lines at 80 columns). The full values stay available through each command's `--json`.

Hand-written: rich shrinks and wraps columns but does not choose which columns to drop, and its ellipsis
cuts the end of a value, where a contract's file name keeps its most telling part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Table

ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], str]
    drop: int = 0  # 0 = always shown; higher numbers are dropped first when the terminal is narrow
    flex: bool = False  # a long text column shortened to what is left (title, file)
    min_width: int = 8  # a flex column is never narrower than this
    middle: bool = False  # shorten in the middle (keeps the start and the end of a file name)
    grow: int = 0  # flex columns with a higher number get the room left first
    justify: str = "left"


def shorten(text: str, width: int, middle: bool = False) -> str:
    """`text` in at most `width` terminal cells, an ellipsis where something was cut."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if not middle:
        out = text
        while out and cell_len(out) > width - 1:
            out = out[:-1]
        return out.rstrip() + ELLIPSIS
    head_w = (width - 1) // 2
    head, tail = "", ""
    for ch in text:
        if cell_len(head + ch) > head_w:
            break
        head += ch
    for ch in reversed(text):
        if cell_len(head) + cell_len(ch + tail) > width - 1:
            break
        tail = ch + tail
    return head + ELLIPSIS + tail


def _overhead(n: int) -> int:
    """Cells a rich Table with its default box and padding adds around `n` columns."""
    return 3 * n + 1


def fit_table(rows: Sequence[object], columns: Sequence[Column], width: int) -> tuple[Table, list[str]]:
    """A rich Table of `rows` no wider than `width`, and the headers of the columns left out."""
    cells = {c.header: [c.value(r) for r in rows] for c in columns}

    def natural(c: Column) -> int:
        return max([cell_len(c.header)] + [cell_len(v) for v in cells[c.header]])

    shown = list(columns)
    for level in sorted({c.drop for c in columns if c.drop}, reverse=True) + [0]:
        fixed = sum(natural(c) for c in shown if not c.flex)
        need = _overhead(len(shown)) + fixed + sum(min(natural(c), c.min_width) for c in shown if c.flex)
        if need <= width or level == 0:
            break
        shown = [c for c in shown if c.drop != level]

    room = width - _overhead(len(shown)) - sum(natural(c) for c in shown if not c.flex)
    flex = [c for c in shown if c.flex]
    widths = {c.header: min(natural(c), c.min_width) for c in flex}
    room -= sum(widths.values())
    # what is left goes to the flex columns in `grow` order, each up to its natural width
    for c in sorted(flex, key=lambda c: -c.grow):
        extra = max(0, min(room, natural(c) - widths[c.header]))
        widths[c.header] += extra
        room -= extra

    table = Table(show_lines=False)
    for c in shown:
        table.add_column(c.header, justify=c.justify, no_wrap=True, overflow="ellipsis",
                         min_width=widths.get(c.header))
    for i in range(len(rows)):
        table.add_row(*[shorten(cells[c.header][i], widths[c.header], c.middle) if c.flex else cells[c.header][i]
                        for c in shown])
    dropped = [c.header for c in columns if c not in shown]
    return table, dropped
