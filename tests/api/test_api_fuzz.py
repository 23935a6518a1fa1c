"""Fuzz the live API's inputs — bad JSON, huge bodies, odd multipart, path tricks in names and ids: every
answer is a clear 4xx (JSON, one line), never a 5xx, and nothing the matters held is lost.

Examples per property: LONGDOC_FUZZ_EXAMPLES (default 20; `make fuzz`-style long runs raise it)."""

from __future__ import annotations

import os
import socket
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.api.conftest import A_PDF, MAX_FILE_MB, auth

N = int(os.environ.get("LONGDOC_FUZZ_EXAMPLES", "20"))
FUZZ = settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
JSON_ROUTES = ("search", "context", "ask", "summarize", "compare")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=12,
)
# bodies that are close to valid: the real field names with wrong or extreme values
near_valid = st.fixed_dictionaries({}, optional={
    "query": st.text(max_size=60) | st.integers(), "question": st.text(max_size=60) | st.none(),
    "k": st.integers(-5, 5000) | st.text(max_size=3), "docs": st.lists(st.text(max_size=30), max_size=3) | st.text(max_size=10),
    "budget": st.integers(-10, 10**9), "mode": st.sampled_from(["hybrid", "dense", "bm25", "x", ""]),
    "style": st.text(max_size=10), "aspects": st.lists(st.text(max_size=20), max_size=3), "thinking": st.booleans() | st.text(max_size=3),
})
tricky_ids = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["..", "../..", "..%2F..%2Fetc%2Fpasswd", "%00", "a" * 5000, "*", "default", "ALPHA", ".", "~",
                     "alpha/../beta", "%2e%2e", "\\..\\..", "con", "beta\x00", "𝔞𝔩𝔭𝔥𝔞"]),
)


def _check(r, allowed=(200, 201, 202)) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code >= 400:
        body = r.json()
        assert isinstance(body.get("error"), str) and body["error"] and "\n" not in body["error"]
        assert "Traceback" not in body["error"]
    else:
        assert r.status_code in allowed


@pytest.fixture(scope="module")
def client(api):
    c = api.client()
    c.headers.update(auth(api.tokens["a_editor"]))
    before = _state(c, api)
    yield c
    after = _state(c, api)
    assert after == before, "the fuzz changed what alpha or beta hold"
    c.close()


def _state(c, api):
    out = {}
    for m, tok in (("alpha", "a_reader"), ("beta", "b_reader")):
        r = c.get(f"/v1/matters/{m}/documents", headers=auth(api.tokens[tok]))
        assert r.status_code == 200
        out[m] = sorted((d["doc_id"], d["chunks"]) for d in r.json()["documents"])
    return out


@FUZZ
@given(route=st.sampled_from(JSON_ROUTES), body=json_values | near_valid)
def test_fuzz_json_bodies(client, route, body):
    _check(client.post(f"/v1/matters/alpha/{route}", json=body))


@pytest.mark.parametrize("raw", [b'{"query": Infinity}', b'{"question": "x", "budget": Infinity}', b'{"k": NaN, "query": "x"}',
                                 b'{"query": "x", "k": -Infinity}'])
def test_non_json_numbers_are_refused(client, raw):
    """JSON has no Infinity or NaN (Python's parser takes them): each is a clear 4xx, never a 500 or a result."""
    for route in JSON_ROUTES:
        _check(client.post(f"/v1/matters/alpha/{route}", content=raw, headers={"Content-Type": "application/json"}), allowed=())


@FUZZ
@given(route=st.sampled_from(JSON_ROUTES + ("documents",)), raw=st.binary(max_size=300),
       ctype=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", "",
                              "multipart/form-data", "multipart/form-data; boundary=zz"]))
def test_fuzz_raw_bodies(client, route, raw, ctype):
    r = client.post(f"/v1/matters/alpha/{route}", content=raw, headers={"Content-Type": ctype} if ctype else {})
    _check(r, allowed=(200,))


def _segment(x: str) -> str:
    """x as one path segment the client sends as is: `quote` leaves dots alone, and a client resolves a "." or
    ".." segment into another route (/v1/jobs/. is /v1/jobs/) before the server sees the id."""
    from urllib.parse import quote

    return quote(x, safe="").replace(".", "%2E")


@FUZZ
@given(m=tricky_ids, doc=tricky_ids, method=st.sampled_from(["GET", "DELETE"]))
@example(m="ALPHA", doc=".", method="GET")
@example(m="alpha", doc="..", method="DELETE")
def test_fuzz_ids_in_paths(client, api, m, doc, method):
    from urllib.parse import quote

    quoted = (f"/v1/matters/{_segment(m)}/documents/{_segment(doc)}", f"/v1/jobs/{_segment(doc)}")
    for path in quoted:
        r = client.request(method, path)
        _check(r, allowed=(200,))
        assert r.status_code >= 400  # no fuzzed id names one of alpha's documents or jobs
    # raw slashes and dots: the client may resolve them into another (legitimate) route; never a 5xx
    _check(client.request(method, f"/v1/matters/{quote(m, safe='/')}/documents/{quote(doc, safe='/.')}"), allowed=(200,))


@FUZZ
@given(name=st.one_of(st.text(max_size=300), st.sampled_from(
    ["../../../etc/passwd.txt", "..\\..\\x.txt", "/abs/path.md", "a\x00b.txt", "\u202egnp.txt", "CON.txt", ".txt",
     "x" * 400 + ".txt", "dir/sub/file.pdf", "   .md", "évidence “1”.md", "file.exe", ""])))
def test_fuzz_upload_names(api, name):
    """Names are cleaned as the UI cleans them: what is stored never leaves the matter's uploads folder."""
    with api.client() as c:
        r = c.post("/v1/matters/scratch/documents", headers=auth(api.tokens["scratch_editor"]),
                   files={"file": (name, b"fuzz upload: the quick brown fox\n", "application/octet-stream")})
    _check(r, allowed=(202,))
    if r.status_code == 202:
        stored = r.json()["file"]
        assert stored and "/" not in stored and "\\" not in stored and "\x00" not in stored and stored not in (".", "..")
    uploads = (api.home / "matters" / "scratch" / "uploads").resolve()
    for p in api.home.rglob("*"):
        if p.is_file() and "fuzz upload" in (p.read_text(errors="ignore") if p.stat().st_size < 200 else ""):
            assert uploads in p.resolve().parents, p


def test_odd_multipart(client):
    pdf = A_PDF.read_bytes()
    cases = [
        dict(files={"other": ("a.pdf", pdf)}),  # wrong field name
        dict(files=[("file", ("a.pdf", pdf)), ("file", ("b.pdf", pdf))]),  # two files
        dict(data={"file": "not a file"}),
        dict(content=b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 trunc",
             headers={"Content-Type": "multipart/form-data; boundary=zz"}),  # no closing boundary
        dict(content=b"garbage", headers={"Content-Type": "multipart/form-data"}),  # no boundary at all
        dict(files={"file": ("empty.pdf", b"")}),
        dict(files={"file": ("a.pdf", b"%PDF-1.4 not really a pdf")}, data={"x1": "1", "x2": "2", "x3": "3", "x4": "4", "x5": "5"}),
    ]
    for kw in cases:
        r = client.post("/v1/matters/alpha/documents", **kw)
        assert 400 <= r.status_code < 500, (kw.get("headers"), r.status_code, r.text)
        assert r.json()["error"]


def test_huge_bodies_are_refused_before_they_are_read(client, api):
    big_json = b'{"query": "' + b"a" * (300 * 1024) + b'"}'
    r = client.post("/v1/matters/alpha/search", content=big_json, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(400):
            yield b"a" * 1024

    r = client.post("/v1/matters/alpha/search", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    huge = b"%PDF-1.4\n" + b"0" * ((MAX_FILE_MB + 1) * 2**20)
    r = client.post("/v1/matters/alpha/documents", files={"file": ("huge.pdf", huge, "application/pdf")})
    assert r.status_code == 413, r.text
    def huge_chunks():  # the same file streamed without a Content-Length
        boundary = b"zzfuzz"
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="huge.pdf"\r\n\r\n'
        for _ in range(MAX_FILE_MB + 1):
            yield b"0" * 2**20
        yield b"\r\n--" + boundary + b"--\r\n"

    r = client.post("/v1/matters/alpha/documents", content=huge_chunks(),
                    headers={"Content-Type": "multipart/form-data; boundary=zzfuzz"})
    assert r.status_code == 413, r.text
    staging = api.home / "matters" / "alpha" / "uploads" / ".staging"
    assert not staging.exists() or not any(staging.iterdir())  # no file, not even an empty session folder
    # a lying Content-Length (more promised than sent) and a client that vanishes mid-body
    with socket.create_connection(("127.0.0.1", int(api.url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(b"POST /v1/matters/alpha/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + api.tokens["a_editor"].encode() + b"\r\nContent-Length: 1000\r\n\r\n{\"qu")
    time.sleep(0.5)
    assert client.get("/v1/health").status_code == 200


@pytest.mark.parametrize("body", [{"\n": None}, {"query": "x", "a\r\nb": 1}, {"k" * 5000: 1}, {"\u2028": 1}])
def test_odd_field_names_stay_on_the_errors_one_line(client, body):
    """A field name is the client's text: echoed in the error, escaped and cut, never a second line."""
    r = client.post("/v1/matters/alpha/search", json=body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err.startswith("invalid request — ") and "\n" not in err and "\r" not in err and "\u2028" not in err
    assert len(err) < 400


@pytest.mark.parametrize("job_id", ["%0A", "a%0Db", "%E2%80%A8", "%1B%5B31m"])
def test_ids_quoted_in_errors_stay_on_one_line(client, job_id):
    """An id from the path quoted in a 404 ("no job with id …") keeps the error on one line: escaped, not raw."""
    r = client.get(f"/v1/jobs/{job_id}")
    assert r.status_code == 404
    err = r.json()["error"]
    assert "\n" not in err and "\r" not in err and "\u2028" not in err and "\x1b" not in err
