"""Sentence-aware chunks that never exceed the embedder's window and leave no text unembedded.

Hand-rolled rather than llama-index's SentenceSplitter because we need two guarantees it does not
give: exact character offsets into the cleaned text (for the page map and citations — its
`start_char_idx` comes from a text search that fails on repeated boilerplate) and a hard bound checked
with the embedder's own tokenizer on the final chunk text (it sums per-split counts and keeps going
when a single split is too long). The chunks tile the text: their cores are contiguous, so every
character lies in at least one chunk and the document text can be rebuilt from the store.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace

from ingest.letters import visible_chars
from ingest.sentences import SENTENCE_BREAK
from ingest.types import Chunk, ParsedDocument

# Break strengths: the packer prefers the strongest boundary in the back half of a full chunk.
WORD, SENTENCE, PARAGRAPH, HEADING = 0, 1, 2, 3
TABLE = 4  # the start or end of a table block (ingest/tables.py): a chunk always ends there

_SENTENCE_END = SENTENCE_BREAK  # English . ! ? before a space, ; at a line end, Chinese 。！？； (ingest.sentences)
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")
_SPACE = re.compile(r"\s+")
_CLAUSE = re.compile(r"[，、：,:]")  # Chinese has no spaces: a sentence too long for a chunk is cut after a comma
_NONSPACE = re.compile(r"\S")


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    strength: int  # strength of the boundary *before* this unit


def _boundaries(text: str, heading_starts: list[int], tables: list[tuple[int, int]] = ()) -> dict[int, int]:
    """Offsets where a unit may start, with the strength of a break there."""
    cuts: dict[int, int] = {}
    for m in _SENTENCE_END.finditer(text):
        cuts[m.end()] = max(cuts.get(m.end(), 0), SENTENCE)
    for m in _PARAGRAPH.finditer(text):
        cuts[m.end()] = max(cuts.get(m.end(), 0), PARAGRAPH)
    for h in heading_starts:
        if 0 < h < len(text):
            cuts[h] = HEADING
    for s, e in tables:  # a table's rows are its units: never a cut inside a row (a "." in a cell)
        m = _NONSPACE.search(text, e)
        e = m.start() if m else len(text)  # the blank lines after a table end its chunk: no chunk of blanks
        for k in [k for k in cuts if s < k < e]:
            del cuts[k]
        for m in _LINE.finditer(text, s, e):
            if _NONSPACE.match(text, m.end()):
                cuts[m.end()] = SENTENCE
        cuts[s] = cuts[e] = TABLE
    cuts.pop(len(text), None)
    cuts.pop(0, None)
    return cuts


def _split_by(pattern: re.Pattern, text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Split text[s:e] after each match of `pattern` (the separator stays with the left part)."""
    parts, last = [], s
    for m in pattern.finditer(text, s, e):
        if m.end() <= last or m.end() >= e:
            continue
        parts.append((last, m.end()))
        last = m.end()
    parts.append((last, e))
    return parts


def _fit(text: str, s: int, e: int, limit: int, count: Callable[[str], int], level: int = 0) -> list[tuple[int, int, int]]:
    """Cut text[s:e] into spans of at most `limit` word pieces: at line breaks, then spaces, then commas, then
    characters."""
    n = count(text[s:e])
    if n <= limit:
        return [(s, e, n)]
    out: list[tuple[int, int, int]] = []
    for lvl, pattern in ((0, _LINE), (1, _SPACE), (2, _CLAUSE)):
        if level > lvl:
            continue
        parts = _split_by(pattern, text, s, e)
        if len(parts) > 1:
            for ps, pe in parts:
                out.extend(_fit(text, ps, pe, limit, count, lvl + 1))
            return out
    # one "word" longer than the window (a URL, a table row without spaces): largest prefixes that fit
    while s < e:
        lo, hi = s + 1, e
        while lo < hi:  # largest end with count <= limit
            mid = (lo + hi + 1) // 2
            if count(text[s:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        out.append((s, lo, count(text[s:lo])))
        s = lo
    return out


def _units(text: str, heading_starts: list[int], limit: int, count: Callable[[str], int],
           tables: list[tuple[int, int]] = ()) -> list[_Unit]:
    cuts = _boundaries(text, heading_starts, tables)
    starts = [0] + sorted(cuts)
    units: list[_Unit] = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        if e <= s:
            continue
        strength = cuts.get(s, HEADING)
        for k, (ps, pe, n) in enumerate(_fit(text, s, e, limit, count)):
            units.append(_Unit(ps, pe, n, strength if k == 0 else WORD))
    return units


def chunk_document(
    doc: ParsedDocument,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap: int = 32,
) -> list[Chunk]:
    """Pack sentences into chunks of at most `max_tokens` word pieces (by `count_tokens`).

    A chunk repeats up to `overlap` word pieces of whole trailing units of its predecessor. Breaks
    prefer, in the back half of a full chunk: a heading, then a paragraph, then a sentence end.
    """
    from ingest.structure import section_path_at  # PARSE's; imported late so chunk.py stays light

    text = doc.text
    if not text.strip():
        return []
    limit = max(8, int(max_tokens))
    overlap = max(0, min(int(overlap), limit // 4))
    heading_starts = [h.char_start for h in doc.headings]
    tables = sorted(sp for t in getattr(doc, "tables", ()) for sp in t.spans)
    units = _units(text, heading_starts, limit, count_tokens, tables)

    page_starts = [p.char_start for p in doc.pages]
    page_numbers = [p.number for p in doc.pages]
    ocr_pages = set(doc.ocr_pages)

    def page_at(offset: int) -> int:
        if not page_numbers:
            return 1
        return page_numbers[max(0, bisect_right(page_starts, offset) - 1)]

    chunks: list[Chunk] = []
    i = 0  # first unit of the core (the new text) of the next chunk
    ov = 0  # first unit of the next chunk (ov <= i; units ov..i-1 are the overlap)
    half = limit // 2
    while i < len(units):
        total = sum(u.tokens for u in units[ov:i])
        j = i
        if units[i].strength == TABLE:  # a table block starts or ends here: no overlap across it
            ov, total = i, 0
        while j < len(units) and total + units[j].tokens <= limit and (j == i or units[j].strength < TABLE):
            total += units[j].tokens
            j += 1
        if j == i:  # the overlap leaves no room for the next unit: drop it
            ov, total = i, 0
            while j < len(units) and total + units[j].tokens <= limit:
                total += units[j].tokens
                j += 1
        if j < len(units):  # not the last chunk: move the break back to a stronger boundary
            best, best_strength = j, units[j].strength
            acc = total
            for k in range(j - 1, i, -1):
                acc -= units[k].tokens
                if acc < half:
                    break
                if units[k].strength > best_strength:
                    best, best_strength = k, units[k].strength
            j = best
        # the bound is checked on the real text: word pieces are not always additive across cuts
        while True:
            s, e = units[ov].start, units[j - 1].end
            chunk_text = text[s:e]
            if count_tokens(chunk_text) <= limit:
                break
            if j - 1 > i:
                j -= 1
            elif ov < i:
                ov = i
            else:  # a single unit was fitted alone, so this cannot happen; never emit an oversize chunk
                raise AssertionError("unit exceeds the token bound")
        core = units[i].start
        m = _NONSPACE.search(text, core, e)
        first = m.start() if m else core
        last = len(chunk_text.rstrip()) + s - 1
        m0 = _NONSPACE.search(text, s, e)
        p_start, p_end = page_at(m0.start() if m0 else s), page_at(max(last, s))
        section, is_refs = section_path_at(doc.headings, first)
        marks = _section_marks(doc.headings, heading_starts, m0.start() if m0 else s, e, tuple(section), section_path_at)
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}:{ordinal:05d}",
                doc_id=doc.doc_id,
                ordinal=ordinal,
                text=chunk_text,
                page_start=p_start,
                page_end=p_end,
                char_start=s,
                char_end=e,
                section=tuple(section),
                is_references=bool(is_refs),
                ocr=any(p in ocr_pages for p in range(p_start, p_end + 1)),
                section_marks=marks,
            )
        )
        # the next chunk repeats whole trailing units worth at most `overlap` word pieces
        nxt, acc = j, 0
        while overlap and j < len(units) and units[j].strength < TABLE and nxt - 1 > i and acc + units[nxt - 1].tokens <= overlap:
            nxt -= 1
            acc += units[nxt].tokens
        ov, i = nxt, j
    return chunks


def _section_marks(headings, heading_starts: list[int], s: int, e: int, section: tuple[str, ...],
                   path_at) -> tuple[tuple[int, str], ...]:
    """Where the section changes inside text[s:e], as (offset, path from there on).

    The chunk's own `section` is the one at its core's start; text before that (the overlap) or after a
    heading further down lies in another section, and a citation of it must say so.
    """
    marks: list[tuple[int, str]] = []
    current, _ = path_at(headings, s)
    if tuple(current) != section:
        marks.append((s, " > ".join(current)))
    for k in range(bisect_right(heading_starts, s), len(heading_starts)):
        at = heading_starts[k]
        if at >= e:
            break
        path, _ = path_at(headings, at)
        if tuple(path) != tuple(current):
            marks.append((at, " > ".join(path)))
            current = path
    return tuple(marks)


def embedded_share(text: str, chunks: list[Chunk]) -> float:
    """Share of the non-whitespace characters of `text` that lie inside at least one chunk."""
    total = visible_chars(text)
    if total == 0:
        return 1.0
    hit, end = 0, 0  # the chunks' spans merged, each stretch of text counted once
    for s, e in sorted((max(0, c.char_start), min(len(text), c.char_end)) for c in chunks):
        s = max(s, end)
        if e > s:
            hit += visible_chars(text[s:e])
            end = e
    return hit / total


# ---------------------------------------------------------------------------------------------------------
# what a chunk adds after its predecessor (the packer joins neighbours without repeating the overlap)


def overlap_chars(prev: Chunk, cur: Chunk) -> int:
    """How many leading characters of `cur.text` repeat the end of `prev.text` (the chunker's overlap).

    Offsets give the answer when chunk texts are exact slices of the document text; when they are not
    (stripped or cleaned chunks), fall back to matching the longest suffix of `prev` that prefixes `cur`.
    """
    k = prev.char_end - cur.char_start
    if k <= 0:
        return 0
    k = min(k, len(cur.text), len(prev.text))
    if k and prev.text.endswith(cur.text[:k]):
        return k
    probe = prev.text[-24:].strip()
    if not probe:
        return 0
    limit = min(len(cur.text), len(prev.text))
    pos = cur.text.rfind(probe, 0, limit)
    while pos >= 0:
        end = pos + len(probe)
        if prev.text.endswith(cur.text[:end]):
            return end
        pos = cur.text.rfind(probe, 0, pos + len(probe) - 1)
    return 0


_TAILS: dict[tuple[str, int, int], str] = {}


def tail_text(prev: Chunk, cur: Chunk) -> str:
    """`cur`'s text minus what `prev` already holds; a separator stands in for a gap between them."""
    key = (cur.chunk_id, len(prev.text), len(cur.text))
    t = _TAILS.get(key)
    if t is None:
        if cur.char_start >= prev.char_end:
            gap = cur.char_start - prev.char_end
            sep = "" if gap == 0 else ("\n" if gap > 1 else " ")
            if prev.text[-1:].isspace() or cur.text[:1].isspace():
                sep = ""
            t = sep + cur.text
        else:
            t = cur.text[overlap_chars(prev, cur):]
        if len(_TAILS) > 1_000_000:
            _TAILS.clear()
        _TAILS[key] = t
    return t


def with_context_counts(chunks: list[Chunk], count_batch: Callable[[list[str]], list[int]]) -> list[Chunk]:
    """The chunks with their context-model token counts: whole text, and the tail after the predecessor.

    Counted once at ingest (in the parser workers, batched) so that packing a 128K context over a large
    library never tokenises chunk texts at query time; `count_batch` is the context model's tokenizer
    (DeepSeek V4's by default), supplied by the caller so ingest does not depend on retrieval.
    """
    if not chunks:
        return []
    texts = [c.text for c in chunks]
    tails = [tail_text(chunks[i - 1], c) if i and chunks[i - 1].ordinal == c.ordinal - 1 else c.text
             for i, c in enumerate(chunks)]
    counts = count_batch(texts + tails)
    n = len(chunks)
    return [replace(c, ctx_tokens=int(counts[i]), ctx_tail=int(counts[n + i])) for i, c in enumerate(chunks)]
