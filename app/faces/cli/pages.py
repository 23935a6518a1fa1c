"""`longdoc page`: a document's PDF page as a PNG, a quote or a cited passage highlighted (registered on import).

Prints; the work is in app.pages. A page that cannot be drawn, an unknown document, page or printed
number is one line and exit status 1.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from app.answer import pages
from app.faces.cli.fail import fail as _fail
from app.faces.cli.fail import fail_with
from app.faces.cli.root import cli, settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


@cli.command("page")
def page_cmd(
    doc: Optional[str] = typer.Argument(None, help="Document: id, id prefix or file name (as in --docs). Optional with --citation."),
    page: Optional[int] = typer.Argument(None, help="PDF page, 1-based (see --label for the printed number)."),
    label: Optional[str] = typer.Option(None, "--label", help='Pick the page by the number printed on it, e.g. 487 or "iv".'),
    highlight: Optional[str] = typer.Option(None, "--highlight", help="Text to highlight (a quote from the page)."),
    citation: Optional[str] = typer.Option(None, "--citation", help='A label as answers print it, e.g. "D2 p.14": its page, its passage highlighted.'),
    docs: Optional[list[str]] = typer.Option(None, "--docs", "-d", help="With --citation: the documents the answer was asked over (DN counts them in file-name order; default all)."),
    width: Optional[int] = typer.Option(None, "--width", min=200, max=4000, help="Image width in pixels (default LONGDOC_PAGE_WIDTH, 1200)."),
    out_path: Path = typer.Option(..., "--out", "-o", help="Where to write the PNG."),
    as_json: bool = typer.Option(False, "--json", help="Print what was drawn (page, printed number, boxes) as JSON."),
) -> None:
    """Write a PDF page as a PNG, with a quote or a citation's passage highlighted."""
    if out_path.suffix.lower() != ".png":
        _fail(f"--out must name a .png file (got '{out_path.name}')")
    s = settings()
    try:
        img = pages.requested_page(s, doc, page, label=label, highlight=highlight, citation=citation, docs=docs,
                                   width=width)
    except (LookupError, ValueError, OSError) as e:  # PageUnavailable is a LookupError: its reason is the line
        fail_with(e)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(img.path, out_path)
    except OSError as e:
        fail_with(e)
    if as_json:
        data = img.as_dict()
        data["out"] = str(out_path)
        data.pop("path", None)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    what = ""
    if highlight:
        what = (f" · passage highlighted ({len(img.boxes)} box{'es' if len(img.boxes) != 1 else ''})" if img.found
                else " · [yellow]the passage was not found on this page[/yellow]")
    out.print(f"{out_path}: {img.file}, {img.pages_display} (of {img.pages} PDF pages) · {img.width}×{img.height}{what}"
              + (" · cached" if img.cached else f" · {img.seconds * 1000:.0f} ms"))
