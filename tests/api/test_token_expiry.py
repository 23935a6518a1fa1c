"""Issue 27: tokens can expire and be rotated; an expired or rotated-away token gets 401 with its reason."""

from __future__ import annotations

import subprocess

import pytest

from tests.api.conftest import ROOT, auth, cli_env, longdoc


def _cli(api, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(longdoc(*args), cwd=ROOT, env=cli_env(api.home), capture_output=True, text=True, timeout=60)


def test_a_token_expires_and_a_rotated_token_replaces_the_old_one(api):
    made = _cli(api, "token", "create", "--matter", "beta", "--role", "reader", "--expires", "30d", "--label", "audit")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert "expires 20" in made.stderr
    with api.client() as c:
        assert c.get("/v1/matters/beta/documents", headers=auth(secret)).status_code == 200
        # time passes: the token's moment comes (set in the access database, as the clock would)
        from app.config import load_settings
        from app.library import access, access_db

        s = load_settings(env={"LONGDOC_HOME": str(api.home)})
        tid = next(t.id for t in access.list_tokens(s) if t.label == "audit")
        with access_db.connect(s) as db:
            db.execute("UPDATE tokens SET expires_at = ? WHERE id = ?", ("2020-01-01T00:00:00Z", tid))
        r = c.get("/v1/matters/beta/documents", headers=auth(secret))
        assert r.status_code == 401 and "expired on 2020-01-01" in r.json()["error"], r.text

        rotated = _cli(api, "token", "rotate", tid, "--expires", "2w")
        assert rotated.returncode == 0, rotated.stderr
        fresh = rotated.stdout.strip().splitlines()[-1]
        assert fresh != secret
        assert c.get("/v1/matters/beta/documents", headers=auth(fresh)).status_code == 200
        assert c.get("/v1/matters/beta/documents", headers=auth(secret)).status_code == 401
    listing = _cli(api, "token", "list", "--json")
    rows = {t["id"]: t for t in __import__("json").loads(listing.stdout)}
    assert rows[tid]["revoked_at"] and any(t["label"] == "audit" and t["revoked_at"] is None for t in rows.values())


@pytest.mark.parametrize("bad", ["0d", "yesterday", "2001-01-01"])
def test_a_bad_or_past_expiry_is_one_line(api, bad):
    r = _cli(api, "token", "create", "--matter", "beta", "--expires", bad)
    assert r.returncode == 1 and "--expires" in r.stderr and "Traceback" not in r.stderr, r.stderr
