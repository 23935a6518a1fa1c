"""Keeping API keys out of every repr, log line and error message.

Keys are wrapped in `Secret` as soon as they enter `model/`; every wrapped value is remembered so
that `scrub()` can remove it from any text (SDK exception messages echo request details, servers
echo keys back in 401 bodies) and the logging filter can remove it from log records of any logger
we attach it to.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_known: set[str] = set()
_lock = threading.Lock()

# Key-shaped tokens we never want in output even if they were not registered (e.g. an echoed key
# from a different account): OpenAI/DeepSeek "sk-…", Anthropic "sk-ant-…", and bearer headers.
_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=:+/]{6,}"),
    re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9_\-\.]{6,}"),
]

# Loggers whose records may carry request details; the filter is attached to each.
# (the SDKs run on httpx2 today, chromadb and model/served.py on httpx: both families)
LOGGERS = ("longdoc", "longdoc.model", "openai", "anthropic", "httpx", "httpcore", "httpx2", "httpcore2")


def register(value: str | None) -> None:
    """Remember a secret so scrub() removes it everywhere (short values would mask ordinary words)."""
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)


def scrub(text: object) -> str:
    """`text` as a string with every known secret and key-shaped token masked."""
    s = str(text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in s:
            s = s.replace(value, MASK)
    s = _PATTERNS[0].sub(MASK, s)
    s = _PATTERNS[1].sub(lambda m: m.group(1) + MASK, s)
    s = _PATTERNS[2].sub(lambda m: m.group(1) + MASK, s)
    return s


class Secret:
    """A string that never shows itself: repr/str say only whether it is set."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        self._value = value or ""
        register(self._value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret(set)" if self._value else "Secret(unset)"

    __str__ = __repr__

    def __reduce__(self):  # pickling would write the key somewhere we do not control
        raise TypeError("Secret cannot be pickled")


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: keep the raw msg rather than drop the line
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # formatters reuse exc_text when set, so the traceback is printed scrubbed
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach the filter to our logger and the SDK/HTTP loggers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
