"""Character counts the clean-up, structure and profile rules ask of every line and page.

Written once here, in C-speed string operations, because the per-character generator loops they replace (four
copies) ran on every page and line of every file, in the parser that competes with the embedder for the cores
(20 CUAD contracts: the page counts 39 → 11 ms, one pass of the capitals test over their lines 58 → 10 ms).
Each function gives exactly what the loop over `str.isspace` / `str.isalpha` / `str.isupper` gave:
`str.split()` splits on the very characters `str.isspace` calls whitespace, and for ASCII text the letters
are [A-Za-z] and the capitals [A-Z]; only the other characters take the loop.
"""

from __future__ import annotations

import re

_LETTER_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CAPITAL_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def visible_chars(text: str) -> int:
    """Characters that are not whitespace."""
    return len("".join(text.split()))


def letters_and_capitals(s: str) -> tuple[int, int]:
    """(letters, capital letters) of `s`, as `str.isalpha` and `str.isupper` count them."""
    b = s.encode("utf-8", "surrogatepass")  # UTF-8 keeps ASCII letters one byte each and puts no other byte among them
    letters, capitals = len(b) - len(b.translate(None, _LETTER_BYTES)), len(b) - len(b.translate(None, _CAPITAL_BYTES))
    if len(b) != len(s):  # the few other characters (curly quotes, accented names) one by one
        for c in _NON_ASCII.findall(s):
            if c.isalpha():
                letters += 1
                capitals += c.isupper()
    return letters, capitals


def mostly_capitals(s: str, min_letters: int) -> bool:
    """At least `min_letters` letters, 85 % or more of them capitals (headings, running heads, ALL-CAPS clauses)."""
    letters, capitals = letters_and_capitals(s)
    return letters >= min_letters and capitals >= 0.85 * letters
