"""The evidence-recall harness: does the packed context hold the passages that answer each question?

Scores, per method and budget:
- evidence recall: for each question, the share of its evidence passages found in the packed context
  (match insensitive to whitespace, line-end hyphenation, case, quotes and ligatures), or for page-level
  items the share of its evidence pages with text in the context; averaged over questions;
- citation precision: of the evidence passages found, the share whose holding passage carries a label
  whose page range contains the evidence's true page (found in the document's own page map).

Methods: `longdoc` (hybrid search + packer), `dense` and `bm25` (one side of the search, same packer),
and `naive` — llama-index's default `VectorStoreIndex` retriever with top-k=2 and the same embedder over
the same stored chunks (so the difference is retrieval depth and packing, not chunking), its two chunks
concatenated and cut to the budget. Questions without evidence (answerable false, "No" answers) are
reported apart: there is nothing to recall.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.types import Chunk, Document
from retrieval.pack import hits_for_budget, pack, page_label, render_context
from retrieval.routed import plan_route, route_share, routed_hits, soft
from retrieval.search import search
from retrieval.tokens import count_tokens, truncate_to_tokens
from retrieval.types import PackedContext

METHODS = ("longdoc", "naive", "dense", "bm25", "unrouted")  # unrouted: longdoc without routing (issue 16)
KINDS = ("named", "cross-doc", "names-nothing")
DEFAULT_BUDGETS = (4000, 16000, 32000, 64000, 128000)
NAIVE_TOP_K = 2


class EvalError(ValueError):
    """The evaluation set is unusable (missing files, bad questions.jsonl): message for people."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    docs: tuple[str, ...]  # file names
    evidence: tuple[str, ...] = ()
    evidence_pages: tuple[int, ...] = ()
    answerable: bool = True
    kind: str = "single-doc"
    names_document: bool | None = None  # given in questions.jsonl, else read from the question's syntax

    @property
    def has_evidence(self) -> bool:
        return self.answerable and bool(self.evidence or self.evidence_pages)

    @property
    def route_kind(self) -> str:
        """named (the question names its document: "Consider the X; …", "in the X agreement"), cross-doc (several
        documents), names-nothing. From the question's syntax only, never from whether routing found it."""
        if self.kind == "cross-doc" or len(self.docs) > 1:
            return "cross-doc"
        named = self.names_document
        if named is None:
            from retrieval.route import split_question

            named = bool(split_question(self.question)[1])
        return "named" if named else "names-nothing"


def load_questions(set_dir: Path) -> list[Question]:
    path = Path(set_dir) / "questions.jsonl"
    if not path.is_file():
        raise EvalError(f"{path} not found (an eval set is a folder of PDFs plus questions.jsonl)")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            docs = d["doc"] if isinstance(d["doc"], list) else [d["doc"]]
            out.append(
                Question(
                    id=str(d.get("id") or f"q{n}"),
                    question=str(d["question"]),
                    docs=tuple(str(x) for x in docs),
                    evidence=tuple(str(e) for e in (d.get("evidence") or []) if str(e).strip()),
                    evidence_pages=tuple(sorted({int(p) for p in (d.get("evidence_pages") or [])})),
                    answerable=d.get("answerable") is not False,
                    kind=str(d.get("kind") or ("cross-doc" if len(docs) > 1 else "single-doc")),
                    names_document=d.get("names_document") if isinstance(d.get("names_document"), bool) else None,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalError(f"{path}:{n}: bad question line ({type(exc).__name__}: {exc})") from exc
    if not out:
        raise EvalError(f"{path} holds no questions")
    return out


# ---------------------------------------------------------------------------------------------------------
# matching


_DROP = {"-", "\u00ad", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"}
_MAP = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
        "\u2032": "'", "\u2033": '"', "`": "'", "\u00b4": "'"}


class _Table(dict):
    """str.translate table built lazily: each character maps to its normalised form (maybe empty).

    Per character: compatibility form (NFKC: ligatures, full-width), case folded, typographic quotes
    unified, whitespace and hyphens/dashes dropped — so "agree- ment", "agree-\nment" and "agreement"
    all read the same. `translate` runs in C and calls this only once per distinct character.
    """

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = []
        for c in unicodedata.normalize("NFKC", ch).casefold():
            c = _MAP.get(c, c)
            if c.isspace() or c in _DROP:
                continue
            out.append(c)
        self[code] = "".join(out)
        return self[code]


_TABLE = _Table()


def normalize(text: str) -> str:
    """Text for matching (see `_Table`)."""
    return text.translate(_TABLE)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """`normalize(text)`, and for each of its characters the offset it came from in `text`."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        n = _TABLE[ord(ch)]
        if n:
            out.append(n)
            where.extend([i] * len(n))
    return "".join(out), where


def find_all(hay: str, needle: str) -> list[int]:
    out, i = [], hay.find(needle)
    while i >= 0 and needle:
        out.append(i)
        i = hay.find(needle, i + 1)
    return out


@dataclass
class DocText:
    """A document's stored text and where each page starts, for locating evidence pages."""

    doc: Document
    norm: str
    norm_pages: list[int]  # page of each normalised character

    def pages_of(self, evidence: str) -> set[int]:
        """Every page where `evidence` starts (several when the clause is repeated in the document)."""
        n = normalize(evidence)
        return {self.norm_pages[i] for i in find_all(self.norm, n)} if n else set()


def doc_text_from_chunks(doc: Document, chunks: list[Chunk]) -> DocText:
    """Normalised document text from the stored chunks; each character takes its chunk's first page.

    Page truth this way is only as good as the chunker's page attribution: the harness prefers
    `page_truth_from_pdf`, which reads the PDF with a different extractor.
    """
    from ingest.chunk import overlap_chars

    parts: list[str] = []
    pages: list[int] = []
    prev: Chunk | None = None
    for c in chunks:
        text = c.text
        if prev is not None and prev.ordinal == c.ordinal - 1:
            text = text[overlap_chars(prev, c):]
        n = normalize(text)
        parts.append(n)
        pages.extend([c.page_start] * len(n))
        prev = c
    return DocText(doc=doc, norm="".join(parts), norm_pages=pages)


@dataclass
class PdfPages:
    """Ground truth for citation precision: the normalised text of each PDF page, read with pdfium.

    A different extractor from the ingest path (pypdf), so a chunker or parser that mislabels pages
    is caught rather than agreed with.
    """

    pages: list[str]

    def pages_of(self, evidence: str) -> set[int]:
        n = normalize(evidence)
        if not n:
            return set()
        found = {i + 1 for i, t in enumerate(self.pages) if n in t}
        if not found:  # evidence running over a page break starts on the first of the two pages
            for i in range(len(self.pages) - 1):
                joined = self.pages[i] + self.pages[i + 1]
                at = joined.find(n)
                if at >= 0 and at < len(self.pages[i]):
                    found.add(i + 1)
        return found


def page_truth_from_pdf(path: Path) -> PdfPages | None:
    if Path(path).suffix.lower() != ".pdf" or not Path(path).is_file():
        return None
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            texts = []
            for i in range(len(pdf)):
                page = pdf[i]
                tp = page.get_textpage()
                texts.append(normalize(tp.get_text_range()))
                tp.close()
                page.close()
        finally:
            pdf.close()
        return PdfPages(texts)
    except Exception:  # noqa: BLE001 - an unreadable file: fall back to the chunks' pages
        return None


# ---------------------------------------------------------------------------------------------------------
# scoring one packed context


@dataclass
class Score:
    recall: float
    cited: int  # evidence passages found whose label holds the true page
    found: int  # evidence passages found (the citation-precision denominator)
    tokens: int
    right: float = 1.0  # share of the packed tokens that came from the question's own documents


@dataclass
class _Span:
    doc_id: str
    page_start: int
    page_end: int
    norm_start: int
    norm_end: int


def _layout(passages: list[tuple[str, int, int, int, int, str]]) -> tuple[dict[str, str], dict[str, list[_Span]]]:
    """Per document: the normalised concatenation of its passages, and where each passage lies in it.

    `passages` = (doc_id, page_start, page_end, char_start, char_end, text) in context order; passages
    that continue each other in the document are joined without a break so evidence across a page
    boundary still matches, others with a separator no evidence can match across.
    """
    texts: dict[str, list[str]] = {}
    spans: dict[str, list[_Span]] = {}
    last_end: dict[str, int] = {}
    length: dict[str, int] = {}
    for doc_id, a, b, cs, ce, text in passages:
        n = normalize(text)
        buf = texts.setdefault(doc_id, [])
        if buf and cs > last_end.get(doc_id, -1) + 2:
            buf.append("\x00")
            length[doc_id] = length.get(doc_id, 0) + 1
        start = length.get(doc_id, 0)
        buf.append(n)
        length[doc_id] = start + len(n)
        last_end[doc_id] = max(ce, last_end.get(doc_id, -1))
        spans.setdefault(doc_id, []).append(_Span(doc_id, a, b, start, start + len(n)))
    return {d: "".join(t) for d, t in texts.items()}, spans


def score_context(
    q: Question,
    passages: list[tuple[str, int, int, int, int, str]],
    pages_in_context: dict[str, set[int]],
    doc_texts: dict[str, DocText],
    q_doc_ids: list[str],
    tokens: int,
) -> Score:
    if q.evidence:
        joined, spans = _layout(passages)
        got = 0
        found = 0
        cited = 0
        for ev in q.evidence:
            n = normalize(ev)
            if not n:
                continue
            true_pages: set[int] = set()
            for did in q_doc_ids:
                if did in doc_texts:
                    true_pages |= doc_texts[did].pages_of(ev)
            hit_doc, hit_at = None, -1
            for did, text in joined.items():
                i = text.find(n)
                if i >= 0:
                    hit_doc, hit_at = did, i
                    break
            if hit_doc is None:
                continue
            got += 1
            found += 1
            holder = next((s for s in spans[hit_doc] if s.norm_start <= hit_at < s.norm_end), None)
            if holder is not None and _page_ok(holder, true_pages):
                cited += 1
        total = sum(1 for ev in q.evidence if normalize(ev))
        return Score(recall=got / total if total else 0.0, cited=cited, found=found, tokens=tokens)
    pages = set(q.evidence_pages)
    have = set()
    for did in q_doc_ids:
        have |= pages_in_context.get(did, set())
    return Score(recall=len(pages & have) / len(pages) if pages else 0.0, cited=0, found=0, tokens=tokens)


def _page_ok(span: _Span, true_pages: set[int]) -> bool:
    """The label's page range holds a page where the evidence starts (±0: chunk pages are exact)."""
    if not true_pages:  # evidence not located in the stored text (the match was across a join): lenient
        return True
    return any(span.page_start <= p <= span.page_end for p in true_pages)


def _packed_rows(packed: PackedContext) -> tuple[list, dict[str, set[int]]]:
    rows = [(p.doc_id, p.page_start, p.page_end, p.char_start, p.char_end, p.text) for p in packed.passages]
    pages = {c.doc_id: set(c.pages_in_context) for c in packed.coverage}
    return rows, pages


# ---------------------------------------------------------------------------------------------------------
# the naive baseline


class _NaiveRetriever:
    """llama-index's default retriever (VectorStoreIndex, in-memory, top-k=2) over the stored chunks."""

    def __init__(self, store: Any, embedder: Any, docs: list[Document]):
        from llama_index.core import VectorStoreIndex
        from llama_index.core.schema import TextNode

        self.embedder = embedder
        nodes = []
        self.chunks: dict[str, Chunk] = {}
        for d in docs:
            for c in store.chunks(d.doc_id):
                self.chunks[c.chunk_id] = c
                nodes.append(TextNode(text=c.text, id_=c.chunk_id, metadata={"source_doc": c.doc_id}))  # "doc_id" is reserved by llama-index
        self.index = VectorStoreIndex(nodes, embed_model=_embed_model(embedder), show_progress=False)

    def retrieve(self, query: str, doc_ids: list[str] | None) -> list[Chunk]:
        from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

        filters = None
        if doc_ids is not None:
            filters = MetadataFilters(filters=[MetadataFilter(key="source_doc", value=list(doc_ids), operator=FilterOperator.IN)])
        retriever = self.index.as_retriever(similarity_top_k=NAIVE_TOP_K, filters=filters)
        return [self.chunks[n.node.node_id] for n in retriever.retrieve(query)]


def _embed_model(embedder: Any) -> Any:
    """Our process-wide embedder behind llama-index's interface (loading the model twice costs seconds)."""
    from llama_index.core.embeddings import BaseEmbedding

    class _Embed(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.encode_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.encode(list(texts)).tolist()

    return _Embed(model_name=str(getattr(embedder, "name", "embedder")), embed_batch_size=128)


def naive_context(chunks: list[Chunk], docs_index: dict[str, int], budget: int) -> tuple[list, dict[str, set[int]], int]:
    """The naive RAG prompt: the retrieved chunks in relevance order, each with its page label, cut to budget."""
    rows, pages, used = [], {}, 0
    for c in chunks:
        header = f"[{page_label(docs_index.get(c.doc_id, 0), c.page_start, c.page_end)}]\n"
        room = budget - used - count_tokens(header) - 1
        if room <= 0:
            break
        text = truncate_to_tokens(c.text, room)
        if not text:
            break
        used += count_tokens(header + text) + 1
        rows.append((c.doc_id, c.page_start, c.page_end, c.char_start, c.char_start + len(text), text))
        pages.setdefault(c.doc_id, set()).update(range(c.page_start, c.page_end + 1))
    return rows, pages, used


# ---------------------------------------------------------------------------------------------------------
# the run


class _MemoEmbedder:
    """Each question is searched by three methods: embed its text once (queries only, not documents)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self._memo: dict[tuple, Any] = {}

    def encode_query(self, text: str):
        key = ("q", text)
        if key not in self._memo:
            self._memo[key] = self.inner.encode_query(text)
        return self._memo[key]

    def encode(self, texts: list[str], batch_size: int = 128):
        if len(texts) > 8:  # documents: no point remembering
            return self.inner.encode(texts, batch_size=batch_size)
        key = ("b",) + tuple(texts)
        if key not in self._memo:
            self._memo[key] = self.inner.encode(list(texts), batch_size=batch_size)
        return self._memo[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class EvalReport:
    set: str
    questions: int
    budgets: list[int]
    methods: dict[str, dict[str, dict]]
    unanswerable: dict
    open: bool = False
    per_question: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    by_kind: dict = field(default_factory=dict)  # kind -> method -> budget -> recall, share of right tokens, n
    routing: dict = field(default_factory=dict)  # how often the route read exactly / at least the right documents
    library: dict = field(default_factory=dict)  # documents and chunks searched (set + distractors)

    def as_dict(self, details: bool = False) -> dict:
        d = {
            "set": self.set,
            "questions": self.questions,
            "budgets": self.budgets,
            "methods": self.methods,
            "unanswerable": self.unanswerable,
            "open": self.open,
            "seconds": round(self.seconds, 1),
            "by_kind": self.by_kind,
            "routing": self.routing,
            "library": self.library,
        }
        if details:
            d["per_question"] = self.per_question
        return d


def run_eval(
    store: Any,
    embedder: Any,
    set_dir: Path,
    *,
    budgets: list[int] | tuple[int, ...] = DEFAULT_BUDGETS,
    open_set: bool = False,
    methods: tuple[str, ...] = METHODS,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    routing: bool = True,
) -> EvalReport:
    """Score every question × budget × method over documents already ingested into `store`."""
    t_start = time.perf_counter()
    embedder = _MemoEmbedder(embedder)
    questions = load_questions(set_dir)
    if limit:
        questions = questions[:limit]
    budgets = sorted({int(b) for b in budgets})
    if not budgets or budgets[0] <= 0:
        raise EvalError("budgets must be positive token counts")
    docs = list(store.documents())
    by_file = {d.file: d for d in docs}
    missing = sorted({f for q in questions for f in q.docs if f not in by_file})
    if missing:
        raise EvalError(f"documents named in questions.jsonl are not in the store: {', '.join(missing)}")

    used_files = sorted({f for q in questions for f in q.docs})
    doc_texts: dict[str, Any] = {}
    for f in used_files:
        d = by_file[f]
        doc_texts[d.doc_id] = page_truth_from_pdf(Path(set_dir) / f) or doc_text_from_chunks(d, store.chunks(d.doc_id))

    scored = [q for q in questions if q.has_evidence]
    apart = [q for q in questions if not q.has_evidence]
    naive = _NaiveRetriever(store, embedder, docs) if "naive" in methods and scored else None
    order = sorted(docs, key=lambda d: (d.file.lower(), d.file, d.doc_id))
    all_index = {d.doc_id: i for i, d in enumerate(order, start=1)}

    k = hits_for_budget(max(budgets))
    acc: dict[str, dict[int, list[Score]]] = {m: {b: [] for b in budgets} for m in methods}
    kinds: dict[str, dict[str, dict[int, list[Score]]]] = {}
    routes = {"exact": 0, "covers": 0, "n": 0, "by_kind": {}}
    whole: dict[str, dict[int, list[bool]]] = {m: {b: [] for b in budgets} for m in methods}  # packed whole?
    per_question: list[dict] = []
    total_steps = len(scored) * len(methods)
    step = 0
    for q in scored:
        q_ids = [by_file[f].doc_id for f in q.docs]
        scope = None if open_set else q_ids
        kind = q.route_kind
        row: dict = {"id": q.id, "kind": q.kind, "route_kind": kind}
        for m in methods:
            step += 1
            if progress:
                progress(f"{q.id} {m}", step, total_steps)
            if m == "naive":
                chunks = naive.retrieve(q.question, scope) if naive else []
                idx = all_index if open_set else {d: i for i, d in enumerate(_order_ids(store, q_ids), start=1)}
                for b in budgets:
                    rows, pages, used = naive_context(chunks, idx, b)
                    s = score_context(q, rows, pages, doc_texts, q_ids, used)
                    s.right = _right_share_rows(rows, q_ids)
                    acc[m][b].append(s)
                    kinds.setdefault(kind, {}).setdefault(m, {}).setdefault(b, []).append(s)
                    row[f"{m}@{b}"] = round(s.recall, 3)
                continue
            smode = "hybrid" if m in ("longdoc", "unrouted") else m
            if m == "longdoc" and routing:
                rt = plan_route(store, embedder, q.question, scope)
                hits, pack_scope = routed_hits(store, embedder, rt, k=k, doc_ids=scope, mode=smode)
                share, fair = route_share(rt), not soft(rt)
                _score_route(routes, rt, q_ids, kind, row)
            else:
                rt, share, fair = None, 0.5, True
                hits, pack_scope = search(store, embedder, q.question, k=k, doc_ids=scope, mode=smode), scope
            for b in budgets:
                packed = pack(q.question, store, hits[: hits_for_budget(b)], budget=b, doc_ids=pack_scope, share=share,
                              fair=fair)
                rows, pages = _packed_rows(packed)
                s = score_context(q, rows, pages, doc_texts, q_ids, packed.tokens)
                s.right = _right_share(packed, q_ids)
                acc[m][b].append(s)
                kinds.setdefault(kind, {}).setdefault(m, {}).setdefault(b, []).append(s)
                whole[m][b].append(packed.mode == "whole")
                row[f"{m}@{b}"] = round(s.recall, 3)
                if open_set:
                    row[f"{m}@{b}:right"] = round(s.right, 3)
        per_question.append(row)

    table: dict[str, dict[str, dict]] = {}
    for m in methods:
        table[m] = {}
        for b in budgets:
            ss = acc[m][b]
            found = sum(s.found for s in ss)
            table[m][str(b)] = {
                "evidence_recall": round(sum(s.recall for s in ss) / len(ss), 4) if ss else 0.0,
                "citation_precision": round(sum(s.cited for s in ss) / found, 4) if found else 0.0,
                "n": len(ss),
                "mean_tokens": round(sum(s.tokens for s in ss) / len(ss), 1) if ss else 0.0,
                # share of questions whose documents were packed whole: their prompt prefix repeats byte for byte
                "whole_share": round(sum(whole[m][b]) / len(whole[m][b]), 4) if whole[m][b] else 0.0,
            }
    by_kind = {
        kind: {
            m: {
                str(b): {
                    "evidence_recall": round(sum(x.recall for x in ss) / len(ss), 4),
                    "right_share": round(sum(x.right for x in ss) / len(ss), 4),
                    "n": len(ss),
                    "mean_tokens": round(sum(x.tokens for x in ss) / len(ss), 1),
                }
                for b, ss in per_b.items() if ss
            }
            for m, per_b in per_m.items()
        }
        for kind, per_m in sorted(kinds.items(), key=lambda kv: KINDS.index(kv[0]) if kv[0] in KINDS else 9)
    }
    unanswerable = {
        "n": len(apart),
        "ids": [q.id for q in apart],
        "not_answerable": sum(1 for q in apart if not q.answerable),
        "no_evidence_given": sum(1 for q in apart if q.answerable),
    }
    return EvalReport(
        set=str(set_dir),
        questions=len(questions),
        budgets=budgets,
        methods=table,
        unanswerable=unanswerable,
        open=open_set,
        per_question=per_question,
        seconds=time.perf_counter() - t_start,
        by_kind=by_kind,
        routing=routes if routes["n"] and open_set else {},  # closed: each question's own documents, nothing to route
        library={"documents": len(docs), "chunks": sum(d.chunks for d in docs)},
    )


def _right_share(packed: PackedContext, q_ids: list[str]) -> float:
    want = set(q_ids)
    total = sum(c.tokens for c in packed.coverage)
    return sum(c.tokens for c in packed.coverage if c.doc_id in want) / total if total else 0.0


def _right_share_rows(rows: list, q_ids: list[str]) -> float:
    want = set(q_ids)
    total = sum(len(r[5]) for r in rows)
    return sum(len(r[5]) for r in rows if r[0] in want) / total if total else 0.0


def _score_route(acc: dict, rt: Any, q_ids: list[str], kind: str, row: dict) -> None:
    """Did the route read exactly the question's documents, or at least all of them (a widened route)?"""
    read = set(rt.doc_ids) if rt.doc_ids is not None else None
    want = set(q_ids)
    exact = read == want
    covers = read is None or want <= read
    acc["n"] += 1
    acc["exact"] += int(exact)
    acc["covers"] += int(covers)
    k = acc["by_kind"].setdefault(kind, {"n": 0, "exact": 0, "covers": 0, "modes": {}})
    k["n"] += 1
    k["exact"] += int(exact)
    k["covers"] += int(covers)
    k["modes"][rt.mode] = k["modes"].get(rt.mode, 0) + 1
    row["route"] = rt.mode
    row["route_exact"] = exact


def _order_ids(store: Any, doc_ids: list[str]) -> list[str]:
    docs = [store.get_document(d) for d in dict.fromkeys(doc_ids)]
    return [d.doc_id for d in sorted((d for d in docs if d), key=lambda d: (d.file.lower(), d.file, d.doc_id))]


def context_text(packed: PackedContext) -> str:
    """Re-exported for callers that only want the text a model would read."""
    return render_context(packed)
