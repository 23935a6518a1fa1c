"""Whether sign-in is configured, and what binding beyond this machine requires.

Two ways to sign in to the UI: Streamlit's OIDC (`st.login`) when `.streamlit/secrets.toml` names an
identity provider (an [auth] section with a client_id), else local users with passwords
(`longdoc user add`). With neither, the UI is a one-person tool and must stay on localhost.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from app import access
from app.config import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def secrets_files() -> list[Path]:
    """Where Streamlit reads secrets from (the working directory's, then the user's)."""
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def oidc_configured(files: list[Path] | None = None) -> bool:
    """An [auth] section with a client id (directly or for a named provider) and a redirect URI."""
    for f in files or secrets_files():
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        auth = data.get("auth")
        if not isinstance(auth, dict) or not auth.get("redirect_uri") or not auth.get("cookie_secret"):
            continue
        if auth.get("client_id") or any(isinstance(v, dict) and v.get("client_id") for v in auth.values()):
            return True
    return False


def method(settings: Settings) -> str:
    """"oidc", "local" or "none"."""
    if oidc_configured():
        return "oidc"
    if access.local_users_configured(settings):
        return "local"
    return "none"


def ui_exposure_problem(settings: Settings, address: str) -> str | None:
    """Why `longdoc ui --address` must not start, or None."""
    if address in LOOPBACK or method(settings) != "none":
        return None
    return (f"refusing to serve the UI on {address}: no sign-in is configured, so anyone on the network would see "
            "every document and use the API key — add a user (`longdoc user add NAME --matter default --role editor`) "
            "or an identity provider ([auth] in .streamlit/secrets.toml), or bind to 127.0.0.1")
