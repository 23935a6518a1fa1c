"""Sign-in through an identity provider, end to end: a real OpenID Connect provider on loopback
(tests/ui/oidc_provider.py), `longdoc ui` configured the way a deployment is (LONGDOC_OIDC_*), a user
granted with `longdoc user add`, and Debian's chromium driven by Playwright through the whole redirect
dance — Sign in, the provider's form, back signed in to exactly the granted matter, Sign out.

Streamlit's client (Authlib) must accept the provider unchanged, and refuse its id_token when it is
signed with a key the provider does not publish or is meant for another client.
"""

from __future__ import annotations

import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.ui.oidc_provider import OIDCProvider, new_key
from tests.ui.server import running_ui, ui_env

CHROMIUM = Path("/usr/bin/chromium")
STEP_MS = 120_000  # a step may wait for a busy 2-core machine
CLIENT_ID = "longdoc-ui"
ALPHA = "Alpha supply agreement: the supplier delivers 400 widgets a month to the Springfield depot.\n"
BETA = "Beta licence: Globex licenses the Initech patents for ten years at a 3 percent royalty.\n"
ANN, ANN_PW = "ann@firm.example", "ann-" + secrets.token_hex(6)
NOBODY, NOBODY_PW = "nobody@firm.example", "nobody-" + secrets.token_hex(6)
UNVERIFIED, UNVERIFIED_PW = "eve@firm.example", "eve-" + secrets.token_hex(6)

pytestmark = pytest.mark.slow


@dataclass
class World:
    url: str
    idp: OIDCProvider
    browser: object
    tmp: Path
    home: Path
    client_secret: str
    seen: list[str] = field(default_factory=list)  # every page's HTML, checked for secrets at the end


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    from app.config import load_settings
    from app.faces.cli import cli
    from app.library import documents as library
    from app.library import matters

    tmp = tmp_path_factory.mktemp("oidc")
    home = tmp / "home"
    client_secret = "cs-" + secrets.token_urlsafe(24)
    with OIDCProvider(CLIENT_ID, client_secret) as idp:
        idp.add_account(ANN, ANN_PW, "Ann Reader")
        idp.add_account(NOBODY, NOBODY_PW, "No Body")
        idp.add_account(UNVERIFIED, UNVERIFIED_PW, "Eve", email_verified=False)  # granted, but not vouched for
        # the issuer's URL, as an administrator copies it from the provider (longdoc adds the well-known path)
        env = ui_env(home, LONGDOC_OIDC_METADATA_URL=idp.issuer, LONGDOC_OIDC_CLIENT_ID=CLIENT_ID,
                     LONGDOC_OIDC_CLIENT_SECRET=client_secret)
        s = load_settings(env={}, home=home)
        for name, text in (("alpha", ALPHA), ("beta", BETA)):
            matters.create(s, name)
            f = tmp / f"{name}.txt"
            f.write_text(text)
            assert library.ingest(matters.for_matter(s, name), [f])[0].status == "ingested"
        library.forget_stores()
        # with an identity provider configured, `user add` asks no password: Ann signs in through it
        r = CliRunner().invoke(cli, ["user", "add", ANN, "--matter", "alpha", "--role", "reader"], env=env)
        assert r.exit_code == 0 and "signs in through the identity provider" in r.output, r.output
        r = CliRunner().invoke(cli, ["user", "add", UNVERIFIED, "--matter", "alpha", "--role", "reader", "--sso"], env=env)
        assert r.exit_code == 0, r.output
        with running_ui(env, tmp) as url:
            idp.redirect_uris.append(url + "/oauth2callback")  # registered at the provider, as a real one needs
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                try:
                    yield World(url, idp, browser, tmp, home, client_secret)
                finally:
                    browser.close()


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=STEP_MS)
    page.wait_for_timeout(300)


def _text(w: World, page) -> str:
    w.seen.append(page.content())
    return page.locator("body").inner_text()


def _open(w: World):
    page = w.browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    page.set_default_timeout(STEP_MS)
    page.goto(w.url)
    page.get_by_role("button", name="Sign in").wait_for()
    _idle(page)
    return page


def _sign_in(w: World, page, email: str, password: str) -> None:
    """Click Sign in, land on the provider's own page, sign in there, and come back to the UI."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(w.idp.issuer + "/authorize?*")
    page.get_by_role("heading", name="Test identity provider").wait_for()
    w.seen.append(page.content())
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(w.url + "/")
    _idle(page)


def _no_traceback(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, "a traceback is shown in the page"


def test_reader_signs_in_sees_only_the_granted_matter_and_signs_out(world):
    w = world
    page = _open(w)
    before = _text(w, page)
    assert "alpha.txt" not in before and "beta.txt" not in before and "Sign in to open your matters" in before

    _sign_in(w, page, ANN, ANN_PW)
    page.get_by_text("alpha.txt").first.wait_for()
    _idle(page)
    text = _text(w, page)
    assert "Matter: alpha" in text and f"{ANN} · reader" in text and "Read-only" in text
    assert "beta.txt" not in text and "Globex" not in text and "Matter: beta" not in text
    assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0  # a reader uploads nothing
    _no_traceback(page)

    # the protocol as Streamlit's client spoke it: nonce, PKCE S256, basic client authentication
    auth = w.idp.kinds("authorize")[-1]
    assert auth["nonce"] and auth["pkce"] == "S256" and {"openid", "email"} <= set(auth["scope"].split())
    token = w.idp.kinds("token")[-1]
    assert token == {"event": "token", "auth_method": "client_secret_basic", "pkce": True, "ok": True}

    # sign out: Streamlit ends the session at the provider too (end_session_endpoint), then the sign-in page
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    _idle(page)
    assert w.idp.kinds("logout")[-1] == {"event": "logout", "client_id": CLIENT_ID, "id_token_hint": True}
    page.reload()
    page.get_by_role("button", name="Sign in").wait_for()
    _idle(page)
    text = _text(w, page)
    assert "alpha.txt" not in text and "Matter: alpha" not in text
    page.context.close()


@pytest.mark.parametrize("who", ["no grant", "an unverified e-mail"])
def test_a_user_without_a_grant_or_a_verified_email_is_told_and_sees_nothing(world, who):
    w = world
    page = _open(w)
    if who == "no grant":
        _sign_in(w, page, NOBODY, NOBODY_PW)
        page.get_by_text("no matter is granted to you").wait_for()
        assert f"Signed in as {NOBODY}" in _text(w, page)
    else:  # granted alpha, but the provider says the address is unverified: it picks no one's matters
        _sign_in(w, page, UNVERIFIED, UNVERIFIED_PW)
        page.get_by_text("did not vouch for an e-mail address").wait_for()
    text = _text(w, page)
    assert "alpha.txt" not in text and "beta.txt" not in text and "Matter:" not in text
    assert page.get_by_role("button", name="Sign out").count() == 1
    _no_traceback(page)
    page.context.close()


def test_an_address_reassigned_at_the_provider_opens_nothing(world):
    """Ann's first sign-in bound her user to the provider's subject for her; the same address later held by
    another account (another `sub`) is refused with the reason and never sees alpha."""
    w = world
    page = _open(w)
    _sign_in(w, page, ANN, ANN_PW)  # binds, if no earlier test did
    page.get_by_text("alpha.txt").first.wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    _idle(page)
    account = w.idp.accounts[ANN.lower()]
    kept, account.sub = account.sub, "someone-else-" + account.sub
    try:
        _sign_in(w, page, ANN, ANN_PW)
        page.get_by_text("bound to another identity").wait_for()
        text = _text(w, page)
    finally:
        account.sub = kept
    assert "alpha.txt" not in text and "Matter: alpha" not in text and f"user remove {ANN}" in text
    _no_traceback(page)
    page.context.close()


@pytest.mark.parametrize("tamper", ["signed with a key the provider does not publish", "meant for another client"])
def test_a_bad_id_token_signs_nobody_in(world, tamper):
    w = world
    if tamper.startswith("signed"):
        w.idp.sign_with = new_key()
    else:
        w.idp.audience = "another-client"
    log = w.tmp / "ui.log"
    log_before = log.read_text(errors="replace")
    try:
        page = _open(w)
        _sign_in(w, page, ANN, ANN_PW)
        page.get_by_role("button", name="Sign in").wait_for()
        _idle(page)
        text = _text(w, page)
    finally:
        w.idp.sign_with, w.idp.audience = None, None
    assert w.idp.kinds("token")[-1]["ok"]  # the provider did issue a token: the UI refused it
    assert "alpha.txt" not in text and "Matter: alpha" not in text and ANN not in text
    _no_traceback(page)
    assert "OAuth token exchange failed" in log.read_text(errors="replace")[len(log_before):]
    page.context.close()


def test_secrets_stay_out_of_logs_and_pages(world):
    w = world
    page = _open(w)
    _text(w, page)
    page.context.close()
    f = w.home / "ui" / "secrets.toml"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600 and stat.S_IMODE(f.parent.stat().st_mode) == 0o700
    import tomllib

    auth = tomllib.loads(f.read_text())["auth"]
    assert auth["client_secret"] == w.client_secret and len(auth["cookie_secret"]) >= 32
    assert auth["server_metadata_url"] == w.idp.metadata_url and auth["redirect_uri"] == w.url + "/oauth2callback"
    log = (w.tmp / "ui.log").read_text(errors="replace")
    for secret in (w.client_secret, auth["cookie_secret"]):
        assert secret not in log
        assert not any(secret in html for html in w.seen)
    # Streamlit itself reads the file: the client secret is not handed down in its environment either
    port = w.url.rsplit(":", 1)[1]
    streamlit = [p for p in Path("/proc").glob("[0-9]*") if _cmdline(p).count("streamlit") and f"--server.port\0{port}\0" in _cmdline(p)]
    assert len(streamlit) == 1
    assert w.client_secret.encode() not in (streamlit[0] / "environ").read_bytes()


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_opened_under_another_host_name_the_page_says_where_sign_in_returns(world):
    """The provider sends the browser back to the redirect URI's host; opened as localhost, the sign-in's
    cookie would stay behind on 127.0.0.1 and the sign-in fail silently: the page says so first."""
    w = world
    page = w.browser.new_context().new_page()
    page.set_default_timeout(STEP_MS)
    page.goto(w.url.replace("127.0.0.1", "localhost"))
    page.get_by_text("Sign-in returns to").wait_for()
    assert f"Sign-in returns to {w.url}" in _text(w, page)
    page.context.close()
    page = _open(w)  # where it returns to: no such warning
    assert "Sign-in returns to" not in _text(w, page)
    page.context.close()
