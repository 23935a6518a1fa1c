"""Whole sentences only: a quote starts and ends where a sentence does.

Passages are cut from chunks, and chunks from a sliding window: a passage's first "sentence" is often the tail
of one ("… and the provisions of Section 9 shall survive."), its last the head of the next, and an overlong
sentence is cut at `sentence_spans`' limit. Quoted as an answer, such a piece reads as if the contract said
something it does not (a severance fragment for "terminated for convenience"). The extractive answerer quotes
only sentences that look whole here; the sentences around a fragment are whole ones of their own.
"""

from __future__ import annotations

import re

# a sentence opens with a capital, a digit, an opening quote or bracket, a clause number ("(a)", "iv.", "7.2"),
# or a Han character; a lower-case word, a comma or a closing bracket continues one
_OPENS_MID = re.compile(r"^\s*(?:[,;:)\]”’]|(?!(?:[ivx]{1,4}|[a-z])[.)]\s)[a-z][a-z])")
# a sentence ends with . ! ? ; : (a heading-like colon) or a Chinese end mark, and the quotes or brackets closing it
_ENDS = re.compile(r"(?:[.!?;:。！？；…]|\.\.\.)[\"'”’)\]」』）]*\s*$")


def opens_mid_sentence(text: str) -> bool:
    return bool(_OPENS_MID.match(text or ""))


def ends_mid_sentence(text: str) -> bool:
    return not _ENDS.search(text or "")


def runs_on(text: str) -> bool:
    """Stops mid-sentence as running text does (a lower-case word, a comma, an open bracket), not as a form line or
    a heading does ("Case Number: 5152012", "EXHIBIT A")."""
    return ends_mid_sentence(text) and bool(re.search(r"[a-z,;(\-–—]$", (text or "").rstrip()))


def rejoin(texts: list[str]) -> list[str]:
    """Sentences the splitter cut at its length limit, joined again: a piece that stops mid-sentence followed by one
    that opens mid-sentence is one sentence (a 950-character access-to-records clause is quoted whole)."""
    out: list[str] = []
    for t in texts:
        if out and runs_on(out[-1]) and opens_mid_sentence(t) and len(out[-1]) + len(t) <= MAX_QUOTE:
            out[-1] = f"{out[-1]} {t}"
        else:
            out.append(t)
    return out


MAX_QUOTE = 2400  # characters: a sentence longer than this is quoted in its pieces (a table without stops)


def whole_sentences(texts: list[str]) -> list[bool]:
    """For the sentences of one passage, in order: which are whole. A piece that opens mid-sentence is not;
    the last piece is not when it stops mid-sentence (the passage's edge cut it); nor is a piece the length
    limit cut (it stops mid-sentence and the next opens mid-sentence). A line without a stop inside a passage
    ("Effective Date: 1 May 2019", a heading) stays: a blank line ended it, not a cut."""
    out = []
    for i, t in enumerate(texts):
        nxt = texts[i + 1] if i + 1 < len(texts) else None
        cut_after = runs_on(t) and (nxt is None or opens_mid_sentence(nxt))
        out.append(not opens_mid_sentence(t) and not cut_after)
    return out
