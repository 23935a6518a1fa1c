"""The no-model answerer and summariser: quote the best sentences, each with its page, invent nothing.

Answers: sentences of the packed passages ranked by BM25 (bm25s) with aspect-aware query expansion
and clause patterns (legal questions name clauses the way contracts do not: "governing law" vs
"governed by the laws of"), then re-scored with the embedder on a short candidate list (encoding
every sentence would cost seconds on CPU), then picked with MMR so the answer is not three copies
of one clause. Summaries: TF-IDF centrality to the document centroid + MMR (LexRank-style, fast
and deterministic), per document and — by style — per legal or scientific aspect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from app.answer import as_written, chinese
from app.answer.cite import content_words, make_label, sentence_spans, squash, word_count
from app.answer.results import EXTRACTIVE_LABEL, Citation, SentenceSupport

ANSWER_SENTENCES = 3
CANDIDATES = 16  # sentences re-scored with the embedder
ASPECT_CANDIDATES = 10  # per aspect of one document (compare runs documents × aspects of these)
NOT_FOUND_MIN = 0.42  # best combined score below this → "not in the documents"
MIN_CHARS = 30


@dataclass(frozen=True)
class Unit:
    """One sentence of a document, with the page(s) it sits on."""

    text: str
    doc_id: str
    doc_index: int
    file: str
    title: str
    page_start: int
    page_end: int
    section: str
    order: int  # position in the document (for reading order)
    is_references: bool = False
    ocr: bool = False

    @property
    def label(self) -> str:
        return make_label(self.doc_index, self.page_start, self.page_end)


@dataclass(frozen=True)
class Aspect:
    name: str
    terms: str  # query expansion
    pattern: str = ""  # a clause pattern that marks a sentence as on-topic
    numbers: bool = False  # prefer sentences with figures (results)
    early: bool = False  # stated in the opening lines (parties, dates)
    k: int = 1  # sentences a summary quotes for it (term and renewal are often two clauses)


LEGAL_ASPECTS = [
    Aspect("parties", "parties party between entered company corporation inc", r"by and between|entered into (?:by|between)|between\s+\S.{3,80}\band\b|b ?e ?t ?w ?e ?e ?n ?:", early=True),
    Aspect("effective date", "effective date dated made entered day", r"effective date|dated as of|made (?:and entered into )?(?:as )?of|day of \w+,? \d{4}", early=True),
    Aspect("term and renewal", "term commence continue until expire expiration years renewal renew extended successive period", r"\bterm\b.{0,160}\b(?:commence|continue|until|expire)s?\b|renew|extended for|(?:continue|remain) in (?:full )?(?:force|effect)", k=2),
    Aspect("obligations", "shall perform provide obligations responsible duties services efforts", r"shall (?:use|provide|perform|be responsible)|obligations? (?:of|to)"),
    Aspect("payment", "pay payment fee fees compensation invoice price royalty amount commission", r"shall pay|payments?\b|\bfees?\b|\$\s?\d|royalt"),
    Aspect("termination", "terminate termination notice breach days written cure", r"may terminate|right to terminate|terminate this agreement|termination"),
    Aspect("liability cap", "liability limitation exceed aggregate liable damages consequential limited", r"in no event.{0,80}liab|liabilit.{0,80}(?:not exceed|limited to|exceed)|aggregate liability|consequential damages"),
    Aspect("indemnity", "indemnify indemnification harmless defend claims losses", r"indemnif|hold.{0,20}harmless"),
    Aspect("governing law", "governed laws law state governing construed jurisdiction", r"governed (?:\w+ ){0,4}by|\blaws of (?:the )?(?:state|province|commonwealth|[A-Z]\w+)|governing law|construed (?:under|in accordance)"),
    Aspect("assignment", "assign assignment transfer consent successors", r"assign"),
    Aspect("confidentiality", "confidential confidentiality disclose information", r"confidential"),
    Aspect("exclusivity", "exclusive exclusivity compete non-compete competitive", r"exclusiv|not compete|non-compet|competitive"),
]
SCIENTIFIC_ASPECTS = [
    Aspect("research question", "propose address problem question aim goal investigate paper study challenge", r"\b(?:we|this paper|this work|this study) (?:propose|present|introduce|address|investigate|study)"),
    Aspect("method", "method approach model framework architecture algorithm technique propose", r"\b(?:our|the proposed) (?:method|approach|model|framework)|we (?:use|train|apply|design)"),
    Aspect("data", "dataset datasets data corpus benchmark collected samples training evaluation", r"data ?sets?|corpus|benchmark"),
    Aspect("results", "results achieve outperform accuracy improvement score performance improves", r"outperform|improv|achiev|accuracy|\d+(?:\.\d+)?\s?%", numbers=True),
    Aspect("limitations", "limitation limitations future work however fail drawback challenge remain", r"limitation|future work|does not|fail|drawback|remain"),
]
COURT_ASPECTS = [
    Aspect("question presented", "question whether issue presented dispute", r"question (?:presented|is whether)|whether"),
    Aspect("holding", "held hold holding conclude court judgment", r"\bwe hold\b|\bheld\b|\bholding\b|we conclude"),
    Aspect("reasoning", "because reasoning statute interpretation clause", r"because|therefore|thus"),
    Aspect("disposition", "affirmed reversed remanded judgment granted denied", r"affirm|revers|remand|grant|den(?:y|ied)"),
]
# Clause types users ask about (CUAD's categories), beyond the summary aspects.
CLAUSE_ASPECTS = [
    Aspect("most favored nation", "most favored nation terms no less favorable better pricing", r"most favou?red|no less favou?rable|more favou?rable"),
    Aspect("non-compete", "compete competing competitive product promote market distribute", r"shall not (?:promote|market|distribute|sell|compete|engage)|non-compet|compet"),
    Aspect("no-solicit", "solicit solicitation employ hire employees customers", r"solicit|hire"),
    Aspect("non-disparagement", "disparage disparaging statements", r"disparag"),
    Aspect("right of first refusal", "right first refusal offer negotiation negotiate", r"first (?:refusal|offer|negotiation)|right to negotiate"),
    Aspect("revenue sharing", "revenue profit share sharing percentage net sales", r"profit|revenue|net sales|percent"),
    Aspect("minimum commitment", "minimum commitment least number details calls volume purchase", r"minimum|at least|not less than"),
    Aspect("license grant", "license grant grants licensed right use trademark", r"licen[cs]e|hereby grants?"),
    Aspect("insurance", "insurance insured coverage policy policies liability", r"insur"),
    Aspect("covenant not to sue", "covenant sue challenge contest validity claim", r"not to sue|shall not (?:challenge|contest)|covenant"),
    Aspect("audit rights", "audit inspect records books examination verify accountant", r"audit|inspect|examin"),
    Aspect("third party beneficiary", "third party beneficiary beneficiaries", r"third[- ]party beneficiar|beneficiar"),
    Aspect("change of control", "change control merger acquisition", r"change (?:in|of) control|merger|acqui"),
    Aspect("post-termination", "after termination expiration survive continue obligations", r"after (?:the )?(?:termination|expiration)|surviv|following (?:the )?termination"),
]
ASPECTS_BY_DOMAIN = {"contract": LEGAL_ASPECTS, "court opinion": COURT_ASPECTS, "paper": SCIENTIFIC_ASPECTS}
DEFAULT_COMPARE = {
    "contract": ["parties", "effective date", "term and renewal", "payment", "termination", "liability cap", "governing law"],
    "paper": ["research question", "method", "data", "results", "limitations"],
    "court opinion": ["question presented", "holding", "disposition"],
}
_ALL_ASPECTS = {a.name: a for a in LEGAL_ASPECTS + SCIENTIFIC_ASPECTS + COURT_ASPECTS + CLAUSE_ASPECTS}
_ASPECT_ALIASES = {
    "governing law": ["governing law", "governed", "governs", "choice of law", "which law", "what law", "jurisdiction"],
    "term and renewal": ["expiration", "expire", "renewal", "renew", "term of", "duration", "how long", "the term"],
    "termination": ["terminat", "cancel"],
    "liability cap": ["cap on liability", "liability cap", "limitation of liability", "uncapped", "liable"],
    "indemnity": ["indemn"],
    "payment": ["payment", "pay ", "fee", "royalt", "price", "compensation"],
    "effective date": ["effective date", "agreement date", "date of the contract", "dated", "signed"],
    "parties": ["parties", "who are the part", "between whom"],
    "assignment": ["assign"],
    "confidentiality": ["confidential", "non-disclosure"],
    "exclusivity": ["exclusiv"],
    "most favored nation": ["most favored", "most favoured"],
    "non-compete": ["non-compete", "noncompete", "compete", "competitive restriction"],
    "no-solicit": ["solicit"],
    "non-disparagement": ["disparag"],
    "right of first refusal": ["first refusal", "first offer", "first negotiation", "rofr"],
    "revenue sharing": ["revenue", "profit"],
    "minimum commitment": ["minimum"],
    "license grant": ["licens"],
    "insurance": ["insurance"],
    "covenant not to sue": ["not to sue"],
    "audit rights": ["audit"],
    "third party beneficiary": ["beneficiar"],
    "change of control": ["change of control", "change in control"],
    "post-termination": ["after the termination", "after termination", "post-termination"],
    "results": ["result", "score", "accuracy", "perform", "achieve"],
    "data": ["dataset", "data set", "corpus", "benchmark", "source of"],
    "method": ["method", "approach", "how does", "architecture"],
    "limitations": ["limitation", "weakness", "future work"],
    "holding": ["hold", "held", "holding", "ruling", "decide"],
}


def focus_of(question: str) -> str:
    """The part of a question that says what is asked (not which documents it is about)."""
    q = question.strip()
    m = re.search(r"\(1\)", q)
    if m and m.start() > 10:
        return q[: m.start()]
    if ";" in q:
        return q.rsplit(";", 1)[-1]
    return q


def aspect(name: str) -> Aspect:
    """A known aspect by name, or an ad-hoc one whose terms are its own words (`--aspects "audit rights"`)."""
    key = name.strip().lower()
    if key in _ALL_ASPECTS:
        return _ALL_ASPECTS[key]
    for known, aliases in _ASPECT_ALIASES.items():
        if any(a.strip() in key for a in aliases):
            base = _ALL_ASPECTS[known]
            return Aspect(name, base.terms + " " + key, base.pattern, base.numbers)
    return Aspect(name, key)


def aspects_in(question: str) -> list[Aspect]:
    """Aspects a question is about (its focus: LegalBench-style questions put it after the ';')."""
    focus = focus_of(question).lower()
    return [_ALL_ASPECTS[k] for k, aliases in _ASPECT_ALIASES.items() if any(a in focus for a in aliases)]


# ---- sentence units -----------------------------------------------------------------------


def _is_noise(text: str) -> bool:
    t = text.strip()
    if len(t) + len(re.findall(r"[\u4e00-\u9fff]", t)) < MIN_CHARS or word_count(t) < 5:  # a Han character: two
        return True
    letters = sum(c.isalpha() for c in t)
    if letters < 0.5 * len(t) or "....." in t or ". . . ." in t:
        return True
    # a table of contents line: many "Section 6.01"/"ARTICLE VI" references and little else
    return len(re.findall(r"\b(?:Section|SECTION|Article|ARTICLE)\s+[\dIVX]", t)) >= 3 and "shall" not in t


def _merge_short(pieces: list[str]) -> list[str]:
    """A heading alone ("Section 8.01 Governing Law.") is no answer: glue it to the sentence after it."""
    out: list[str] = []
    carry = ""
    for p in pieces:
        p = (carry + " " + p).strip() if carry else p
        if word_count(p) < 8:
            carry = p
            continue
        carry = ""
        out.append(p)
    if carry:
        out.append(carry)
    return out


def units_from_chunks(chunks: list, doc_index: int, file: str, title: str) -> list[Unit]:
    """Sentences of one document's chunks (chunk pages are exact; overlaps are dropped by content)."""
    seen: set[str] = set()
    out: list[Unit] = []
    for ch in chunks:
        spans = chinese.whole_sentences(ch.text, sentence_spans(ch.text))
        texts = _merge_short([as_written.sentence(ch.text[s:e]) for s, e in spans])
        for text, s in zip(texts, _starts(ch.text, texts, spans)):
            key = squash(text)
            if key in seen or _is_noise(text):
                continue
            seen.add(key)
            section = ch.section_at(ch.char_start + s) if hasattr(ch, "section_at") else getattr(ch, "section_path", "")
            out.append(
                Unit(text, ch.doc_id, doc_index, file, title, ch.page_start, ch.page_end,
                     section, len(out), bool(getattr(ch, "is_references", False)),
                     bool(getattr(ch, "ocr", False)))
            )
    return out


def _chunk_pages_in(passage, chunks_by_id: dict) -> list[tuple[int, int, int, int]]:
    """(start, end, page_start, page_end) of each chunk of `passage` inside `passage.text`."""
    spans = []
    for cid in passage.chunk_ids:
        ch = chunks_by_id.get(cid)
        if ch is None:
            continue
        start = ch.char_start - passage.char_start
        head = ch.text[:80]
        if not (0 <= start < len(passage.text) and passage.text[start : start + len(head)] == head):
            found = passage.text.find(head)
            if found < 0:
                continue
            start = found
        spans.append((start, start + len(ch.text), ch.page_start, ch.page_end))
    return spans


def _starts(text: str, merged: list[str], spans: list[tuple[int, int]]) -> list[int]:
    """Start offset in `text` of each merged sentence (the first span it swallowed)."""
    out, j = [], 0
    for m in merged:
        out.append(spans[j][0] if j < len(spans) else 0)
        n = len(m)
        consumed = 0
        while j < len(spans) and consumed < n:
            consumed += len(as_written.sentence(text[spans[j][0] : spans[j][1]])) + 1
            j += 1
    return out


def units_from_packed(packed, chunks_by_id: dict | None = None) -> list[Unit]:
    """Sentences of the packed passages with the narrowest page range the chunks allow."""
    seen: set[tuple[str, str]] = set()
    out: list[Unit] = []
    for p in packed.passages:
        spans = _chunk_pages_in(p, chunks_by_id) if chunks_by_id and p.page_start != p.page_end else []
        spans_ = chinese.whole_sentences(p.text, sentence_spans(p.text))
        texts_ = _merge_short([as_written.sentence(p.text[s:e]) for s, e in spans_])
        starts = _starts(p.text, texts_, spans_)
        for text, s in zip(texts_, starts):
            key = (p.doc_id, squash(text))
            if key in seen or _is_noise(text):
                continue
            seen.add(key)
            a, b = p.page_start, p.page_end
            inside = [(pe - ps, ps, pe) for cs, ce, ps, pe in spans if cs <= s < ce]
            if inside:
                _, a, b = min(inside)
            out.append(Unit(text, p.doc_id, p.doc_index, p.file, p.title, a, b, p.section_at(s), len(out),
                            ocr=bool(getattr(p, "ocr", False))))
    return out


# ---- scoring ------------------------------------------------------------------------------


def _bm25_scores(units: list[Unit], query_terms: list[str]) -> np.ndarray:
    corpus = [content_words(u.text) or ["_"] for u in units]
    if not units or not query_terms:
        return np.zeros(len(units), dtype=np.float32)
    import bm25s  # pulls scipy (~1 s): loaded on the first extractive answer, not by every command

    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    scores = np.asarray(retriever.get_scores(query_terms), dtype=np.float32)
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else scores


def _pattern_boost(units: list[Unit], aspects: list[Aspect]) -> np.ndarray:
    boost = np.zeros(len(units), dtype=np.float32)
    first: dict[str, int] = {}
    for u in units:
        first.setdefault(u.doc_id, u.order)
    for a in aspects:
        rx = re.compile(a.pattern, re.I) if a.pattern else None
        head_words = set(a.name.split())
        for i, u in enumerate(units):
            if rx is not None and rx.search(u.text):
                boost[i] += 0.25
            if u.section and head_words & set(u.section.lower().replace(">", " ").split()):
                boost[i] += 0.1
            if a.early and u.order - first.get(u.doc_id, 0) < 8:
                boost[i] += 0.6
            if a.numbers and re.search(r"\d+(?:\.\d+)?\s?%|\d+\.\d+", u.text):
                boost[i] += 0.1
    return boost


def _focus_cover(units: list[Unit], focus: list[str]) -> np.ndarray:
    if not focus:
        return np.zeros(len(units), dtype=np.float32)
    fs = set(focus)
    return np.asarray([len(fs & set(content_words(u.text))) / len(fs) for u in units], dtype=np.float32)


def _encode(embedder, texts: list[str]) -> np.ndarray | None:
    if embedder is None or not texts:
        return None
    return np.asarray(embedder.encode(texts), dtype=np.float32)


def _mmr(scores: np.ndarray, vecs: np.ndarray | None, texts: list[str], k: int, lam: float = 0.75) -> list[int]:
    """Maximal marginal relevance; without vectors, word-set Jaccard stands in for similarity."""
    chosen: list[int] = []
    sets = [set(content_words(t)) for t in texts] if vecs is None else None
    remaining = list(np.argsort(-scores, kind="stable"))
    while remaining and len(chosen) < k:
        best, best_val = None, -1e9
        for i in remaining:
            if chosen:
                if vecs is not None:
                    red = max(float(vecs[i] @ vecs[j]) for j in chosen)
                else:
                    red = max(len(sets[i] & sets[j]) / (len(sets[i] | sets[j]) or 1) for j in chosen)
            else:
                red = 0.0
            val = lam * float(scores[i]) - (1 - lam) * red
            if val > best_val:
                best, best_val = i, val
        chosen.append(best)
        remaining.remove(best)
    return chosen


@dataclass
class Ranked:
    units: list[Unit]
    scores: list[float]
    best: float
    found: bool
    extra: dict = field(default_factory=dict)


_EVERY_DOC = re.compile(r"\(1\)|\beach\b|\bthese\b|\bwhich of\b|\ball (?:the|of)\b|\bevery\b", re.I)


def rank(question: str, units: list[Unit], embedder=None, *, k: int = ANSWER_SENTENCES,
         aspects: list[Aspect] | None = None, per_doc: bool = True, candidates: int = CANDIDATES) -> Ranked:
    """The best `k` non-redundant sentences for `question` (plus each other document's best when close).

    `found` needs absolute evidence — the question's own words, a clause pattern, or (with the
    embedder) semantic closeness — because BM25 scores are relative and always crown a winner.
    """
    units = [u for u in units if not u.is_references] or units
    if not units:
        return Ranked([], [], 0.0, False)
    aspects = aspects if aspects is not None else aspects_in(question)
    focus_text = focus_of(question)
    focus = content_words(focus_text)
    terms = list(focus)
    for a in aspects:
        terms += content_words(a.terms)
    lex = _bm25_scores(units, terms)
    boost = _pattern_boost(units, aspects)
    cover = _focus_cover(units, focus)
    zh = chinese.signals(focus_text, [u.text for u in units])  # None unless the question is Chinese
    pre = 0.6 * lex + boost + 0.3 * cover + (zh.bonus if zh else 0.0)
    order = list(np.argsort(-pre, kind="stable"))
    cand = order[:candidates]
    if per_doc:  # every document keeps its own best candidates in the running
        for doc in sorted({u.doc_id for u in units}):
            cand += [i for i in [j for j in order if units[j].doc_id == doc][:2] if i not in cand]
    cand_ix = np.asarray(cand)
    texts = [units[i].text for i in cand]
    vecs = _encode(embedder, texts)
    if vecs is not None:
        q = np.asarray(embedder.encode_query(focus_text), dtype=np.float32).reshape(-1)
        dense = vecs @ q
        final = 0.45 * lex[cand_ix] + 0.5 * dense + boost[cand_ix] + 0.2 * cover[cand_ix]
        relevance = 0.8 * dense + 0.4 * cover[cand_ix] + 1.2 * boost[cand_ix]
    else:
        dense = None
        final = 0.7 * lex[cand_ix] + boost[cand_ix] + 0.35 * cover[cand_ix]
        relevance = 0.8 * cover[cand_ix] + 1.8 * boost[cand_ix]
    if zh is not None:  # Chinese: the question's content words and figures decide (app.answer.chinese)
        final = final + zh.bonus[cand_ix]
        relevance = np.asarray([zh.relevance(i, NOT_FOUND_MIN) for i in cand], dtype=np.float32)
    best = float(final.max())
    picked = _mmr(final, vecs, texts, k)
    # "which of the following (1)…(2)…", "each", "these agreements": every document gets its say
    every_doc = bool(_EVERY_DOC.search(question))
    if per_doc:
        docs_in = {units[cand[i]].doc_id for i in picked}
        for doc in sorted({u.doc_id for u in units} - docs_in):
            own = [i for i in range(len(cand)) if units[cand[i]].doc_id == doc]
            if own:
                i = max(own, key=lambda j: final[j])
                if (every_doc or final[i] >= 0.75 * best) and relevance[i] >= NOT_FOUND_MIN:
                    picked.append(i)
    found_score = float(max(relevance[i] for i in picked)) if picked else 0.0
    out_units = [units[cand[i]] for i in picked]
    out_scores = [round(float(final[i]), 4) for i in picked]
    extra = {"dense_best": float(dense.max()) if dense is not None else None, "relevance": round(found_score, 4)}
    return Ranked(out_units, out_scores, round(found_score, 4), found_score >= NOT_FOUND_MIN, extra)


def citations_for(units: list[Unit]) -> list[Citation]:
    """One Citation per label; the text is the quoted sentence(s), verified by construction."""
    by_label: dict[str, Citation] = {}
    for u in units:
        c = by_label.get(u.label)
        if c is None:
            by_label[u.label] = Citation(u.label, u.doc_id, u.file, u.page_start, u.page_end, u.section, u.text, True,
                                         ocr=u.ocr)
        elif u.text not in c.text:
            c.text += " … " + u.text
    return list(by_label.values())


@dataclass
class ExtractiveAnswer:
    text: str
    citations: list[Citation]
    sentences: list[SentenceSupport]
    found: bool
    best_score: float


def answer(question: str, units: list[Unit], embedder=None, k: int = ANSWER_SENTENCES,
           by_document: bool = False) -> ExtractiveAnswer:
    """Quote the best-supported sentences for `question`, or say the documents do not answer it.

    `by_document`: the question asks across documents, or names none and was read over several — the quotes
    are grouped under each document's title, so every answer says whose it is."""
    ranked = rank(question, units, embedder, k=k)
    if not ranked.found:
        near = ""
        if ranked.units:
            u = ranked.units[0]
            near = f"\n\nClosest passage found (weak match): “{u.text}” [{u.label}]"
        text = f"{EXTRACTIVE_LABEL}: Not in the documents — no passage answers this question.{near}"
        cites = citations_for(ranked.units[:1])
        sents = [SentenceSupport(u.text, [u.label], True, "extract", s) for u, s in zip(ranked.units[:1], ranked.scores)]
        return ExtractiveAnswer(text, cites, sents, False, ranked.best)
    lines = [f"{EXTRACTIVE_LABEL}: the most relevant sentences, quoted from the documents."]
    docs = list(dict.fromkeys(u.doc_id for u in ranked.units))
    if by_document and len(docs) > 1:
        for did in sorted(docs, key=lambda d: next(u.doc_index for u in ranked.units if u.doc_id == d)):
            first = next(u for u in ranked.units if u.doc_id == did)
            lines.append(f"\nD{first.doc_index} · {first.title or first.file}:")
            lines.extend(f"- “{u.text}” [{u.label}]" for u in ranked.units if u.doc_id == did)
    else:
        for u in ranked.units:
            lines.append(f"- “{u.text}” [{u.label}]")
    sents = [SentenceSupport(u.text, [u.label], True, "extract", s) for u, s in zip(ranked.units, ranked.scores)]
    return ExtractiveAnswer("\n".join(lines), citations_for(ranked.units), sents, True, ranked.best)


# ---- summaries ----------------------------------------------------------------------------


_DEFINITION = re.compile(r"[\"“][^\"”]{1,60}[\"”]\s*(?:\([^)]*\)\s*)?(?:means|shall mean|has the meaning|shall have the meaning)", re.I)


def central(units: list[Unit], k: int, *, position_weight: float = 0.0, lam: float = 0.7) -> list[Unit]:
    """The `k` most central, mutually different sentences (TF-IDF cosine to the centroid + MMR)."""
    units = [u for u in units if not u.is_references] or units
    if not units:
        return []
    if len(units) <= k:
        return list(units)
    from sklearn.feature_extraction.text import TfidfVectorizer  # scikit-learn (~1 s): only when TF-IDF ranks

    texts = [" ".join(content_words(u.text)) or "_" for u in units]
    try:
        mat = TfidfVectorizer(sublinear_tf=True, min_df=1).fit_transform(texts)
    except ValueError:  # empty vocabulary
        return units[:k]
    vecs = mat.toarray().astype(np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = vecs / np.where(norms == 0, 1, norms)
    centroid = vecs.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    score = vecs @ centroid
    # definitions ("X" means …) are central to a contract's vocabulary but say nothing on their own
    score = score * np.asarray([0.4 if _DEFINITION.search(u.text[:160]) else 1.0 for u in units], dtype=np.float32)
    if position_weight:
        pos = np.asarray([u.order for u in units], dtype=np.float32)
        score = score + position_weight * (1 - pos / max(pos.max(), 1))
    picked = _mmr(score, vecs, [u.text for u in units], k, lam)
    return sorted((units[i] for i in picked), key=lambda u: u.order)


def best_for_aspect(units: list[Unit], a: Aspect, embedder=None, k: int = 1) -> Ranked:
    """The sentence(s) of one document that state `a` (pattern + BM25 + optional dense re-score)."""
    return rank(a.name + " " + a.terms, units, embedder, k=k, aspects=[a], per_doc=False, candidates=ASPECT_CANDIDATES)


def _cite_line(units: list[Unit]) -> str:
    return " ".join(f"{u.text} [{u.label}]" for u in units)
