"""BM25 terms of mixed English and Chinese text: one tokenizer for the chunk index and the profile index.

English (and every other non-Han script) goes through bm25s' own tokenizer as before: words of two or
more word characters, lower-cased, English stop words out, Snowball-stemmed. Chinese has no spaces, so
bm25s would keep a whole clause ("劳动者提前三十日以书面形式通知用人单位") as one token that no
question ever repeats. Each run of Han characters is therefore cut apart first and its pieces added to
the text's terms:

- "jieba" (the default): jieba's search-engine mode (`cut_for_search`: the words of its shipped
  dictionary + HMM, and the dictionary words inside long ones: 劳动合同法 → 劳动 合同 劳动合同 法),
  single-character function words (的, 了, 是 …) out;
- "bigram": overlapping character pairs (劳动 动合 合同), a run of one character as itself; needs no
  dictionary, finds any substring of two characters, and indexes about twice as many terms.

Chosen by evidence recall on the Chinese dev set (README, evaluation): see `DEFAULT`. Text is NFKC-folded
first, so full-width letters and digits ("２０２３", "ＡＢＣ") match their half-width forms.
`TOKENIZER_ID` names the scheme for caches: change the scheme and every cached token list is rebuilt.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{HAN}]+")
_HAN_ANY = re.compile(f"[{HAN}]")

SCHEMES = ("jieba", "bigram")
DEFAULT = "jieba"

# one-character words that carry no content: the BM25 weight of a question's 的 or 是 is noise
ZH_STOP = frozenset("的 了 是 在 和 与 或 及 等 之 其 为 以 于 由 被 把 将 对 从 而 也 就 都 又 并 但 则 着 个 这 那 有 无 不 该 按 向 中".split())

_LOCK = threading.Lock()
_JIEBA = None
_MEMO: dict[str, object] = {}


def has_han(text: str) -> bool:
    return _HAN_ANY.search(text or "") is not None


def _jieba():
    """jieba's tokenizer with its shipped dictionary (loaded once, ~1 s; no network)."""
    global _JIEBA
    with _LOCK:
        if _JIEBA is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # "Building prefix dict …" is not for our users
            t = jieba.Tokenizer()
            t.initialize()
            _JIEBA = t
    return _JIEBA


def han_terms(text: str, scheme: str | None = None) -> list[str]:
    """The Chinese terms of `text` (its Han runs cut by `scheme`, default `DEFAULT`); other scripts are ignored."""
    scheme = scheme or DEFAULT
    out: list[str] = []
    for m in _HAN_RUN.finditer(text or ""):
        run = m.group(0)
        if scheme == "bigram":
            out.extend([run] if len(run) == 1 else [run[i: i + 2] for i in range(len(run) - 1)])
        else:
            out.extend(w for w in _jieba().cut_for_search(run, HMM=True) if w not in ZH_STOP)
    return out


def _stemmer():
    if "stemmer" not in _MEMO:
        try:
            import Stemmer

            _MEMO["stemmer"] = Stemmer.Stemmer("english")
        except ImportError:  # PyStemmer is a dependency of bm25s[full]; without it plain tokens
            _MEMO["stemmer"] = None
    return _MEMO["stemmer"]


def tokenize(texts: list[str], scheme: str | None = None) -> list[list[str]]:
    """BM25 terms of each text: bm25s' English terms of its non-Han parts, then its Chinese terms."""
    import bm25s

    scheme = scheme or DEFAULT
    if scheme not in SCHEMES:
        raise ValueError(f"unknown Chinese tokenizer {scheme!r} (choose {', '.join(SCHEMES)})")
    folded = [unicodedata.normalize("NFKC", t or "") for t in texts]
    latin = [_HAN_RUN.sub(" ", t) for t in folded]
    en = bm25s.tokenize(latin, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False, lower=True)
    return [list(e) + (han_terms(t, scheme) if has_han(t) else []) for e, t in zip(en, folded)]


def tokenizer_id(scheme: str = DEFAULT) -> str:
    return f"bm25s-en-stem-1+zh-{scheme}-1"


TOKENIZER_ID = tokenizer_id(DEFAULT)
