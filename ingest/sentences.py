"""Sentences of English and Chinese text, with their character offsets.

One splitter for everything that quotes or checks a sentence: extractive answers, citation
verification, highlights (app.cite re-exports `sentence_spans`), and the chunker's sentence breaks
(`SENTENCE_BREAK`).

English: a regex plus an abbreviation list, because punkt (llama-index's bundled model) splits legal
text at "Inc." and "Sec." and the citation page of each sentence depends on clean cuts. A sentence ends
at . ! ? (and closing quotes/brackets) before whitespace and a capital, digit or opening bracket, or at
a blank line.

Chinese: a sentence ends at 。！？； or an ellipsis (… ……) after a CJK character, with the closing
quotes and brackets that follow it (」』”’）) — no space follows in Chinese text, and the next sentence
may start with anything. The half-width ! ? ; written inside Chinese text (a converted PDF) count too
when a CJK character precedes them. Commas (，、) and colons (：) never end a sentence; an overlong
sentence (a table row, a list without stops) is cut at `max_chars`, preferring a space, then a
Chinese comma or semicolon-like mark.

Offsets index the text given, so a sentence is always `text[start:end]`, verbatim (full-width
punctuation and quotes as the document has them: normalise only for matching).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# CJK ideographs (basic, extension A, compatibility) and the CJK symbols/punctuation and full-width forms
# blocks. "Han" is what decides spacing and sentence ends; punctuation is listed apart.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018\u2019\u201c\u201d\u2026\u2014"
_HAN_RE = re.compile(f"[{HAN}]")

# closing quotes/brackets that stay with the sentence they close
_CLOSE = "」』”’）)\\]】〉》\"'"
# Chinese ends: full-width stops anywhere; half-width !?; only right after a Han character
_CJK_END = re.compile(
    f"(?:[。！？；]+|(?<=[{HAN}])(?:[!?;]+|…+|\\.{{3,}})|…{{2,}})[{_CLOSE}]*"
)
# what the chunker treats as a sentence break (ingest.chunk): the English end before whitespace, a
# semicolon at a line end, or any Chinese end (with the whitespace after it)
SENTENCE_BREAK = re.compile(
    r"[.!?]['\"”’)\]]*\s+|;[ \t]*\n\s*|" + _CJK_END.pattern + r"\s*"
)

_ABBREV = frozenset(
    """inc ltd co corp llc lp plc no nos sec secs art arts para paras pp p u.s u.k e.g i.e etc vs v mr mrs ms
    dr st fig figs eq eqs al cf jan feb mar apr jun jul aug sep sept oct nov dec ch cl approx dept est
    gov ex jr sr ft def seq id supp cir app f.2d f.3d s.ct l.ed op ann rev stat n.y del cal tex""".split()
)
_EN_BOUNDARY = r"[.!?;:]?[\"'”’)\]]*\s*\n\s*\n\s*|[.!?][\"'”’)]*\s+(?=[\"“'(\[]?[A-Z0-9(]|[" + HAN + "])"
_BOUNDARY = re.compile(f"(?P<en>{_EN_BOUNDARY})|(?P<zh>{_CJK_END.pattern}\\s*)")
# soft cut points for an overlong sentence without spaces: after a Chinese comma-like mark
_SOFT_CUT = re.compile(r"[，、：,:）)]")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def has_han(text: str) -> bool:
    return _HAN_RE.search(text) is not None


def sentence_spans(text: str, max_chars: int = 700) -> list[tuple[int, int]]:
    """(start, end) of sentences in `text`, whitespace trimmed; overly long runs (tables, lists) are cut
    at `max_chars`."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + len(m.group(0).rstrip())
        piece = text[start:end]
        if m.group("en") is not None and ("\n\n" not in m.group(0) or not m.group(0).strip()):
            tail = re.search(r"([A-Za-z][A-Za-z.]*)\.[\"'”’)]*\s*$", piece)
            if tail:
                tok = tail.group(1).lower()
                if tok in _ABBREV or "." in tok or (len(tok) == 1 and tok.isalpha()):
                    continue
            if re.search(r"(?:^|\s)\(?\d{1,3}(?:\.\d{1,3})*[.)]\s*$", piece) and len(piece.strip()) < 12:
                continue  # a clause number ("8.1.") is not a sentence
        if piece.strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        while e - s > max_chars:
            cut = _soft_cut(text, s, max_chars)
            out.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out


def _soft_cut(text: str, s: int, max_chars: int) -> int:
    """Where to cut text[s:] within `max_chars`: after the last space, else after the last comma-like mark
    in the second half, else at `max_chars`."""
    lo, hi = s + max_chars // 2, s + max_chars
    space = text.rfind(" ", lo, hi)
    if space > s:
        return space
    last = None
    for m in _SOFT_CUT.finditer(text, lo, hi):
        last = m.end()
    return last if last and last > s else hi


def split_sentences(text: str, max_chars: int = 700) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, max_chars)]


def sentences(text: str, max_chars: int = 700) -> list[Sentence]:
    return [Sentence(s, e, text[s:e]) for s, e in sentence_spans(text, max_chars)]
