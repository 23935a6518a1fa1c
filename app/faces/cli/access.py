"""`longdoc token create|list|revoke` (API access) and `longdoc user add|list|remove|passwd` (UI sign-in).

The token is printed once, as the last line, and never again: only its hash is kept.
"""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from app.faces import signin
from app.faces.cli.fail import fail as _fail
from app.faces.cli.fail import or_fail as _run
from app.faces.cli.root import cli, settings
from app.library import access

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

token_app = typer.Typer(help="API tokens: each grants one matter (or '*': all) with a role.", no_args_is_help=True)
user_app = typer.Typer(help="UI users (local passwords, or OIDC identities) and the matters they may open.",
                       no_args_is_help=True)
cli.add_typer(token_app, name="token")
cli.add_typer(user_app, name="user")


@token_app.command("create")
def token_create(
    matter: str = typer.Option(..., "--matter", help="The matter the token opens ('*' for every matter)."),
    role: str = typer.Option("reader", "--role", help="reader (read, search, ask) | editor (+ upload, delete) | admin (+ create matters)."),
    label: str = typer.Option("", "--label", help="What the token is for (shown by `token list`)."),
    expires: str | None = typer.Option(None, "--expires", help="Lifetime (30d, 12h, 90m, 2w) or date (2027-03-31) "
                                                                  "after which the token is refused; default: never."),
) -> None:
    """Create an API token; it is printed once, as the last line."""
    info, secret = _run(lambda: access.create_token(settings(), matter, role, label, expires))
    until = f" · expires {info.expires_at}" if info.expires_at else ""
    err.print(f"token {info.id} · matter {info.matter} · role {info.role}{until} — keep it secret; it is not shown again")
    sys.stdout.write(secret + "\n")


@token_app.command("rotate")
def token_rotate(
    token_id: str = typer.Argument(..., help="The token's id (see `longdoc token list`)."),
    expires: str | None = typer.Option(None, "--expires", help="The new token's lifetime or date (default: never)."),
) -> None:
    """Replace a token: a new secret for the same matter, role and label; the old one stops working at once."""
    info, secret = _run(lambda: access.rotate_token(settings(), token_id, expires))
    until = f" · expires {info.expires_at}" if info.expires_at else ""
    err.print(f"token {token_id} revoked; new token {info.id} · matter {info.matter} · role {info.role}{until} — "
              "keep it secret; it is not shown again")
    sys.stdout.write(secret + "\n")


@token_app.command("list")
def token_list(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    matter: str | None = typer.Option(None, "--matter", help="Only the tokens of this matter."),
) -> None:
    """List tokens (never their secrets)."""
    rows = _run(lambda: access.list_tokens(settings(), matter))
    if as_json:
        sys.stdout.write(json.dumps([t.as_dict() for t in rows], indent=1) + "\n")
        return
    if not rows:
        out.print("No tokens. Create one with: longdoc token create --matter NAME --role reader")
        return
    t = Table()
    for col in ("id", "matter", "role", "label", "created", "last used", "revoked", "expires"):
        t.add_column(col)
    for r in rows:
        expires = (r.expires_at + (" (expired)" if r.expired() else "")) if r.expires_at else "never"
        t.add_row(r.id, r.matter, r.role, r.label, r.created_at, r.last_used_at or "—", r.revoked_at or "—", expires)
    out.print(t)


@token_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="The token's id (see `longdoc token list`).")) -> None:
    """Revoke a token: it stops working at once."""
    info = _run(lambda: access.revoke_token(settings(), token_id))
    out.print(f"revoked token {info.id} (matter {info.matter}, {info.role})")


def _read_password(from_stdin: bool, name: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        _fail("no terminal to ask for the password: pipe it in with --password-stdin, or use --sso")
    return typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name (for OIDC sign-in: the e-mail address the provider reports)."),
    matter: str = typer.Option(..., "--matter", help="The matter to grant."),
    role: str = typer.Option("reader", "--role", help="reader | editor | admin"),
    sso: bool = typer.Option(False, "--sso", help="Signs in through the identity provider only (no password)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Add a user with a password (asked for), or grant an existing user another matter.

    With an identity provider configured (LONGDOC_OIDC_*) a new user signs in through it: no password is asked."""
    s = settings()
    exists = _run(lambda: access.user_exists(s, name))
    sso = sso or (not password_stdin and signin.oidc_from_settings(s))
    password = None
    if not exists and not sso:
        password = _read_password(password_stdin, name)
    elif password_stdin:
        password = _read_password(True, name)
    u = _run(lambda: access.add_user(s, name, matter, role, password))
    grants = ", ".join(f"{m} ({r})" for m, r in sorted(u.grants.items()))
    out.print(f"user {u.name}: {grants}" + ("" if u.has_password else " · signs in through the identity provider"))


@user_app.command("list")
def user_list(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    matter: str | None = typer.Option(None, "--matter", help="Only the users granted this matter."),
) -> None:
    """List users and their matters."""
    rows = [u for u in _run(lambda: access.list_users(settings())) if matter is None or matter in u.grants]
    if as_json:
        sys.stdout.write(json.dumps([u.as_dict() for u in rows], indent=1) + "\n")
        return
    t = Table()
    for col in ("user", "sign-in", "matters"):
        t.add_column(col)
    for u in rows:
        t.add_row(u.name, "password" if u.has_password else "identity provider",
                  ", ".join(f"{m} ({r})" for m, r in sorted(u.grants.items())) or "—")
    out.print(t)


@user_app.command("remove")
def user_remove(
    name: str = typer.Argument(...),
    matter: str | None = typer.Option(None, "--matter", help="Only take away this matter."),
) -> None:
    """Remove a user, or only their grant on one matter."""
    _run(lambda: access.remove_user(settings(), name, matter))
    out.print(f"removed {name}" + (f" from matter {matter}" if matter else ""))


@user_app.command("passwd")
def user_passwd(
    name: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin, name)
    _run(lambda: access.set_password(settings(), name, password))
    out.print(f"password of {name} changed")
