"""Clean the raw text of each page: furniture out, words and paragraphs back together.

Hand-written on purpose: no library removes PDF running headers/footers, page stamps and line-end
hyphenation reliably across legal and scientific layouts, and the rules below are small enough to
test one by one on the real PDFs.

What it does, in order (one page at a time, except the first step which looks across pages):
1. characters: ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ) spelled out; NBSP and the other odd spaces, tabs → a space;
   zero-width characters dropped; a soft hyphen (U+00AD) at a line end joins the word, inside a line
   it is a hyphen Westlaw prints as one ("three­story").
2. running headers/footers: a line within the first/last few lines of a page that recurs (digits
   ignored, so "Page 3 of 40" and "Page 4 of 40" match) on many pages is dropped everywhere it sits
   in those zones.
3. stamps: page numbers alone ("3", "- 12 -", "Page 3 of 40", "3 | Page", "ii"), Westlaw
   ("© 2012 Thomson Reuters. No claim to …", "Westlaw"), EDGAR ("<PAGE>", "Source: …, 10-K, …").
4. line-end hyphenation: "agree-" + "ment" → "agreement" when the next line starts lowercase. The
   hyphen stays when the document itself spells the pair hyphenated elsewhere ("non-compete"), or,
   failing evidence either way, when the first part is a prefix-like word ("non", "self", "co",
   "cross", "third", "well", "long", "short", "pre", …) — those usually form real compounds.
5. paragraphs: lines of one paragraph are joined with a space — none where the break falls between two
   CJK characters or a CJK character and a digit ("城市交" + "通噪声" → "城市交通噪声"; Chinese has no
   spaces between words, and a stray one would split a word for search and for quotes); full-width
   punctuation stays as printed (matching normalises, the stored text does not); a line opening with the
   two-character indent of a Chinese paragraph starts a new one; blank lines stay paragraph breaks;
   a line break is kept before list items ("(a)", "1.", "iv)", "•"), before and after heading-like
   lines ("ARTICLE IV", "Section 4.2", "12.1 Title", short ALL-CAPS lines) and after a line that ends
   a sentence well short of the page's usual line length.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ingest.letters import mostly_capitals

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\x0b"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\x00"
_CHAR_MAP = str.maketrans({**LIGATURES, **{c: " " for c in _SPACES}, **{c: None for c in _ZERO_WIDTH}})

# Lines near the top/bottom of a page that can be running furniture.
ZONE_LINES = 4

# Prefix-like first parts: "non-\ncompete" keeps its hyphen when the second part is a word of its own.
KEEP_HYPHEN_PREFIXES = frozenset(
    """non self co cross third second first well long short pre post anti multi semi quasi counter
    inter intra over under out half high low mid all one two three four five six seven eight nine
    ten twenty thirty forty fifty sixty seventy eighty ninety hundred then fine real end full""".split()
)

# Second parts that are suffixes, not words: "arrest-" + "ing" is one word even though "ing" occurs.
WORD_SUFFIXES = frozenset(
    """ing ings ity ities ed er ers est ly ment ments ness tion tions sion able ible ance ence ful
    less ous ive man men ship ward wards ism ist ists ize ise ized ised al ally ary ery ory""".split()
)

_ROMAN = r"(?=[ivxlcdm]+\b)m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
PAGE_NUMBER_RE = re.compile(
    r"""^(?:
        [-–—~\s]*\d{1,4}[-–—~\s]*                          # 3   - 12 -   — 4 —
      | (?:page|pg\.?|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?   # Page 3, Page 3 of 40, p. 3
      | \d{1,4}\s*(?:of|/)\s*\d{1,4}                       # 3 of 40, 3/40
      | \d{1,4}\s*\|\s*page                                 # 3 | Page
      | page\s*\|\s*\d{1,4}                                 # Page | 3
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# roman page numbers are lowercase ("ii", "- iv -"); "I", "II" alone are opinion part headings
ROMAN_PAGE_RE = re.compile(r"^[-–—\s]*" + _ROMAN + r"[-–—\s]*$")
# Stamps that are furniture wherever they sit on the page.
STAMP_RES = [
    re.compile(r"^©\s*\d{4}\s+Thomson\s+Reuters\b.*$", re.IGNORECASE),
    re.compile(r"^.{0,40}No\s+Claim\s+to\s+Orig(?:inal|\.)?\s+U\.?\s?S\.?\s+Gov(?:ernment|\.)?\s+Works\.?\s*$", re.IGNORECASE),
    re.compile(r"^Westlaw(?:Next)?\.?\s*$", re.IGNORECASE),
    re.compile(r"^\d{4}\s+WL\s+\d+\b.{0,40}\bpage\s*\d+\s*$", re.IGNORECASE),  # "2012 WL 3860732 … Page 2"
    re.compile(r"^<\s*/?\s*PAGE\s*>\s*\d*\s*$", re.IGNORECASE),  # EDGAR <PAGE> markers
    re.compile(r"^arXiv:\d{4}\.\d{4,5}(?:v\d+)?\s+\[[^\]]{1,20}\]\s+\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}$"),  # arXiv margin stamp
    re.compile(r"^Source:\s.{0,120}\b(?:10-K|10-Q|8-K|S-1|S-4|20-F|10-K405|DEF\s?14A|F-1|6-K)\b.*$", re.IGNORECASE),
]
# Digits (and roman page numbers) ignored when comparing lines across pages.
_NORM_DIGITS = re.compile(r"\d+(?:st|nd|rd|th)?\b|\d+", re.IGNORECASE)  # "1ST"/"4TH" alike
_NORM_SPACE = re.compile(r"\s+")

# Lines that start a new block: list items and headings.
LIST_START_RE = re.compile(
    r"""^(?:
        \(\s*(?:[a-z]{1,3}|[A-Z]|\d{1,3}|[ivxlc]{1,6})\s*\)      # (a) (iv) (12) (A)
      | (?:[a-z]|[ivxlc]{1,6}|\d{1,3})\)\s                      # a) iv) 1)
      | \d{1,3}(?:\.\d{1,3})*\.?\s+\S                           # 1. 1.2 12.1.3
      | [A-Z]\.\s+\S                                            # A. Background
      | [•◦▪■●○\-–—*]\s+                                        # bullets
      | §\s*\d
      | (?:ARTICLE|Article|SECTION|Section|SCHEDULE|Schedule|EXHIBIT|Exhibit|ANNEX|Annex|APPENDIX|Appendix)\s+[\dIVXLCA-Z]
      | (?:WHEREAS|NOW,?\s+THEREFORE|IN\s+WITNESS\s+WHEREOF|RECITALS)\b
      | \[\d{1,3}\]\s                                           # [12] reference entries
      | \*\d+\s                                                 # Westlaw star pages *2
      | FN\d+\.                                                 # Westlaw footnotes
      | \#{1,6}\s                                               # markdown headings
      | 第[一二三四五六七八九十百千零〇两\d]+[编章节条](?:\s|$)      # 第三章 总则, 第五百六十三条 (not "第五项至")
      | [（(][一二三四五六七八九十百\d]{1,4}[）)]                # （一）
      | [一二三四五六七八九十百]{1,4}、                             # 一、
    )""",
    re.VERBOSE,
)
# A line ending like this continues on the next line, whatever that line looks like.
_CONTINUES = re.compile(r"(?:,|\b(?:and|or|of|the|to|a|an|in|for|with|by|that|which|any|all|such|as|nor)\s*)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:[.:;!?][\"'”’)\]]*|[。：；！？…][”’」』）]*)$")
# a character after which a line break is no word break: CJK ideographs and CJK/full-width punctuation
_CJK_CHAR = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uff65\u201c\u201d\u2018\u2019\u2026\u2014]"
)
_CJK_NEIGHBOUR = re.compile(r"[0-9]")
_HYPHEN_END = re.compile(r"([A-Za-z]+(?:-[A-Za-z]+)*)-$")
_WORD_START = re.compile(r"^([a-z][a-z]*)")


def normalise_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    # a discretionary hyphen at a line end joins the word; inside a line Westlaw prints it as "-"
    text = re.sub(r"\u00ad[ \u00a0]*\n[ \u00a0]*", "", text)
    text = text.replace("\u00ad", "-")
    # NFC is canonical only (é stays é, ² stays ²) but folds look-alikes such as U+037E → ";"
    return unicodedata.normalize("NFC", text.translate(_CHAR_MAP))


def _norm_key(line: str) -> str:
    return _NORM_SPACE.sub(" ", _NORM_DIGITS.sub("#", line.lower())).strip()


def is_page_number(line: str) -> bool:
    s = line.strip()
    return bool(s) and len(s) <= 20 and bool(PAGE_NUMBER_RE.match(s) or ROMAN_PAGE_RE.match(s))


def is_stamp(line: str) -> bool:
    s = line.strip()
    return any(r.match(s) for r in STAMP_RES)


def _zone_indexes(lines: list[str], size: int = ZONE_LINES) -> set[int]:
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    return set(idx[:size]) | set(idx[-size:])


def _running_keys(pages: list[list[str]]) -> set[str]:
    """Normalised lines that recur in the top/bottom zones of many pages."""
    n = len(pages)
    if n < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        keys = {_norm_key(lines[i]) for i in _zone_indexes(lines)}
        counts.update(k for k in keys if len(k) >= 3)
    need = max(3, int(0.4 * n + 0.5)) if n < 10 else max(4, int(0.25 * n))
    return {k for k, c in counts.items() if c >= need}


def _everywhere_keys(pages: list[list[str]], running: set[str]) -> set[str]:
    """Running lines found in the zones of at least half the pages ("4TH PASS PAGES" printer marks):
    furniture wherever the text layer happens to put them on the other pages."""
    n = len(pages)
    if n < 6 or not running:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_norm_key(lines[i]) for i in _zone_indexes(lines)} & running)
    return {k for k, c in counts.items() if c >= 0.5 * n}


_ONE_NUMBER = re.compile(r"^\D*(\d{1,4})\D*$")
_NUMBERED_PART = re.compile(
    r"^(?:article|section|chapter|part|schedule|exhibit|annex|appendix|step|table|figure|fig\.|§|claim|item|rule)\b"
)


def _page_tied_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) of short lines that carry the page's own number anywhere on the page — a
    running head such as "12 FREE CULTURE" that the text layer put mid-page: the same words on
    many pages, and a number that moves in step with the page index (book page = PDF page - offset)."""
    n = len(pages)
    if n < 6:
        return set()
    seen: dict[str, list[tuple[int, int, int]]] = {}
    for pi, lines in enumerate(pages):
        for li, ln in enumerate(lines):
            s = ln.strip()
            if not s or len(s) > 80:
                continue
            m = _ONE_NUMBER.match(s)
            if m:
                seen.setdefault(_norm_key(s), []).append((pi, li, int(m.group(1)) - pi))
    out: set[tuple[int, int]] = set()
    for key, hits in seen.items():
        if len({pi for pi, _, _ in hits}) < max(4, n // 5) or not re.search(r"[a-z]{3,}", key):
            continue  # bare numbers are the chain rule's business
        if _NUMBERED_PART.match(key):
            continue  # "ARTICLE 7", "Chapter 3" also count up through a document
        values = [(pi, o + pi) for pi, _, o in hits]
        steps = [(b[1] - a[1], b[0] - a[0]) for a, b in zip(values, values[1:]) if b[0] > a[0]]
        if steps and sum(1 for dv, dp in steps if 0 < dv <= 3 * dp) >= 0.8 * len(steps):
            out.update((pi, li) for pi, li, _ in hits)
    return out


def _strip_furniture(
    lines: list[str], running: set[str], first_page: bool = False, everywhere: frozenset[str] | set[str] = frozenset(),
    dropped: list[str] | None = None,
) -> list[str]:
    """Drop stamps and furniture. On the first page a running line is kept once (unless it carries a
    page number): a name or notice repeated as a running head ("Global Maintenance Agreement",
    "Portions of this Exhibit were omitted …") still says something about the document."""
    zone = _zone_indexes(lines)
    # a line already known to run across pages is dropped a little further in too: footnotes or a
    # figure can push it past the last few lines on some pages
    wide = _zone_indexes(lines, 2 * ZONE_LINES)
    keep: list[str] = []
    drop = [False] * len(lines)
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s:
            continue
        key = _norm_key(s)
        if is_stamp(s):
            drop[i] = True
        elif i in zone and is_page_number(s):
            drop[i] = True
        elif (i in wide or key in everywhere) and key in running and not (first_page and not _PAGE_WORD.search(s)):
            drop[i] = True
        elif re.match(r"^[-–—]\s*\d{1,4}\s*[-–—]$", s) or re.match(r"^page\s+\d{1,4}\s+of\s+\d{1,4}$", s, re.I):
            drop[i] = True  # unambiguous page stamps, wherever a text layer put them
    # a bare number beside a dropped stamp is the same page's number (EDGAR: "2" then "- 2 -")
    for i, ln in enumerate(lines):
        if drop[i] or not is_page_number(ln):
            continue
        nb = [j for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        if any(drop[j] and is_page_number(lines[j]) for j in nb):
            drop[i] = True
    for i, ln in enumerate(lines):
        if not drop[i]:
            keep.append(ln)
        elif dropped is not None:
            dropped.append(ln)
    return keep


_HEAD_RES = [
    re.compile(r"^(?:ARTICLE|Article|SECTION|SCHEDULE|EXHIBIT|ANNEX|APPENDIX|Appendix|Schedule|Exhibit|Annex)\s+[\dIVXLCA-Z]"),
    re.compile(r"^(?:Section|§)\s*\d+(?:\.\d+)*\.?\s*$"),
    re.compile(
        r"^(?:RECITALS|WITNESSETH|Abstract|ABSTRACT|References|REFERENCES|Bibliography|BIBLIOGRAPHY"
        r"|Acknowledge?ments?|ACKNOWLEDGE?MENTS?)\s*:?\s*$"
    ),
    re.compile(r"^[IVX]{1,5}\.?$|^[A-Z]\.?$"),  # court-opinion parts
    re.compile(r"^(?:[IVX]{1,5}|[A-H])\.\s+[A-Z][\w'’]*(?:\s+[\w'’]+){0,7}$"),  # "IV. Joseph Nelson's Complaint"
]
_NUMBERED_HEAD = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z][A-Za-z][^.!?]{0,70}$")


def _mostly_caps(s: str) -> bool:
    return mostly_capitals(s, 4)


_CAPS_CONNECTORS = frozenset(
    "A AN AND ANY ALL AS AT BE BY FOR FROM IN INTO IS OF ON OR NOT THAT THE THIS TO WITH WHICH OTHER SUCH".split()
)
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with via vs".split())


def _titleish(s: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", s) if w.lower() not in _SMALL_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _is_heading_like(s: str) -> bool:
    if not s or len(s) > 90:
        return False
    if any(r.match(s) for r in _HEAD_RES):
        return True
    if _NUMBERED_HEAD.match(s) and len(s.split()) <= 10 and _titleish(s.split(None, 1)[1]):
        return True
    if len(s.split()) <= 12 and mostly_capitals(s, 4):
        words = re.findall(r"[A-Za-z]+", s)
        # a line out of an ALL-CAPS paragraph ends on a connector ("… WARRANTIES OF") or a comma
        if s.endswith(".") and len(words) > 5:
            return False  # an ALL-CAPS sentence
        return not s.endswith(",") and words[-1].upper() not in _CAPS_CONNECTORS
    return False


def _should_join_hyphen(first: str, second: str, vocab: set[str], hyphenated: set[str]) -> bool:
    """Rule for "first-" at a line end followed by "second…" (lowercase) on the next line.

    Evidence from the document wins: the joined word used elsewhere → join; the hyphenated pair used
    elsewhere → keep. Otherwise keep the hyphen for compounds — the first part already hyphenated
    ("state-of-the-"), or a prefix-like word ("non", "self", "cross", …) or a longer word of the
    document followed by a word the document also uses on its own ("domain-specific") — and join
    everything else ("agree-" + "ment"), the common case of a word broken by the typesetter.
    """
    if "-" in first:
        return False
    f, sec = first.lower(), second.lower()
    joined = f + sec
    if joined in vocab:
        return True
    if f"{f}-{sec}" in hyphenated:
        return False
    if sec in vocab and len(sec) >= 3 and sec not in WORD_SUFFIXES:
        if f in KEEP_HYPHEN_PREFIXES:
            return False
        if len(f) >= 4 and f in vocab:
            return False
    return True


def _line_joint(prev: str, nxt: str) -> str:
    """What goes between two lines of one paragraph: a space, or nothing where the break falls inside
    Chinese (CJK on both sides, or CJK beside a digit: "2024" + "年5月1日"). Typographic quotes count as
    CJK only with CJK on the other side ("“" after "said" keeps its space)."""
    a, b = prev[-1:], nxt[:1]
    if not a or not b:
        return " "
    ca, cb = _is_cjk(a), _is_cjk(b)
    if ca and cb:
        # a curly quote between Latin words is English: "said" + "“Yes”" stays spaced
        if a in "“”‘’" and not _is_cjk(prev[-2:-1] or "a", strict=True):
            return " "
        if b in "“”‘’" and not _is_cjk(nxt[1:2] or "a", strict=True):
            return " "
        return ""
    if (ca and _is_cjk(a, strict=True) and _CJK_NEIGHBOUR.match(b)) or (cb and _is_cjk(b, strict=True) and _CJK_NEIGHBOUR.match(a)):
        return ""
    return " "


def _is_cjk(ch: str, strict: bool = False) -> bool:
    """CJK ideograph or CJK/full-width punctuation; `strict`: not the typographic quotes and dashes that
    English uses as well."""
    if not _CJK_CHAR.match(ch):
        return False
    return not (strict and ch in "“”‘’…—")


def _join_lines(lines: list[str], vocab: set[str], hyphenated: set[str]) -> str:
    """Rebuild paragraphs from the lines of one page."""
    lens = sorted(len(" ".join(ln.split())) for ln in lines if ln.strip())
    typical = lens[int(len(lens) * 0.8)] if lens else 80
    out: list[str] = []
    buf = ""
    last = ""  # the last physical line in buf: a short one ending a sentence ends a paragraph
    prev_heading = False

    def flush() -> None:
        nonlocal buf
        if buf:
            out.append(buf)
        buf = ""

    for raw in lines:
        indent = len(raw) - len(raw.lstrip(" "))
        s = " ".join(raw.split())
        if not s:
            flush()
            if out and out[-1] != "":
                out.append("")
            prev_heading = False
            continue
        heading = _is_heading_like(s)
        if heading and typical >= 40 and len(s) >= 0.75 * typical and _mostly_caps(s):
            heading = False  # a full-width ALL-CAPS line is a disclaimer paragraph, not a title
        if buf:
            m = _HYPHEN_END.search(last) if last.endswith("-") else None
            w = _WORD_START.match(s)
            if m and w and not prev_heading:
                buf = (buf[:-1] if _should_join_hyphen(m.group(1), w.group(1), vocab, hyphenated) else buf) + s
                last = s
                prev_heading = False
                continue
            ends_sentence = _SENTENCE_END.search(last) is not None
            list_item = LIST_START_RE.match(s) is not None
            caps_run = _mostly_caps(s) and _mostly_caps(last) and len(last) >= 60 and not ends_sentence
            if not prev_heading and not list_item and (_CONTINUES.search(last) or caps_run):
                new_block = False  # "… HEREBY DISCLAIMS AND" + "EXCLUDES …": a sentence goes on
            else:
                new_block = (
                    heading
                    or prev_heading
                    or list_item
                    or (ends_sentence and len(last) < 0.75 * typical)
                    or (ends_sentence and indent >= 3)
                    # Chinese paragraphs open with a two-character indent (full-width spaces)
                    or (indent >= 2 and (_is_cjk(s[0], strict=True) or _is_cjk(last[-1:] or "a", strict=True)))
                )
            if not new_block:
                buf = buf + _line_joint(last, s) + s
                last = s
                prev_heading = False
                continue
            flush()
        buf = s
        last = s
        prev_heading = heading
    flush()
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def _vocabulary(pages: list[list[str]]) -> tuple[set[str], set[str]]:
    """Words and hyphenated pairs the document itself uses inside lines — evidence for step 4."""
    vocab: set[str] = set()
    hyph: set[str] = set()
    word = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
    for lines in pages:
        prev_hyphen = False
        for ln in lines:
            ln = ln.rstrip()
            words = word.findall(ln)
            # the two halves of a line-end break are not words of the document
            if ln.endswith("-") and words:
                words = words[:-1]
            if prev_hyphen and words:
                words = words[1:]
            prev_hyphen = ln.endswith("-")
            for w in words:
                lw = w.lower()
                if "-" in lw:
                    parts = lw.split("-")
                    for a, b in zip(parts, parts[1:]):
                        hyph.add(f"{a}-{b}")
                    vocab.update(parts)
                else:
                    vocab.add(lw)
    return vocab, hyph


_PAGE_WORD = re.compile(r"\b(?:page|pg\.?)\s*\d|\b\d+\s*(?:of|/)\s*\d+\s*$|PageID", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*$")


def _drop_page_number_chain(pages: list[list[str]]) -> list[tuple[int, int]]:
    """Bare numbers that count up one per page (2, 3, 4 …) are page numbers even mid-page: EDGAR
    conversions put the old page break anywhere in the new page. Returns their (page, line)."""
    chain: list[tuple[int, int]] = []
    last_val = 0
    for pi, lines in enumerate(pages):
        for li, ln in enumerate(lines):
            m = _BARE_NUMBER.match(ln)
            if not m:
                continue
            v = int(m.group(1))
            if v == last_val + 1 or (not chain and v <= 3):
                chain.append((pi, li))
                last_val = v
    return chain if len({pi for pi, _ in chain}) >= 3 else []


def clean_pages(raw_pages: list[str]) -> list[str]:
    """Cleaned text for each page (same count, same order; a page may become empty)."""
    return clean_document(raw_pages).pages


def clean_pages_and_lines(raw_pages: list[str]) -> tuple[list[str], list[list[str]]]:
    """The cleaned pages, and each page's lines with the furniture gone but before paragraphs are
    rebuilt (what a title guess wants: a two-line title must not run into the authors)."""
    c = clean_document(raw_pages)
    return c.pages, c.lines


@dataclass(frozen=True)
class CleanedPages:
    pages: list[str]  # cleaned text per page
    lines: list[list[str]]  # per page: its lines with the furniture gone, before paragraphs are rebuilt
    furniture: list[list[str]]  # per page: the lines removed as running heads, page numbers and stamps
    # (where the printed page numbers are: ingest.page_labels reads them from here)


def clean_document(raw_pages: list[str]) -> CleanedPages:
    split = [[ln.rstrip() for ln in normalise_chars(t or "").split("\n")] for t in raw_pages]
    furniture: list[list[str]] = [[] for _ in split]
    for pi, li in _drop_page_number_chain(split):
        furniture[pi].append(split[pi][li])
        split[pi][li] = ""
    for pi, li in sorted(_page_tied_lines(split)):
        furniture[pi].append(split[pi][li])
        split[pi][li] = ""
    running = _running_keys(split)
    everywhere = _everywhere_keys(split, running)
    stripped = [
        _strip_furniture(lines, running, first_page=(i == 0), everywhere=everywhere, dropped=furniture[i])
        for i, lines in enumerate(split)
    ]
    vocab, hyphenated = _vocabulary(stripped)
    return CleanedPages([_join_lines(lines, vocab, hyphenated) for lines in stripped], stripped, furniture)
