"""Bring a recently deleted document back: its kept bytes go through ingest again, as one job.

Why a job and not a copy of the old vectors: the store drops a deleted document whole (that is what keeps
it out of every search), and ingest is the one way in — the restored document gets the profile, chunks
and vectors today's settings make. The trash entry stays until the document is in the library again
(`documents.recently_deleted` drops it then), so a failed or interrupted restore can be tried again.
"""

from __future__ import annotations

from app.config import Settings
from app.library import documents, jobs


def restore(settings: Settings, ref: str) -> jobs.Job:
    """Submit the deleted document `ref` (id, id prefix, file name) for ingest in its own matter."""
    entry = documents.find_deleted(settings, ref)
    return jobs.submit(settings, [entry.path], names=[entry.file])[0]
