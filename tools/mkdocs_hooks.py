"""MkDocs hook (mkdocs.yml `hooks:`): adds the generated reference pages at build time.

The CLI, settings and models references are made from the code (tools/docsgen.py) each time the site is built,
never committed, so they cannot drift from the typer app, `Settings` or model/catalog.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docsgen
from mkdocs.structure.files import File


def on_files(files, config):
    for uri, make in docsgen.PAGES.items():
        existing = files.get_file_from_path(uri)
        if existing is not None:  # a stale hand-made copy must not shadow the generated page
            files.remove(existing)
        files.append(File.generated(config, uri, content=make()))
    return files


def on_page_markdown(markdown, page, config, files):
    for marker, make in docsgen.MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
