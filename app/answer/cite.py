"""Page citations: parse `[D2 p.14]` labels, resolve them to packed passages, verify the claims.

Hand-written because no library knows our label grammar or what "this sentence is backed by that
page" means for contracts and papers: a verbatim quote must be found in the cited passage
(whitespace-, case- and hyphenation-insensitive), otherwise most content words of the sentence —
and every number in it — must be there; the embedder may rescue close paraphrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.answer.results import Citation, SentenceSupport
from ingest.lexical import han_terms, has_han
from retrieval.types import PackedContext, Passage

OVERLAP_MIN = 0.6  # content-word recall that counts as support
EMBED_MIN = 0.72  # cosine (MiniLM) that counts as a paraphrase when overlap is close
EMBED_TRY = 0.35  # below this overlap the embedder is not even asked
QUOTE_MIN_CHARS = 12  # shorter quotes ("the Term") say nothing on their own

DASH = "–"

# ---- text primitives shared with the extractive answerer ----------------------------------

STOPWORDS = frozenset(
    """a an the and or nor but if then else of to in on at by for with from into onto upon as is are was
    were be been being am do does did done have has had having it its this that these those there here
    which who whom whose what when where why how than so such not no yes any all each every some other
    more most less least very can could may might shall should will would must about above below over
    under between among through during before after again further once only own same too also just both
    either neither whether while until unless because though although i we you he she they them their our
    your his her my me us him one two per via within without against whereas hereby herein hereof
    hereunder thereof therein thereto thereunder said set forth including include includes included
    consider document documents paper contract agreement question following according""".split()
)

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’]*|\d+(?:[.,]\d+)*%?")
_NUM_RE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")


def normalize(text: str) -> str:
    """NFKC, straight quotes, dashes, undo line-end hyphenation ("agree- ment"), collapse whitespace."""
    t = unicodedata.normalize("NFKC", text or "")
    t = t.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'")
    t = t.replace("\u00ad", "")
    t = re.sub(r"(?<=[a-z])-\s+(?=[a-z])", "", t)
    return re.sub(r"\s+", " ", t).strip()


def squash(text: str) -> str:
    """Letters and digits only (Latin, and Chinese, Japanese and Korean characters): the form quotes are matched
    in, immune to spacing, hyphenation and full- or half-width punctuation."""
    return _NOT_LETTER.sub("", normalize(text).lower())


_NOT_LETTER = re.compile(r"[^0-9a-z\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


def stem(word: str) -> str:
    w = word.lower().strip("'’")
    if len(w) > 5 and w.endswith(("ies", "ied")):
        return w[:-3] + "y"
    for suf in ("ations", "ation", "ings", "ing", "edly", "ed", "es", "ly"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    if len(w) >= 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    return _WORD_RE.findall(normalize(text))


def content_words(text: str) -> list[str]:
    """Lower-cased stems of the words that carry meaning (no stopwords, no citation labels)."""
    return list(_content_words(text))


@lru_cache(maxsize=200_000)  # summaries rank the same sentences once per aspect
def _content_words(text: str) -> tuple[str, ...]:
    out = []
    for w in words(strip_labels(text)):
        lw = w.lower()
        if lw in STOPWORDS or (len(lw) < 3 and not lw[0].isdigit()):
            continue
        out.append(stem(lw))
    if has_han(text):  # Chinese has no spaces: its words are jieba's terms (the same ones BM25 indexes)
        out += han_terms(unicodedata.normalize("NFKC", text))
    return tuple(out)


def word_count(text: str) -> int:
    """Words in `text`: space-separated ones, and for Chinese about one word per two characters."""
    han = len(_HAN.findall(text))
    return len(_HAN.sub(" ", text).split()) + (han + 1) // 2


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def numbers(text: str) -> list[str]:
    return [n.rstrip("%").replace(",", "") for n in _NUM_RE.findall(normalize(strip_labels(text)))]


# Sentence splitting (English and Chinese ends, offsets): one splitter for the whole code base, in ingest.sentences.
from ingest.sentences import sentence_spans  # noqa: E402


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


# ---- labels -------------------------------------------------------------------------------

_BRACKET_RE = re.compile(r"\[([^\[\]\n]{1,160})\]")
_TOKEN_RE = re.compile(
    r"\bD\s*(?P<doc>\d+)\b|\bp(?:p|ages?|g)?\.?\s*(?P<a>\d+)(?:\s*(?:[-–—]|to)\s*(?:p\.?\s*)?(?P<b>\d+))?", re.I
)


@dataclass(frozen=True)
class Ref:
    doc_index: int
    page_start: int
    page_end: int

    @property
    def label(self) -> str:
        return make_label(self.doc_index, self.page_start, self.page_end)


def make_label(doc_index: int, page_start: int, page_end: int | None = None) -> str:
    if page_end is None or page_end == page_start:
        return f"D{doc_index} p.{page_start}"
    return f"D{doc_index} p.{page_start}{DASH}{page_end}"


def parse_bracket(inner: str) -> list[Ref]:
    """`D2 p.14`, `D2 p.14–15`, `D1 p.3; D2 p.5`, `D1 pp. 3-4` → refs (pages inherit the last D)."""
    refs: list[Ref] = []
    doc: int | None = None
    for m in _TOKEN_RE.finditer(inner):
        if m.group("doc"):
            doc = int(m.group("doc"))
        elif doc is not None and m.group("a"):
            a = int(m.group("a"))
            b = int(m.group("b")) if m.group("b") else a
            if b < a:
                a, b = b, a
            refs.append(Ref(doc, a, b))
    return refs


def find_citations(text: str) -> list[tuple[int, int, list[Ref]]]:
    """Every bracket in `text` that holds at least one label: (start, end, refs)."""
    out = []
    for m in _BRACKET_RE.finditer(text):
        refs = parse_bracket(m.group(1))
        if refs:
            out.append((m.start(), m.end(), refs))
    return out


def strip_labels(text: str) -> str:
    return _BRACKET_RE.sub(lambda m: "" if parse_bracket(m.group(1)) else m.group(0), text)


def resolve(ref: Ref, passages: Iterable[Passage]) -> list[Passage]:
    """Passages of document `ref.doc_index` whose page range overlaps the cited pages, best first."""
    found = []
    for p in passages:
        if p.doc_index != ref.doc_index:
            continue
        overlap = min(p.page_end, ref.page_end) - max(p.page_start, ref.page_start)
        if overlap >= 0:
            found.append((-(overlap + 1), p.char_start, p))
    return [p for _, _, p in sorted(found, key=lambda t: (t[0], t[1]))]


# ---- verification -------------------------------------------------------------------------


@dataclass
class Verification:
    sentences: list[SentenceSupport]
    citations: list[Citation]
    verified_share: float | None  # None when nothing was cited


_QUOTE_RE = re.compile(r"[\"“]([^\"“”]{" + str(QUOTE_MIN_CHARS) + r",})[\"”]")


def answer_sentences(text: str) -> list[tuple[str, list[Ref]]]:
    """Split an answer into sentences; a citation standing alone after a full stop joins the sentence before."""
    pieces: list[tuple[str, list[Ref]]] = []
    for chunk in re.split(r"\n+", text):
        for sent in split_sentences(chunk):
            lead = re.match(r"^(\s*\[[^\[\]\n]{1,160}\][\s.,;]*)+", sent)
            if lead and pieces and parse_bracket(lead.group(0)) and strip_labels(sent[lead.end():]).strip():
                prev, prefs = pieces[-1]
                pieces[-1] = (prev + " " + lead.group(0).strip(), prefs + parse_bracket(lead.group(0)))
                sent = sent[lead.end():]
            refs = [r for _, _, rs in find_citations(sent) for r in rs]
            bare = strip_labels(sent).strip(" .;,-*•\t")
            if not bare and pieces and refs:
                prev, prefs = pieces[-1]
                pieces[-1] = (prev + " " + sent, prefs + refs)
            elif bare:
                pieces.append((sent, refs))
    return pieces


_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'”’)\]]*\s*$")


def _best_span(claim: str, text: str) -> tuple[int, int, float]:
    """(start, end, score) of the sentence of `text` sharing most content words with `claim`. A sentence
    cut by a page break (pages are joined by a blank line, where sentences split) is whole again: a piece
    that stops without a full stop runs on into a next piece starting in lower case."""
    cw = set(content_words(claim))
    spans = sentence_spans(text)
    best_i, best_score = -1, -1.0
    for i, (s, e) in enumerate(spans):
        sw = set(content_words(text[s:e]))
        score = len(cw & sw) / (len(cw) or 1)
        if score > best_score:
            best_i, best_score = i, score
    if best_i < 0:
        return (0, len(text), -1.0)
    lo = hi = best_i
    while lo > 0 and _runs_on(text, spans[lo - 1], spans[lo]):
        lo -= 1
    while hi < len(spans) - 1 and _runs_on(text, spans[hi], spans[hi + 1]):
        hi += 1
    return (spans[lo][0], spans[hi][1], best_score)


def _clip(text: str, limit: int) -> str:
    text = normalize(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def best_excerpt(claim: str, passage_text: str, limit: int = 600) -> str:
    """The passage sentence(s) that best back `claim`, so exports show evidence, not a wall of text."""
    s, e, _ = _best_span(claim, passage_text)
    return _clip(passage_text[s:e], limit)


def cited_excerpt(claim: str, passages: list[Passage], limit: int = 600) -> tuple[str, str]:
    """(excerpt, section): the sentence of `passages` that best backs `claim`, and the section it lies in.

    The section is the one in force where that sentence is, not the one the passage starts in: a page
    that opens in "33.0 RELATIONSHIP OF THE PARTIES" and cites "36.0 LAW OF THE AGREEMENT" names 36.0.
    """
    if not passages:
        return "", ""
    best = max(((p, *_best_span(claim, p.text)) for p in passages), key=lambda b: b[3])
    p, s, e, _ = best
    return _clip(p.text[s:e], limit), p.section_at(s)


def _runs_on(text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Does the piece `first` stop mid-sentence at a blank line (a page break) and `second` carry it on?"""
    gap = text[first[1] : second[0]]
    return "\n\n" in gap and not _ENDS_SENTENCE.search(text[first[0] : first[1]]) and text[second[0] : second[0] + 1].islower()


def support(claim: str, passage_text: str, embedder=None) -> tuple[bool, str, float]:
    """Is `claim` backed by `passage_text`? → (supported, method, score)."""
    body = strip_labels(claim)
    hay = squash(passage_text)
    quotes = [q for q in _QUOTE_RE.findall(normalize(body)) if len(squash(q)) >= QUOTE_MIN_CHARS]
    if quotes:
        found = [squash(q) in hay for q in quotes]
        if all(found):
            return True, "quote", 1.0
        return False, "", 0.0  # a quote that is not in the passage is a misquote, whatever else matches
    nums = numbers(body)
    hay_nums = set(numbers(passage_text))
    if any(n not in hay_nums and squash(n) not in hay for n in nums):
        return False, "", 0.0
    cw = content_words(body)
    if not cw:
        return True, "overlap", 1.0  # nothing to contradict ("See [D1 p.3].")
    stems = {stem(w.lower()) for w in words(passage_text)}
    hits = sum(1 for w in cw if w in stems or (len(w) >= 5 and w in hay))
    score = hits / len(cw)
    if score >= OVERLAP_MIN:
        return True, "overlap", round(score, 3)
    if embedder is not None and score >= EMBED_TRY:
        sents = [s for s in split_sentences(passage_text) if len(s) > 20][:80]
        if sents:
            vecs = np.asarray(embedder.encode([body] + sents), dtype=np.float32)
            sim = float(np.max(vecs[1:] @ vecs[0]))
            if sim >= EMBED_MIN:
                return True, "embedding", round(sim, 3)
    return False, "", round(score, 3)


def hit_section(query: str, chunk) -> str:
    """The section a search hit is about: where the chunk's sentence closest to `query` lies (a chunk
    often starts in one section and holds the heading and text of the next)."""
    if not getattr(chunk, "section_marks", ()):
        return chunk.section_path
    s, _, _ = _best_span(query, chunk.text)
    return chunk.section_at(chunk.char_start + s)


def _citation(ref: Ref, passage: Passage | None, excerpt: str, verified: bool, section: str = "") -> Citation:
    if passage is None:
        return Citation(ref.label, "", "", ref.page_start, ref.page_end, "", "", False)
    return Citation(
        label=ref.label,
        doc_id=passage.doc_id,
        file=passage.file,
        page_start=ref.page_start,
        page_end=ref.page_end,
        section=section or passage.section,
        text=excerpt,
        verified=verified,
        ocr=bool(getattr(passage, "ocr", False)),
    )


def verify(text: str, packed: PackedContext, embedder=None) -> Verification:
    """Check every citing sentence of `text` against the passages its labels resolve to."""
    sentences: list[SentenceSupport] = []
    cites: dict[str, Citation] = {}
    order: list[str] = []
    cited = supported_n = 0
    for sent, refs in answer_sentences(text):
        if not refs:
            sentences.append(SentenceSupport(sent.strip(), [], None))
            continue
        cited += 1
        labels, texts = [], []
        for ref in dict.fromkeys(refs):
            labels.append(ref.label)
            found = resolve(ref, packed.passages)
            own = "\n".join(p.text for p in found)
            ok_own = bool(found) and support(sent, own, embedder)[0]
            prev = cites.get(ref.label)
            if prev is None:
                order.append(ref.label)
                excerpt, section = cited_excerpt(sent, found)
                cites[ref.label] = _citation(ref, found[0] if found else None, excerpt, ok_own, section)
            elif ok_own and not prev.verified:
                prev.verified = True
                prev.text, section = cited_excerpt(sent, found)
                prev.section = section or prev.section
            texts.append(own)
        ok, method, score = support(sent, "\n".join(texts), embedder) if any(texts) else (False, "", 0.0)
        supported_n += ok
        sentences.append(SentenceSupport(sent.strip(), labels, ok, method, score))
    share = None if cited == 0 else round(supported_n / cited, 4)
    return Verification(sentences, [cites[label] for label in order], share)


def mark_unsupported(text: str, sentences: list[SentenceSupport], marker: str = " ⚠unverified") -> str:
    """The answer with a marker after each citing sentence its passages do not back."""
    out = text
    for s in sentences:
        if s.supported is False and s.text in out:
            out = out.replace(s.text, s.text + marker, 1)
    return out
