"""Where a quoted passage lies in the characters of one or more PDF pages.

The passage is the document's cleaned text (ingest.clean: hyphenation joined, ligatures spelled out,
running heads dropped), the page is what pdfium (or Tesseract) reads off the page. They are matched in
the form the citation verifier matches quotes in (`app.cite.squash`: NFKC, lower case, letters and
digits only), so "agree-⏎ment" meets "agreement" and "ﬁ" meets "fi", with each squashed character
remembering the page character it came from. A passage that runs onto the next page is split where
its longest prefix ends on the first page. When the two texts disagree beyond that (another extractor's
reading order, a footnote mark), the words are aligned instead (difflib on word sequences: fast, since
words are rare symbols, unlike single characters).

Hand-written: no library maps normalised text back to page characters across page breaks.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

MIN_PIECE = 12  # squashed characters: a shorter prefix on a page is not evidence that the passage starts there
MIN_COVER = 0.6  # share of the quote that a fuzzy alignment must find to count as found
# letters and digits as `app.cite.squash` keeps them: Latin, and Chinese, Japanese and Korean characters (a Chinese
# quote squashed to nothing was never found on its page)
_KEEP = re.compile(r"[0-9a-z\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def squash_chars(text: str) -> tuple[str, list[int]]:
    """`app.cite.squash(text)` computed character by character, with the index each output char came from."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            c = ch.lower()
            if _KEEP.match(c):
                out.append(c)
                idx.append(i)
            continue
        for c in unicodedata.normalize("NFKC", ch).lower():
            if _KEEP.match(c):
                out.append(c)
                idx.append(i)
    return "".join(out), idx


def squash(text: str) -> str:
    return squash_chars(text)[0]


@dataclass(frozen=True)
class Found:
    """Character spans ([start, end) in each page's own text) and how they were found."""

    spans: dict[int, list[tuple[int, int]]]  # position of the page in the list given → spans
    method: str  # "exact" | "split" | "words" | "" (not found)
    coverage: float  # share of the quote's squashed characters located

    @property
    def found(self) -> bool:
        return bool(self.spans)


def _longest_prefix_at_end(hay: str, q: str) -> tuple[int, int]:
    """(length, position) of the longest prefix of `q` found in `hay` (its last occurrence): binary search,
    since every prefix of a prefix that occurs occurs too."""
    lo, hi = 0, len(q)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if q[:mid] in hay:
            lo = mid
        else:
            hi = mid - 1
    return lo, (hay.rfind(q[:lo]) if lo else -1)


def _exact(pages: list[tuple[str, list[int]]], q: str) -> Found | None:
    for k, (sq, idx) in enumerate(pages):
        pos = sq.find(q)
        if pos != -1:
            return Found({k: [(idx[pos], idx[pos + len(q) - 1] + 1)]}, "exact", 1.0)
    # the passage crosses pages: its longest prefix on a page, the rest from the start of the next ones
    for k in range(len(pages) - 1):
        rest = q
        spans: dict[int, list[tuple[int, int]]] = {}
        for j in range(k, len(pages)):
            sq, idx = pages[j]
            pos = sq.find(rest)
            if pos != -1:
                spans[j] = [(idx[pos], idx[pos + len(rest) - 1] + 1)]
                rest = ""
                break
            n, pos = _longest_prefix_at_end(sq, rest)
            if n < MIN_PIECE or not (spans or pos + n >= len(sq) - max(400, len(sq) // 3)):
                break  # the first piece must end near the end of its page (footnotes may follow)
            spans[j] = [(idx[pos], idx[pos + n - 1] + 1)]
            rest = rest[n:]
        if not rest and len(spans) > 1:
            return Found(spans, "split", 1.0)
    return None


_WORD = re.compile(r"\S+")


def _words(text: str) -> list[tuple[str, int, int]]:
    """(squashed word, start, end) for each whitespace-separated word with letters or digits."""
    out = []
    for m in _WORD.finditer(text):
        w = squash(m.group(0))
        if w:
            out.append((w, m.start(), m.end()))
    return out


def _fuzzy(texts: list[str], quote: str) -> Found:
    """Align the quote's words with each page's words; keep the densest run of matching blocks per page."""
    qw = [w for w, _, _ in _words(quote)]
    total = sum(len(w) for w in qw) or 1
    spans: dict[int, list[tuple[int, int]]] = {}
    covered: set[int] = set()
    for k, text in enumerate(texts):
        pw = _words(text)
        if not pw or not qw:
            continue
        sm = difflib.SequenceMatcher(None, qw, [w for w, _, _ in pw], autojunk=False)
        blocks = [b for b in sm.get_matching_blocks() if b.size and (b.size >= 2 or len(qw[b.a]) >= 6)]
        if not blocks:
            continue
        # matching blocks are in order on both sides; keep the run around the best block whose gaps on
        # the page stay close to the gaps in the quote (a stray common word elsewhere is left out)
        i = max(range(len(blocks)), key=lambda j: sum(len(w) for w in qw[blocks[j].a : blocks[j].a + blocks[j].size]))
        lo = hi = i

        def close(x, y) -> bool:
            return (y.b - (x.b + x.size)) <= (y.a - (x.a + x.size)) + 8

        while lo > 0 and close(blocks[lo - 1], blocks[lo]):
            lo -= 1
        while hi < len(blocks) - 1 and close(blocks[hi], blocks[hi + 1]):
            hi += 1
        run = blocks[lo : hi + 1]
        got = {i for b in run for i in range(b.a, b.a + b.size)}
        if sum(len(qw[i]) for i in got) < min(MIN_PIECE, total):
            continue
        covered |= got
        pieces: list[tuple[int, int]] = []
        for b in run:
            s, e = pw[b.b][1], pw[b.b + b.size - 1][2]
            if pieces and s - pieces[-1][1] <= 40:  # a small gap (a misread word) is highlighted through
                pieces[-1] = (pieces[-1][0], e)
            else:
                pieces.append((s, e))
        spans[k] = pieces
    cover = sum(len(qw[i]) for i in covered) / total
    if cover < MIN_COVER:
        return Found({}, "", round(cover, 3))
    return Found(spans, "words", round(cover, 3))


def locate(texts: list[str], quote: str) -> Found:
    """Where `quote` lies in the given pages' texts (in page order; a passage may run across them)."""
    q = squash(quote)
    if len(q) < 3:
        return Found({}, "", 0.0)
    pages = [squash_chars(t) for t in texts]
    found = _exact(pages, q)
    if found is not None:
        return found
    return _fuzzy(texts, quote)
