"""Routing: which documents does a question name? Split it into its document-identifying part(s) and its ask,
match each part against the document profiles, and say how sure the match is.

A firm's library is far larger than any context: "Consider the Promotion Agreement between Depomed and King;
what is the governing law?" searched over every chunk finds every contract's governing-law clause. The
question names its document, so the search should read that one. Each listed item ("(1) … (2) …") is
routed on its own. Routing never hides evidence: a part that matches no document well, or several equally
well, widens the search (and says so) instead of guessing.

Matching is lexical first: the share of the part's informative words (IDF-weighted over the profiles, so
"Depomed" counts and "Agreement" does not) that a profile holds — in its names (title, parties, aliases,
case number) and in its opening text. That share is the confidence, interpretable as "these words of yours
are in that document's profile". When no profile clearly wins on words, the part's embedding is compared
with the profile vectors as well (a paraphrased title, "the paper on recursive tree summaries").
Hand-written: no library routes queries to documents by their profiles with a calibrated "unsure".
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ingest.lexical import han_terms, has_han
from ingest.profile import names_of, profile_text
from ingest.types import Document, Profile

MATCH_MIN = 0.5  # share of a part's informative words a profile must hold to count as named
MARGIN = 0.25  # ... and by how much it must beat the next profile to be the only one
WIDEN_MAX = 6  # at most this many equally good candidates are read together; more → the whole library
IMPLICIT_MIN = 0.6  # names found without a cue ("the Depomed agreement") must match more of their words
DENSE_MARGIN = 0.06  # cosine lead of the best profile over the next, when words alone do not decide
DENSE_MIN = 0.45

_STOP = frozenset("""a an and are as at be been but by can could did do does for from had has have how i if in into is
it its me my no not of on or our shall should so such than that the their them then there these they this those to
under upon was we were what when where which while who whom why will with would you your consider regarding concerning
following each every all any both between among respect regard according named called titled dated please tell give
list describe explain identify find show does document documents file files""".split())
# words that say "a document" without saying which one
_GENERIC = frozenset("""agreement agreements contract contracts document documents paper papers case cases opinion
opinions file files report reports article articles study studies deal deals text texts amendment amendments exhibit
exhibits filing filings decision decisions judgment judgments survey work""".split())

_LIST_MARK = re.compile(r"(?:(?<=[\s:;,.?])|^)\(\s*(\d{1,2}|[a-h]|[ivx]{1,4})\s*\)\s+", re.I)
_LINE_ITEM = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)])\s+(.+)$", re.M)
_ASK_WORD = (r"(?:what|which|who|whom|whose|when|where|why|how|is|are|does|do|did|can|could|should|would|will|was|were|"
             r"has|have|list|name|describe|summari[sz]e|explain|give|identify|tell|find|compare|state|quote|extract|"
             r"parties|agreement date|effective date|expiration date|renewal term|governing law)")
_CUE = re.compile(
    r"^\s*(?:please\s+)?(?:consider|regarding|concerning|re:|with\s+respect\s+to|with\s+regard\s+to|as\s+to|about|"
    r"looking\s+at|take|given|for|in|under|according\s+to|from|based\s+on|referring\s+to|on)\s+(?P<span>.+?)"
    rf"\s*(?:;|:(?!\d)|,\s*(?={_ASK_WORD}\b)|\.\s+(?={_ASK_WORD}\b))\s*(?P<ask>\S.*)$", re.I | re.S)
_TRAILING = re.compile(
    r"^(?P<ask>.+?)\s+(?:in|under|of|from|for)\s+(?P<span>(?:the|this)\s+.{3,200}?(?:agreement|contract|lease|license|"
    r"licence|amendment|paper|article|opinion|case|decision|judgment|report|filing|plan|deed)\b.{0,120}?)\s*[?.]?\s*$",
    re.I | re.S)
_DEICTIC = re.compile(r"\b(?:this|the|that)\s+(?:document|contract|agreement|paper|case|opinion|article|file|report|"
                      r"study|decision|judgment|lease|license|filing)\b", re.I)
_ACROSS = re.compile(
    r"\b(?:each\s+of|for\s+each|in\s+each|every|all\s+(?:of\s+)?(?:the|these|those|my)\s+\w+|these\s+(?:agreements|contracts|"
    r"documents|papers|cases|opinions|files)|those\s+(?:agreements|contracts|documents)|which\s+of\s+(?:the|these|them)|"
    r"compare|comparison|across|both|between\s+the\s+(?:agreements|contracts|documents|papers)|the\s+following\s+"
    r"(?:agreements|contracts|documents|papers|cases))\b", re.I)


# ---------------------------------------------------------------------------------------------------------
# what flows


@dataclass(frozen=True)
class Candidate:
    doc_id: str
    file: str
    title: str
    score: float  # 0..1: the confidence that the part names this document
    matched: tuple[str, ...] = ()  # the profile's names (or words) that the part's words matched
    dense: float | None = None


@dataclass(frozen=True)
class RouteItem:
    """One document-identifying part of the question and what it was matched to."""

    span: str
    status: str  # "matched" (one document) | "ambiguous" (several, all read) | "unmatched" (none: widened)
    doc_ids: tuple[str, ...]
    confidence: float
    matched: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    implicit: bool = False  # found by words inside the question (no cue), or not by the document's names: read first, hide nothing

    def as_dict(self) -> dict:
        d = asdict(self)
        d["candidates"] = [asdict(c) for c in self.candidates]
        return d


@dataclass(frozen=True)
class Route:
    """Where a question is read: the documents it names (each listed item apart) or the whole library."""

    question: str
    ask: str  # the question without its document-identifying part(s)
    items: tuple[RouteItem, ...] = ()
    across: bool = False  # the question asks across documents (a list, "each of these", "compare")
    doc_ids: tuple[str, ...] | None = None  # the documents read; None = every document in scope
    mode: str = "library"  # "named" | "listed" | "widened" | "library"
    reason: str = ""  # one line for people: "reading: … — matched: …"
    deictic: bool = False  # says "this contract" / "the document" without naming it
    seconds: float = 0.0
    likely: tuple[Candidate, ...] = field(default_factory=tuple)  # library mode: the documents most read

    @property
    def narrowed(self) -> bool:
        return self.doc_ids is not None

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "ask": self.ask,
            "mode": self.mode,
            "across": self.across,
            "deictic": self.deictic,
            "doc_ids": list(self.doc_ids) if self.doc_ids is not None else None,
            "reason": self.reason,
            "items": [i.as_dict() for i in self.items],
            "likely": [asdict(c) for c in self.likely],
            "seconds": round(self.seconds, 4),
        }


# ---------------------------------------------------------------------------------------------------------
# splitting the question


def _clean_item(s: str) -> str:
    s = " ".join(s.split())
    s = re.sub(r"[;,.]?\s*(?:and|or)?\s*$", "", s)
    return s.strip(" ;,.")


_PART_REF = re.compile(r"^(?:the\s+)?(?:table|figure|fig\.?|section|appendix|page|chapter|equation|eq\.?|exhibit|"
                       r"schedule|article|paragraph|footnote|algorithm)\s+[\w.()-]+$", re.I)


def _generic(span: str) -> bool:
    """A span that says "a document" without naming one ("each of the following agreements", "table II")."""
    if _PART_REF.match(span.strip()):
        return True
    words = [w for w in _words(span) if w not in _STOP]
    return not words or all(w in _GENERIC for w in words)


def split_question(question: str) -> tuple[str, list[str], bool, bool]:
    """(ask, identifying spans, asks across documents, cue-less) — syntax only, no profiles.

    Listed items "(1) … (2) …" (or one per line) → one span each, the ask is the text before the list.
    "Consider the X; ask" / "Under the X, ask" / "ask in the X agreement" → one span.
    Otherwise no span (the router may still find names in the question: cue-less).
    """
    q = " ".join((question or "").split()) if "\n" not in (question or "") else (question or "").strip()
    flat = " ".join(q.split())
    marks = list(_LIST_MARK.finditer(flat))
    if len(marks) >= 2:
        ask = flat[: marks[0].start()].strip(" :;")
        items = []
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(flat)
            items.append(flat[m.end(): end])
        last = items[-1]
        tail = re.search(r"(?<=[.;])\s+(?=(?:" + _ASK_WORD + r")\b[^.;]*\?\s*$)", last, re.I)
        if tail:  # "(3) X. Which of them …?" — the ask comes after the list
            ask = (ask + " " + last[tail.end():]).strip()
            items[-1] = last[: tail.start()]
        spans = [s for s in (_clean_item(x) for x in items) if s and not _generic(s)]
        if len(spans) >= 2:
            return ask or flat, spans, True, False
    lines = _LINE_ITEM.findall(q) if "\n" in q else []
    if len(lines) >= 2:
        head = q.split("\n", 1)[0].strip()
        spans = [s for s in (_clean_item(x) for x in lines) if s and not _generic(s)]
        if len(spans) >= 2:
            return head, spans, True, False
    across = bool(_ACROSS.search(flat))
    m = _CUE.match(flat)
    if m and not _generic(m.group("span")):
        return m.group("ask").strip(), [m.group("span").strip(" ,;:")], across, False
    m = _TRAILING.match(flat)
    if m and not _generic(m.group("span")) and re.search(r"\s[A-Z0-9]", m.group("span").split(None, 1)[-1]):
        return m.group("ask").strip() + "?", [m.group("span").strip(" ,;:")], across, False
    return flat, [], across, True


# ---------------------------------------------------------------------------------------------------------
# the profile index


def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english").stemWord
    except ImportError:  # pragma: no cover - PyStemmer ships with bm25s[full]
        return lambda w: w


_STEM = _stemmer()
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def _words(text: str) -> list[str]:
    return [w.replace("’", "'").split("'")[0] for w in _WORD.findall((text or "").lower())]


def _terms(text: str) -> list[str]:
    """Stemmed informative words (stop words and one-letter words out), then the Chinese words (ingest.lexical)."""
    out = [_STEM(w) for w in _words(text) if w not in _STOP and (len(w) > 1 or w.isdigit())]
    return out + han_terms(text) if has_han(text) else out


@dataclass
class ProfileIndex:
    """The profiles of the documents in scope, as term sets with document frequencies, and their vectors."""

    docs: list[Document]
    names: list[set[str]]  # stemmed words of each profile's names (title, parties, aliases, numbers)
    words: list[set[str]]  # ... of its whole profile text (names + opening + abstract + headings)
    name_lists: list[list[str]]
    df: dict[str, int]
    postings: dict[str, np.ndarray]  # term -> documents whose profile holds it
    name_postings: dict[str, np.ndarray]  # term -> documents whose names hold it
    vectors: np.ndarray | None  # one row per document (zeros where none is stored)
    has_vector: np.ndarray | None
    key: tuple = ()
    texts: list[str] = field(default_factory=list)  # each profile as one searchable text
    phrases: list[list[tuple[str, str]]] = field(default_factory=list)  # (kind, phrase) a question may name it by
    cjk_names: list[list[str]] = field(default_factory=list)  # its Chinese names, normalised (no spaces, NFKC)
    _bm25: Any = None

    def bm25(self):
        """A bm25s index over the profile texts (built on first use: library search, not routing)."""
        if self._bm25 is None and self.texts:
            import bm25s

            r = bm25s.BM25()
            r.index([_terms(t) or ["_"] for t in self.texts], show_progress=False)
            self._bm25 = r
        return self._bm25

    @property
    def n(self) -> int:
        return len(self.docs)

    def idf(self, term: str) -> float:
        # a word no profile holds weighs like the rarest one: it is probably a name this library lacks
        df = max(1, self.df.get(term, 0))
        return math.log((self.n + 1) / (df + 0.5))


def profile_for(doc: Document) -> Profile:
    """The stored profile, or one made from the registry row alone (old stores: title and file name)."""
    if doc.profile.present:
        return doc.profile
    return Profile(version="", title=doc.title or doc.file, doc_type=doc.domain)


def build_index(docs: Sequence[Document], vectors: dict[str, np.ndarray] | None = None) -> ProfileIndex:
    names, words, name_lists, texts, phrases, cjk = [], [], [], [], [], []
    df: dict[str, int] = {}
    postings: dict[str, list[int]] = {}
    name_post: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        p = profile_for(d)
        ns = names_of(p) + [d.title]
        name_lists.append([n for n in dict.fromkeys(ns) if n])
        stem_file = re.sub(r"[_\-.,]+", " ", d.file.rsplit(".", 1)[0])
        nset = set(_terms(" ".join(ns)))
        texts.append(profile_text(p, d.file) + "\n" + stem_file)
        phrases.append(name_phrases(p, d.title))
        cjk.append(cjk_names(p, d.title, d.file))
        wset = nset | set(_terms(texts[-1]))
        names.append(nset)
        words.append(wset)
        for t in wset:
            df[t] = df.get(t, 0) + 1
            postings.setdefault(t, []).append(i)
        for t in nset:
            name_post.setdefault(t, []).append(i)
    mat = has = None
    if vectors:
        dim = len(next(iter(vectors.values())))
        mat = np.zeros((len(docs), dim), dtype=np.float32)
        has = np.zeros(len(docs), dtype=bool)
        for i, d in enumerate(docs):
            v = vectors.get(d.doc_id)
            if v is not None and len(v) == dim:
                mat[i] = v / (np.linalg.norm(v) or 1.0)
                has[i] = True
    arr = {t: np.asarray(v, dtype=np.int32) for t, v in postings.items()}
    narr = {t: np.asarray(v, dtype=np.int32) for t, v in name_post.items()}
    return ProfileIndex(list(docs), names, words, name_lists, df, arr, narr, mat, has, texts=texts, phrases=phrases,
                        cjk_names=cjk)


def search_profiles(idx: ProfileIndex, query: str, embedder: Any = None, k: int = 10) -> list[Candidate]:
    """Documents ranked by how well their profiles match `query`: BM25 over the profile texts and cosine to the
    profile vectors, fused by reciprocal rank ("which of our contracts are with Depomed?", "the RAPTOR paper")."""
    from retrieval.search import rrf

    if idx.n == 0 or not query.strip():
        return []
    lists: list[list[int]] = []
    terms = _terms(query)
    r = idx.bm25()
    if r is not None and terms:
        scores = np.asarray(r.get_scores(terms))
        lists.append([int(i) for i in np.argsort(-scores) if scores[i] > 0][: max(k * 3, 30)])
    if embedder is not None and idx.vectors is not None:
        v = np.asarray(embedder.encode_query(query), dtype=np.float32).reshape(-1)
        cos = np.where(idx.has_vector, idx.vectors @ (v / (np.linalg.norm(v) or 1.0)), -1.0)
        lists.append([int(i) for i in np.argsort(-cos)[: max(k * 3, 30)] if cos[i] > 0])
    fused = rrf([[str(i) for i in lst] for lst in lists])
    tset = set(terms)
    out = []
    for key in sorted(fused, key=lambda x: -fused[x])[:k]:
        i = int(key)
        d = idx.docs[i]
        out.append(Candidate(d.doc_id, d.file, d.title, round(fused[key], 4), _matched_names(idx, i, tset)))
    return out


_INDEXES: dict[tuple, ProfileIndex] = {}
_LOCK = threading.Lock()


def stored_profile(store: Any, doc: Document) -> Profile:
    """A profile made from a document's stored text: for stores written before profiles existed."""
    from ingest.profile import profile_from_text
    from ingest.types import Heading

    chunks = store.chunks(doc.doc_id)
    text = store.document_text(doc.doc_id)
    first = "".join(c.text for c in chunks if c.page_start == 1)[:6000] or text[:3000]
    heads, seen = [], set()
    for c in chunks:
        top = c.section[0] if c.section else ""
        if top and top not in seen:
            seen.add(top)
            heads.append(Heading(c.char_start, 1, top, c.is_references))
    return profile_from_text(text, first_page=first, headings=heads, domain=doc.domain, file=doc.file,
                             fallback_title=doc.title)


def upgrade_profiles(store: Any, docs: Sequence[Document], embedder: Any = None) -> list[Document]:
    """Documents of a store written before profiles, given a profile from their stored text (and saved back
    to the registry, so this happens once per library, not per question). Returns `docs`, upgraded."""
    missing = [d for d in docs if not d.profile.present]
    if not missing:
        return list(docs)
    import dataclasses as _dc

    from ingest.pipeline import profile_vector

    done: dict[str, Document] = {}
    items = []
    for d in missing:
        try:
            p = stored_profile(store, d)
        except Exception:  # noqa: BLE001 - a document that cannot be profiled routes by its title and file name
            continue
        nd = _dc.replace(d, profile=p, title=p.title or d.title)
        done[d.doc_id] = nd
        items.append((nd, profile_vector(p, d.file, embedder) if embedder is not None else None))
    if items and hasattr(store, "save_profiles"):
        try:
            store.save_profiles(items)
        except Exception:  # noqa: BLE001 - a read-only store still routes, from memory
            pass
    return [done.get(d.doc_id, d) for d in docs]


def index_for(store: Any, docs: Sequence[Document], embedder: Any = None) -> ProfileIndex:
    """The profile index of `docs`, cached per process while the documents (and their ingest times) stay."""
    key = tuple(sorted((d.doc_id, d.ingested_at, d.profile.version) for d in docs))
    with _LOCK:
        got = _INDEXES.get(key)
    if got is not None:
        return got
    docs = upgrade_profiles(store, docs, embedder) if hasattr(store, "chunks") else list(docs)
    vectors = {}
    if hasattr(store, "profile_vectors"):
        try:
            vectors = store.profile_vectors([d.doc_id for d in docs])
        except Exception:  # noqa: BLE001 - no vectors: words alone route
            vectors = {}
    idx = build_index(docs, vectors)
    idx.key = key
    with _LOCK:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        _INDEXES[key] = idx
    return idx


# ---------------------------------------------------------------------------------------------------------
# matching one part


def _scores(idx: ProfileIndex, terms: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Per document: share of the part's IDF mass in the whole profile, and in its names."""
    uniq = list(dict.fromkeys(terms))
    weights = {t: idx.idf(t) for t in uniq}
    total = sum(weights.values())
    cov = np.zeros(idx.n, dtype=np.float32)
    cov_names = np.zeros(idx.n, dtype=np.float32)
    if total <= 0:
        return cov, cov_names, 0.0
    for t, w in weights.items():
        got = idx.postings.get(t)
        if got is not None:
            cov[got] += w
        got = idx.name_postings.get(t)
        if got is not None:
            cov_names[got] += w
    return cov / total, cov_names / total, total


def _matched_names(idx: ProfileIndex, i: int, terms: set[str]) -> tuple[str, ...]:
    """The document's names that the part's words hit (for "matched: Bon-Ton Stores, Tiger Capital Group")."""
    out = []
    for name in idx.name_lists[i]:
        nt = set(_terms(name)) - _GENERIC
        if nt and len(nt & terms) >= max(1, math.ceil(0.5 * len(nt))):
            out.append(name)
    if not out:
        out = sorted(t for t in terms & idx.words[i] if idx.df.get(t, 0) <= max(2, idx.n // 20))[:6]
    return tuple(out[:6])


def match_span(idx: ProfileIndex, span: str, *, embedder: Any = None, implicit: bool = False,
               vector: np.ndarray | None = None) -> RouteItem:
    """Route one identifying part: one document, several equally good ones, or none."""
    terms = [t for t in _terms(span) if t not in _GENERIC] or _terms(span)
    if not terms or idx.n == 0:
        return RouteItem(span, "unmatched", (), 0.0, implicit=implicit)
    cov, cov_names, _ = _scores(idx, terms)
    score = 0.7 * cov + 0.3 * cov_names
    order = np.argsort(-score, kind="stable")
    top = float(score[order[0]])
    second = float(score[order[1]]) if idx.n > 1 else 0.0
    dense = None
    need = MATCH_MIN + (IMPLICIT_MIN - MATCH_MIN if implicit else 0.0)
    decided = top >= need and top - second >= MARGIN
    if not decided and not implicit and idx.vectors is not None and (embedder is not None or vector is not None):
        v = vector if vector is not None else np.asarray(embedder.encode_query(span), dtype=np.float32).reshape(-1)
        dense = idx.vectors @ (v / (np.linalg.norm(v) or 1.0))
        dense = np.where(idx.has_vector, dense, -1.0)
    tset = set(terms)

    def cand(i: int) -> Candidate:
        d = idx.docs[i]
        return Candidate(d.doc_id, d.file, d.title, round(float(score[i]), 3), _matched_names(idx, i, tset),
                         None if dense is None else round(float(dense[i]), 3))

    head = [int(i) for i in order[: WIDEN_MAX + 2]]
    if decided:
        i = head[0]
        c = cand(i)
        # matched by its opening or headings rather than its names (a quoted section title): read it first only
        by_names = float(cov_names[i]) >= 0.5 * float(cov[i])
        return RouteItem(span, "matched", (c.doc_id,), c.score, c.matched, tuple(cand(j) for j in head[:3]),
                         implicit or not by_names)
    near = [i for i in head if score[i] >= need and top - score[i] < MARGIN]
    if near and len(near) <= WIDEN_MAX and top >= need:
        cs = tuple(cand(i) for i in near)
        matched = tuple(dict.fromkeys(m for c in cs for m in c.matched))[:6]
        return RouteItem(span, "ambiguous", tuple(c.doc_id for c in cs), round(top, 3), matched,
                         tuple(cand(i) for i in head[: max(3, len(near))]), implicit)
    if dense is not None:
        dorder = np.argsort(-dense, kind="stable")
        d1 = float(dense[dorder[0]])
        d2 = float(dense[dorder[1]]) if idx.n > 1 else -1.0
        if d1 >= DENSE_MIN and d1 - d2 >= DENSE_MARGIN and score[dorder[0]] >= 0.5 * need:
            i = int(dorder[0])
            c = cand(i)
            conf = round(min(0.9, 0.5 * float(score[i]) + d1 - d2 + 0.3), 3)
            return RouteItem(span, "matched", (c.doc_id,), conf, c.matched or ("by meaning",),
                             tuple(cand(int(j)) for j in dorder[:3]), implicit)
    return RouteItem(span, "unmatched", (), round(top, 3), (), tuple(cand(i) for i in head[:3]), implicit)


_CAPS = re.compile(r"(?<![\w'’])([A-Z][\w&'’.-]*[A-Za-z0-9]|[A-Z0-9]*\d[\w.-]*|[A-Z]{2,})")
_ROMAN = re.compile(r"^[IVXLC]+$|^\d{1,3}$")


def implicit_span(question: str) -> str:
    """The words of a cue-less question that may be names: capitalised (not sentence-initial) or numbered."""
    out = []
    for sent in re.split(r"(?<=[.?!;:])\s+", question):
        for m in _CAPS.finditer(sent):
            w = m.group(1)
            if m.start() == 0 and not (w.isupper() and len(w) > 1) and not re.search(r"\d", w):
                continue  # "What", "Does"
            if w.lower() in _STOP or w.lower() in _GENERIC or _ROMAN.match(w):
                continue  # "Table II", "Section 3": parts of a document, not its name
            out.append(w)
    quoted = re.findall(r"[\"“]([^\"”]{3,200})[\"”]", question)
    return " ".join(out + quoted)


# ---------------------------------------------------------------------------------------------------------
# the route


def route(question: str, idx: ProfileIndex, embedder: Any = None) -> Route:
    """Route `question` over the documents of `idx` (the library, or the user's selection)."""
    t0 = time.perf_counter()
    ask, spans, across, cueless = split_question(question)
    deictic = bool(_DEICTIC.search(question))
    items: list[RouteItem] = []
    if idx.n <= 1:
        ids = tuple(d.doc_id for d in idx.docs)
        rt = Route(question, ask, (), across, None, "library", _reason_all(idx, ids, "the only document in scope"),
                   deictic, time.perf_counter() - t0)
        return rt
    if spans:
        items = [match_span(idx, s, embedder=embedder) for s in spans]
        for k, it in enumerate(items):
            # "the 2019 Endorsement", "《劳动合同法》": a title the words missed; "the PRC Copyright Law": the English
            # name of a Chinese law, which a word of it ("PRC") matches only loosely in English documents
            if it.status == "unmatched" or (it.implicit and _en_to_zh(spans[k])):
                got = name_items(spans[k], idx)
                if len(got) == 1:
                    items[k] = dataclasses.replace(got[0], span=spans[k])
    elif cueless:
        items = name_items(question, idx)  # a title, short title or defined name written out in the question
        if not items:
            names = implicit_span(question)
            if len([t for t in _terms(names) if t not in _GENERIC]) >= 2:  # one word ("II", "Court") names nothing
                it = match_span(idx, names, implicit=True)
                if it.status == "matched":
                    items = [it]
    seconds = time.perf_counter() - t0
    return _decide(question, ask, items, across or len(items) > 1, deictic, idx, seconds)


def _decide(question: str, ask: str, items: list[RouteItem], across: bool, deictic: bool, idx: ProfileIndex,
            seconds: float) -> Route:
    title = {d.doc_id: d.title or d.file for d in idx.docs}
    if not items:
        return Route(question, ask, (), across, None, "library", "", deictic, seconds)
    if any(it.status == "unmatched" for it in items):
        bad = [it for it in items if it.status == "unmatched"]
        close = ", ".join(f"{c.title} ({c.score:.0%})" for c in bad[0].candidates[:2])
        why = (f"widened to the whole library: no document matches “{_short(bad[0].span)}” well"
               + (f" (closest: {close})" if close else ""))
        if len(items) > 1:
            why += f" — {len(items) - len(bad)} of {len(items)} listed items matched"
        return Route(question, ask, tuple(items), across, None, "widened", why, deictic, seconds)
    ids = tuple(dict.fromkeys(d for it in items for d in it.doc_ids))
    if len(items) == 1 and items[0].status == "matched":
        it = items[0]
        why = f"reading: {title[it.doc_ids[0]]} — matched: {', '.join(it.matched) or 'its profile'} ({it.confidence:.0%})"
        if it.implicit:  # words of the question match this document, but it was not pointed at by name
            why = (f"reading first: {title[it.doc_ids[0]]} — the question's words match its profile ({', '.join(it.matched[:4])}, "
                   f"{it.confidence:.0%}); the rest of the library fills what budget is left")
        return Route(question, ask, tuple(items), across, ids, "named", why, deictic, seconds)
    if len(items) == 1:
        it = items[0]
        why = (f"unsure which document “{_short(it.span)}” means: reading all {len(it.doc_ids)} that match it equally — "
               + "; ".join(title[d] for d in it.doc_ids))
        return Route(question, ask, tuple(items), across, ids, "widened", why, deictic, seconds)
    parts = []
    for n, it in enumerate(items, 1):
        if it.status == "matched":
            parts.append(f"({n}) {title[it.doc_ids[0]]} — matched: {', '.join(it.matched[:3]) or 'its profile'}")
        else:
            parts.append(f"({n}) unsure: {len(it.doc_ids)} candidates read")
    return Route(question, ask, tuple(items), True, ids, "listed", "reading " + "; ".join(parts), deictic, seconds)


def _short(s: str, n: int = 80) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _reason_all(idx: ProfileIndex, ids: tuple[str, ...], why: str) -> str:
    if len(ids) == 1:
        return f"reading: {idx.docs[0].title or idx.docs[0].file} — {why}"
    return f"reading all {len(ids)} documents — {why}"


# ---------------------------------------------------------------------------------------------------------
# names written out in the question: titles, short titles, defined names, Chinese titles

_SMALL = frozenset("a an and as at by for from in into of on or the to with v vs".split())
_NAME_STOP = _STOP | _GENERIC | frozenset("""law laws clause section party parties company agreement contract date term
terms company's""".split())
_TITLE_NOUN = re.compile(r"\s+(?:agreement|contract|license|licence|lease|amendment|addendum|plan|deed|memorandum|"
                         r"arrangement|protocol|undertaking|charter)s?$", re.I)
_EXHIBIT_HEAD = re.compile(r"^(?:exhibit|schedule|annex|appendix)\s+[\w.()-]+\s*[:.-]?\s*", re.I)
_FORM = re.compile(r",?\s+(?:inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|lp|l\.p|llp|plc|"
                   r"s\.a|sa|gmbh|ag|b\.v|bv|n\.v|nv|s\.p\.a|spa|pty|pte)\.?$", re.I)


def _tok(s: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", (s or "").lower().replace("’", "'").replace("'s", ""))


def name_phrases(p: Profile, title: str = "") -> list[tuple[str, str]]:
    """(kind, phrase) pairs a question may name the document by: its title and short titles ("Distributor
    Agreement", "the 2019 Endorsement"), parties (with and without "Inc."), aliases and defined names."""
    out: list[tuple[str, str]] = []

    def add(kind: str, phrase: str) -> None:
        phrase = " ".join((phrase or "").split()).strip(" ,.;:")
        words = _tok(phrase)
        stop = _STOP if kind == "defined" else _NAME_STOP  # "the Company" is a name where a preamble defines it
        if words and any(w not in stop and not w.isdigit() for w in words) and (kind, phrase) not in out:
            out.append((kind, phrase))

    for t in dict.fromkeys(x for x in (p.title, title) if x):
        add("title", t)
        short = _EXHIBIT_HEAD.sub("", t)
        add("title", short)
        pw = {w for q in p.parties + p.aliases for w in _tok(q)}
        words = short.split()
        k = 0
        while k < len(words) - 1 and _tok(words[k]) and all(w in pw for w in _tok(words[k])):
            k += 1  # "Adams Golf Endorsement Agreement" → "Endorsement Agreement"
        variants = [short] + ([" ".join(words[k:])] if k else [])
        for j in range(1, len(words) - 1):  # "Marketing and Transportation Services Agreement" → "Transportation …"
            if words[j].lower() not in _SMALL and _TITLE_NOUN.search(" " + words[-1]):
                variants.append(" ".join(words[j:]))
        years = list(dict.fromkeys(d[:4] for d in p.dates[:4]))
        for v in dict.fromkeys(variants):
            add("title" if v == t else "short", v)
            core = _TITLE_NOUN.sub("", v)
            if core != v:
                add("short", core)  # "the Endorsement" (alone only where its words are not generic)
            for y in years:  # "the 2019 Endorsement"
                add("short", f"{y} {v}")
                if core != v:
                    add("short", f"{y} {core}")
    for q in p.parties:
        add("party", q)
        add("party", _FORM.sub("", q))
    for q in p.aliases:
        add("party", q)
    for q in getattr(p, "defined", []) or []:
        add("defined", q)
    return out


def _cased(orig: list[str], kind: str) -> bool:
    """Names are written with capitals: every word of a title ("the Distributor Agreement"), the first of a party."""
    if kind == "party":
        return orig[0][:1].isupper() or orig[0][:1].isdigit()
    big = [w for w in orig if w.lower() not in _SMALL]
    up = [w for w in big if w[:1].isupper() or w[:1].isdigit()]
    return bool(big) and big[0] in up and len(up) * 3 >= len(big) * 2


def _latin_hits(question: str, idx: ProfileIndex) -> list[tuple[int, int, str, str, tuple[int, ...]]]:
    """(start, end, kind, phrase, documents) for each name of a profile written out in the question."""
    spans = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[A-Za-z0-9]+", question.replace("’s", "  "))]
    low = [w.lower() for _, _, w in spans]
    by_phrase: dict[tuple[str, tuple[str, ...]], set[int]] = {}
    for i, names in enumerate(idx.phrases):
        for kind, phrase in names:
            by_phrase.setdefault((kind, tuple(_tok(phrase))), set()).add(i)
    for kind, words in list(by_phrase):
        if kind == "short" and ("title", words) in by_phrase:
            del by_phrase[(kind, words)]  # a document's own title outranks another's shortened one
    first = {}
    for k, w in enumerate(low):
        first.setdefault(w, []).append(k)
    hits = []
    for (kind, words), docs in by_phrase.items():
        if not words:
            continue
        for k in first.get(words[0], ()):
            if tuple(low[k: k + len(words)]) != words:
                continue
            orig = [w for _, _, w in spans[k: k + len(words)]]
            if not _cased(orig, kind) or (k == 0 and kind not in ("title", "short") and len(words) == 1):
                continue
            if kind == "defined" and len(docs) > 1:
                continue  # "the Company" names a document only where one document alone defines it
            after = spans[k + len(words)][2] if k + len(words) < len(spans) else ""
            if kind == "defined" and after[:1].isupper():
                continue  # part of a longer name: "the Company Law", "the Company Board"
            hits.append((spans[k][0], spans[k + len(words) - 1][1], kind, question[spans[k][0]: spans[k + len(words) - 1][1]],
                         tuple(sorted(docs))))
    return hits


# -- Chinese ----------------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff\uff08\uff09()《》])\s+(?=[\u3400-\u9fff\uff08\uff09()《》])")
# common abbreviations in Chinese legal writing (generic: they hold for any statute or interpretation)
_ZH_ABBR = (("司法解释", "解释"), ("最高法", "最高人民法院"), ("最高院", "最高人民法院"))
# English names of PRC laws and legal terms → the Chinese words their titles are written with
_EN_ZH = (
    (r"labou?r\s+dispute\s+mediation\s+and\s+arbitration\s+law", "劳动争议调解仲裁法"),
    (r"labou?r\s+contract\s+law", "劳动合同法"), (r"labou?r\s+law", "劳动法"), (r"company\s+law", "公司法"),
    (r"copyright\s+law", "著作权法"), (r"civil\s+procedure\s+law", "民事诉讼法"),
    (r"criminal\s+procedure\s+law", "刑事诉讼法"), (r"administrative\s+procedure\s+law", "行政诉讼法"),
    (r"civil\s+code", "民法典"), (r"contract\s+law", "合同法"), (r"criminal\s+law", "刑法"),
    (r"patent\s+law", "专利法"), (r"trademark\s+law", "商标法"), (r"securities\s+law", "证券法"),
    (r"insurance\s+law", "保险法"), (r"(?:enterprise\s+)?bankruptcy\s+law", "破产法"), (r"arbitration\s+law", "仲裁法"),
    (r"anti-?unfair\s+competition\s+law", "反不正当竞争法"), (r"anti-?monopoly\s+law", "反垄断法"),
    (r"consumer\s+rights?\s+(?:and\s+interests\s+)?protection\s+law", "消费者权益保护法"),
    (r"product\s+quality\s+law", "产品质量法"), (r"food\s+safety\s+law", "食品安全法"),
    (r"personal\s+information\s+protection\s+law", "个人信息保护法"), (r"data\s+security\s+law", "数据安全法"),
    (r"cyber\s*security\s+law", "网络安全法"), (r"foreign\s+investment\s+law", "外商投资法"),
    (r"social\s+insurance\s+law", "社会保险法"), (r"property\s+law", "物权法"), (r"tort\s+(?:liability\s+)?law", "侵权责任法"),
    (r"partnership\s+(?:enterprise\s+)?law", "合伙企业法"), (r"e-?commerce\s+law", "电子商务法"),
    (r"electronic\s+signature\s+law", "电子签名法"), (r"marriage\s+law", "婚姻法"), (r"guarantee\s+law", "担保法"),
    (r"(?:supreme\s+people'?s\s+court|\bSPC\b)", "最高人民法院"),
    (r"(?:contract|contracts)\s+book|book\s+(?:iii|three)\b|part\s+on\s+contracts", "合同编"),
    (r"general\s+(?:part|provisions|rules)", "通则"), (r"judicial\s+interpretation|interpretation", "解释"),
    (r"labou?r\s+disputes?", "劳动争议"),
)


_ZH_TITLE_END = re.compile(r"(?:法|法典|编|分编|解释|规定|条例|办法|决定|细则|规则|意见|通知|批复|纪要|案|判决书?|裁定书?|"
                           r"\([一二三四五六七八九十]+\))$")


def cjk_key(s: str) -> str:
    """Chinese text for matching: NFKC (full-width brackets and digits), no spaces between CJK characters,
    no title marks 《》〈〉, the abbreviations of _ZH_ABBR spelled out."""
    s = unicodedata.normalize("NFKC", s or "")
    s = re.sub(r"[《》〈〉<>“”\"'‘’「」『』]", "", s)
    s = _CJK_SPACE.sub("", s)
    for short, full in _ZH_ABBR:
        s = s.replace(short, full)
    return s


def cjk_names(p: Profile, title: str = "", file: str = "") -> list[str]:
    """A document's Chinese names: title, title without "中华人民共和国", the file name's stem, parties."""
    stem = re.sub(r"^(?:案例|判决|裁定)[_\-\s]*", "", (file or "").rsplit(".", 1)[0])
    out: list[str] = []
    for x in (p.title, title, stem, *p.parties, *p.aliases, p.case_number):
        k = cjk_key(x)
        if len(_CJK.findall(k)) < 2:
            continue
        for v in (k, k.replace("中华人民共和国", "")):
            v = re.sub(r"^[^\w(]+|[^\w)]+$", "", v).strip("_")
            if len(_CJK.findall(v)) >= 2 and v not in out:
                out.append(v)
    return out


def _en_to_zh(question: str) -> list[str]:
    """The Chinese words that the English names of PRC laws in the question stand for ("the Labor Contract Law")."""
    got, text = [], question
    for rx, zh in _EN_ZH:  # longest names first: "Labor Contract Law" before "Contract Law"
        for _m in re.finditer(rx, text, re.I):
            got.append(zh)
        text = re.sub(rx, " ", text, flags=re.I)
    return list(dict.fromkeys(got))


def _window(q: str, name: str) -> tuple[int, int]:
    """(length, first index) of the longest stretch of `q` whose characters occur in `name` in order and close
    together — "民诉法解释" in "最高人民法院关于适用民事诉讼法的解释", "民法典合同编" in its title: Chinese short
    titles keep characters of the full title in order."""
    best = (0, 0)
    for i in range(len(q)):
        if not _CJK.match(q[i]) or len(q) - i <= best[0]:
            continue
        start = name.find(q[i])
        while start >= 0:  # every place the stretch may start in the name
            p, j = start + 1, i + 1
            while j < len(q):
                pos = name.find(q[j], p)
                if pos < 0 or pos - start + 1 > 2.5 * (j - i + 1) + 2:
                    break
                p, j = pos + 1, j + 1
            if j - i > best[0]:
                best = (j - i, i)
            start = name.find(q[i], start + 1)
    return best


def _cjk_item(question: str, idx: ProfileIndex) -> RouteItem | None:
    """The document whose Chinese name the question spells out most (a 《》 title, "劳动合同法", an abbreviation
    "民诉法解释"), or the English name of a Chinese law ("the Labor Contract Law" → 劳动合同法)."""
    if not any(idx.cjk_names):
        return None
    q = cjk_key(question)
    quoted = re.findall(r"《([^》]{2,60})》", unicodedata.normalize("NFKC", question))
    probes = [cjk_key(x) for x in quoted] or ([q] if _CJK.search(q) else [])
    zh = _en_to_zh(question)
    if not probes and not zh:
        return None
    scores = []
    for names in idx.cjk_names:
        best = (0, 0.0, "", False)
        for name in names:
            for probe in probes:
                n, at = _window(probe, name)
                said = probe[at: int(at + n)]
                if n >= 2 and n < 4 and said in name:
                    n += 0.5  # a person's or a company's name written out whole ("孙银山")
                if n >= 2 and (n, n / len(name)) > best[:2]:
                    # a name the question points at: quoted, or ending as titles end ("…法", "…解释", "…编")
                    best = (n, n / len(name), name, bool(quoted) or bool(_ZH_TITLE_END.search(said)))
            if zh:  # the English names of a law's parts, each in the title, in any order
                n = sum(len(t) for t in zh if t in name)
                if n >= 2 and (n, n / len(name)) > best[:2]:
                    best = (n, n / len(name), name, True)
        scores.append(best)
    order = sorted(range(idx.n), key=lambda i: (-scores[i][0], -scores[i][1]))
    top = scores[order[0]]
    if top[0] < (3 if quoted or zh else 3.5):
        return None
    second = scores[order[1]] if idx.n > 1 else (0, 0.0, "", False)
    if top[0] - second[0] < 2 and top[1] - second[1] < 0.2:
        near = [i for i in order if top[0] - scores[i][0] < 2 and top[1] - scores[i][1] < 0.2]
        if len(near) > WIDEN_MAX:
            return None
        cands = tuple(Candidate(idx.docs[i].doc_id, idx.docs[i].file, idx.docs[i].title, round(scores[i][1], 3),
                                (scores[i][2],)) for i in near)
        return RouteItem(" ".join(quoted) or question, "ambiguous", tuple(c.doc_id for c in cands), round(top[1], 3),
                         tuple(c.matched[0] for c in cands), cands, not top[3])
    d = idx.docs[order[0]]
    c = Candidate(d.doc_id, d.file, d.title, round(min(0.95, 0.5 + top[1] / 2), 3), (f"title “{top[2]}”",))
    # words that merely occur in a title ("解除劳动合同") read that document first and hide nothing
    return RouteItem(" ".join(quoted) or question, "matched", (d.doc_id,), c.score, c.matched, (c,), not top[3])


def name_items(question: str, idx: ProfileIndex) -> list[RouteItem]:
    """Documents the question names by a title, short title, party or defined name written out in it, one item per
    document named (several when it names several: "the Distributor Agreement and the Outsourcing Agreement")."""
    if idx.n <= 1:
        return []
    hits = _latin_hits(question, idx)
    items: list[tuple[set[int], list[str], bool]] = []  # documents, what matched, only by party names
    # longest first, each stretch of the question used once
    taken: list[tuple[int, int]] = []
    for s, e, kind, text, docs in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):
        if any(s < b and a < e for a, b in taken):
            continue
        taken.append((s, e))
        label = {"title": "title", "short": "title", "party": "party", "defined": "defined name"}[kind] + f" “{text}”"
        for it in items:
            if it[0] & set(docs):
                it[0].intersection_update(docs)
                it[1].append(label)
                it[2].append(kind)
                break
        else:
            items.append((set(docs), [label], [kind]))
    out = []
    for docs, labels, kinds in items:
        if all(k == "party" for k in kinds):
            continue  # party names alone route through the question's words (read first, hide nothing)
        if len(docs) > WIDEN_MAX:
            continue
        ids = tuple(idx.docs[i].doc_id for i in sorted(docs))
        cands = tuple(Candidate(idx.docs[i].doc_id, idx.docs[i].file, idx.docs[i].title, 0.95, tuple(labels))
                      for i in sorted(docs))
        out.append(RouteItem(question, "matched" if len(ids) == 1 else "ambiguous", ids, 0.95, tuple(labels), cands))
    if not out:
        it = _cjk_item(question, idx)
        if it is not None:
            out.append(it)
    return out
