"""The `longdoc` command. Thin: each group lives in its own module and calls the use cases.

The command modules register their commands on `root.cli` when imported here; they print, nothing else
in the package does. Users never see a traceback: `main()` turns unexpected errors into one line.
"""

from __future__ import annotations

import sys

from app.faces.cli.root import cli, settings

# Each command group registers its commands on `cli` when imported, in the order `longdoc --help` lists them.
# isort: off
from app.faces.cli import ingest, retrieval, models, use, ui, pages, matter, access, serve, jobs, storage, review, reembed
# isort: on

__all__ = ["cli", "main", "settings"]
COMMAND_GROUPS = (ingest, retrieval, models, use, ui, pages, matter, access, serve, jobs, storage, review, reembed)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
