"""Plain values → a Backend, or NoModel with the reason there is none.

Configuration gaps (no backend, no key, no base URL) give `NoModel(reason)` rather than an
exception: the app keeps working extractively and shows the reason. An unknown backend name is a
typo the user must fix, so it raises a ModelError naming the valid choices.
"""

from __future__ import annotations

from pathlib import Path

from model.base import Backend, ModelError, NoModel
from model.prices import lookup
from model.redact import Secret, install_log_redaction
from model.retry import RetryPolicy

BACKENDS = ("none", "deepseek", "openai", "anthropic", "transformers")
DEEPSEEK_URL = "https://api.deepseek.com"
DEEPSEEK_ANTHROPIC_URL = "https://api.deepseek.com/anthropic"
COMETAPI_URL = "https://api.cometapi.com/v1"


def make_backend(
    backend: str,
    model: str | None,
    base_url: str | None,
    api_key: str | Secret | None,
    timeout_s: float,
    max_retries: int,
    prices_file: Path | None = None,
    thinking: bool = False,
) -> Backend | NoModel:
    """`thinking=True` picks the model's thinking twin (deepseek-reasoner, …-thinking) up front, so
    `model`, `max_output` and prices describe the model that will actually answer."""
    install_log_redaction()
    key = api_key if isinstance(api_key, Secret) else Secret(api_key)
    kind = (backend or "none").strip().lower()
    if kind not in BACKENDS:
        raise ModelError(f"unknown backend '{backend}': choose one of {', '.join(BACKENDS)}")
    if kind == "none":
        return NoModel()
    policy = RetryPolicy(max_retries=max(0, int(max_retries)), timeout_s=float(timeout_s))

    if kind == "transformers":
        if not model:
            return NoModel(reason="backend 'transformers' needs LONGDOC_MODEL = a local model directory")
        from model.local import TransformersBackend  # torch/transformers load only when asked for

        return TransformersBackend(Path(model).expanduser(), timeout_s=float(timeout_s))

    if kind == "deepseek":
        base_url = base_url or DEEPSEEK_URL
        model = model or "deepseek-chat"
    elif kind == "anthropic":
        base_url = base_url or DEEPSEEK_ANTHROPIC_URL
        model = model or "deepseek-chat"
    else:  # openai-compatible
        if not base_url:
            return NoModel(
                reason="backend 'openai' needs LONGDOC_BASE_URL (e.g. https://api.cometapi.com/v1 or http://localhost:8000/v1)"
            )
        if not model:
            if "cometapi.com" in base_url:
                model = "deepseek-v3.2-exp"
            else:
                return NoModel(reason=f"backend 'openai' needs LONGDOC_MODEL (the model name {base_url} serves)")

    if thinking and kind != "anthropic":  # the Anthropic route asks for thinking blocks instead
        model = _thinking_name(model)
    remote = not _is_local(base_url)
    if remote and not key:
        hint = "DEEPSEEK_API_KEY" if "deepseek.com" in base_url else "COMETAPI_KEY" if "cometapi" in base_url else "LONGDOC_API_KEY"
        return NoModel(reason=f"backend '{kind}' at {base_url} needs an API key: set {hint} or LONGDOC_API_KEY")

    info = lookup(kind, model, base_url, prices_file)
    twin = lookup(kind, _thinking_name(model), base_url, prices_file)
    known = info.key in _known_keys(prices_file)
    if kind == "anthropic":
        from model.anthropic_compat import AnthropicBackend

        return AnthropicBackend(
            model=model, base_url=base_url, api_key=key, context_window=info.context_window,
            max_output=info.max_output, prices=info.prices, policy=policy, thinking=thinking,
        )
    from model.openai_compat import OpenAICompatBackend

    return OpenAICompatBackend(
        name=kind, model=model, base_url=base_url, api_key=key, context_window=info.context_window,
        max_output=info.max_output, prices=info.prices, policy=policy, known_limits=known,
        reasoner_max_output=twin.max_output,
        self_hosted=info.key.split("/")[0] not in ("deepseek", "cometapi"),
        thinking=thinking,
    )


def _thinking_name(model: str) -> str:
    from model.openai_compat import THINKING_TWIN

    return THINKING_TWIN.get(model.lower(), model)


def _known_keys(prices_file: Path | None) -> set[str]:
    from model.prices import price_table

    return set(price_table(prices_file))


def _is_local(url: str) -> bool:
    from urllib.parse import urlparse

    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.startswith(("10.", "192.168.")) or host.endswith(".local")
