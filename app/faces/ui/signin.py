"""Sign-in for the UI and the matter picker: who is here, and which matters they may open.

OIDC through `st.login` when an identity provider is configured; else a user name and password form
(local users); else nobody signs in (a one-person tool on localhost: every matter). The principal is
re-read on every run, so a revoked grant takes effect at the next click.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from app.config import Settings
from app.faces import signin
from app.faces.ui.i18n import t
from app.library import access


def _auth_section() -> dict:
    try:
        auth = st.secrets.get("auth", {})
    except FileNotFoundError:  # no secrets file at all (Streamlit's own "not found" error is one)
        return {}
    return auth if hasattr(auth, "get") else {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _wrong_origin_hint(redirect_uri: str) -> None:
    """The provider sends the browser back to the redirect URI's host: opened under another name
    (localhost vs 127.0.0.1), the sign-in's cookie stays behind and it fails silently; say so beforehand."""
    here = getattr(st.context, "url", None)
    want = _origin(redirect_uri.replace("{port}", str(st.get_option("server.port"))))
    if here and _origin(here) != want:
        st.warning(t("Sign-in returns to {url}: open longdoc at [{url}/]({url}/) to sign in.", url=want))


def _oidc(settings: Settings) -> access.Principal:
    if not st.user.is_logged_in:
        st.title("longdoc")
        auth = _auth_section()
        if not auth.get("redirect_uri") or not auth.get("cookie_secret"):
            st.error(t("Sign-in through the identity provider is configured, but this UI was started without it: "
                       "start it with `longdoc ui`, which hands the provider's settings to Streamlit."))
            st.stop()
        st.write(t("Sign in to open your matters."))
        _wrong_origin_hint(str(auth.get("redirect_uri")))
        providers = [k for k, v in auth.items() if hasattr(v, "get") and v.get("client_id")]
        if auth.get("client_id") or not providers:
            st.button(t("Sign in"), on_click=st.login, type="primary", key="oidc_login")
        else:  # named providers ([auth.google], [auth.microsoft], …): one button each
            for name in providers:
                st.button(t("Sign in with {name}", name=name), on_click=st.login, args=(name,), key=f"oidc_login_{name}")
        st.stop()
    claims = st.user.to_dict()
    email = signin.identity_email(claims)
    who, refused = (access.oidc_principal(settings, email, str(claims.get("iss") or ""), str(claims.get("sub") or ""))
                    if email else (None, ""))
    if who is None or not who.matters(settings):
        st.title("longdoc")
        if refused:
            st.error(t("Signed in as {email}, but not opened: {reason}.", email=email, reason=refused))
        elif email is None:
            st.error(t("The identity provider did not vouch for an e-mail address (no `email` claim, or one it "
                       "marks unverified), so longdoc cannot tell whose matters to open. Ask your administrator."))
        else:
            st.error(t("Signed in as {email}, but no matter is granted to you. Ask an administrator to run "
                       "`longdoc user add {email} --matter NAME --role reader --sso`.", email=email))
        st.button(t("Sign out"), on_click=st.logout, key="oidc_logout")
        st.stop()
    return who


def _local(settings: Settings) -> access.Principal:
    name = st.session_state.get("signed_in_as")
    who = access.user_principal(settings, name) if name else None
    if who is not None:
        return who
    st.title("longdoc")
    with st.form("signin"):
        st.write(t("Sign in to open your matters."))
        user = st.text_input(t("User name"), key="signin_user")
        password = st.text_input(t("Password"), type="password", key="signin_password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if submitted:
        who = access.sign_in(settings, user, password)
        if who is None:
            st.error(t("Wrong user name or password."))
        else:
            st.session_state.signed_in_as = who.name
            st.session_state.pop("signin_password", None)
            st.rerun()
    st.stop()


def gate(settings: Settings) -> access.Principal:
    """The signed-in principal (stops the page with a sign-in form until there is one)."""
    how = signin.method(settings)
    st.session_state.signin_method = how
    if how == "oidc":
        return _oidc(settings)
    if how == "local":
        return _local(settings)
    return access.LOCAL


def sign_out() -> None:
    for k in ("signed_in_as", "matter", "selected_docs"):
        st.session_state.pop(k, None)


def matter_picker(settings: Settings, who: access.Principal) -> str | None:
    """The sidebar's matter choice among the granted ones (kept in the session); None when none is granted."""
    names = who.matters(settings)
    if not names:
        st.sidebar.error(t("No matter is granted to you."))
        return None
    if st.session_state.get("matter") not in names:
        st.session_state.matter = settings.matter if settings.matter in names else names[0]
    if len(names) > 1:
        st.sidebar.selectbox(t("Matter"), names, key="matter", help=t("Each matter is a separate library."),
                             on_change=lambda: st.session_state.pop("selected_docs", None))
    else:
        st.sidebar.caption(t("Matter: **{name}**", name=names[0]))
    role = who.role_for(st.session_state.matter)
    st.session_state.role = role
    if who.kind == "user":
        c = st.sidebar.columns([3, 2])
        c[0].caption(f"{who.name} · {t(role)}")
        out = st.logout if st.session_state.get("signin_method") == "oidc" else sign_out
        c[1].button(t("Sign out"), key="sign_out", on_click=out)
    return st.session_state.matter
