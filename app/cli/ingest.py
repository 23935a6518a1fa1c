"""CLI commands for this area (registered on import)."""

from __future__ import annotations

from app.cli import cli, settings  # noqa: F401
