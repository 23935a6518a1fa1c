"""Plain values → a Backend, or NoModel with the reason there is none.

Configuration gaps (no backend, no key, no base URL) give `NoModel(reason)` rather than an
exception: the app keeps working extractively and shows the reason. An unknown backend name is a
typo the user must fix, so it raises a ModelError naming the valid choices; a model name the
catalog knows was retired raises RetiredModelError with its replacement, before any call and
without switching models silently (a different model bills and behaves differently).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from model.base import Backend, ModelError, NoModel, RetiredModelError, unavailable
from model.catalog import ModelInfo, default_model, default_window, lookup, thinking_twin
from model.redact import Secret, install_log_redaction
from model.retry import RetryPolicy

BACKENDS = ("none", "deepseek", "openai", "anthropic", "transformers")
EFFORTS = ("low", "high", "max")
DEEPSEEK_URL = "https://api.deepseek.com"
DEEPSEEK_ANTHROPIC_URL = "https://api.deepseek.com/anthropic"
COMETAPI_URL = "https://api.cometapi.com/v1"


def retired_message(info: ModelInfo) -> str:
    """One line: what was retired, when, and what to set instead (never done for the user)."""
    when = (info.retired or "").replace("T", " ").replace(":00Z", " UTC").replace("Z", " UTC")
    repl = info.replacement or "a current model"
    how = f"LONGDOC_MODEL={repl}"
    if info.replacement_thinking:
        how += " with --thinking (LONGDOC_THINKING=true)"
    return (
        f"model '{info.name}' was retired by {info.provider} on {when} (calls with it now fail); "
        f"set {how} — longdoc does not switch models for you, since the replacement bills and behaves differently"
    )


def make_backend(
    backend: str,
    model: str | None,
    base_url: str | None,
    api_key: str | Secret | None,
    timeout_s: float,
    max_retries: int,
    catalog_file: Path | None = None,
    thinking: bool = False,
    effort: str | None = None,
) -> Backend | NoModel:
    """`thinking=True` picks the model's thinking mode up front (the switch, or the twin name), so
    `model`, `max_output` and prices describe the model that will actually answer."""
    install_log_redaction()
    key = api_key if isinstance(api_key, Secret) else Secret(api_key)
    kind = (backend or "none").strip().lower()
    if kind not in BACKENDS:
        raise ModelError(f"unknown backend '{backend}': choose one of {', '.join(BACKENDS)}")
    if effort is not None and effort not in EFFORTS:
        raise ModelError(f"unknown thinking effort '{effort}': choose one of {', '.join(EFFORTS)}")
    window = default_window(catalog_file)
    if kind == "none":
        return NoModel(context_window=window)
    policy = RetryPolicy(max_retries=max(0, int(max_retries)), timeout_s=float(timeout_s))

    if kind == "transformers":
        if not model:
            return NoModel(reason="backend 'transformers' needs LONGDOC_MODEL = a local model directory", context_window=window)
        from model.local import TransformersBackend  # torch/transformers load only when asked for

        return TransformersBackend(Path(model).expanduser(), timeout_s=float(timeout_s))

    if kind == "deepseek":
        base_url = base_url or DEEPSEEK_URL
        model = model or default_model("deepseek")
    elif kind == "anthropic":
        base_url = base_url or DEEPSEEK_ANTHROPIC_URL
        model = model or default_model("anthropic")
    else:  # openai-compatible
        if not base_url:
            return NoModel(
                reason="backend 'openai' needs LONGDOC_BASE_URL (e.g. https://api.cometapi.com/v1 or http://localhost:8000/v1)",
                context_window=window,
            )
        if not model:
            if "cometapi.com" in base_url:
                model = default_model("cometapi")
            else:
                return NoModel(reason=f"backend 'openai' needs LONGDOC_MODEL (the model name {base_url} serves)",
                               context_window=window)

    info = lookup(kind, model, base_url, catalog_file)
    if info.retired:
        raise RetiredModelError(retired_message(info), info.name, info.replacement, info.replacement_thinking, info.retired)
    remote = not _is_local(base_url)
    if remote and not key:
        hint = "DEEPSEEK_API_KEY" if "deepseek.com" in base_url else "COMETAPI_KEY" if "cometapi" in base_url else "LONGDOC_API_KEY"
        return NoModel(reason=f"backend '{kind}' at {base_url} needs an API key: set {hint} or LONGDOC_API_KEY",
                       context_window=info.context_window)

    if kind == "anthropic":
        return _built(kind, "anthropic", lambda: _anthropic()(info=info, base_url=base_url, api_key=key, policy=policy,
                                                              thinking=thinking, effort=effort))

    twin = None
    if info.thinking.style == "twin":
        on_name = thinking_twin(info, True)
        twin = lookup(kind, on_name, base_url, catalog_file)
        if thinking and on_name != info.name:
            # thinking for every call: describe the model that answers (its cap, its price)
            info, twin = twin, twin
    return _built(kind, "openai", lambda: _openai()(name=kind, info=info, base_url=base_url, api_key=key, policy=policy,
                                                    thinking=thinking, effort=effort, twin=twin))


def _anthropic():
    from model.anthropic_compat import AnthropicBackend  # the SDK loads only when this backend is chosen

    return AnthropicBackend


def _openai():
    from model.openai_compat import OpenAICompatBackend  # the SDK loads only when this backend is chosen

    return OpenAICompatBackend


def _built(kind: str, sdk: str, build: Callable[[], Backend]) -> Backend:
    """The backend, or BackendUnavailable naming the cause in one line: an SDK that cannot be imported (a broken
    install) must not surface as a traceback in every face. The SDK client itself is made at the first call
    (see the backends' `client`), so what needs no call — a dry run, a context, an export — never builds it."""
    try:
        return build()
    except ModelError:
        raise
    except Exception as exc:
        raise unavailable(kind, sdk, exc) from exc


def _is_local(url: str) -> bool:
    from urllib.parse import urlparse

    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.startswith(("10.", "192.168.")) or host.endswith(".local")


__all__ = ["make_backend", "retired_message", "BACKENDS", "EFFORTS", "DEEPSEEK_URL", "DEEPSEEK_ANTHROPIC_URL", "COMETAPI_URL"]
