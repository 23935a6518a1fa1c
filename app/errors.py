"""Every failure a user can cause, as one typed hierarchy: each error carries its message, a hint and the HTTP
status a face answers with (in the spirit of httpx's `_exceptions.py`).

It sits at the ground of `app/` (it imports nothing of the project), so the library and the use cases raise
these and every face shows them alike through `app.faces.present`, never by reading the message's words.
Each class keeps the built-in base it always had (LookupError, ValueError), so callers that catch those
still do. Model failures come from `model.base` (ModelError and its subclasses); `present` maps them.

    LongdocError                 status 400
    ├── InvalidRequest (ValueError)      400   ExportError, EvalSetError, ReviewError, UploadError (413 too large, 415 not a PDF),
    │                                          QuotaExceeded 413
    ├── DiskFull (OSError)               507
    ├── NotFound (LookupError)           404   NoSuchMatter, NoSuchDocument
    ├── Conflict                         409   MatterError (ValueError), NothingToRead, PageUnavailable (LookupError)
    └── AccessError                      403   Unauthenticated 401, Forbidden 403, Unknown 404 (LookupError)
"""

from __future__ import annotations


class LongdocError(Exception):
    """A failure the user caused or can act on: `message` is one line, `hint` what to do (may be empty)."""

    status = 400
    hint = ""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        if status is not None:
            self.status = status


class InvalidRequest(LongdocError, ValueError):
    """The request cannot be met as made (a bad value, an unknown format)."""

    status = 400


class NotFound(LongdocError, LookupError):
    """What the request names does not exist."""

    status = 404


class Conflict(LongdocError):
    """The request is valid but the state refuses it (an empty library, a matter with running jobs)."""

    status = 409


# ---- the library -------------------------------------------------------------------------------------------
class NoSuchMatter(NotFound):
    """The matter is not registered."""

    hint = "see `longdoc matter list`"


class NoSuchDocument(NotFound):
    """No ready document matches the reference (an id, an id prefix of 6+ characters, a file name)."""

    hint = "see `longdoc docs`"


class MatterError(Conflict, ValueError):
    """A matter operation refused (bad or taken name, the default matter); the message says why."""


class UploadError(InvalidRequest):
    """An upload we refuse (too big 413, not a PDF 415, empty 400); `message` is the reason, str() names the file."""

    def __init__(self, name: str, message: str, *, status: int = 400):
        super().__init__(message, status=status)
        self.name = name
        self.args = (f"{name}: {message}",)

    def __str__(self) -> str:
        return self.args[0]


class QuotaExceeded(InvalidRequest):
    """An upload would take the matter past LONGDOC_MATTER_QUOTA."""

    status = 413
    hint = "free space with `longdoc storage purge`, or remove documents"


class DiskFull(LongdocError, OSError):
    """The disk holding LONGDOC_HOME is full (ENOSPC, or SQLite/Chroma saying so): nothing was half-written."""

    status = 507
    hint = "free space (`longdoc storage purge`, remove documents) or move LONGDOC_HOME to a larger disk"


class AccessError(LongdocError):
    """Base of the refusals below; `message` is one line for the user."""

    status = 403


class Unauthenticated(AccessError):
    status = 401


class Forbidden(AccessError):
    status = 403


class Unknown(AccessError, LookupError):
    """Unknown — or not yours: the two are never told apart."""

    status = 404


# ---- the use cases -----------------------------------------------------------------------------------------
class NothingToRead(Conflict, LookupError):
    """No ready documents to answer from (empty library or an empty selection)."""

    hint = "add documents with `longdoc ingest PATH`"


class PageUnavailable(Conflict, LookupError):
    """This page cannot be shown as an image; `reason` is one line for the user (the text view remains)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ExportError(InvalidRequest):
    """The export cannot be made as asked (unknown suffix, matrix-only format)."""


class ReviewError(InvalidRequest):
    """A review that cannot run as asked (no questions, nothing to read, a bad budget)."""


class EvalSetError(InvalidRequest):
    """An evaluation set that cannot be read (bad JSON, missing fields)."""
