"""Document-scoped retrieval for a review: for every document × question, the passages of that document
that answer the question — all documents at once (issue 23).

A library-wide review asks the same question of every document. Running the routed single-document search
once per document costs one Chroma query, one BM25 query and one chunk read per document (2,000 documents:
minutes). Here the whole index is scored once per query part — BM25 over every chunk (`get_scores`, one
call) and the question's vector against every chunk's vector (`Store.index_vectors`, one matrix product) —
then each document's chunks are ranked *within the document* on each side and fused by reciprocal rank, as
the routed path does inside one document. A document's best chunks are its evidence, merged into passages
where they touch, best first.

The question's framing ("Which contracts in the library …", "Consider the X agreement between …;") is no
part of what a document must contain: it is searched as written and also without its framing words, so a
clause is found by what it says. Nothing here knows any clause category.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from retrieval.search import RRF_K, query_parts

# Evidence per cell, in tokens: a document's best passages for the question up to this much (the whole document
# when it is shorter). 16K is where the routed single-document path holds a named question's clause 98–99 % of the
# time; on the CUAD review set the clause is in the first 3 chunks of its contract 55 % of the time, the first 20
# 84 %, the first 80 (~16K tokens) 97 % — a clause is often worded far from the question.
DEFAULT_BUDGET = 16_000
DEFAULT_K = 3  # kept for callers that count chunks, not tokens
DEPTH = 40  # within-document ranks beyond this add nothing to the fusion
VERSION = "review-retrieval-2"  # changes when what `retrieve` returns for the same store and question changes

# Words that frame a review question rather than say what a document must hold: the library, the documents
# as a kind, the question's own grammar. General English and legal-document nouns, no clause category.
_FRAMING = frozenset("""
which what who whom whose where when how whether does do did is are was were be been being has have had can
could may might shall should will would must any all every each some list name identify show find tell give
me us the a an of in on for to from by with this that these those there their its it them they our your
library libraries collection set data room dataroom corpus document documents doc docs file files
contract contracts agreement agreements instrument instruments deal deals paper papers record records
contain contains containing include includes including provide provides providing have having state states
stated mention mentions mentioned clause clauses provision provisions section sections
impose imposes imposed require requires required grant grants granted give gives given allow allows allowed
permit permits permitted obligation obligations obligate obligates right rights party parties party's
""".split())

_PREAMBLE = re.compile(r"^\s*consider\s+the\s+[^;?]{3,400};\s*", re.I)


def ask_of(question: str) -> str:
    """The question without a leading "Consider the <agreement> between …;" preamble (which names the document,
    not the clause)."""
    q = (question or "").strip()
    rest = _PREAMBLE.sub("", q)
    return rest if len(rest.split()) >= 2 else q


def content_of(question: str) -> str:
    """The ask's words without the framing words: what the clause itself says ("terminated for convenience")."""
    words = re.findall(r"[\w'’-]+", ask_of(question))
    kept = [w for w in words if w.lower().strip("'’-") not in _FRAMING]
    return " ".join(kept)


def parts_of(question: str) -> list[str]:
    """The texts searched and fused for a question: as written, its ask, its clauses, and its content words."""
    out: list[str] = []
    for p in [*query_parts(question), ask_of(question), content_of(question)]:
        p = (p or "").strip()
        if p and p not in out and len(p.split()) >= 1:
            out.append(p)
    return out[:6]


@dataclass(frozen=True)
class EvidencePassage:
    """Contiguous chunks of one document: verbatim text (chunk overlaps removed) and where it lies."""

    doc_id: str
    chunk_ids: tuple[str, ...]
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    section: str
    score: float  # the best fused within-document score among its chunks
    rank: int  # 0 = the document's best passage
    chunk_pages: tuple[tuple[int, int], ...] = ()  # (char_start, page_start) of each chunk, in order
    tokens: int = 0  # its chunks' token counts (as ingest counted them), overlaps included

    def page_at(self, offset: int) -> int:
        """The page at `offset` in `text` (each chunk starts on its first page)."""
        pos, page = self.char_start + max(0, int(offset)), self.page_start
        for start, pg in self.chunk_pages:
            if start <= pos:
                page = pg
        return page


@dataclass
class DocEvidence:
    """One document's answer to one question: its passages (best first) and what a verdict can lean on."""

    doc_id: str
    question: str
    passages: list[EvidencePassage]
    dense: float = 0.0  # the best chunk's cosine similarity with the question (max over its searched forms)
    cover: float = 0.0  # share of the question's content terms present in the best passage (stemmed)
    sentence_cover: float = 0.0  # the same share for the best passage's best sentence (the terms together)
    terms: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


# ---- per-index memo: each chunk's document as an integer code --------------------------------------------
_CODES: dict[tuple, tuple[np.ndarray, list[str], dict[str, int]]] = {}


def _codes(idx) -> tuple[np.ndarray, list[str], dict[str, int]]:
    key = (id(idx), idx.fingerprint, len(idx.ids))
    got = _CODES.get(key)
    if got is None:
        names, codes = np.unique(np.asarray(idx.doc_ids, dtype=str), return_inverse=True) if len(idx.ids) else (
            np.asarray([], dtype=str), np.asarray([], dtype=np.int64))
        names = [str(n) for n in names]
        got = (codes.astype(np.int64), names, {n: i for i, n in enumerate(names)})
        _CODES.clear()
        _CODES[key] = got
    return got


def _within_rank(codes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each chunk's 0-based rank among its own document's chunks by `scores` (higher first; ties by position)."""
    n = len(codes)
    order = np.lexsort((np.arange(n), -scores, codes))
    sc = codes[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sc[1:] != sc[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    return rank


_SENTENCE = re.compile(r"(?<=[.;:!?])\s+(?=[(\"“A-Z0-9])|\n{2,}")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def key_terms(question: str) -> tuple[str, ...]:
    """The question's content words, lower case, in order, once each (what the clause itself must say)."""
    return tuple(dict.fromkeys(w.lower() for w in _WORD.findall(content_of(question) or ask_of(question))))


def _prefix(word: str) -> str:
    """A crude stem good enough to match a word's inflections (governs / governed / governing → "gove…")."""
    return word if len(word) <= 4 else word[: max(4, len(word) - 3)]


def coverage(terms: tuple[str, ...], text: str) -> float:
    """The share of `terms` some word of `text` starts like (inflections match; no stemmer needed)."""
    if not terms:
        return 0.0
    words = {w.lower() for w in _WORD.findall(text)}
    prefixes = {_prefix(t) for t in terms}
    hit = {p for p in prefixes if any(w.startswith(p) for w in words)}
    return sum(1 for t in terms if _prefix(t) in hit) / len(terms)


def _tokens(texts: list[str]) -> list[list[str]]:
    from ingest.store import _bm25_tokenize  # the index's own tokeniser: the same stems as BM25 scored

    return _bm25_tokenize(texts)


_MEAN: dict[tuple, float] = {}


def mean_chunk_tokens(idx) -> float:
    """Tokens in an average chunk of the index (a sample of its stored rows; memoised per index)."""
    key = (id(idx), idx.fingerprint)
    if key not in _MEAN:
        step = max(1, len(idx.ids) // 400)
        rows = idx.rows(list(idx.ids[::step]))
        counts = [c.ctx_tokens if c.ctx_tokens else max(1, len(c.text) // 4) for c in rows.values()]
        _MEAN.clear()
        _MEAN[key] = float(np.mean(counts)) if counts else 200.0
    return _MEAN[key]


def _chunk_tokens(c) -> int:
    return int(c.ctx_tokens) if c.ctx_tokens else max(1, len(c.text) // 4)


def retrieve(store: Any, embedder: Any, question: str, doc_ids: list[str] | None = None, *, k: int | None = None,
             budget: int | None = DEFAULT_BUDGET, timings: dict[str, float] | None = None) -> dict[str, DocEvidence]:
    """For each document in scope (all askable documents when `doc_ids` is None): its best chunks for `question`
    — `budget` tokens of them (or `k` chunks when given) — merged into passages, best first, with the features a
    verdict leans on. Documents with no chunk are absent."""
    t = timings if timings is not None else {}
    t0 = time.perf_counter()
    idx = store.bm25_index()
    if idx.retriever is None or not len(idx.ids):
        return {}
    codes_all, names, code_of = _codes(idx)
    if doc_ids is None:
        sel = np.arange(len(codes_all))
    else:
        want = np.asarray(sorted({code_of[d] for d in doc_ids if d in code_of}), dtype=np.int64)
        if not len(want):
            return {}
        sel = np.nonzero(np.isin(codes_all, want))[0]
    codes = codes_all[sel]
    parts = parts_of(question)
    t["index"] = t.get("index", 0.0) + time.perf_counter() - t0

    # ---- dense: every chunk in scope against each part, one product
    t0 = time.perf_counter()
    lists: list[np.ndarray] = []
    dense_best = np.zeros(len(sel), dtype=np.float32)
    vectors = store.index_vectors() if embedder is not None else None
    if vectors is not None and vectors.shape[1] > 1:
        qv = np.asarray(embedder.encode(parts), dtype=np.float32).reshape(len(parts), -1)
        qv = qv / np.maximum(np.linalg.norm(qv, axis=1, keepdims=True), 1e-9)
        t["embed"] = t.get("embed", 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter()
        sims = vectors[sel] @ qv.T if len(sel) != len(codes_all) else vectors @ qv.T  # (n, parts)
        has = np.abs(vectors[sel]).sum(axis=1) > 0 if len(sel) != len(codes_all) else np.abs(vectors).sum(axis=1) > 0
        for j in range(sims.shape[1]):
            s = np.where(has, sims[:, j], -np.inf)
            lists.append(s)
        dense_best = sims.max(axis=1)  # the closest any form of the question comes to the chunk
        t["dense"] = t.get("dense", 0.0) + time.perf_counter() - t0

    # ---- BM25: every chunk scored once per part
    t0 = time.perf_counter()
    for _part, toks in zip(parts, _tokens(parts)):
        if not toks:
            continue
        s = idx.retriever.get_scores(toks)
        s = np.asarray(s, dtype=np.float32)[sel]
        lists.append(np.where(s > 0, s, -np.inf))
    t["bm25"] = t.get("bm25", 0.0) + time.perf_counter() - t0

    # ---- fusion within each document
    t0 = time.perf_counter()
    fused = np.zeros(len(sel), dtype=np.float64)
    for s in lists:
        r = _within_rank(codes, s)
        ok = np.isfinite(s) & (r < DEPTH)
        fused += np.where(ok, 1.0 / (RRF_K + 1 + r), 0.0)
    refs = np.asarray(idx.refs, dtype=bool)[sel]
    fused = np.where(refs, fused * 0.5, fused)
    top_rank = _within_rank(codes, fused)
    if k is None:  # enough chunks to fill the budget on average, trimmed to it below
        k = max(1, int(np.ceil(1.25 * (budget or DEFAULT_BUDGET) / mean_chunk_tokens(idx))))
    keep = np.nonzero(top_rank < max(1, int(k)))[0]
    t["fusion"] = t.get("fusion", 0.0) + time.perf_counter() - t0

    # ---- passages: the kept chunks read (from the index's chunk rows), merged where they touch
    t0 = time.perf_counter()
    ids = [idx.ids[int(sel[i])] for i in keep]
    chunks = {c.chunk_id: c for c in store.get_chunks(ids)}
    by_doc: dict[str, list[tuple[Any, float, float]]] = {}
    for i in keep:
        cid = idx.ids[int(sel[i])]
        c = chunks.get(cid)
        if c is not None:
            by_doc.setdefault(c.doc_id, []).append((c, float(fused[i]), float(dense_best[i])))
    terms = key_terms(question)
    out: dict[str, DocEvidence] = {}
    for d, got in by_doc.items():
        passages = _merge(d, got)
        if budget:
            passages = _trim(passages, int(budget))
        best = passages[0] if passages else None
        cover = sentence = 0.0
        if best is not None and terms:
            cover = coverage(terms, best.text)
            sentence = max((coverage(terms, x) for x in _SENTENCE.split(best.text)), default=0.0) if cover else 0.0
        out[d] = DocEvidence(d, question, passages, dense=max((x[2] for x in got), default=0.0), cover=cover,
                             sentence_cover=sentence, terms=terms)
    t["passages"] = t.get("passages", 0.0) + time.perf_counter() - t0
    return out


MAX_SPAN = 3  # chunks in one passage: a clause running over a chunk's end is whole, a passage stays a passage


def _merge(doc_id: str, got: list[tuple[Any, float, float]]) -> list[EvidencePassage]:
    """A document's kept chunks as passages, best first: each chunk in rank order that no passage holds yet starts
    one, joined by its kept neighbours (the next first: a clause that starts near a chunk's end runs on) up to
    MAX_SPAN chunks, their overlap once."""
    from ingest.chunk import overlap_chars

    by_ord = {x[0].ordinal: x for x in got}
    taken: set[int] = set()
    out = []
    for c, score, _ in sorted(got, key=lambda x: (-x[1], x[0].ordinal)):
        if c.ordinal in taken:
            continue
        span = [c.ordinal]
        for nxt in (c.ordinal + 1, c.ordinal - 1, c.ordinal + 2, c.ordinal - 2):
            if len(span) >= MAX_SPAN:
                break
            if nxt in by_ord and nxt not in taken and (nxt - 1 in span or nxt + 1 in span):
                span.append(nxt)
        span.sort()
        taken.update(span)
        cs = [by_ord[o][0] for o in span]
        text = cs[0].text
        for prev, cur in zip(cs, cs[1:]):
            text += cur.text[overlap_chars(prev, cur):]
        out.append(EvidencePassage(doc_id, tuple(x.chunk_id for x in cs), text, min(x.page_start for x in cs),
                                   max(x.page_end for x in cs), cs[0].char_start, cs[-1].char_end,
                                   cs[0].section_path, score, len(out), tuple((x.char_start, x.page_start) for x in cs),
                                   sum(_chunk_tokens(x) for x in cs)))
    return out


def _trim(passages: list[EvidencePassage], budget: int) -> list[EvidencePassage]:
    """The best passages up to `budget` tokens (the first always), ranked 0, 1, … again."""
    out, used = [], 0
    for p in passages:
        if out and used + p.tokens > budget:
            continue
        out.append(p if p.rank == len(out) else replace(p, rank=len(out)))
        used += p.tokens
    return out


def passage_texts(store: Any, spans: list[tuple[str, ...]]) -> list[str | None]:
    """The verbatim text of each span of contiguous chunk ids (their overlaps once), read in one batch; None for a
    span whose chunks are gone (the document was removed or re-ingested)."""
    from ingest.chunk import overlap_chars

    ids = list(dict.fromkeys(cid for span in spans for cid in span))
    chunks = {c.chunk_id: c for c in store.get_chunks(ids)} if ids else {}
    out: list[str | None] = []
    for span in spans:
        cs = [chunks.get(cid) for cid in span]
        if not cs or any(c is None for c in cs):
            out.append(None)
            continue
        text = cs[0].text
        for prev, cur in zip(cs, cs[1:]):
            text += cur.text[overlap_chars(prev, cur):]
        out.append(text)
    return out
