"""`longdoc reembed`: give a library's stored chunks new vectors from the configured embedder (ingest.reembed).

Explicit, resumable, with progress: switching LONGDOC_EMBEDDER on a library written with another embedder makes
search refuse it (its vectors are another model's) until this has run; an interrupted run is resumed by running
it again (finished documents are not embedded twice)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.faces.cli.fail import fail_with
from app.faces.cli.root import cli, settings
from app.library import documents as library
from ingest.embed import get_embedder
from ingest.reembed import pending, reembed


@cli.command("reembed")
def reembed_cmd(
    embedder: str | None = typer.Option(None, "--embedder", help="Embedder to switch to (default: LONGDOC_EMBEDDER; "
                                           "'default' = all-MiniLM-L6-v2, 'multilingual-e5-small' for Chinese)."),
) -> None:
    """Re-embed the library's documents with the configured embedder, one document at a time (resumable)."""

    s = settings(embedder=embedder) if embedder else settings()
    out = Console()
    try:
        store = library.get_store(s)
        emb = get_embedder(s.embedder or "default", s.embed_backend)
        todo = pending(store, emb)
        if not todo:
            out.print(f"nothing to do: every document's vectors are {emb.name!r}'s")
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("re-embedding", total=len(todo))

            def step(done: int, total: int, file: str) -> None:
                bar.update(task, completed=done, total=total, description=f"re-embedding {file[:40]}")

            result = reembed(store, emb, progress=step)
    except Exception as e:  # noqa: BLE001 - one line through present, never a traceback
        fail_with(e, unexpected=True)
    out.print(f"re-embedded {len(result.done)} document(s), {result.chunks:,} chunks, with {result.embedder!r} "
              f"({result.already} already were)")
