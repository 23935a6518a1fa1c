"""Shared test fixtures. Real PDFs from ../shared, a real Chroma, no mocks of either."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ast_guard import guard_ast_parse

guard_ast_parse()  # one failing test must never take the run down (CPython 3.11.7: see tests/ast_guard.py)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
for _k in [k for k in os.environ if k.startswith("LONGDOC_") or k in ("DEEPSEEK_API_KEY", "COMETAPI_KEY")]:
    del os.environ[_k]  # tests start from defaults; each test sets what it needs

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT.parent / "shared").resolve()
DEV = SHARED / "eval" / "dev"
ROBUST = SHARED / "eval" / "robustness"
CUAD = SHARED / "corpus" / "cuad"
SAMPLES = ROOT / "data" / "samples"
OUTPUT = ROOT / "tests" / "output"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("needs ../shared: the evaluation folder is absent")
    return SHARED


# ---- library fixtures (STORE): a real Chroma store with real PDFs ingested once per session ----------
import uuid  # noqa: E402 - the store fixtures are a section of their own: their imports open it

# HARDEN appends "server" here and provides a session fixture `chroma_server` returning its URL.
STORE_MODES = ["embedded", "server"]


from ingest.chroma_server import free_port as _free_port  # noqa: E402,F401 - re-exported for tests
from ingest.chroma_server import start_chroma_server, stop_process  # noqa: E402 - ditto


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> str:
    """URL of a real Chroma server (`chroma run`) for this test session, stopped by PID at the end."""
    base = tmp_path_factory.mktemp("chroma_server")
    proc, url = start_chroma_server(base / "db", base / "chroma.log")
    yield url
    stop_process(proc)


@pytest.fixture()
def redis_url(tmp_path_factory) -> str:
    """URL of a fresh real Redis (Debian's redis-server on a free port, own process group) for one test."""
    from app.library.redis_server import redis_server_path, start_redis_server

    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    proc, url = start_redis_server(tmp_path_factory.mktemp("redis"))
    yield url
    stop_process(proc)


def _ingest_home(home: Path, paths: list[Path]):
    """A Settings whose LONGDOC_HOME holds `paths` ingested (asserts every file made it)."""
    from app.config import load_settings
    from app.library import documents as library

    settings = load_settings(env={}, dotenv=home / ".env", home=home)
    results = library.ingest(settings, paths)
    bad = [r for r in results if r.status not in ("ingested", "unchanged", "replaced")]
    assert not bad, f"fixture ingest failed: {[r.as_dict() for r in bad]}"
    return settings


@pytest.fixture(scope="session")
def samples_home(tmp_path_factory):
    """Settings for a temp LONGDOC_HOME with data/samples ingested (4 documents)."""
    return _ingest_home(tmp_path_factory.mktemp("samples_home"), [SAMPLES])


@pytest.fixture(scope="session")
def dev_home(tmp_path_factory, shared_dir):
    """Settings for a temp LONGDOC_HOME with the 10 PDFs of ../shared/eval/dev ingested."""
    pdfs = sorted(p for p in DEV.iterdir() if p.suffix.lower() == ".pdf")
    return _ingest_home(tmp_path_factory.mktemp("dev_home"), pdfs)


@pytest.fixture(params=STORE_MODES)
def store_factory(request):
    """`store_factory(home) -> Store`, embedded or against a Chroma server; a fresh collection per test."""
    from ingest.store import open_store

    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    name = "t" + uuid.uuid4().hex[:12]

    def make(home: Path):
        return open_store(Path(home), chroma_url=url, collection=name)

    make.chroma_url = url
    make.mode = request.param
    return make


# ---- `make test-latest`: the tests that touch third-party APIs, run again on the newest releases ------------------
# Model backends against the loopback servers, the HTTP API and MCP, Chroma embedded and server, Streamlit, a
# browser smoke, ingest of the samples, and the suite's own survival check. Marked here (not with -k or paths on the
# command line) so the run collects like the full suite: the test folders share conftest module names.
THIRDPARTY = (
    "tests/model/", "tests/api/", "tests/app/test_deepseek_today_cli.py", "tests/app/test_backend_unavailable.py",
    "tests/ingest/test_store.py", "tests/ingest/test_pipeline.py", "tests/ingest/test_embed.py",
    "tests/ui/test_app.py", "tests/ui/test_browser.py", "tests/selfcheck/",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        rel = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
        if rel.startswith(THIRDPARTY):
            item.add_marker(pytest.mark.thirdparty)
