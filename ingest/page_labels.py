"""The number printed on each page: what a court or a scholar cites ("p. 487"), not the PDF's page index.

Two sources, in this order:
1. the PDF's own /PageLabels (read with pypdf): journals, books and slip opinions often declare them
   ("i", "ii", … then "1", or "484" onwards);
2. where a PDF declares none, the printed numbers the clean-up already removes as furniture
   (`ingest.clean.CleanedPages.furniture`): page numbers alone ("3", "- iv -", "Page 3 of 40") and
   running heads that carry the page's number ("2 TARRANT REGIONAL WATER DIST. v. HERRMANN",
   "Cite as: 569 U. S. ____ (2013) 3"). A number only counts when a neighbouring page carries the
   number that belongs there (value and page index step together), so a stray "3" is not a label;
   unnumbered pages between or before numbered ones (the first page of an opinion, a title page) get
   the number their neighbours imply; trailing or restarting unnumbered pages stay unknown ("").

Hand-written: no library infers printed page numbers from a text layer. The result is a label per PDF
page ("" where none is known), or an empty tuple when the labels would only repeat the PDF numbers.
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.clean import PAGE_NUMBER_RE, ROMAN_PAGE_RE, _norm_key, is_page_number

PDF = "pdf"  # labels from the PDF's /PageLabels
PRINTED = "printed"  # labels read from the printed page numbers

_ROMAN_VALUES = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90), ("l", 50),
                 ("xl", 40), ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
_DIGITS = re.compile(r"\d{1,5}")
_ROMAN_TOKEN = re.compile(r"[ivxlcdm]+")
BACKFILL = 2  # unnumbered pages right before a numbered one that take the numbers it implies
NEAR = 3  # a number is confirmed by a page at most this far away carrying the number that belongs there


def to_roman(n: int) -> str:
    out = []
    for sym, val in _ROMAN_VALUES:
        while n >= val:
            out.append(sym)
            n -= val
    return "".join(out)


def from_roman(s: str) -> int | None:
    s = s.lower()
    i, total = 0, 0
    for sym, val in _ROMAN_VALUES:
        while s.startswith(sym, i):
            total += val
            i += len(sym)
    return total if i == len(s) and total > 0 else None


def pdf_page_labels(reader) -> list[str] | None:
    """The /PageLabels of an open pypdf reader (one per page), or None when the PDF declares none."""
    try:
        root = reader.trailer["/Root"]
        if "/PageLabels" not in root:
            return None
        labels = list(reader.page_labels)
    except Exception:  # noqa: BLE001 - a malformed number tree is simply "no labels"
        return None
    return [str(x) for x in labels] if labels else None


def _standalone(line: str) -> tuple[str, int] | None:
    """A page number alone on its line → (style, value): "3", "- 12 -", "Page 3 of 40", "ii"."""
    s = line.strip()
    if not is_page_number(s):
        return None
    if PAGE_NUMBER_RE.match(s):
        m = _DIGITS.search(s)
        return ("a", int(m.group(0))) if m else None
    if ROMAN_PAGE_RE.match(s):
        m = _ROMAN_TOKEN.search(s)
        v = from_roman(m.group(0)) if m else None
        return ("r", v) if v else None
    return None


def _head_numbers(furniture: list[list[str]]) -> dict[int, set[tuple[str, int]]]:
    """Numbers inside running heads that move with the page: per group of heads alike (digits aside),
    the position whose value steps as the page index steps ("Cite as: 569 U. S. (2013) 3": the 3)."""
    groups: dict[tuple[str, int], list[tuple[int, list[int]]]] = {}
    for pi, lines in enumerate(furniture):
        for ln in lines:
            if _standalone(ln) is not None:
                continue
            nums = [int(x) for x in _DIGITS.findall(ln)]
            if nums and re.search(r"[A-Za-z]{2,}", ln):
                groups.setdefault((_norm_key(ln), len(nums)), []).append((pi, nums))
    out: dict[int, set[tuple[str, int]]] = {}
    for (_, k), hits in groups.items():
        if len({pi for pi, _ in hits}) < 2:
            continue
        hits.sort()
        for j in range(k):
            pairs = [(b[1][j] - a[1][j], b[0] - a[0]) for a, b in zip(hits, hits[1:]) if b[0] > a[0]]
            if pairs and sum(1 for dv, dp in pairs if dv == dp) >= max(1, 0.6 * len(pairs)):
                for pi, nums in hits:
                    out.setdefault(pi, set()).add(("a", nums[j]))
    return out


def printed_page_labels(furniture: list[list[str]]) -> tuple[str, ...]:
    """A label per page from the printed numbers in the removed furniture; () when none is confirmed."""
    n = len(furniture)
    cands: dict[int, set[tuple[str, int]]] = {}
    for pi, lines in enumerate(furniture):
        alone = {got for got in map(_standalone, lines) if got is not None}
        # several different numbers alone on one page are line numbers, a list, or an EDGAR page that
        # holds several printed pages ("- 2 -" … "- 3 -"): none of them is this page's number
        if len(alone) == 1:
            cands.setdefault(pi, set()).update(alone)
    heads = _head_numbers(furniture)
    for pi, found in heads.items():
        cands.setdefault(pi, set()).update(found)

    # keep a page's number only when a near page carries the number that belongs there (a number in a
    # running head has passed that test across its group already)
    assigned: dict[int, tuple[str, int]] = {}
    for pi, found in cands.items():
        support: Counter = Counter({c: 1 for c in heads.get(pi, ())})
        for style, v in found:
            for d in range(1, NEAR + 1):
                for q in (pi - d, pi + d):
                    if (style, v + (q - pi)) in cands.get(q, ()):
                        support[(style, v)] += 1
        if support:
            assigned[pi] = max(support, key=lambda c: (support[c], c[0] == "a", -c[1]))
    if len(assigned) < 2:
        return ()

    values: list[tuple[str, int] | None] = [assigned.get(i) for i in range(n)]
    known = sorted(assigned)
    # unnumbered pages: the one or two before a numbered page take the numbers it implies (a part's first
    # page, a title page: "1" before a "2"), and a gap whose both sides count in one sequence is filled
    # (a full-page figure); anything else — trailing pages, a gap where the numbering restarts — stays
    # unknown rather than guessed
    for i in range(n):
        if values[i] is not None:
            continue
        nxt = next((q for q in known if q > i), None)
        prv = next((q for q in reversed(known) if q < i), None)
        if nxt is not None and nxt - i <= BACKFILL:
            style, v = assigned[nxt]
            if v - (nxt - i) >= 1:
                values[i] = (style, v - (nxt - i))
                continue
        if nxt is not None and prv is not None:
            (sp, vp), (sn, vn) = assigned[prv], assigned[nxt]
            if sp == sn and vp - prv == vn - nxt:
                values[i] = (sp, vp + (i - prv))
    labels = tuple("" if x is None else (to_roman(x[1]) if x[0] == "r" else str(x[1])) for x in values)
    return labels


def choose_page_labels(pdf_labels: list[str] | None, furniture: list[list[str]], pages: int) -> tuple[tuple[str, ...], str]:
    """(labels, source): the PDF's /PageLabels when it declares them, else the printed numbers; labels are
    () when they would only repeat the PDF page numbers (source says where that was decided)."""
    same = lambda labels: all(lab == str(i + 1) for i, lab in enumerate(labels))
    if pdf_labels is not None and len(pdf_labels) == pages:
        return ((), PDF) if same(pdf_labels) else (tuple(pdf_labels), PDF)
    printed = printed_page_labels(furniture) if len(furniture) == pages else ()
    if printed and not same(printed):
        return printed, PRINTED
    return (), ""


def label_runs(labels: tuple[str, ...] | list[str]) -> str:
    """The labels as runs, for messages and listings: "i–ii, 1–24" (unknown pages left out)."""
    def value(lab: str) -> tuple[str, int] | None:
        if lab.isdigit():
            return ("a", int(lab))
        r = from_roman(lab) if lab and _ROMAN_TOKEN.fullmatch(lab.lower()) else None
        return ("r", r) if r else None

    runs: list[list[str]] = []
    prev = None
    for lab in labels:
        v = value(lab) if lab else None
        if not lab:
            prev = None
            continue
        if runs and prev is not None and v is not None and v[0] == prev[0] and v[1] == prev[1] + 1:
            runs[-1][1] = lab
        else:
            runs.append([lab, lab])
        prev = v
    return ", ".join(a if a == b else f"{a}–{b}" for a, b in runs)
