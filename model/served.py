"""What an endpoint serves: its GET /models, and turning "no such model" into a message naming the served ones.

Read with httpx directly rather than through the SDKs: the same list is needed for the OpenAI and the
Anthropic routes, and DeepSeek's Anthropic route (/anthropic) lists its models at the API root.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx

from model.base import BadRequestError, ModelError, UnknownModelError
from model.redact import Secret, scrub

_UNKNOWN = re.compile(
    r"model.{0,60}(not exist|does not exist|doesn't exist|not found|unknown|invalid|not supported|unsupported)"
    r"|(unknown|invalid|unsupported|no such) model|model_not_found",
    re.I | re.S,
)


def models_urls(base_url: str) -> list[str]:
    """Where a list of models may be: <base>/models, DeepSeek's root for its /anthropic route, <base>/v1/models."""
    base = base_url.rstrip("/")
    urls = [base + "/models"]
    if base.endswith("/anthropic"):
        urls.insert(0, base[: -len("/anthropic")] + "/models")
    if not urlparse(base).path.rstrip("/").endswith("/v1"):
        urls.append(base + "/v1/models")
    return list(dict.fromkeys(urls))


def served_models(base_url: str, api_key: Secret | str | None, timeout_s: float = 10.0) -> list[dict]:
    """[{"id": name, "max_model_len": n or None, "owned_by": …}], in the server's order.

    Raises ModelError (key-free message) when no candidate URL answers with a model list."""
    key = api_key.reveal() if isinstance(api_key, Secret) else (api_key or "")
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
        headers["x-api-key"] = key
        headers["anthropic-version"] = "2023-06-01"
    last = "no answer"
    for url in models_urls(base_url):
        try:
            r = httpx.get(url, headers=headers, timeout=timeout_s)
        except httpx.HTTPError as exc:
            last = f"{url}: {scrub(exc)}"
            continue
        if r.status_code in (401, 403):
            raise ModelError(f"GET {url}: invalid API key (HTTP {r.status_code})", status=r.status_code)
        if r.status_code != 200:
            last = f"{url}: HTTP {r.status_code}"
            continue
        try:
            data = r.json()
        except ValueError:
            last = f"{url}: not JSON"
            continue
        rows = data.get("data") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            last = f"{url}: no model list in the answer"
            continue
        out = []
        for m in rows:
            if isinstance(m, dict) and m.get("id"):
                out.append({"id": str(m["id"]), "max_model_len": m.get("max_model_len"), "owned_by": m.get("owned_by")})
        return out
    raise ModelError(f"cannot list the served models ({scrub(last)})")


def is_unknown_model(err: ModelError) -> bool:
    return isinstance(err, BadRequestError) and err.status in (400, 404) and bool(_UNKNOWN.search(err.message or ""))


def explain_unknown_model(err: ModelError, model: str, endpoint: str, list_models) -> ModelError:
    """A BadRequestError that means "no such model" → UnknownModelError naming what the endpoint serves.

    `list_models()` is called once (a GET /models); when it fails the message says so instead."""
    if isinstance(err, UnknownModelError) or not is_unknown_model(err):
        return err
    try:
        served = tuple(m["id"] for m in list_models())
    except ModelError:
        served = ()
    where = endpoint.rstrip("/")
    if served:
        msg = f"model '{model}' is not served at {where}; it serves: {', '.join(served)}"
    else:
        msg = f"model '{model}' is not served at {where} (the server said: {err.message})"
    return UnknownModelError(msg, model=model, served=served, endpoint=where, status=err.status)


__all__ = ["served_models", "models_urls", "is_unknown_model", "explain_unknown_model"]
