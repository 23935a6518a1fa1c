"""Whether sign-in is configured, what binding beyond this machine requires, and Streamlit's [auth] secrets.

Two ways to sign in to the UI: Streamlit's OIDC (`st.login`) when an identity provider is configured —
through `LONGDOC_OIDC_*` (then `longdoc ui` writes Streamlit's secrets file itself, 0600) or by hand in
`.streamlit/secrets.toml` — else local users with passwords (`longdoc user add`). With neither, the UI
is a one-person tool and must stay on localhost.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from app.config import Settings
from app.library import access

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DISCOVERY_PATH = "/.well-known/openid-configuration"
CALLBACK_PATH = "/oauth2callback"  # Streamlit's fixed callback route
_OIDC_FIELDS = ("oidc_metadata_url", "oidc_client_id", "oidc_client_secret")
_ENV = {"oidc_metadata_url": "LONGDOC_OIDC_METADATA_URL", "oidc_client_id": "LONGDOC_OIDC_CLIENT_ID",
        "oidc_client_secret": "LONGDOC_OIDC_CLIENT_SECRET", "oidc_redirect_uri": "LONGDOC_OIDC_REDIRECT_URI",
        "oidc_cookie_secret": "LONGDOC_OIDC_COOKIE_SECRET"}


def secrets_files() -> list[Path]:
    """Where Streamlit reads hand-written secrets from (the working directory's, then the user's)."""
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def _hand_written_oidc(files: list[Path] | None = None) -> bool:
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


def oidc_from_settings(settings: Settings) -> bool:
    """Any LONGDOC_OIDC_* identity-provider setting is given (then all of them must be: see oidc_problem)."""
    return any(getattr(settings, name) for name in (*_OIDC_FIELDS, "oidc_redirect_uri"))


def oidc_configured(settings: Settings | None = None, files: list[Path] | None = None) -> bool:
    if settings is not None and oidc_from_settings(settings):
        return True
    return _hand_written_oidc(files)


def method(settings: Settings) -> str:
    """"oidc", "local" or "none"."""
    if oidc_configured(settings):
        return "oidc"
    if access.local_users_configured(settings):
        return "local"
    return "none"


def _is_loopback(host: str | None) -> bool:
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metadata_url(settings: Settings) -> str:
    """The discovery document's URL; an issuer URL (https://login.example.com/realm) gets the well-known path."""
    url = (settings.oidc_metadata_url or "").strip()
    if url and "/.well-known/" not in url:
        url = url.rstrip("/") + DISCOVERY_PATH
    return url


def redirect_uri(settings: Settings) -> str:
    """Where the provider sends the browser back: the URL users open the UI at, + /oauth2callback."""
    if settings.oidc_redirect_uri:
        return settings.oidc_redirect_uri.strip()
    host = settings.ui_address
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.ui_port}{CALLBACK_PATH}"


def oidc_problem(settings: Settings) -> str | None:
    """Why the LONGDOC_OIDC_* settings cannot work (one line), or None (also when none is given)."""
    if not oidc_from_settings(settings):
        return None
    missing = [_ENV[n] for n in _OIDC_FIELDS if not getattr(settings, n)]
    if missing:
        return (f"identity-provider sign-in is half configured: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set (all of LONGDOC_OIDC_METADATA_URL, "
                "LONGDOC_OIDC_CLIENT_ID and LONGDOC_OIDC_CLIENT_SECRET are needed)")
    meta = urlsplit(metadata_url(settings))
    if meta.scheme not in ("http", "https") or not meta.hostname:
        return f"LONGDOC_OIDC_METADATA_URL '{settings.oidc_metadata_url}' is not an http(s) URL"
    if meta.scheme != "https" and not _is_loopback(meta.hostname):
        return ("LONGDOC_OIDC_METADATA_URL must use https: the client secret and the users' identities travel "
                "to that provider (plain http only for a provider on this machine)")
    back = urlsplit(redirect_uri(settings))
    if back.scheme not in ("http", "https") or not back.hostname or back.path != CALLBACK_PATH:
        return (f"LONGDOC_OIDC_REDIRECT_URI '{redirect_uri(settings)}' must be the URL users open the UI at with "
                f"the path {CALLBACK_PATH}, e.g. https://longdoc.example.com{CALLBACK_PATH}")
    if not settings.oidc_redirect_uri and not _is_loopback(settings.ui_address):
        return (f"set LONGDOC_OIDC_REDIRECT_URI to the URL users open the UI at + {CALLBACK_PATH} "
                f"(registered at the identity provider): bound to {settings.ui_address}, longdoc cannot guess it")
    if settings.oidc_cookie_secret is not None and len(settings.oidc_cookie_secret) < 32:
        return "LONGDOC_OIDC_COOKIE_SECRET is too short: use 32 or more random characters (or leave it unset)"
    return None


def _kept_cookie_secret(path: Path) -> str | None:
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("auth", {}).get("cookie_secret")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and len(value) >= 32 else None


def write_streamlit_secrets(settings: Settings) -> Path | None:
    """Streamlit's secrets file with the [auth] section for LONGDOC_OIDC_*, written 0600; None (and any
    earlier file removed) when no identity provider is set. The cookie secret, unless given, is made once
    and kept in that file, so users stay signed in across restarts."""
    path = Path(settings.ui_secrets_file)
    if not oidc_from_settings(settings):
        path.unlink(missing_ok=True)
        return None
    problem = oidc_problem(settings)
    if problem:
        raise ValueError(problem)
    auth = {
        "redirect_uri": redirect_uri(settings),
        "cookie_secret": settings.oidc_cookie_secret or _kept_cookie_secret(path) or secrets.token_urlsafe(32),
        "client_id": settings.oidc_client_id.strip(),
        "client_secret": settings.oidc_client_secret,
        "server_metadata_url": metadata_url(settings),
    }
    # JSON string literals are valid TOML basic strings (same escapes), so no TOML writer is needed
    text = "# written by `longdoc ui` from LONGDOC_OIDC_*; rewritten at every start\n[auth]\n"
    text += "".join(f"{k} = {json.dumps(v)}\n" for k, v in auth.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def identity_email(claims: dict) -> str | None:
    """The e-mail address the provider vouches for (lower case), or None.

    Only `email` counts, and not when the provider says it is unverified: `preferred_username` is chosen by
    the user at some providers, so it must never pick whose matters someone opens."""
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email or claims.get("email_verified") in (False, "false", "False"):
        return None
    return email


def ui_exposure_problem(settings: Settings, address: str) -> str | None:
    """Why `longdoc ui --address` must not start, or None."""
    problem = oidc_problem(settings)
    if problem:
        return problem
    if address in LOOPBACK or method(settings) != "none":
        return None
    return (f"refusing to serve the UI on {address}: no sign-in is configured, so anyone on the network would see "
            "every document and use the API key — add a user (`longdoc user add NAME --matter default --role editor`) "
            "or an identity provider (LONGDOC_OIDC_METADATA_URL, _CLIENT_ID, _CLIENT_SECRET), or bind to 127.0.0.1")
