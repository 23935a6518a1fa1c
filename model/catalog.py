"""The model catalog (model/catalog.json) read into typed facts: window, output cap, thinking style, prices.

Everything longdoc believes about a model is data with its source and the date it was read, so a
stale fact is a one-line data fix (or an overlay file, `LONGDOC_CATALOG_FILE`, of the same shape).
A model the catalog does not know gets conservative defaults and an unknown price (None → costs
shown as "price unknown", never as $0); only in-process local generation is known to be free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from model.base import ModelError
from model.pricing import FREE, PeakHours, Prices, PriceSchedule

BUILTIN = Path(__file__).with_name("catalog.json")
DEFAULT_MODEL = {"deepseek": "deepseek-flash", "anthropic": "deepseek-flash", "cometapi": "deepseek-v4-flash"}
DEFAULT_TOKENIZER = "deepseek-v4"

# Models the catalog does not know: DeepSeek-named ones get V3-era limits, anything else a conservative
# window (a llama.cpp/vLLM server may serve less; the README says to add an entry).
FALLBACK_LIMITS = {"deepseek": (128_000, 8192), "other": (32_768, 4096)}


@dataclass(frozen=True)
class Thinking:
    style: str = "none"  # switch | twin | template | none
    default_on: bool = False  # what the model does when the request says nothing
    efforts: tuple[str, ...] = ()
    default_effort: str | None = None
    on: str | None = None  # twin: the model name that thinks
    off: str | None = None  # twin: the model name that does not
    always_on: bool = False  # a twin that only thinks
    explicit: bool = True  # template: send the flag both ways (False: only when thinking is asked for)


@dataclass(frozen=True)
class ModelInfo:
    key: str  # "provider/model", lower case (the catalog key that matched, or what it would be)
    name: str  # the model name as it is sent
    provider: str
    known: bool  # the catalog has an entry (its limits are real, not fallbacks)
    context_window: int
    max_output: int
    tokenizer: str = DEFAULT_TOKENIZER
    thinking: Thinking = field(default_factory=Thinking)
    prices: PriceSchedule | None = None
    alias_of: str | None = None
    retired: str | None = None
    deprecated: str | None = None
    replacement: str | None = None
    replacement_thinking: bool = False
    served_by: str = ""
    note: str = ""
    source: str = ""
    read: str = ""
    inputs: tuple[str, ...] = ("text",)  # what a request may carry: "text", "image"

    @property
    def self_hosted(self) -> bool:
        return self.provider not in ("deepseek", "cometapi", "local")


# ---- loading -----------------------------------------------------------------------------------


def _read(path: str) -> dict:
    try:
        mtime = Path(path).stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _read_cached(path, mtime)


@lru_cache(maxsize=16)
def _read_cached(path: str, mtime: int) -> dict:
    """Cached per (path, mtime): an edited overlay is read again."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model catalog file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"model catalog file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"model catalog file {path} must hold a JSON object (see model/catalog.json)")
    return data


def _legacy_entry(entry: dict) -> dict:
    """An entry of the old prices.json shape (input/output/context_window/max_output) → catalog shape."""
    out = {k: v for k, v in entry.items() if k in ("context_window", "max_output", "source", "tokenizer", "thinking")}
    if any(k in entry for k in ("input", "input_cache_miss", "output")):
        miss = entry.get("input_cache_miss", entry.get("input"))
        out["prices"] = {"flat": {"input_cache_hit": entry.get("input_cache_hit", miss), "input_cache_miss": miss,
                                  "output": entry.get("output")}}
    return out


def catalog(overlay: Path | None = None) -> dict:
    """{"providers": {...}, "models": {...}}: the built-in catalog with `overlay` merged entry by entry."""
    base = _read(str(BUILTIN))
    providers = {k.lower(): dict(v) for k, v in base.get("providers", {}).items()}
    models = {k.lower(): dict(v) for k, v in base.get("models", {}).items()}
    if overlay:
        extra = _read(str(Path(overlay).expanduser()))
        if "models" in extra or "providers" in extra:
            new_models = extra.get("models", {})
            for k, v in extra.get("providers", {}).items():
                providers[k.lower()] = {**providers.get(k.lower(), {}), **v}
        else:  # the old LONGDOC_PRICES_FILE shape: {"provider/model": {...}}
            new_models = {k: _legacy_entry(v) for k, v in extra.items() if not k.startswith("_") and isinstance(v, dict)}
        for k, v in new_models.items():
            if isinstance(v, dict):
                models[k.lower()] = {**models.get(k.lower(), {}), **v}
    return {"providers": providers, "models": models}


# ---- facts -------------------------------------------------------------------------------------


def provider_for(backend: str, base_url: str | None, overlay: Path | None = None) -> str:
    """Which provider's list applies: the host decides (DeepSeek's Anthropic route is still DeepSeek)."""
    if backend == "transformers":
        return "local"
    if backend == "deepseek":  # DeepSeek's API at any URL (a proxy, a test server) bills as DeepSeek
        return "deepseek"
    host = ((urlparse(base_url).hostname or "") if base_url else "").lower()
    for name, p in catalog(overlay)["providers"].items():
        if host and any(host == h or host.endswith("." + h) for h in p.get("hosts", [])):
            return name
    if not host and backend == "anthropic":
        return "deepseek"
    return host or backend


def peak_hours(provider: str, overlay: Path | None = None) -> PeakHours | None:
    p = catalog(overlay)["providers"].get(provider, {}).get("peak")
    if not p:
        return None
    return PeakHours(float(p["utc_offset_hours"]), tuple(int(d) for d in p["weekdays"]),
                     tuple((int(a), int(b)) for a, b in p["hours"]), str(p.get("label", "")))


def _prices(raw, provider: str, source: str, overlay: Path | None) -> PriceSchedule | None:
    if not isinstance(raw, dict):
        return None

    def one(d) -> Prices | None:
        try:
            miss = float(d["input_cache_miss"])
            return Prices(float(d.get("input_cache_hit", miss)), miss, float(d["output"]), source=source)
        except (KeyError, TypeError, ValueError):
            return None

    if "flat" in raw:
        p = one(raw["flat"])
        return PriceSchedule(p, source=source) if p else None
    off, peak = one(raw.get("off_peak") or {}), one(raw.get("peak") or {})
    if off is None:
        return None
    hours = peak_hours(provider, overlay)
    return PriceSchedule(off, peak if hours else None, hours if peak else None, source=source)


def _thinking(raw) -> Thinking:
    if not isinstance(raw, dict):
        return Thinking()
    return Thinking(
        style=str(raw.get("style", "none")), default_on=bool(raw.get("default_on", False)),
        efforts=tuple(raw.get("efforts", ())), default_effort=raw.get("default_effort"),
        on=raw.get("on"), off=raw.get("off"), always_on=bool(raw.get("always_on", False)),
        explicit=bool(raw.get("explicit", True)),
    )


def _entry(models: dict, provider: str, model: str) -> tuple[str, dict] | None:
    for key in (f"{provider}/{model}".lower(), f"*/{model}".lower()):
        if key in models:
            if key.startswith("*/") and provider in ("deepseek", "cometapi"):
                continue  # self-hosted facts never describe a provider's API
            return key, models[key]
    return None


def lookup(backend: str, model: str, base_url: str | None = None, overlay: Path | None = None) -> ModelInfo:
    provider = provider_for(backend, base_url, overlay)
    cat = catalog(overlay)
    found = _entry(cat["models"], provider, model)
    family = "deepseek" if "deepseek" in model.lower() else "other"
    window, cap = FALLBACK_LIMITS[family]
    if found is None:
        self_hosted = provider not in ("deepseek", "cometapi", "local")
        return ModelInfo(
            key=f"{provider}/{model}".lower(), name=model, provider=provider, known=False,
            context_window=window, max_output=cap, tokenizer=DEFAULT_TOKENIZER,
            # vLLM/SGLang switch thinking through the chat template; for a model we do not know, only ask when asked
            thinking=Thinking(style="template", explicit=False) if self_hosted else Thinking(),
            prices=PriceSchedule(FREE, source="local") if provider == "local" else None,
        )
    key, e = found
    alias_of = e.get("alias_of")
    if alias_of and str(alias_of).lower() in cat["models"]:
        target = cat["models"][str(alias_of).lower()]
        e = {**target, **{k: v for k, v in e.items() if k in ("alias_of", "note", "source", "read")}}
    source = str(e.get("source", key))
    prices = _prices(e.get("prices"), provider, source, overlay)
    if prices is None and provider == "local":
        prices = PriceSchedule(FREE, source="local")
    return ModelInfo(
        key=key, name=model, provider=provider, known=True,
        context_window=int(e.get("context_window", window)), max_output=int(e.get("max_output", cap)),
        tokenizer=str(e.get("tokenizer", DEFAULT_TOKENIZER)), thinking=_thinking(e.get("thinking")),
        prices=prices, alias_of=alias_of, retired=e.get("retired"), deprecated=e.get("deprecated"),
        replacement=e.get("replacement"), replacement_thinking=bool(e.get("replacement_thinking", False)),
        served_by=str(e.get("served_by", "")), note=str(e.get("note", "")), source=source, read=str(e.get("read", "")),
        inputs=tuple(e.get("inputs", ("text",))),
    )


def thinking_twin(info: ModelInfo, on: bool) -> str:
    """The model name to send for this mode: the twin's name where thinking is a separate model."""
    t = info.thinking
    if t.style != "twin":
        return info.name
    name = t.on if on else t.off
    return name or info.name


def default_model(provider: str) -> str | None:
    return DEFAULT_MODEL.get(provider)


def default_window(overlay: Path | None = None) -> int:
    """The window of the default DeepSeek model: what sizes a context when no model is configured."""
    return lookup("deepseek", DEFAULT_MODEL["deepseek"], None, overlay).context_window


__all__ = [
    "ModelInfo", "Thinking", "lookup", "catalog", "provider_for", "peak_hours", "thinking_twin",
    "default_model", "default_window", "DEFAULT_MODEL", "DEFAULT_TOKENIZER",
]
