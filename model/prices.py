"""Prices and limits per provider and model, as data (model/prices.json), overridable by a file.

An unknown model has an unknown price (None → cost reported as null, never as 0); only in-process
local generation is known to be free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from model.base import FREE, ModelError, Prices

BUILTIN = Path(__file__).with_name("prices.json")

# Fallback limits when the table does not know the model: DeepSeek-family names get DeepSeek's
# limits, anything else a conservative window (a llama.cpp/vLLM server may serve less; say so in docs).
DEFAULT_LIMITS = {"deepseek": (128_000, 8192), "other": (32_768, 4096)}


@dataclass(frozen=True)
class ModelInfo:
    key: str  # "provider/model"
    prices: Prices | None
    context_window: int
    max_output: int


def provider_for(backend: str, base_url: str | None) -> str:
    """Which price list applies: the host decides (DeepSeek's Anthropic route is still DeepSeek)."""
    if backend == "transformers":
        return "local"
    host = (urlparse(base_url).hostname or "") if base_url else ""
    if backend == "deepseek" or host.endswith("deepseek.com"):
        return "deepseek"
    if host.endswith("cometapi.com"):
        return "cometapi"
    return host or backend


def _load(path: str) -> dict:
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _load_cached(path, mtime)


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: int) -> dict:
    """Cached per (path, mtime): an edited prices file is read again."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"prices file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"prices file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"prices file {path} must hold a JSON object of 'provider/model' entries")
    return {k.lower(): v for k, v in data.items() if not k.startswith("_")}


def price_table(prices_file: Path | None = None) -> dict[str, dict]:
    table = dict(_load(str(BUILTIN)))
    if prices_file:
        for key, entry in _load(str(Path(prices_file).expanduser())).items():
            table[key] = {**table.get(key, {}), **entry}
    return table


def _prices(entry: dict, key: str) -> Prices | None:
    try:
        miss = float(entry["input_cache_miss"] if "input_cache_miss" in entry else entry["input"])
        hit = float(entry.get("input_cache_hit", miss))
        return Prices(hit, miss, float(entry["output"]), source=str(entry.get("source", key)))
    except (KeyError, TypeError, ValueError):
        return None


def lookup(backend: str, model: str, base_url: str | None = None, prices_file: Path | None = None) -> ModelInfo:
    provider = provider_for(backend, base_url)
    key = f"{provider}/{model}".lower()
    table = price_table(prices_file)
    entry = table.get(key) or table.get(f"*/{model}".lower())
    family = "deepseek" if "deepseek" in model.lower() else "other"
    window, cap = DEFAULT_LIMITS[family]
    if entry is None:
        return ModelInfo(key, FREE if provider == "local" else None, window, cap)
    prices = _prices(entry, key)
    if prices is None and provider == "local":
        prices = FREE
    return ModelInfo(
        key, prices, int(entry.get("context_window", window)), int(entry.get("max_output", cap))
    )
