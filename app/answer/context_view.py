"""A passage shown where it stands: the surrounding text of its page(s), for "open this citation".

Why here and not in the UI: the CLI (`longdoc search --context`) and the UI both show a hit or a
citation in context, and the window must come from the stored document text so the offsets match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ContextView:
    doc_id: str
    text: str  # the window of document text
    focus_start: int  # the passage's span inside `text`
    focus_end: int
    page_start: int  # pages of the passage itself
    page_end: int
    section: str = ""


def _snap_back(text: str, i: int, limit: int) -> int:
    """Move i back to a paragraph (or at least line/sentence) start, not further than `limit` chars."""
    floor = max(0, i - limit)
    for sep in ("\n\n", "\n", ". "):
        j = text.rfind(sep, floor, i)
        if j != -1:
            return j + len(sep)
    return floor


def _snap_forward(text: str, i: int, limit: int) -> int:
    ceil = min(len(text), i + limit)
    for sep in ("\n\n", "\n", ". "):
        j = text.find(sep, i, ceil)
        if j != -1:
            return j + (1 if sep == ". " else 0)
    return ceil


def passage_in_context(
    document_text: str,
    char_start: int,
    char_end: int,
    *,
    doc_id: str = "",
    page_start: int = 0,
    page_end: int = 0,
    section: str = "",
    around: int = 1200,
    passage_text: str | None = None,
) -> ContextView:
    """Cut a window of about `around` characters either side of [char_start, char_end), on paragraph edges.

    If the offsets do not match the stored text (e.g. a passage that was re-chunked), the passage
    text is looked up verbatim instead, so the view never highlights the wrong words.
    """
    text = document_text or ""
    a, b = max(0, char_start), min(len(text), max(char_start, char_end))
    if passage_text and passage_text.strip():
        found = _locate(text, passage_text.strip(), a, b)
        if found is None and b <= a:
            # nothing to anchor on: show the passage alone rather than the wrong place
            p = passage_text.strip()
            return ContextView(doc_id, p, 0, len(p), page_start, page_end, section)
        if found is not None:
            a, b = found
    lo = _snap_back(text, a, around)
    hi = _snap_forward(text, b, around)
    return ContextView(doc_id, text[lo:hi], a - lo, b - lo, page_start, page_end, section)


def _locate(text: str, passage: str, a: int, b: int) -> tuple[int, int] | None:
    """Where `passage` lies in `text`: at the given offsets if they match, else verbatim, else by its words."""
    probe = passage[:80]
    if b > a and probe in text[a : b + 1]:
        return a, b
    i = text.find(probe)
    if i != -1:
        return i, min(len(text), i + len(passage))
    words = re.findall(r"\w+", passage)[:10]
    if len(words) >= 3:
        m = re.search(r"\W+".join(re.escape(w) for w in words), text)
        if m:
            return m.start(), min(len(text), m.start() + len(passage))
    return None
