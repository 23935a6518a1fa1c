"""Identity-provider settings (LONGDOC_OIDC_*): the Streamlit secrets file `longdoc ui` writes (0600, the
cookie secret kept across restarts, removed when sign-in through a provider is turned off), the one-line
reasons a half or unsafe configuration is refused, and which e-mail claim picks the user. The sign-in
itself, in a browser against a real provider, is tests/ui/test_signin_oidc.py."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.config import load_settings, to_env
from app.faces import signin
from app.faces.cli import cli
from app.faces.cli.ui import streamlit_command

OIDC = {"LONGDOC_OIDC_METADATA_URL": "https://login.example.com/realms/firm",
        "LONGDOC_OIDC_CLIENT_ID": "longdoc", "LONGDOC_OIDC_CLIENT_SECRET": "client-secret-value-1234"}


def _settings(tmp_path, **env):
    return load_settings(env={"LONGDOC_HOME": str(tmp_path / "home"), **env}, dotenv=tmp_path / "none.env")


def test_secrets_file_is_private_complete_and_keeps_its_cookie_secret(tmp_path):
    s = _settings(tmp_path, **OIDC)
    path = signin.write_streamlit_secrets(s)
    assert path == s.ui_secrets_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    auth = tomllib.loads(path.read_text())["auth"]
    assert auth["server_metadata_url"] == "https://login.example.com/realms/firm/.well-known/openid-configuration"
    assert auth["client_id"] == "longdoc" and auth["client_secret"] == "client-secret-value-1234"
    assert auth["redirect_uri"] == "http://127.0.0.1:8501/oauth2callback" and len(auth["cookie_secret"]) >= 32
    # a restart keeps the cookie secret (users stay signed in); a given one wins
    assert tomllib.loads(signin.write_streamlit_secrets(s).read_text())["auth"]["cookie_secret"] == auth["cookie_secret"]
    given = _settings(tmp_path, **OIDC, LONGDOC_OIDC_COOKIE_SECRET="c" * 40, LONGDOC_OIDC_REDIRECT_URI="https://ld.example.com/oauth2callback")
    again = tomllib.loads(signin.write_streamlit_secrets(given).read_text())["auth"]
    assert again["cookie_secret"] == "c" * 40 and again["redirect_uri"] == "https://ld.example.com/oauth2callback"
    # quotes and backslashes in a secret survive the TOML round trip
    odd = _settings(tmp_path, **{**OIDC, "LONGDOC_OIDC_CLIENT_SECRET": 'a"b\\c\'d'})
    assert tomllib.loads(signin.write_streamlit_secrets(odd).read_text())["auth"]["client_secret"] == 'a"b\\c\'d'
    # turned off: the file (it holds the client secret) is gone
    assert signin.write_streamlit_secrets(_settings(tmp_path)) is None and not path.exists()


def test_streamlit_reads_the_written_file_only_when_there_is_one(tmp_path):
    cmd = streamlit_command(8555, "127.0.0.1", 200, tmp_path / "secrets.toml")
    assert cmd[-2:] == ["--secrets.files", str(tmp_path / "secrets.toml")]
    assert "--secrets.files" not in streamlit_command(8555, "127.0.0.1", 200)


@pytest.mark.parametrize("env, says", [
    ({"LONGDOC_OIDC_CLIENT_ID": "longdoc"}, "LONGDOC_OIDC_METADATA_URL, LONGDOC_OIDC_CLIENT_SECRET are not set"),
    ({**OIDC, "LONGDOC_OIDC_METADATA_URL": "http://login.example.com"}, "must use https"),
    ({**OIDC, "LONGDOC_OIDC_METADATA_URL": "login.example.com"}, "is not an http(s) URL"),
    ({**OIDC, "LONGDOC_OIDC_REDIRECT_URI": "https://ld.example.com/"}, "with the path /oauth2callback"),
    ({**OIDC, "LONGDOC_OIDC_COOKIE_SECRET": "short"}, "LONGDOC_OIDC_COOKIE_SECRET is too short"),
])
def test_a_half_or_unsafe_configuration_is_refused_with_the_reason(tmp_path, env, says):
    s = _settings(tmp_path, **env)
    assert says in (signin.oidc_problem(s) or "")
    with pytest.raises(ValueError, match="LONGDOC_OIDC"):
        signin.write_streamlit_secrets(s)
    r = CliRunner().invoke(cli, ["ui"], env={**env, "LONGDOC_HOME": str(tmp_path / "home")})
    assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output
    assert not s.ui_secrets_file.exists()


def test_beyond_localhost_the_redirect_uri_must_be_given(tmp_path):
    s = _settings(tmp_path, **OIDC, LONGDOC_UI_ADDRESS="0.0.0.0")
    assert "set LONGDOC_OIDC_REDIRECT_URI" in signin.ui_exposure_problem(s, "0.0.0.0")
    s = _settings(tmp_path, **OIDC, LONGDOC_UI_ADDRESS="0.0.0.0", LONGDOC_OIDC_REDIRECT_URI="https://ld.example.com/oauth2callback")
    assert signin.ui_exposure_problem(s, "0.0.0.0") is None and signin.method(s) == "oidc"
    # a provider on this machine may speak plain http (the browser test's)
    assert signin.oidc_problem(_settings(tmp_path, **{**OIDC, "LONGDOC_OIDC_METADATA_URL": "http://127.0.0.1:9"})) is None


def test_secrets_never_leave_in_repr_or_a_childs_environment(tmp_path):
    s = _settings(tmp_path, **OIDC, LONGDOC_OIDC_COOKIE_SECRET="k" * 40)
    assert "client-secret-value-1234" not in repr(s) and "k" * 40 not in repr(s)
    env = to_env(s)
    assert "LONGDOC_OIDC_CLIENT_SECRET" not in env and "LONGDOC_OIDC_COOKIE_SECRET" not in env
    assert env["LONGDOC_OIDC_CLIENT_ID"] == "longdoc"


@pytest.mark.parametrize("claims, email", [
    ({"email": "Ann@Firm.example", "email_verified": True}, "ann@firm.example"),
    ({"email": "ann@firm.example"}, "ann@firm.example"),  # providers that do not send email_verified
    ({"email": "ann@firm.example", "email_verified": False}, None),
    ({"email": "ann@firm.example", "email_verified": "false"}, None),
    ({"preferred_username": "ann@firm.example"}, None),  # chosen by the user at some providers
    ({"email": "ann"}, None),
])
def test_only_a_vouched_for_email_picks_the_user(claims, email):
    assert signin.identity_email(claims) == email


def test_user_add_asks_no_password_when_a_provider_is_configured(tmp_path):
    env = {**OIDC, "LONGDOC_HOME": str(tmp_path / "home")}
    r = CliRunner().invoke(cli, ["user", "add", "ann@firm.example", "--matter", "default", "--role", "reader"], env=env)
    assert r.exit_code == 0 and "signs in through the identity provider" in r.output, r.output
    # without one, a new user needs a password (no terminal here: told how to give it)
    r = CliRunner().invoke(cli, ["user", "add", "bob", "--matter", "default"], env={"LONGDOC_HOME": str(tmp_path / "home")})
    assert r.exit_code != 0 and "--password-stdin" in r.output



def test_an_oidc_user_is_bound_to_the_identity_that_first_signed_in(tmp_path):
    """The first sign-in as ann@example.com records the provider's issuer and subject; the same address with
    another subject later (reassigned, or another provider) is refused with the way out; removing and adding
    the user again re-binds it. A database from before the binding gains the column when opened."""
    import sqlite3

    from app.config import load_settings
    from app.library import access, matters

    s = load_settings(env={}, home=tmp_path / "home")
    matters.create(s, "alpha")
    access.add_user(s, "ann@example.com", "alpha", "reader")
    who, why = access.oidc_principal(s, "ann@example.com", "https://idp.example", "sub-1")
    assert who is not None and who.name == "ann@example.com" and who.grants == {"alpha": "reader"} and why == ""
    assert access.oidc_principal(s, "ann@example.com", "https://idp.example", "sub-1")[0] is not None
    other, why = access.oidc_principal(s, "ann@example.com", "https://idp.example", "sub-2")
    assert other is None and "bound to another identity" in why and "user remove ann@example.com" in why
    assert access.oidc_principal(s, "ann@example.com", "https://other-idp.example", "sub-1")[0] is None
    assert access.oidc_principal(s, "ann@example.com", "https://idp.example", "")[0] is None
    assert access.oidc_principal(s, "bob@example.com", "https://idp.example", "sub-9") == (None, "")
    access.remove_user(s, "ann@example.com")
    access.add_user(s, "ann@example.com", "alpha", "reader")
    assert access.oidc_principal(s, "ann@example.com", "https://idp.example", "sub-2")[0] is not None

    # an access database written before the column existed
    old = load_settings(env={}, home=tmp_path / "old")
    Path(old.access_db).parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(old.access_db) as db:
        db.execute("CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT, created_at TEXT NOT NULL)")
        db.execute("INSERT INTO users VALUES ('cy@example.com', NULL, '2026-01-01T00:00:00Z')")
    who, why = access.oidc_principal(old, "cy@example.com", "https://idp.example", "sub-3")
    assert who is not None and why == ""
