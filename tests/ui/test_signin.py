"""UI sign-in with Streamlit's AppTest over a real store: local users see only their granted matters,
readers cannot add or delete, a wrong password gets in nowhere; with an identity provider configured
the page offers `st.login` and nothing else until signed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.test_app import _shown

ROOT = Path(__file__).resolve().parents[2]
UI = str(ROOT / "app" / "faces" / "ui" / "main.py")
ALPHA = "Alpha supply agreement: the supplier delivers 400 widgets a month to the Springfield depot.\n"
BETA = "Beta licence: Globex licenses the Initech patents for ten years at a 3 percent royalty.\n"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from app.config import load_settings
    from app.library import access, matters
    from app.library import documents as library

    h = tmp_path_factory.mktemp("signin_home")
    s = load_settings(env={}, home=h)
    for name, text in (("alpha", ALPHA), ("beta", BETA)):
        matters.create(s, name)
        f = h / f"{name}.txt"
        f.write_text(text)
        assert library.ingest(matters.for_matter(s, name), [f])[0].status == "ingested"
    access.add_user(s, "ann", "alpha", "reader", "ann-password")
    access.add_user(s, "bob", "alpha", "editor", "bob-password")
    access.add_user(s, "bob", "beta", "editor")
    library.forget_stores()
    return h


def _app(monkeypatch, tmp_path, home) -> AppTest:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LONGDOC_HOME", str(home))
    at = AppTest.from_file(UI, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sign_in(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="signin_user").input(user)
    at.text_input(key="signin_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    """What the page shows (Markdown escapes of text from documents read as a browser reads them)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [e.value for e in at.error] + [c.value for c in at.sidebar.caption]
    return _shown("\n".join(str(p) for p in parts))


def test_reader_sees_only_the_granted_matter(monkeypatch, tmp_path, home):
    at = _app(monkeypatch, tmp_path, home)
    assert not at.sidebar.radio and "alpha.txt" not in _text(at)  # nothing but the form before signing in
    at = _sign_in(at, "ann", "wrong-password")
    assert any("Wrong user name or password" in e.value for e in at.error)
    assert "alpha.txt" not in _text(at)
    at = _sign_in(at, "ann", "ann-password")
    text = _text(at)
    assert "alpha.txt" in text and "beta.txt" not in text and "Matter: **alpha**" in text
    assert "Read-only" in text and not at.get("file_uploader")
    assert not [b for b in at.button if b.key and b.key.startswith("del_")]
    at.sidebar.radio(key="area").set_value("Search").run()
    at.text_input(key="search_q").input("Globex Initech patents royalty widgets").run()
    assert not at.exception
    text = _text(at)
    assert "widgets" in text and "Globex" not in text.replace("Globex Initech patents royalty widgets", "")


def test_editor_switches_between_granted_matters(monkeypatch, tmp_path, home):
    at = _sign_in(_app(monkeypatch, tmp_path, home), "bob", "bob-password")
    box = at.sidebar.selectbox(key="matter")
    assert list(box.options) == ["alpha", "beta"]
    assert at.get("file_uploader") and "alpha.txt" in _text(at)
    box.set_value("beta").run()
    assert not at.exception
    text = _text(at)
    assert "beta.txt" in text and "alpha.txt" not in text


def test_identity_provider_configured_offers_login_only(monkeypatch, tmp_path, home):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "x' + "0" * 30 + '"\n'
        'client_id = "longdoc"\nclient_secret = "s"\nserver_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n')
    at = _app(monkeypatch, tmp_path, home)
    assert [b.label for b in at.button] == ["Sign in"]
    assert "alpha.txt" not in _text(at) and not at.sidebar.radio
