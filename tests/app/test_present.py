"""Every face shows failures through app.faces.present: one set of words, hints and statuses.

The source check reads the faces (CLI, UI, API, MCP) and fails where an `except … as e:` block turns the
caught error into words itself — an f-string, str(), `.message` or `.args` of it — instead of handing it
to present (which the block may still do: then it is fine)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.errors import (
    AccessError,
    ExportError,
    Forbidden,
    LongdocError,
    MatterError,
    NoSuchDocument,
    NoSuchMatter,
    NothingToRead,
    PageUnavailable,
    Unauthenticated,
    Unknown,
    UploadError,
)
from app.faces import present
from model.base import AuthError, BackendUnavailable, BadRequestError, ModelError

FACES = Path(__file__).resolve().parents[2] / "app" / "faces"
# present.py itself, and the allowed exceptions below (each with its reason)
ALLOWED = {
    # a client's malformed multipart body: Starlette's parse error is the HTTP layer's, not a user failure of longdoc
    ("api/routes.py", "could not read the multipart body"),
    # the body limit's own exception, raised and worded a few lines above in the same middleware
    ("api/server.py", "except _TooLarge as e"),
}


def _formats_itself(handler: ast.ExceptHandler) -> list[str]:
    """The snippets in which the handler's body turns its exception into text without `present`."""
    name = handler.name
    if not name:
        return []
    body = ast.Module(body=handler.body, type_ignores=[])
    calls_present = any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "present"
                        or isinstance(n, ast.Name) and n.id in ("fail_with", "error_message")
                        for n in ast.walk(body))
    if calls_present:
        return []
    found = []
    for n in ast.walk(body):
        uses = False
        if isinstance(n, ast.FormattedValue):
            uses = any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(n.value))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("str", "repr"):
            uses = any(isinstance(a, ast.Name) and a.id == name for a in n.args)
        elif isinstance(n, ast.Attribute) and n.attr in ("message", "args", "reason", "detail"):
            uses = isinstance(n.value, ast.Name) and n.value.id == name
        if uses:
            found.append(ast.unparse(n))
    return found


def test_no_face_formats_a_failure_itself():
    offences = []
    for path in sorted(FACES.rglob("*.py")):
        rel = path.relative_to(FACES).as_posix()
        if rel == "present.py":
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ExceptHandler):
                for snippet in _formats_itself(node):
                    segment = ast.get_source_segment(source, node) or ""
                    if not any(rel == f and words in segment for f, words in ALLOWED):
                        offences.append(f"{rel}:{node.lineno}: {snippet}")
    assert not offences, "faces format failures themselves (use app.faces.present):\n" + "\n".join(offences)


def test_the_check_sees_a_face_formatting_an_error():
    planted = ast.parse("try:\n    run()\nexcept ValueError as e:\n    st.error(f'failed: {e}')\n")
    handler = next(n for n in ast.walk(planted) if isinstance(n, ast.ExceptHandler))
    assert _formats_itself(handler) == ["{e}"] or _formats_itself(handler)
    handed = ast.parse("try:\n    run()\nexcept ValueError as e:\n    st.error(present.shown(e))\n")
    handler = next(n for n in ast.walk(handed) if isinstance(n, ast.ExceptHandler))
    assert _formats_itself(handler) == []


@pytest.mark.parametrize("error, status", [
    (NoSuchMatter("no matter named 'x'"), 404),
    (NoSuchDocument("no document matches 'x'"), 404),
    (MatterError("matter 'x' already exists"), 409),
    (NothingToRead("the library is empty"), 409),
    (PageUnavailable("a text file has no page images"), 409),
    (ExportError("unknown suffix"), 400),
    (UploadError("a.exe", "not a PDF, .txt or .md file", status=415), 415),
    (UploadError("big.pdf", "too large: over the 1 MB limit", status=413), 413),
    (UploadError("e.pdf", "empty file"), 400),
    (Unauthenticated("no token"), 401),
    (Forbidden("readers cannot write"), 403),
    (Unknown("no matter named 'y'"), 404),
])
def test_typed_errors_carry_their_status(error, status):
    assert isinstance(error, LongdocError)
    f = present.failure(error)
    assert f is not None and f.status == status == error.status and "\n" not in f.line


def test_statuses_never_come_from_the_words():
    # "too large" in the words of a plain upload error does not make it a 413: the type says what it is
    assert present.failure(UploadError("too large.pdf", "empty file")).status == 400
    assert present.failure(AccessError("too large")).status == 403


def test_model_errors_keep_their_message_and_get_a_hint():
    f = present.failure(AuthError("invalid API key"))
    assert (f.status, f.message) == (502, "model call failed: invalid API key") and "LONGDOC_API_KEY" in f.hint
    f = present.failure(BadRequestError("This model's maximum context length is 65536 tokens"))
    assert "lower --budget" in f.hint
    f = present.failure(BackendUnavailable("the openai SDK cannot be imported"))
    assert f.status == 503 and f.message.startswith("the openai SDK cannot be imported — ")
    assert present.failure(ModelError("odd")).status == 502


def test_plain_errors_and_bugs():
    assert present.failure(LookupError("'no such thing'")).line == "no such thing"
    assert present.failure(ValueError("bad value")).status == 400
    assert present.failure(OSError("disk full")) is None  # a server's own disk: a bug, not a bad request
    assert present.failure(OSError("disk full"), os_errors=True).status == 400
    assert present.failure(RuntimeError("boom")) is None
    assert present.internal(RuntimeError("secret path /x")).message == "internal error (RuntimeError)"


def test_bearer_token():
    assert present.bearer_token({"authorization": "Bearer abc "}) == "abc"
    assert present.bearer_token({"authorization": "Basic abc"}) is None
    assert present.bearer_token(None) is None
