"""The one-line message (and HTTP status) for each failure a user can cause, shared by every face.

The CLI prints these lines, the API returns them as JSON, MCP as tool errors: the same words
everywhere, never a traceback.
"""

from __future__ import annotations

MODEL_HINTS = {
    "AuthError": "check LONGDOC_API_KEY / DEEPSEEK_API_KEY (`longdoc doctor`), or unset LONGDOC_BACKEND to answer extractively",
    "BalanceError": "top up the account balance, or unset LONGDOC_BACKEND to answer extractively",
    "RateLimitError": "wait a minute and retry",
    "ServerError": "the provider is overloaded or failing: retry later",
    "ConnectError": "check LONGDOC_BASE_URL and the network",
    "TimeoutError_": "retry, or raise LONGDOC_TIMEOUT_S",
    "BadRequestError": "the server refused the request as sent; `longdoc doctor` shows the model's limits",
}
# a 400 that speaks of the prompt's length: only then is lowering the budget the thing to do
CONTEXT_WORDS = ("context length", "context_length", "maximum context", "too long", "too many tokens", "exceeds",
                 "max_model_len", "prompt is too", "reduce the length")


def model_hint(e) -> str:
    """What to do about a model failure (a retired or unserved model name has its own line: `explain`)."""
    name = type(e).__name__
    if name == "BadRequestError" and any(w in (e.message or "").lower() for w in CONTEXT_WORDS):
        return "the prompt exceeds what the server accepts: lower --budget (or LONGDOC_BUDGET)"
    return MODEL_HINTS.get(name, "retry, or unset LONGDOC_BACKEND to answer extractively")


def describe(e: BaseException) -> tuple[int, str] | None:
    """(status, one line) for a failure the user caused or can act on; None for a bug (a 500)."""
    from app.access import AccessError
    from app.ask import NothingToRead
    from app.export import ExportError
    from app.matters import MatterError, NoSuchMatter
    from app.uploads import UploadError
    from model.base import ModelError

    if isinstance(e, AccessError):
        return e.status, e.message
    from model.base import BackendUnavailable, RetiredModelError, UnknownModelError

    if isinstance(e, (RetiredModelError, UnknownModelError, BackendUnavailable)):  # settings or install, not a call
        from app.model_status import explain

        return (503 if isinstance(e, BackendUnavailable) else 502), explain(e)
    if isinstance(e, ModelError):
        return 502, f"model call failed: {e.message} — {model_hint(e)}"
    if isinstance(e, UploadError):
        status = e.status if e.status != 400 else 415 if "not a PDF" in e.message else 400
        return status, str(e)
    from app.storage import DiskFull, QuotaExceeded, disk_full, is_disk_full

    if isinstance(e, (DiskFull, QuotaExceeded)):
        return e.status, e.message
    if is_disk_full(e):  # ENOSPC, or SQLite/Chroma saying their disk is full, wherever it happened
        from app.config import load_settings

        return 507, disk_full(load_settings(), "write").message
    if isinstance(e, NoSuchMatter):
        return 404, _line(e)
    from app.pages import PageUnavailable

    if isinstance(e, PageUnavailable):  # the page exists but cannot be drawn (text file, protected PDF)
        return 409, _line(e)
    if isinstance(e, (NothingToRead,)) or (isinstance(e, LookupError) and "library is empty" in _line(e)):
        return 409, _line(e)
    if isinstance(e, LookupError):
        return 404, _line(e)
    if isinstance(e, MatterError):
        return 409, _line(e)
    if isinstance(e, (ExportError, ValueError)):
        return 400, _line(e)
    return None


def _line(e: BaseException) -> str:
    text = str(e.args[0]) if getattr(e, "args", None) else str(e)
    return " ".join(text.strip("'\"").split())[:500]
