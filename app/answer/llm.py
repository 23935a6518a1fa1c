"""Settings → the model backend the app uses, and where the API key may come from.

The key comes from Settings (environment / .env, read by app.config), else from Streamlit secrets
when running inside Streamlit; `save_key` writes it to a settings file only the user can read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.config import Settings
from app.errors import InvalidRequest
from model.base import Backend, ModelError, NoModel
from model.redact import Secret, register
from model.registry import make_backend

KEY_VAR = "LONGDOC_API_KEY"


def streamlit_key() -> str | None:
    """The key from `.streamlit/secrets.toml` (LONGDOC_API_KEY, DEEPSEEK_API_KEY or COMETAPI_KEY),
    only when this process is a running Streamlit app (st.secrets elsewhere would warn)."""
    try:
        import streamlit as st  # streamlit, in non-UI code: only inside a running UI
        from streamlit import runtime  # ditto

        if not runtime.exists():
            return None
        for name in (KEY_VAR, "DEEPSEEK_API_KEY", "COMETAPI_KEY"):
            if name in st.secrets:
                return str(st.secrets[name])
    except Exception:  # noqa: BLE001 - no secrets file, or streamlit missing: simply no key from here
        return None
    return None


def backend_for(settings: Settings) -> Backend | NoModel:
    """The configured backend, or NoModel (with its reason) when none is usable."""
    key = settings.api_key or streamlit_key()
    return make_backend(
        settings.backend,
        settings.model,
        settings.base_url,
        Secret(key),
        timeout_s=settings.timeout_s,
        max_retries=settings.max_retries,
        catalog_file=settings.catalog_file,
        thinking=settings.thinking,
        effort=settings.effort,
    )


_WINDOWS: dict[tuple, int] = {}


def effective_window(b) -> int:
    """The window budgets are measured against: the catalog's, or the smaller `max_model_len` a
    self-hosted server reports for the model (asked once per process; 2 s; silently the catalog's if
    the server does not say). Remote providers are taken at the catalog's word: no extra request."""
    window = int(getattr(b, "context_window", 0) or 0)
    info = getattr(b, "info", None)
    if info is None or not info.self_hosted or not hasattr(b, "list_models"):
        return window
    key = (getattr(b, "base_url", ""), b.model)
    if key not in _WINDOWS:
        reported = 0
        try:
            row = next((r for r in b.list_models(timeout_s=2.0) if r["id"] == b.model), None)
            reported = int(row["max_model_len"]) if row and row.get("max_model_len") else 0
        except (ModelError, ValueError, TypeError):
            reported = 0
        _WINDOWS[key] = reported
    reported = _WINDOWS[key]
    return min(window, reported) if reported else window


def save_key(path: Path, key: str, var: str = KEY_VAR) -> Path:
    """Write `var=key` into a dotenv file created with mode 0600, keeping its other lines.

    Atomic (temp file + rename) so a crash never leaves a half-written file or a moment where the
    key sits in a world-readable file."""
    register(key)
    if not key or any(c in key for c in "\r\n"):
        raise InvalidRequest("an API key must be one non-empty line")
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    if path.exists():
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith(f"{var}=")]
    lines.append(f"{var}={key}")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)
    return path
