"""A small but real OpenID Connect provider on loopback, for the UI's sign-in tests.

It speaks the authorization-code flow as a real provider does: discovery, an authorization endpoint with
a sign-in form, a token endpoint (client_secret_basic or client_secret_post, single-use codes bound to
their redirect URI, PKCE S256), RS256 id_tokens whose key is published as a JWK set, userinfo, and
RP-initiated logout. Hand-written on http.server rather than built on Authlib's server side, so that
Streamlit's client (Authlib) is checked against an independent implementation: a mistake shared by both
sides would otherwise go unseen. PyJWT and cryptography do the keys and signatures.

Knobs for the failure cases: `sign_with` (a private key other than the published one) and `audience`
(a client id other than the caller's) make the id_token one a client must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CODE_TTL_S = 60
ID_TOKEN_TTL_S = 300


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Account:
    email: str
    password: str
    name: str
    sub: str = field(default_factory=lambda: secrets.token_hex(8))
    email_verified: bool = True


@dataclass
class _Pending:
    """An authorization request waiting for the user to sign in on the form."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass
class _Code:
    request: _Pending
    account: Account
    expires: float


class OIDCProvider:
    """Start with `with OIDCProvider(...) as p:`; `p.issuer` is its base URL, `p.metadata_url` the discovery URL."""

    def __init__(self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris: list[str] = list(redirect_uris or [])
        self.accounts: dict[str, Account] = {}
        self.key = new_key()
        self.kid = secrets.token_hex(4)
        self.sign_with: rsa.RSAPrivateKey | None = None  # tamper: sign id_tokens with a key not published
        self.audience: str | None = None  # tamper: id_tokens for another client
        self.events: list[dict] = []  # what happened, for the tests to assert on (never secrets)
        self._pending: dict[str, _Pending] = {}
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, Account] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> OIDCProvider:
        provider = self

        class Handler(_Handler):
            idp = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def add_account(self, email: str, password: str, name: str, **kw) -> Account:
        a = Account(email=email, password=password, name=name, **kw)
        self.accounts[email.lower()] = a
        return a

    def kinds(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    # ---- protocol ----------------------------------------------------------------------------------
    def metadata(self) -> dict:
        i = self.issuer
        return {
            "issuer": i,
            "authorization_endpoint": i + "/authorize",
            "token_endpoint": i + "/token",
            "userinfo_endpoint": i + "/userinfo",
            "jwks_uri": i + "/jwks",
            "end_session_endpoint": i + "/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "email",
                                 "email_verified", "name"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def id_token(self, account: Account, nonce: str | None, access_token: str) -> str:
        now = int(time.time())
        digest = hashlib.sha256(access_token.encode("ascii")).digest()
        claims = {
            "iss": self.issuer, "sub": account.sub, "aud": self.audience or self.client_id,
            "iat": now, "exp": now + ID_TOKEN_TTL_S, "auth_time": now,
            "email": account.email, "email_verified": account.email_verified, "name": account.name,
            "at_hash": _b64url(digest[: len(digest) // 2]),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.sign_with or self.key, algorithm="RS256", headers={"kid": self.kid})

    def check_client(self, headers, form: dict[str, str]) -> tuple[str | None, str]:
        """The authenticated client id (or None) and the method it used."""
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except ValueError:
                return None, "client_secret_basic"
            cid, secret, how = unquote_plus(cid), unquote_plus(secret), "client_secret_basic"
        elif "client_secret" in form:
            cid, secret, how = form.get("client_id", ""), form["client_secret"], "client_secret_post"
        else:
            return None, "none"
        ok = cid == self.client_id and hmac.compare_digest(secret.encode(), self.client_secret.encode())
        return (cid if ok else None), how

    def token(self, headers, form: dict[str, str]) -> tuple[int, dict]:
        client, how = self.check_client(headers, form)
        event = {"event": "token", "auth_method": how, "pkce": False, "ok": False}
        self.events.append(event)
        if client is None:
            return 401, {"error": "invalid_client", "error_description": "client authentication failed"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use
        if code is None or code.expires < time.time() or code.request.client_id != client:
            return 400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"}
        if form.get("redirect_uri") != code.request.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs from the authorization request's"}
        if code.request.code_challenge:
            verifier = form.get("code_verifier", "")
            expected = _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
            if not verifier or not hmac.compare_digest(expected, code.request.code_challenge):
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            event["pkce"] = True
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access] = code.account
        event["ok"] = True
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": code.request.scope,
                     "id_token": self.id_token(code.account, code.request.nonce, access)}


class _Handler(BaseHTTPRequestHandler):
    idp: OIDCProvider
    server_version = "test-oidc/1"

    def log_message(self, fmt, *args) -> None:  # quiet; the tests read `events`
        pass

    # ---- plumbing ----------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict, extra: dict | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", extra)

    def _html(self, status: int, body: str) -> None:
        page = f"<!doctype html><html><head><title>Test identity provider</title></head><body>{body}</body></html>"
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _redirect(self, url: str, params: dict) -> None:
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode({k: v for k, v in params.items() if v is not None})) if q)
        self._send(302, b"", "text/plain", {"Location": urlunsplit(parts._replace(query=query))})

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _form(self) -> dict[str, str]:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    # ---- routes ------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        idp = self.idp
        if path == "/.well-known/openid-configuration":
            idp.events.append({"event": "discovery"})
            return self._json(200, idp.metadata())
        if path == "/jwks":
            return self._json(200, idp.jwks())
        if path == "/authorize":
            return self._authorize(self._query())
        if path == "/userinfo":
            return self._userinfo()
        if path == "/logout":
            return self._logout(self._query())
        self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/token":
            status, body = self.idp.token(self.headers, self._form())
            extra = {"WWW-Authenticate": 'Basic realm="test-oidc"'} if status == 401 else None
            return self._json(status, body, extra)
        if path == "/authorize":
            return self._sign_in(self._form())
        if path == "/userinfo":
            return self._userinfo()
        self._json(404, {"error": "not_found"})

    def _authorize(self, q: dict[str, str]) -> None:
        idp = self.idp
        # an unknown client or redirect URI is never redirected to (RFC 6749 §4.1.2.1): an error page
        if q.get("client_id") != idp.client_id:
            return self._html(400, "<h1>Unknown client</h1>")
        if q.get("redirect_uri") not in idp.redirect_uris:
            return self._html(400, "<h1>This redirect URI is not registered for the client</h1>")
        back, state = q["redirect_uri"], q.get("state")
        if q.get("response_type") != "code":
            return self._redirect(back, {"error": "unsupported_response_type", "state": state})
        if "openid" not in q.get("scope", "").split():
            return self._redirect(back, {"error": "invalid_scope", "error_description": "openid is required", "state": state})
        method = q.get("code_challenge_method") or ("plain" if q.get("code_challenge") else None)
        if q.get("code_challenge") and method != "S256":
            return self._redirect(back, {"error": "invalid_request", "error_description": "only S256 PKCE", "state": state})
        request_id = secrets.token_urlsafe(16)
        idp._pending[request_id] = _Pending(idp.client_id, back, q.get("scope", ""), state, q.get("nonce"),
                                            q.get("code_challenge"), method)
        idp.events.append({"event": "authorize", "scope": q.get("scope"), "nonce": bool(q.get("nonce")),
                           "pkce": method, "prompt": q.get("prompt")})
        self._html(200, _form_page(request_id))

    def _sign_in(self, form: dict[str, str]) -> None:
        idp = self.idp
        request = idp._pending.get(form.get("request", ""))
        if request is None:
            return self._html(400, "<h1>This sign-in request has expired</h1>")
        account = idp.accounts.get(form.get("email", "").strip().lower())
        if account is None or not hmac.compare_digest(account.password.encode(), form.get("password", "").encode()):
            idp.events.append({"event": "sign_in", "ok": False})
            return self._html(200, _form_page(form["request"], "Wrong e-mail address or password."))
        del idp._pending[form["request"]]
        code = secrets.token_urlsafe(24)
        with idp._lock:
            idp._codes[code] = _Code(request, account, time.time() + CODE_TTL_S)
        idp.events.append({"event": "sign_in", "ok": True, "email": account.email})
        self._redirect(request.redirect_uri, {"code": code, "state": request.state})

    def _userinfo(self) -> None:
        auth = self.headers.get("Authorization", "")
        account = self.idp._tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if account is None:
            return self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        self._json(200, {"sub": account.sub, "email": account.email, "email_verified": account.email_verified,
                         "name": account.name})

    def _logout(self, q: dict[str, str]) -> None:
        idp = self.idp
        back = q.get("post_logout_redirect_uri")
        hint_ok = None
        if q.get("id_token_hint"):
            try:
                jwt.decode(q["id_token_hint"], idp.key.public_key(), algorithms=["RS256"], audience=idp.client_id,
                           issuer=idp.issuer, options={"verify_exp": False})
                hint_ok = True
            except jwt.PyJWTError:
                hint_ok = False
        idp.events.append({"event": "logout", "client_id": q.get("client_id"), "id_token_hint": hint_ok})
        if back and back in idp.redirect_uris and q.get("client_id") in (None, idp.client_id):
            return self._redirect(back, {"state": q.get("state")})
        self._html(200, "<h1>You are signed out</h1>")


def _form_page(request_id: str, error: str = "") -> str:
    note = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return (f"<h1>Test identity provider</h1><p>Sign in to continue to longdoc.</p>{note}"
            '<form method="post" action="/authorize">'
            f'<input type="hidden" name="request" value="{html.escape(request_id)}">'
            '<label>E-mail address <input name="email" type="email" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password" autocomplete="current-password"></label>'
            '<button type="submit">Continue</button></form>')
