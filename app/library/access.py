"""Who may see which matter: API tokens, UI users, roles, and the one check every face makes.

Tokens are random (256 bits) and stored as their SHA-256 only — a fast hash is right for secrets that
cannot be guessed; passwords, which can, are stored with scrypt (stdlib, memory-hard). A token grants
one matter (or '*': every matter) with one role; a user holds grants on several matters.

The rule the faces apply (`authorize`): a matter the principal holds no grant on is "not found" —
exactly as a matter that does not exist — so nobody learns another matter's names or ids; a grant with
too small a role is "forbidden".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app import errors
from app.config import Settings, check_matter_name
from app.errors import AccessError as AccessError  # the refusals, named here too: faces catch access.AccessError
from app.errors import Forbidden, InvalidRequest, Unauthenticated, Unknown
from app.library import access_db, matters

ROLES = ("reader", "editor", "admin")  # each includes the ones before it
ALL_MATTERS = "*"
TOKEN_PREFIX = "ldk_"
_SCRYPT = dict(n=2**14, r=8, p=1, maxmem=64 * 2**20, dklen=32)


NotFound = Unknown  # the name the faces use: unknown, or not yours


@dataclass(frozen=True)
class Principal:
    """Who is acting: a token, a signed-in user, or the local operator (CLI, local UI: every matter, admin)."""

    kind: str  # "token" | "user" | "local"
    name: str  # token id, user name, or "local"
    grants: dict[str, str] = field(default_factory=dict)  # matter (or '*') -> role

    def role_for(self, matter: str) -> str | None:
        return self.grants.get(matter) or self.grants.get(ALL_MATTERS)

    def matters(self, settings: Settings) -> list[str]:
        """The existing matters this principal may open."""
        return [m for m in matters.names(settings) if self.role_for(m)]

    @property
    def single_matter(self) -> str | None:
        """The one matter a single-matter token is for (None for '*' or several)."""
        keys = [m for m in self.grants if m != ALL_MATTERS]
        return keys[0] if len(keys) == 1 and ALL_MATTERS not in self.grants else None


LOCAL = Principal("local", "local", {ALL_MATTERS: "admin"})


def check_role(role: str) -> str:
    r = (role or "").strip().lower()
    if r not in ROLES:
        raise InvalidRequest(f"unknown role '{role}': choose reader, editor or admin")
    return r


def has_role(have: str | None, need: str) -> bool:
    return have is not None and ROLES.index(have) >= ROLES.index(need)


def authorize(settings: Settings, principal: Principal, matter: str, need: str = "reader") -> Settings:
    """The settings scoped to `matter` if `principal` may act there with role `need`; else NotFound/Forbidden."""
    try:
        name = check_matter_name(matter)
    except ValueError:
        raise NotFound(f"no matter named '{matter}'") from None
    role = principal.role_for(name)
    if role is None or not matters.exists(settings, name):
        raise NotFound(f"no matter named '{name}'")
    if not has_role(role, need):
        raise Forbidden(f"this needs the {need} role on matter '{name}'; yours is {role}")
    return matters.for_matter(settings, name)


# ---- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    id: str
    matter: str
    role: str
    label: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    expires_at: str | None = None  # ISO UTC; None = does not expire

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def expired(self, now: str | None = None) -> bool:
        return self.expires_at is not None and (now or access_db.now_iso()) >= self.expires_at


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def parse_expiry(text: str | None, now: datetime | None = None) -> str | None:
    """'30d', '12h', '90m', '2w' or an ISO date/time → the ISO UTC moment the token stops working; None = never."""
    text = (text or "").strip().lower()
    if not text or text in ("never", "none"):
        return None
    now = now or datetime.now(UTC)
    m = re.fullmatch(r"(\d+)\s*([mhdw])", text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n <= 0:
            raise ValueError(f"--expires {text}: the lifetime must be positive")
        delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}
        return (now + delta[unit]).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        when = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--expires '{text}': give a lifetime (30d, 12h, 90m, 2w) or a date (2027-03-31)") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= now:
        raise ValueError(f"--expires '{text}' is in the past")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_token(settings: Settings, matter: str, role: str, label: str = "",
                 expires: str | None = None) -> tuple[TokenInfo, str]:
    """A new token for `matter` (or '*'); returns its record and the secret, shown once and never stored.
    `expires`: a lifetime ('30d') or date after which the token is refused (401)."""
    role = check_role(role)
    expires_at = parse_expiry(expires)
    if matter != ALL_MATTERS:
        matter = check_matter_name(matter)
        matters.require(matters.for_matter(settings, matter))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tid = secrets.token_hex(4)
    at = access_db.now_iso()
    label = " ".join((label or "").split())[:80]
    with access_db.connect(settings) as db:
        db.execute(
            "INSERT INTO tokens (id, hash, matter, role, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (tid, _digest(secret), matter, role, label, at, expires_at),
        )
    return TokenInfo(tid, matter, role, label, at, None, None, expires_at), secret


def rotate_token(settings: Settings, token_id: str, expires: str | None = None) -> tuple[TokenInfo, str]:
    """A new secret with the same matter, role and label; the old token is revoked at once."""
    old = next((t for t in list_tokens(settings) if t.id == (token_id or "").strip()), None)
    if old is None:
        raise LookupError(f"no token with id '{token_id}' (see `longdoc token list`)")
    if old.revoked_at is not None:
        raise ValueError(f"token {old.id} was revoked on {old.revoked_at}: create a new one instead")
    new = create_token(settings, old.matter, old.role, old.label, expires)
    revoke_token(settings, old.id)
    return new


def _token_row(r) -> TokenInfo:
    return TokenInfo(r["id"], r["matter"], r["role"], r["label"], r["created_at"], r["last_used_at"], r["revoked_at"],
                     r["expires_at"])


def list_tokens(settings: Settings, matter: str | None = None) -> list[TokenInfo]:
    if not access_db.exists(settings):
        return []
    with access_db.connect(settings, write=False) as db:
        rows = db.execute("SELECT * FROM tokens ORDER BY created_at, id").fetchall()
    out = [_token_row(r) for r in rows]
    return [t for t in out if matter is None or t.matter == matter]


def revoke_token(settings: Settings, token_id: str) -> TokenInfo:
    with access_db.connect(settings) as db:
        row = db.execute("SELECT * FROM tokens WHERE id = ?", ((token_id or "").strip(),)).fetchone()
        if row is None:
            raise errors.NotFound(f"no token with id '{token_id}' (see `longdoc token list`)")
        if row["revoked_at"] is None:
            db.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", (access_db.now_iso(), row["id"]))
        row = db.execute("SELECT * FROM tokens WHERE id = ?", (row["id"],)).fetchone()
    return _token_row(row)


def token_principal(settings: Settings, secret: str | None) -> Principal:
    """The principal a presented token stands for; Unauthenticated when missing, unknown or revoked."""
    secret = (secret or "").strip()
    if not secret:
        raise Unauthenticated("this needs an API token: send 'Authorization: Bearer <token>' (create one with `longdoc token create`)")
    if not access_db.exists(settings):
        raise Unauthenticated("the API token is not valid (unknown or revoked)")
    digest = _digest(secret)
    with access_db.connect(settings, write=False) as db:
        row = db.execute("SELECT * FROM tokens WHERE hash = ?", (digest,)).fetchone()
    if row is None or row["revoked_at"] is not None or not hmac.compare_digest(row["hash"], digest):
        raise Unauthenticated("the API token is not valid (unknown or revoked)")
    now = access_db.now_iso()
    if row["expires_at"] is not None and now >= row["expires_at"]:
        raise Unauthenticated(f"the API token expired on {row['expires_at']}: ask for a new one "
                              "(`longdoc token rotate ID` or `longdoc token create`)")
    if (row["last_used_at"] or "")[:16] != now[:16]:  # to the minute: not a write per request
        with access_db.connect(settings) as db:
            db.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (now, row["id"]))
    return Principal("token", row["id"], {row["matter"]: row["role"]})


def any_tokens(settings: Settings) -> bool:
    return any(t.revoked_at is None and not t.expired() for t in list_tokens(settings))


# ---- users (UI sign-in) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    name: str
    has_password: bool  # False: signs in through the identity provider (OIDC) only
    grants: dict[str, str]
    created_at: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${dk.hex()}"


def _password_ok(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        kind, n, r, p, salt, dk = stored.split("$")
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=64 * 2**20, dklen=len(dk) // 2)
    except (ValueError, TypeError):
        return False
    return kind == "scrypt" and hmac.compare_digest(got.hex(), dk)


def check_user_name(name: str) -> str:
    clean = (name or "").strip()
    if not clean or len(clean) > 120 or any(c.isspace() or ord(c) < 32 for c in clean):
        raise InvalidRequest("a user name is 1–120 characters without spaces (an email address for OIDC sign-in)")
    return clean.lower()


def add_user(settings: Settings, name: str, matter: str, role: str, password: str | None = None) -> UserInfo:
    """Create the user (with `password`, or none for OIDC-only) or, if they exist, grant them `matter`."""
    name, role, matter = check_user_name(name), check_role(role), check_matter_name(matter)
    matters.require(matters.for_matter(settings, matter))
    if password is not None and len(password) < 8:
        raise InvalidRequest("a password needs at least 8 characters")
    with access_db.connect(settings) as db:
        row = db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            db.execute("INSERT INTO users (name, password, created_at) VALUES (?, ?, ?)",
                       (name, hash_password(password) if password else None, access_db.now_iso()))
        elif password:
            db.execute("UPDATE users SET password = ? WHERE name = ?", (hash_password(password), name))
        db.execute("INSERT INTO grants (user, matter, role) VALUES (?, ?, ?) "
                   "ON CONFLICT(user, matter) DO UPDATE SET role = excluded.role", (name, matter, role))
    return get_user(settings, name)


def user_exists(settings: Settings, name: str) -> bool:
    return get_user(settings, name) is not None


def get_user(settings: Settings, name: str) -> UserInfo | None:
    if not access_db.exists(settings):
        return None
    try:
        name = check_user_name(name)
    except ValueError:
        return None
    with access_db.connect(settings, write=False) as db:
        row = db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        grants = {g["matter"]: g["role"] for g in db.execute("SELECT matter, role FROM grants WHERE user = ?", (name,))}
    return UserInfo(row["name"], bool(row["password"]), grants, row["created_at"])


def list_users(settings: Settings) -> list[UserInfo]:
    if not access_db.exists(settings):
        return []
    with access_db.connect(settings) as db:
        names = [r["name"] for r in db.execute("SELECT name FROM users ORDER BY name")]
    return [u for u in (get_user(settings, n) for n in names) if u is not None]


def remove_user(settings: Settings, name: str, matter: str | None = None) -> None:
    """Remove a user (or only their grant on `matter`)."""
    name = check_user_name(name)
    with access_db.connect(settings) as db:
        if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None:
            raise errors.NotFound(f"no user named '{name}' (see `longdoc user list`)")
        if matter is None:
            db.execute("DELETE FROM grants WHERE user = ?", (name,))
            db.execute("DELETE FROM users WHERE name = ?", (name,))
        else:
            db.execute("DELETE FROM grants WHERE user = ? AND matter = ?", (name, check_matter_name(matter)))


def set_password(settings: Settings, name: str, password: str) -> None:
    name = check_user_name(name)
    if len(password or "") < 8:
        raise InvalidRequest("a password needs at least 8 characters")
    with access_db.connect(settings) as db:
        if db.execute("UPDATE users SET password = ? WHERE name = ?", (hash_password(password), name)).rowcount == 0:
            raise errors.NotFound(f"no user named '{name}' (see `longdoc user list`)")


def sign_in(settings: Settings, name: str, password: str) -> Principal | None:
    """The user's principal when the password matches (None otherwise: no hint which part was wrong)."""
    try:
        clean = check_user_name(name)
    except ValueError:
        return None
    stored = None
    if access_db.exists(settings):
        with access_db.connect(settings) as db:
            row = db.execute("SELECT password FROM users WHERE name = ?", (clean,)).fetchone()
            stored = row["password"] if row else None
    if stored is None:
        _password_ok(hash_password("x" * 8), password or "")  # same work either way: no timing hint
        return None
    if not _password_ok(stored, password or ""):
        return None
    return user_principal(settings, clean)


def user_principal(settings: Settings, name: str) -> Principal | None:
    """A known user's principal by name (after OIDC sign-in, where the provider vouched for them)."""
    u = get_user(settings, name)
    if u is None:
        return None
    return Principal("user", u.name, dict(u.grants))


def oidc_principal(settings: Settings, email: str, issuer: str, subject: str) -> tuple[Principal | None, str]:
    """The user an identity provider vouched for, bound to that identity: the first sign-in as a user records
    the provider's issuer and subject, and a later sign-in with the same address but another subject (an
    address reassigned to someone else, or another provider) is refused, so it never inherits the grants.
    Returns (principal, "") or (None, the reason to show)."""
    u = get_user(settings, email)
    if u is None:
        return None, ""
    if not subject:
        return None, "the identity provider sent no subject (`sub`) for this sign-in"
    ident = f"{issuer}|{subject}"
    with access_db.connect(settings) as db:
        row = db.execute("SELECT oidc_subject FROM users WHERE name = ?", (u.name,)).fetchone()
        if row is None:
            return None, ""
        if row["oidc_subject"] is None:
            db.execute("UPDATE users SET oidc_subject = ? WHERE name = ? AND oidc_subject IS NULL", (ident, u.name))
        elif row["oidc_subject"] != ident:
            return None, (f"{u.name} is bound to another identity at the provider than the one signed in now; an "
                          f"administrator can re-bind it (`longdoc user remove {u.name}`, then `user add` again)")
    return Principal("user", u.name, dict(u.grants)), ""


def local_users_configured(settings: Settings) -> bool:
    return any(u.has_password for u in list_users(settings))
