"""The one place that turns a result or a failure into what a face shows, so the CLI, the UI, the HTTP API and
MCP say the same words: a failure as one line + hint + HTTP status (`failure`), the usage/cost line of an
answer (`usage_line`), the answer of `ask` as it streams (`ask_events`, for the API's SSE and the UI's chat), and
the caller's bearer token (`bearer_token`, for the API and MCP).

A face catches, calls `failure(e)` and prints, draws or returns what it gets; it never formats an exception
itself (tests/app/test_present.py reads the faces' source to keep it so).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from app.answer.model_status import explain
from app.errors import DiskFull, LongdocError
from ingest.disk import is_disk_full
from model.base import (
    BackendUnavailable,
    ContentDelta,
    ModelError,
    ReasoningDelta,
    RetiredModelError,
    UnknownModelError,
)

# What to do about a failed model call, by its kind (model/base.py's ModelError subclasses).
MODEL_HINTS = {
    "AuthError": "check LONGDOC_API_KEY / DEEPSEEK_API_KEY (`longdoc doctor`), or unset LONGDOC_BACKEND to answer extractively",
    "BalanceError": "top up the account balance, or unset LONGDOC_BACKEND to answer extractively",
    "RateLimitError": "wait a minute and retry",
    "ServerError": "the provider is overloaded or failing: retry later",
    "ConnectError": "check LONGDOC_BASE_URL and the network",
    "TimeoutError_": "retry, or raise LONGDOC_TIMEOUT_S",
    "BadRequestError": "the server refused the request as sent; `longdoc doctor` shows the model's limits",
    "IncompleteError": "the answer was cut off; what arrived is shown",
}
# a 400 that speaks of the prompt's length: only then is lowering the budget the thing to do
CONTEXT_WORDS = ("context length", "context_length", "maximum context", "too long", "too many tokens", "exceeds",
                 "max_model_len", "prompt is too", "reduce the length")
_SETTINGS_ERRORS = (RetiredModelError, UnknownModelError, BackendUnavailable)  # settings or install, not a call


@dataclass(frozen=True)
class Failure:
    """What a face shows for a failure: HTTP `status`, one-line `message`, and what to do (`hint`, may be "")."""

    status: int
    message: str
    hint: str = ""

    @property
    def line(self) -> str:
        """Message and hint on one line (the API's `error`, MCP's tool error, the UI's message)."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


def _same(words: str) -> str:
    return words


# A face that speaks another language passes `words` (the UI: app/faces/ui/i18n.t): the presenter's own fixed
# words go through it; what an error quotes (a file name, a server's message) never does.
Words = Callable[[str], str]


def model_hint(e: ModelError, words: Words = _same) -> str:
    """What to do about a model failure (a retired or unserved model name has its own line: `explain`)."""
    name = type(e).__name__
    if name == "BadRequestError" and any(w in (e.message or "").lower() for w in CONTEXT_WORDS):
        return words("the prompt exceeds what the server accepts: lower --budget (or LONGDOC_BUDGET)")
    return words(MODEL_HINTS.get(name, "retry, or unset LONGDOC_BACKEND to answer extractively"))


def failure(e: BaseException, *, os_errors: bool = False, words: Words = _same) -> Failure | None:
    """The Failure for an error the user caused or can act on; None for a bug (a 500, a traceback in the log).

    `os_errors`: an OSError is the user's too (the CLI: a path that cannot be read or written); a server
    that cannot read its own disk has a bug, not a bad request. `words` translates the fixed words."""
    if isinstance(e, LongdocError):
        return Failure(e.status, _line(e), words(e.hint) if e.hint else e.hint)
    if is_disk_full(e):  # ENOSPC, or SQLite/Chroma saying so, where no code knew to expect it: 507, not a 500
        return Failure(507, words("disk full: a write failed (no space left on the device)"), words(DiskFull.hint))
    if isinstance(e, _SETTINGS_ERRORS):
        return Failure(503 if isinstance(e, BackendUnavailable) else 502, explain(e))
    if isinstance(e, ModelError):
        return Failure(502, words("model call failed: {message}").format(message=e.message), model_hint(e, words))
    if isinstance(e, LookupError):  # an unknown name or id (a KeyError's message comes quoted: unquoted here)
        return Failure(404, _line(e))
    if isinstance(e, ValueError):  # a bad value (retrieval's SearchError and EvalError are ValueErrors)
        return Failure(400, _line(e))
    if os_errors and isinstance(e, OSError):  # "Permission denied: out/x.png", not "[Errno 13] …"
        return Failure(400, f"{e.strerror}: {e.filename}" if e.strerror and e.filename else e.strerror or _line(e))
    return None


SHORT_NAME = 40  # characters of a document's name beside a citation label


def short_name(title: str, file: str = "", limit: int = SHORT_NAME) -> str:
    """A document's short name as a citation shows it beside its label ("[D3 p.17] Outsourcing Agreement"):
    its title cut at a word before `limit` characters, else its file name without the extension."""
    name = " ".join((title or "").split())
    if not name or name == file:
        name = file.rsplit(".", 1)[0] if "." in file else file
    if len(name) <= limit:
        return name
    cut = name[:limit].rsplit(" ", 1)[0] if " " in name[:limit] else name[:limit]
    return cut.rstrip(",;:-–— ") + "…"


def internal(e: BaseException) -> Failure:
    """A bug: the kind of error, never its text (the traceback goes to the log)."""
    return Failure(500, f"internal error ({type(e).__name__})")


def shown(e: BaseException, words: Words = _same) -> str:
    """The line a person sees for any exception where no status is answered (the UI): a Failure's line, or
    for a bug its own words (the traceback goes to the log)."""
    known = failure(e, words=words)
    return known.line if known else (getattr(e, "message", None) or _line(e) or type(e).__name__)


def unexpected(e: BaseException) -> Failure:
    """A failure nobody foresaw, for a command that must still end in one line (the CLI's commands that talk to a
    store or a worker): its kind and its words, cut to one line."""
    return Failure(500, f"{type(e).__name__}: {' '.join(str(e).split())[:300]}")


def one_line(message: str) -> str:
    """An error is one line even where it quotes the client (an id or name in the path, a field name):
    a line break or other unprintable character is written as its escape, "\\n", not taken as is."""
    message = str(message)
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in message)


def _line(e: BaseException) -> str:
    """The error's message on one line (500 characters at most), without the quotes a KeyError's str() adds."""
    text = str(e.args[0]) if getattr(e, "args", None) else str(e)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return " ".join(text.split())[:500]


def bearer_token(headers) -> str | None:
    """The token of an `Authorization: Bearer …` header (None without one); `headers` is any mapping."""
    if not headers:
        return None
    scheme, _, value = (headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


# ---- results ----------------------------------------------------------------------------------------------
def money(usd: float | None) -> str:
    if usd is None:
        return "price unknown"
    if usd == 0:
        return "$0"
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


def usage_line(result) -> str:
    """Tokens, context and cost of an answer, summary or matrix, as the CLI and the UI print it under the result."""
    u = result.usage or {}
    parts = []
    if u.get("prompt_tokens"):
        cached = u.get("cached_tokens") or 0
        parts.append(f"prompt {u['prompt_tokens']:,} tokens" + (f" ({cached:,} cached)" if cached else ""))
    if u.get("output_tokens"):
        parts.append(f"output {u['output_tokens']:,}")
    if u.get("reasoning_tokens"):
        parts.append(f"reasoning {u['reasoning_tokens']:,}")
    packed = getattr(result, "packed_tokens", 0)
    if packed:
        parts.append(f"context {packed:,} tokens ({getattr(result, 'context_mode', '') or 'packed'})")
    parts.append("cost " + money(result.cost_usd))
    if result.mode == "extractive":
        parts.append("extractive")
    else:
        parts.append(f"{result.backend} · {result.model}")
    return " · ".join(parts)


def page_ranges(pages: list[int]) -> str:
    """Page numbers as ranges: [1, 2, 3, 7] → "1–3, 7"."""
    pages = sorted(set(pages))
    if not pages:
        return "none"
    out, start, prev = [], pages[0], pages[0]
    for p in pages[1:] + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if p is not None:
            start = prev = p
    return ", ".join(out)


@dataclass(frozen=True)
class CoverageRow:
    """One document's coverage as a face lists it: what of it the answer read."""

    label: str
    file: str
    whole: bool
    pages_read: int
    pages_total: int
    read: str  # the pages in context, as ranges
    missing: str  # the pages left out, as ranges ("" when none or the whole document was read)
    tokens: int
    keyword_only: bool  # its vectors are still being computed: found by keyword search only

    @property
    def what(self) -> str:
        return "whole document" if self.whole else f"{self.pages_read} of {self.pages_total} pages"


def coverage_rows(coverage) -> list[CoverageRow]:
    """The documents an answer, summary or matrix read from (those with tokens in context), one row each."""
    rows = []
    for c in coverage or []:
        if not c.tokens:
            continue
        whole = bool(getattr(c, "whole", False))
        missing = list(getattr(c, "pages_missing", []) or [])
        rows.append(CoverageRow(
            label=getattr(c, "label", ""), file=c.file, whole=whole, pages_read=len(c.pages_in_context),
            pages_total=c.pages_total, read=page_ranges(c.pages_in_context),
            missing=page_ranges(missing) if missing and not whole else "", tokens=c.tokens,
            keyword_only=not getattr(c, "vectors", True),
        ))
    return rows


def ask_events(run: Callable[[Callable[[Any], None]], Any], *, reasoning: bool = False) -> Iterator[tuple[str, Any]]:
    """Run `run(on_event)` — ask with an event callback — on its own thread and yield what the model says as it
    says it: ("delta", text), with `reasoning` also ("reasoning", text); then ("answer", the Answer) or ("error",
    the exception). The API turns these into server-sent events, the UI into its chat's running text."""
    q: queue.Queue = queue.Queue()

    def on_event(ev) -> None:
        if isinstance(ev, ContentDelta) and ev.text:
            q.put(("delta", ev.text))
        elif isinstance(ev, ReasoningDelta) and ev.text and reasoning:
            q.put(("reasoning", ev.text))

    def work() -> None:
        try:
            q.put(("answer", run(on_event)))
        except BaseException as e:  # noqa: BLE001 - handed to the face's thread as an ("error", e) event
            q.put(("error", e))
        finally:
            q.put(None)

    threading.Thread(target=work, name="longdoc-ask-stream", daemon=True).start()
    while (item := q.get()) is not None:
        yield item
