"""Retries, written out rather than left to the SDKs, so the policy is explicit and testable.

Both SDKs are built with max_retries=0; every call goes through `with_retries`, which maps SDK and
HTTP failures to our typed errors (with the key scrubbed from every message), retries the
transient ones (429, 500, 502, 503, 504, connection errors, timeouts) with exponential back-off and
full jitter, honours Retry-After (seconds or an HTTP date), and stops at `max_retries` retries or when
the total time budget would be exceeded, whichever comes first.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from model.base import (
    AuthError,
    BadRequestError,
    BalanceError,
    ConnectError,
    ModelError,
    RateLimitError,
    ServerError,
    TimeoutError_,
)
from model.redact import scrub

log = logging.getLogger("longdoc.model")
T = TypeVar("T")

RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504, 529}


@dataclass
class RetryPolicy:
    max_retries: int = 4
    timeout_s: float = 120.0  # per attempt (the SDK's read timeout)
    total_s: float | None = None  # whole call incl. waits; default 2 × timeout_s + 30 s
    base_s: float = 0.5
    cap_s: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def budget_s(self) -> float:
        return self.total_s if self.total_s is not None else 2 * self.timeout_s + 30.0

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """attempt = 0 for the first retry. Retry-After wins when the server gives one."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return self.rng.uniform(0, min(self.cap_s, self.base_s * (2**attempt)))


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from `retry-after-ms`, `Retry-After: <seconds>` or `Retry-After: <HTTP date>`."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(exc: Exception) -> str:
    """The server's own words from an SDK status error (body.error.message or the body text)."""
    body = getattr(exc, "body", None)
    msg = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("type")
        elif isinstance(err, str):
            msg = err
    if not msg:
        response = getattr(exc, "response", None)
        try:
            text = response.text if response is not None else ""
            data = json.loads(text) if text else None
            if isinstance(data, dict):
                err = data.get("error", data)
                msg = err.get("message") if isinstance(err, dict) else str(err)
            else:
                msg = text
        except Exception:  # noqa: BLE001 - an error body in any shape: the message falls back to the status line
            msg = None
    if not msg:
        msg = getattr(exc, "message", None) or str(exc)
    return scrub(str(msg).strip())[:500]


def classify(exc: BaseException, where: str) -> ModelError:
    """Map an SDK/HTTP exception to our typed error with an actionable, key-free message."""
    if isinstance(exc, ModelError):
        return exc
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None) if response is not None else None
    name = type(exc).__name__
    lineage = {c.__name__ for c in type(exc).__mro__}  # httpx and httpx2 share class names
    if status is None:
        if "Timeout" in name or "TimeoutException" in lineage or isinstance(exc, TimeoutError):
            return TimeoutError_(f"{where}: no answer within the timeout — the server is slow or hung", retryable=True)
        if "Connection" in name or "TransportError" in lineage or isinstance(exc, (ConnectionError, OSError)):
            cause = scrub(exc.__cause__ or exc)
            return ConnectError(f"{where}: cannot connect ({cause})", retryable=True)
        return ModelError(f"{where}: {scrub(exc)}")
    detail = _server_message(exc)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if status == 401 or status == 403:
        return AuthError(f"{where}: invalid API key (HTTP {status}: {detail})", status=status)
    if status == 402:
        return BalanceError(f"{where}: insufficient balance — top up the account (HTTP 402: {detail})", status=status)
    if status in (400, 404, 413, 422):
        return BadRequestError(f"{where}: bad request: {detail} (HTTP {status})", status=status)
    if status == 429:
        return RateLimitError(f"{where}: rate limited (HTTP 429: {detail})", retry_after=parse_retry_after(headers))
    if status in RETRYABLE_STATUS or status >= 500:
        return ServerError(
            f"{where}: server error (HTTP {status}: {detail})",
            retryable=status in RETRYABLE_STATUS,
            status=status,
            retry_after=parse_retry_after(headers),
        )
    return ModelError(f"{where}: HTTP {status}: {detail}", status=status)


def with_retries(call: Callable[[float], T], policy: RetryPolicy, where: str) -> T:
    """Run `call(timeout_for_this_attempt)` until it succeeds, fails for good, or the budget ends."""
    start = time.monotonic()
    deadline = start + policy.budget_s
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError_(f"{where}: gave up after {policy.budget_s:.0f} s in total", retryable=False)
        try:
            return call(min(policy.timeout_s, remaining))
        except Exception as exc:  # noqa: BLE001 - every failure is classified below
            err = classify(exc, where)
            if not err.retryable or attempt >= policy.max_retries:
                if err.retryable and attempt:
                    err.message = f"{err.message}; gave up after {attempt + 1} attempts"
                    err.args = (err.message,)
                raise err from None
            wait = policy.backoff(attempt, getattr(err, "retry_after", None))
            if time.monotonic() + wait >= deadline:
                err.message = f"{err.message}; not retrying: the wait ({wait:.1f} s) would exceed the time budget"
                err.args = (err.message,)
                raise err from None
            log.warning("%s; retry %d/%d in %.1f s", err.message, attempt + 1, policy.max_retries, wait)
            policy.sleep(wait)
            attempt += 1
