"""The fast character counts give exactly what the per-character loops they replaced gave, on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunk import embedded_share
from ingest.letters import letters_and_capitals, mostly_capitals, visible_chars
from ingest.types import Chunk

# ASCII-heavy text with the characters that break naive shortcuts: other Unicode spaces and letters,
# capitals outside ASCII, lone surrogates, control characters
_TEXT = st.text(st.one_of(st.sampled_from(list("aZ Q\n\t\r\x0b\x1c\u00a0\u2003\u3000ÉéßΣσǅ\u0130’1_-.")),
                          st.characters()), max_size=200)


def _loop_letters(s: str) -> tuple[int, int]:
    letters = [c for c in s if c.isalpha()]
    return len(letters), sum(c.isupper() for c in letters)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_counts_match_the_loops(s):
    assert visible_chars(s) == sum(1 for c in s if not c.isspace())
    assert letters_and_capitals(s) == _loop_letters(s)
    n, up = _loop_letters(s)
    for k in (3, 4):
        assert mostly_capitals(s, k) == (n >= k and up >= 0.85 * n)


def test_headings_and_sentences():
    assert mostly_capitals("ARTICLE 7 — CONFIDENTIALITY", 4)
    assert mostly_capitals("ÜBERSICHT DER VERTRÄGE", 4)
    assert not mostly_capitals("The Parties agree as follows.", 4)
    assert not mostly_capitals("ABC", 4) and mostly_capitals("ABC", 3)


def _loop_share(text: str, chunks: list[Chunk]) -> float:
    total = len(text) - sum(1 for c in text if c.isspace())
    if total == 0:
        return 1.0
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.char_start: c.char_end] = b"\x01" * (c.char_end - c.char_start)
    return sum(1 for k, c in enumerate(text) if covered[k] and not c.isspace()) / total


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.lists(st.tuples(st.integers(0, 220), st.integers(0, 60)), max_size=8))
def test_embedded_share_matches_the_loop(text, spans):
    chunks = [Chunk(chunk_id=f"d:{i}", doc_id="d", ordinal=i, text="", page_start=1, page_end=1,
                    char_start=s, char_end=s + n) for i, (s, n) in enumerate(spans)]
    assert embedded_share(text, chunks) == _loop_share(text, chunks)
