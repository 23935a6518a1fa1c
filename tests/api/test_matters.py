"""Matters through the CLI on a real store: create, ingest, search apart, rename, delete (documents,
vectors and files gone, embedded and on a Chroma server); the default matter is today's library."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from app.faces.cli import cli

A_TEXT = "Acme supply agreement. The supplier shall deliver 400 widgets per month to Acme at the Springfield depot.\n"
B_TEXT = "Globex licence. Globex grants a licence to the Initech patents for ten years, royalty 3 percent.\n"


def run(home, *args, input=None, url=None):
    pre = ["--home", str(home)] + (["--chroma-url", url] if url else [])
    res = CliRunner().invoke(cli, pre + list(args), input=input, catch_exceptions=False)
    return res


@pytest.fixture(params=["embedded", "server"])
def home(request, tmp_path):
    from app.library import documents as library

    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    (tmp_path / "a.txt").write_text(A_TEXT)
    (tmp_path / "b.txt").write_text(B_TEXT)
    yield tmp_path, url
    library.forget_stores()


def test_matter_lifecycle_keeps_documents_apart(home):
    tmp, url = home
    h = tmp / "home"
    assert run(h, "ingest", str(tmp / "b.txt"), url=url).exit_code == 0  # the default matter: today's library
    assert run(h, "matter", "create", "acme", url=url).exit_code == 0
    assert run(h, "matter", "create", "acme", url=url).exit_code == 1
    r = run(h, "ingest", str(tmp / "a.txt"), "--matter", "acme", url=url)  # --matter after the command
    assert r.exit_code == 0, r.output
    docs = json.loads(run(h, "--matter", "acme", "docs", "--json", url=url).stdout)
    assert [d["file"] for d in docs] == ["a.txt"]
    assert [d["file"] for d in json.loads(run(h, "docs", "--json", url=url).stdout)] == ["b.txt"]
    hits = json.loads(run(h, "search", "widgets Springfield depot", "--json", url=url).stdout)["hits"]
    assert all("widgets" not in x["text"] for x in hits)
    hits = json.loads(run(h, "search", "widgets Springfield depot", "--json", "--matter", "acme", url=url).stdout)["hits"]
    assert hits and hits[0]["file"] == "a.txt"
    listing = json.loads(run(h, "matter", "list", "--json", url=url).stdout)
    assert [(m["name"], m["documents"]) for m in listing] == [("default", 1), ("acme", 1)]
    # a token and a user granted on acme follow the rename
    token = run(h, "token", "create", "--matter", "acme", "--role", "reader", url=url).stdout.strip().splitlines()[-1]
    assert run(h, "user", "add", "ann", "--matter", "acme", "--password-stdin", input="s3cret-pass\n", url=url).exit_code == 0
    r = run(h, "matter", "rename", "acme", "acme-v-beta", url=url)
    assert r.exit_code == 0, r.output
    assert not (h / "matters" / "acme").exists()
    hits = json.loads(run(h, "search", "widgets", "--json", "--matter", "acme-v-beta", url=url).stdout)["hits"]
    assert hits and hits[0]["file"] == "a.txt"
    assert run(h, "--matter", "acme", "docs", url=url).exit_code == 1
    from app.config import load_settings
    from app.library import access

    s = load_settings(env={}, home=h, chroma_url=url)
    assert access.token_principal(s, token).grants == {"acme-v-beta": "reader"}
    assert access.get_user(s, "ann").grants == {"acme-v-beta": "reader"}
    # delete: documents, vectors, folder, tokens and grants
    assert run(h, "matter", "delete", "acme-v-beta", url=url).exit_code == 1  # no terminal, no --yes
    r = run(h, "matter", "delete", "acme-v-beta", "--yes", url=url)
    assert r.exit_code == 0 and "1 document" in r.stdout
    assert not (h / "matters" / "acme-v-beta").exists()
    with pytest.raises(access.Unauthenticated):
        access.token_principal(s, token)
    assert access.get_user(s, "ann").grants == {}
    if url:
        from urllib.parse import urlparse

        import chromadb

        u = urlparse(url)
        names = {c.name if hasattr(c, "name") else c for c in chromadb.HttpClient(host=u.hostname, port=u.port).list_collections()}
        assert not [n for n in names if "acme" in n], names
    # the default matter is untouched and cannot be renamed or deleted
    assert [d["file"] for d in json.loads(run(h, "docs", "--json", url=url).stdout)] == ["b.txt"]
    assert run(h, "matter", "delete", "default", "--yes", url=url).exit_code == 1
    assert run(h, "matter", "rename", "default", "x", url=url).exit_code == 1


def test_unknown_and_bad_matter_names(tmp_path):
    r = run(tmp_path, "--matter", "nope", "docs")
    assert r.exit_code == 1 and "no matter named 'nope'" in r.output and "matter create nope" in r.output
    r = run(tmp_path, "docs", "--matter", "../etc")
    assert r.exit_code == 2 and "not a matter name" in r.output
    r = run(tmp_path, "matter", "create", "Bad Name")
    assert r.exit_code == 1 and "not a matter name" in r.output
    assert not (tmp_path / "matters").exists() or not any((tmp_path / "matters").iterdir())


def test_tokens_are_stored_hashed_and_revocable(tmp_path):
    from app.config import load_settings
    from app.library import access

    assert run(tmp_path, "matter", "create", "acme").exit_code == 0
    r = run(tmp_path, "token", "create", "--matter", "acme", "--role", "editor", "--label", "ci bot")
    assert r.exit_code == 0
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("ldk_") and len(token) > 40
    assert token.encode() not in (tmp_path / "access.sqlite3").read_bytes()
    rows = sqlite3.connect(tmp_path / "access.sqlite3").execute("SELECT hash FROM tokens").fetchall()
    assert len(rows) == 1 and rows[0][0] != token
    listing = run(tmp_path, "token", "list", "--json").stdout
    assert token not in listing
    tid = json.loads(listing)[0]["id"]
    s = load_settings(env={}, home=tmp_path)
    who = access.token_principal(s, token)
    assert who.role_for("acme") == "editor" and who.role_for("default") is None
    assert run(tmp_path, "token", "revoke", tid).exit_code == 0
    with pytest.raises(access.Unauthenticated):
        access.token_principal(s, token)
    assert run(tmp_path, "token", "create", "--matter", "nope").exit_code == 1
    assert run(tmp_path, "token", "create", "--matter", "acme", "--role", "owner").exit_code == 1


def test_users_have_scrypt_passwords(tmp_path):
    from app.config import load_settings
    from app.library import access

    assert run(tmp_path, "matter", "create", "acme").exit_code == 0
    r = run(tmp_path, "user", "add", "Ann@Firm.example", "--matter", "acme", "--role", "editor", "--password-stdin",
            input="correct horse\n")
    assert r.exit_code == 0, r.output
    assert run(tmp_path, "user", "add", "ann@firm.example", "--matter", "default", "--role", "reader").exit_code == 0
    s = load_settings(env={}, home=tmp_path)
    assert b"correct horse" not in (tmp_path / "access.sqlite3").read_bytes()
    who = access.sign_in(s, "ann@firm.example", "correct horse")
    assert who is not None and who.grants == {"acme": "editor", "default": "reader"}
    assert access.sign_in(s, "ann@firm.example", "wrong horse") is None
    assert access.sign_in(s, "bob", "correct horse") is None
    assert run(tmp_path, "user", "add", "sso@firm.example", "--matter", "acme", "--sso").exit_code == 0
    assert access.sign_in(s, "sso@firm.example", "") is None  # OIDC-only: no password sign-in
    assert access.user_principal(s, "sso@firm.example").grants == {"acme": "reader"}
    r = run(tmp_path, "user", "add", "cy", "--matter", "acme", "--password-stdin", input="short\n")
    assert r.exit_code == 1 and "at least 8" in r.output


def test_prefix_hint_and_stores_are_per_matter(tmp_path):
    from app.answer import session
    from app.config import load_settings
    from app.library import documents as library
    from app.library import matters

    s = load_settings(env={}, home=tmp_path)
    matters.create(s, "acme")
    a = matters.for_matter(s, "acme")
    session.remember_prefix(a, "f" * 64)
    assert session.prefix_seen(a, "f" * 64) and not session.prefix_seen(s, "f" * 64)
    assert library.get_store(a) is not library.get_store(s)
    assert library.get_store(a).collection_name == "longdoc__acme" and library.get_store(s).collection_name == "longdoc"
    assert a.uploads_dir == tmp_path / "matters" / "acme" / "uploads" and a.out_dir.parent == a.data_dir
    library.forget_stores()


def test_job_records_follow_their_matter(tmp_path):
    """Renamed: its jobs are listed under the new name (a new matter of the old name sees none). A job still
    queued when its matter is deleted goes with it; one a worker runs blocks rename and delete until it ends;
    a queued job whose matter vanished behind the queue's back fails with the reason, writing nothing."""
    from app.config import load_settings
    from app.library import documents as library
    from app.library import jobs, matters
    from app.library.matters import MatterError
    from app.library.worker import JobRunner

    (tmp_path / "a.txt").write_text(A_TEXT)
    (tmp_path / "b.txt").write_text(B_TEXT)
    s = load_settings(env={}, home=tmp_path / "home")
    # this test is the local worker (holding its lock, so submit starts none): nothing runs behind its back
    import fcntl
    import os

    from app.library.worker import _lock_path

    _lock_path(s).parent.mkdir(parents=True, exist_ok=True)
    held = os.open(_lock_path(s), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    matters.create(s, "acme")
    acme = matters.for_matter(s, "acme")
    (queued,) = jobs.submit(acme, [tmp_path / "a.txt"])
    assert queued.status == "queued" and queued.matter == "acme"
    matters.rename(s, "acme", "acme-v-beta")
    assert [j.id for j in jobs.list_jobs(s, matter="acme-v-beta")] == [queued.id]
    matters.create(s, "acme")
    assert jobs.list_jobs(s, matter="acme") == []

    rec = jobs.records(s)
    rec.update(queued.id, status="parsing", worker="w-elsewhere")  # a worker has it
    for attempt in (lambda: matters.rename(s, "acme-v-beta", "other"), lambda: matters.delete(s, "acme-v-beta")):
        with pytest.raises(MatterError, match="1 ingest job\\(s\\) running"):
            attempt()
    rec.update(queued.id, status="queued", worker=None)
    assert matters.delete(s, "acme-v-beta") == 0
    assert jobs.get_job(s, queued.id) is None and jobs.list_jobs(s, matter="acme-v-beta") == []

    # the matter's row disappears while its job waits (another process deleted it mid-way): the worker says so
    (late,) = jobs.submit(matters.for_matter(s, "acme"), [tmp_path / "b.txt"])
    assert late.status == "queued", late
    import sqlite3

    with sqlite3.connect(s.access_db) as db:
        db.execute("DELETE FROM matters WHERE name = 'acme'")
    runner = JobRunner(s)
    try:
        runner.run(rec.claim("w-test"))
    finally:
        runner.close()
    j = jobs.get_job(s, late.id)
    assert j.status == "failed" and "matter 'acme' no longer exists" in j.message
    assert not (tmp_path / "home" / "matters" / "acme" / "chroma").exists() or \
        library.get_store(matters.for_matter(s, "acme"), check=False).documents() == []
    library.forget_stores()
    os.close(held)
