"""The long-context packer: fill a DeepSeek token budget with the right text, in reading order, citable.

Hand-written because no library does this: llama-index's node post-processors re-order or truncate a
top-k list, but none packs to a token budget with neighbour expansion, overlap-free merging, per-document
fairness, page-labelled passages and a coverage report.

Layout (what `render_context` produces, and what the budget is counted against):

    ## D1 · <title> · <file> · <N> pages

    [D1 p.3] <section>
    <text of the chunks that start on page 3, overlap removed>

    [D1 p.4–5] <section>
    ...

Documents appear in a deterministic order (file name, then doc_id) and nothing depends on the question
before the document text, so two questions over the same documents share a long cached prompt prefix;
in whole-document mode the rendered context is byte-identical across questions.

One passage per (document, page where its chunks start): labels are unique, short (`D2 p.14–15`) and
precise enough to cite a page. Chunks inside a passage that are not contiguous are joined with an
elision mark, so the passage still maps exactly onto its stored chunks.

Token accounting: every piece is counted once — chunk texts (whole, and without the overlap with their
predecessor) at ingest, stored with the chunk; headers and separators here, cached, passage labels from
their pieces — and the rendered context's count is the sum plus a one-token margin at each join inside
a passage (BPE can tokenise a join differently from its two sides). Tests check the exact count of the
rendered text never exceeds that sum, so the budget is never exceeded while a 128K pack over 100K
chunks takes ~0.1 s instead of the ~1 s that re-tokenising it would.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.chunk import overlap_chars, tail_text
from ingest.types import Chunk, Document
from retrieval.tokens import DEFAULT_FAMILY, count_tokens, count_tokens_batch, tokenizer_id
from retrieval.types import DocCoverage, Hit, PackedContext, Passage

ELISION = "\n[…]\n"
PASSAGE_SEP = "\n\n"
JOIN_MARGIN = 1  # tokens reserved per join of two text pieces inside a passage
NEIGHBOURS = 1  # chunks added on each side of one of the best hits before merging (see WIDEN_BEST)
WIDEN_BEST = 0.1  # the best hits, as many as a tenth of the chunks the budget holds, are read with their neighbours;
# the others alone (spans still grow when budget is left): context around the strongest evidence, breadth after it
CHUNK_TOKENS = 230  # a full chunk in DeepSeek tokens, to turn a budget into a number of chunks
FAIR_SHARE = 0.5  # fraction of the budget split evenly between documents before rank order takes over
MIN_USEFUL = 24  # below this many free tokens no passage can be added


# ---------------------------------------------------------------------------------------------------------
# token cache: chunk texts never change for a given (id, text); count each piece once per process


class _TokenCache:
    """Counts per (tokenizer family, piece): the same text costs differently under V3's and V4's tokenizer."""

    def __init__(self, limit: int = 2_000_000):
        self._d: dict[tuple, int] = {}
        self.limit = limit
        self.misses = 0
        self.seconds = 0.0

    def get(self, key: tuple, text: str, family: str = DEFAULT_FAMILY) -> int:
        k = (family, key, len(text), hash(text))
        n = self._d.get(k)
        if n is None:
            t0 = time.perf_counter()
            n = count_tokens(text, family)
            self.seconds += time.perf_counter() - t0
            self.misses += 1
            if len(self._d) >= self.limit:
                self._d.clear()
            self._d[k] = n
        return n

    def prime(self, items: list[tuple[tuple, str]], family: str = DEFAULT_FAMILY) -> None:
        """Count many pieces in one Rust batch (several times faster than one by one)."""
        todo = [(key, text) for key, text in items if (family, key, len(text), hash(text)) not in self._d]
        if not todo:
            return
        t0 = time.perf_counter()
        counts = count_tokens_batch([t for _, t in todo], family)
        self.seconds += time.perf_counter() - t0
        self.misses += len(todo)
        if len(self._d) + len(todo) >= self.limit:
            self._d.clear()
        for (key, text), n in zip(todo, counts):
            self._d[(family, key, len(text), hash(text))] = n

    def clear(self) -> None:
        self._d.clear()


TOKEN_CACHE = _TokenCache()


def _tok_str(text: str, family: str = DEFAULT_FAMILY) -> int:
    return TOKEN_CACHE.get(("s",), text, family)


# ---------------------------------------------------------------------------------------------------------
# chunk texts without overlap


# ---------------------------------------------------------------------------------------------------------
# per-document plan: which chunks are in, grouped by the page they start on


def page_label(doc_index: int, a: int, b: int) -> str:
    return f"D{doc_index} p.{a}" if b <= a else f"D{doc_index} p.{a}–{b}"


def doc_header(doc_index: int, title: str, file: str, pages: int) -> str:
    title = " ".join((title or file).split())
    n = f"{pages} page" + ("" if pages == 1 else "s")
    return f"## D{doc_index} · {title} · {file} · {n}"


HEADER_MARGIN = 1  # a header is counted as its parts; where the parts meet the tokenizer may differ by one
_HEADERS: dict[tuple[str, int, int, int, str], int] = {}


def header_cost(doc_index: int, a: int, b: int, section: str, family: str = DEFAULT_FAMILY) -> int:
    """An upper bound on the tokens of `passage_header(page_label(doc_index, a, b), section) + "\n"`.

    Counted from cached parts: whole headers missed the cache ~1,000 times per new 128K question
    (documents × page spans × sections), their parts almost never (a few hundred document numbers and
    page numbers, a document's sections). The parts meet at pre-token boundaries (bracket-letter |
    digits | space-letters | punctuation), where BPE does not merge — checked in the tests on thousands
    of labels and every section of the sample documents; the margin covers a section join that does.
    """
    key = (family, doc_index, a, b, section)
    n = _HEADERS.get(key)
    if n is None:
        f = family
        n = _tok_str(f"[D{doc_index}", f) + _tok_str(f" p.{a}", f) + (_tok_str(f"–{b}", f) if b > a else 0)
        n += _tok_str("]", f) + _tok_str("\n", f)
        sec = " ".join(section.split())
        if sec:
            n += _tok_str(" " + sec, f) + HEADER_MARGIN
        if len(_HEADERS) > 500_000:
            _HEADERS.clear()
        _HEADERS[key] = n
    return n


def passage_header(label: str, section: str) -> str:
    return f"[{label}] {' '.join(section.split())}".rstrip()


@dataclass
class _DocPlan:
    doc: Document
    index: int
    chunks: dict[int, Chunk] = field(default_factory=dict)  # known chunks by ordinal
    pages: dict[int, list[int]] = field(default_factory=dict)  # start page -> selected ordinals (sorted)
    page_cost: dict[int, int] = field(default_factory=dict)
    selected: set[int] = field(default_factory=set)
    header_cost: int = 0
    family: str = DEFAULT_FAMILY  # the tokenizer family the budget is counted in
    counted: bool = False  # the chunks carry ctx_* counts made with that tokenizer

    def __post_init__(self) -> None:
        self.counted = bool(self.doc.ctx_tokenizer) and self.doc.ctx_tokenizer == tokenizer_id(self.family)

    @property
    def cost(self) -> int:
        if not self.selected:
            return 0
        return self.header_cost + sum(self.page_cost.values())

    def unit(self, o: int) -> tuple[tuple, str]:
        """The text chunk `o` contributes: whole, or without the overlap when its predecessor is in."""
        c = self.chunks[o]
        if (o - 1) in self.selected and (o - 1) in self.chunks:
            return ("t", c.chunk_id), tail_text(self.chunks[o - 1], c)
        return ("f", c.chunk_id), c.text

    def unit_cost(self, o: int) -> int:
        """Tokens of unit(o): the count stored at ingest when there is one, else counted (cached)."""
        if self.counted:
            c = self.chunks[o]
            n = c.ctx_tail if (o - 1) in self.selected and (o - 1) in self.chunks else c.ctx_tokens
            if n is not None:
                return n
        key, text = self.unit(o)
        return TOKEN_CACHE.get(key, text, self.family)

    def group_cost(self, page: int, ords: list[int]) -> int:
        if not ords:
            return 0
        first = self.chunks[ords[0]]
        end = max(self.chunks[o].page_end for o in ords)
        cost = header_cost(self.index, page, end, first.section_path, self.family)
        cost += _tok_str(PASSAGE_SEP, self.family)
        prev = None
        for o in ords:
            cost += self.unit_cost(o)
            if prev is not None:
                cost += JOIN_MARGIN
                if o != prev + 1:
                    cost += _tok_str(ELISION, self.family)
            prev = o
        return cost

    def cost_with(self, new: Iterable[int]) -> tuple[int, dict[int, list[int]]]:
        """Cost of this document if `new` ordinals were added, and the page groups that would change."""
        new = [o for o in new if o not in self.selected and o in self.chunks]
        if not new:
            return self.cost, {}
        sel = self.selected | set(new)
        touched_pages = set()
        for o in new:
            touched_pages.add(self.chunks[o].page_start)
            if (o + 1) in sel and (o + 1) in self.chunks:  # its successor now loses the overlap
                touched_pages.add(self.chunks[o + 1].page_start)
        changed: dict[int, list[int]] = {}
        saved = self.selected
        self.selected = sel
        try:
            delta = 0
            for p in touched_pages:
                ords = sorted(set(self.pages.get(p, [])) | {o for o in new if self.chunks[o].page_start == p})
                changed[p] = ords
                delta += self.group_cost(p, ords) - self.page_cost.get(p, 0)
        finally:
            self.selected = saved
        base = self.cost if self.selected else self.header_cost
        return base + delta, changed

    def commit(self, new: Iterable[int], changed: dict[int, list[int]]) -> None:
        self.selected |= {o for o in new if o in self.chunks}
        for p, ords in changed.items():
            self.pages[p] = ords
        for p in changed:  # recompute after the selection is final (units depend on it)
            self.page_cost[p] = self.group_cost(p, self.pages[p])


# ---------------------------------------------------------------------------------------------------------
# the packer


def order_documents(docs: Iterable[Document]) -> list[Document]:
    """The deterministic document order behind the D-numbers: file name, then doc_id."""
    return sorted(docs, key=lambda d: (d.file.lower(), d.file, d.doc_id))


def _chosen_docs(store: Any, doc_ids: list[str] | None, hits: list[Hit]) -> list[Document]:
    if doc_ids is None:
        docs = list(store.documents())
    else:  # from the registry rows already read for this question, not one round trip per document
        have = {d.doc_id: d for d in store.documents()}
        docs = [have[did] for did in dict.fromkeys(doc_ids) if did in have]
    return order_documents(docs)


def _fetch(store: Any, plans: dict[str, _DocPlan], wanted: dict[str, set[int]]) -> None:
    """Load the chunks in `wanted` (doc_id -> ordinals) that the plans do not hold yet, in one call."""
    ids = []
    for did, ords in wanted.items():
        plan = plans[did]
        n = plan.doc.chunks
        for o in ords:
            if 0 <= o < n and o not in plan.chunks:
                ids.append(f"{did}:{o:05d}")
    if not ids:
        return
    for c in store.get_chunks(ids):
        plan = plans.get(c.doc_id)
        if plan is not None:
            plan.chunks[c.ordinal] = c


_CHUNKS: dict[tuple, list[Chunk]] = {}  # a document's chunks, by (doc_id, ingested_at, count): immutable
_BODY: dict[tuple, int] = {}  # tokens of a document packed whole, without its header line, per tokenizer


def _doc_key(doc: Document) -> tuple:
    return (doc.doc_id, doc.ingested_at, doc.chunks)


def _body_key(plan: _DocPlan) -> tuple:
    return (*_doc_key(plan.doc), plan.family)


def doc_chunks(store: Any, doc: Document) -> list[Chunk]:
    """All chunks of `doc`, cached per process (a re-ingest changes `ingested_at`, so the key)."""
    key = _doc_key(doc)
    got = _CHUNKS.get(key)
    if got is None:
        got = store.chunks(doc.doc_id)
        if len(_CHUNKS) >= 256:
            _CHUNKS.pop(next(iter(_CHUNKS)))
        _CHUNKS[key] = got
    return got


def _whole_plans(store: Any, plans: dict[str, _DocPlan], budget: int) -> bool:
    """Select every chunk of every document if the whole set fits; False (plans untouched) if not."""
    if sum(max(p.doc.chunks, 1) for p in plans.values()) * 16 > budget * 1.5:
        return False  # cheap early out: far more chunks than the budget could hold
    known = [_BODY.get(_body_key(p)) for p in plans.values()]
    if sum(k for k in known if k) + sum(p.header_cost for p in plans.values()) > budget:
        return False  # known from an earlier call: the documents do not fit
    for plan in plans.values():
        for c in doc_chunks(store, plan.doc):
            plan.chunks[c.ordinal] = c
    # prime the token cache in one batch: whole texts for run starts, tails for the rest
    items = []
    family = next(iter(plans.values())).family if plans else DEFAULT_FAMILY
    for plan in plans.values():
        if plan.counted and all(c.ctx_tokens is not None for c in plan.chunks.values()):
            continue
        ords = sorted(plan.chunks)
        for i, o in enumerate(ords):
            c = plan.chunks[o]
            if i and ords[i - 1] == o - 1:
                items.append((("t", c.chunk_id), tail_text(plan.chunks[o - 1], c)))
            else:
                items.append((("f", c.chunk_id), c.text))
    TOKEN_CACHE.prime(items, family)
    total = 0
    for plan in plans.values():
        if not plan.chunks:
            continue
        cost, changed = plan.cost_with(sorted(plan.chunks))
        _BODY[_body_key(plan)] = cost - plan.header_cost
        total += cost
        if total > budget:
            for p in plans.values():  # reset: retrieved mode starts from nothing
                p.selected.clear()
                p.pages.clear()
                p.page_cost.clear()
            return False
        plan.commit(sorted(plan.chunks), changed)
    return total <= budget


def pack(
    query: str,
    store: Any,
    hits: list[Hit],
    *,
    budget: int,
    doc_ids: list[str] | None = None,
    whole: bool = True,
    fair: bool = True,
    expand: bool = True,
    timings: dict[str, float] | None = None,
    tokenizer: str | None = None,
    share: float = FAIR_SHARE,
) -> PackedContext:
    """Pack the best text for `query` into at most `budget` tokens of rendered context.

    `doc_ids` are the chosen documents (None = every document in the store); `hits` come from
    `search.search` in fused-rank order. `whole=False` forces retrieval mode (the harness ablations),
    `fair=False` drops the per-document share, `expand=False` packs the hits alone in rank order; `share` is
    the part of the budget split evenly between the documents first (1.0 when each listed document of a
    cross-document question is owed its part). `tokenizer` is the family that counts the budget (the model
    catalog's; None = DeepSeek V4).
    """
    family = tokenizer or DEFAULT_FAMILY
    t0 = time.perf_counter()
    misses0, tsec0 = TOKEN_CACHE.misses, TOKEN_CACHE.seconds
    budget = max(0, int(budget))
    docs = _chosen_docs(store, doc_ids, hits)
    index = {d.doc_id: i for i, d in enumerate(docs, start=1)}
    plans: dict[str, _DocPlan] = {d.doc_id: _DocPlan(doc=d, index=index[d.doc_id], family=family) for d in docs}
    heads = {did: doc_header(p.index, p.doc.title, p.doc.file, p.doc.pages) + "\n\n" for did, p in plans.items()}
    TOKEN_CACHE.prime([(("s",), h) for h in heads.values()] + [(("s",), PASSAGE_SEP)], family)
    for did, plan in plans.items():
        plan.header_cost = _tok_str(heads[did], family) + _tok_str(PASSAGE_SEP, family)

    mode = "empty"
    if docs and whole and _whole_plans(store, plans, budget):
        mode = "whole"
    else:
        hits = [h for h in hits if h.chunk.doc_id in plans]
        for h in hits:
            plans[h.chunk.doc_id].chunks.setdefault(h.chunk.ordinal, h.chunk)
        if fair:
            _whole_small(store, plans, budget)
        if expand:
            _fetch(
                store,
                plans,
                _group(
                    (h.chunk.doc_id, o)
                    for h in hits
                    for o in range(h.chunk.ordinal - NEIGHBOURS, h.chunk.ordinal + NEIGHBOURS + 1)
                ),
            )
        used = _fill(plans, hits, budget, fair=fair, expand=expand, share=share)
        if expand and budget - used >= MIN_USEFUL:
            _grow(store, plans, hits, budget)
        if any(p.selected for p in plans.values()):
            mode = "retrieved"

    packed = _assemble(query, plans, docs, budget, mode, family)
    if timings is not None:
        timings["pack"] = timings.get("pack", 0.0) + time.perf_counter() - t0
        timings["tokens"] = timings.get("tokens", 0.0) + TOKEN_CACHE.seconds - tsec0
        timings["token_misses"] = timings.get("token_misses", 0) + TOKEN_CACHE.misses - misses0
    return packed


SMALL_WHOLE_MAX_DOCS = 8  # above this many chosen documents none is read whole by _whole_small (a library search)


def _whole_small(store: Any, plans: dict[str, _DocPlan], budget: int) -> None:
    """Several chosen documents that do not all fit: those that fit whole in an even share of what is left
    are read whole, smallest first, and the others share the rest (a 3-page agreement compared with a
    60-page one is read entirely; the long one gets the budget it leaves)."""
    if not 2 <= len(plans) <= SMALL_WHOLE_MAX_DOCS:
        return
    sizes = []
    for plan in plans.values():
        body = _BODY.get(_body_key(plan))
        if body is None:
            if plan.doc.chunks * 16 > budget * 1.5:
                continue  # far too long to be read whole: not worth reading its chunks to count it
            for c in doc_chunks(store, plan.doc):
                plan.chunks.setdefault(c.ordinal, c)
            cost, _ = plan.cost_with(sorted(plan.chunks))
            body = _BODY[_body_key(plan)] = cost - plan.header_cost
        sizes.append((body + plan.header_cost, plan.doc.file, plan))
    left, n = budget, len(plans)
    for cost, _, plan in sorted(sizes, key=lambda x: (x[0], x[1])):
        if n <= 1 or cost > left / n:
            break
        for c in doc_chunks(store, plan.doc):
            plan.chunks.setdefault(c.ordinal, c)
        new_cost, changed = plan.cost_with(sorted(plan.chunks))
        if new_cost > left:
            break
        plan.commit(sorted(plan.chunks), changed)
        left -= plan.cost
        n -= 1


def _group(pairs: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for did, o in pairs:
        out.setdefault(did, set()).add(o)
    return out


def _total(plans: dict[str, _DocPlan]) -> int:
    return sum(p.cost for p in plans.values())


def _try_add(plans: dict[str, _DocPlan], did: str, ords: list[int], budget: int, used: int) -> int | None:
    """Add `ords` to document `did` if the result fits; the new total, or None when it does not fit."""
    plan = plans[did]
    before = plan.cost
    after, changed = plan.cost_with(ords)
    if not changed:
        return None
    if used - before + after > budget:
        return None
    plan.commit(ords, changed)
    return used - before + plan.cost


def _window(plan: _DocPlan, o: int, expand: bool, rank: int = 0, budget: int = 0) -> list[list[int]]:
    """What to try for a hit, biggest first: the hit with its neighbours (the best hits only), then alone."""
    if not expand or rank >= max(1, WIDEN_BEST * budget / CHUNK_TOKENS):
        return [[o]]
    wide = [x for x in range(o - NEIGHBOURS, o + NEIGHBOURS + 1) if x in plan.chunks]
    return [wide, [o]] if len(wide) > 1 else [[o]]


def _fill(plans: dict[str, _DocPlan], hits: list[Hit], budget: int, *, fair: bool, expand: bool,
          share: float = FAIR_SHARE) -> int:
    """Greedy fill from the hits: a fair share per document first, then fused-rank order."""
    per_doc: dict[str, list[Hit]] = {}
    for h in hits:
        per_doc.setdefault(h.chunk.doc_id, []).append(h)
    used = _total(plans)

    # 1. fairness: each document with hits gets an even share of part of the budget, its best hits first,
    #    taken round-robin so no document's tenth hit comes before another's first
    if fair and len(per_doc) > 1:
        share = int(budget * share / len(per_doc))
        queues = {did: list(hs) for did, hs in per_doc.items()}
        active = sorted(queues, key=lambda did: queues[did][0].rank)
        while active:
            still = []
            for did in active:
                plan, q = plans[did], queues[did]
                while q and q[0].chunk.ordinal in plan.selected:
                    q.pop(0)
                if not q:
                    continue
                h = q.pop(0)
                for ords in _window(plan, h.chunk.ordinal, expand, h.rank, budget):
                    before = plan.cost
                    after, changed = plan.cost_with(ords)
                    if changed and after <= share and used - before + after <= budget:
                        plan.commit(ords, changed)
                        used += plan.cost - before
                        break
                if q and plan.cost + MIN_USEFUL < share:
                    still.append(did)
            active = still

    # 2. the rest of the budget in fused-rank order
    for h in hits:
        if budget - used < MIN_USEFUL:
            break
        plan = plans[h.chunk.doc_id]
        for ords in _window(plan, h.chunk.ordinal, expand, h.rank, budget):
            new_used = _try_add(plans, h.chunk.doc_id, ords, budget, used)
            if new_used is not None:
                used = new_used
                break
    return used


def _grow(store: Any, plans: dict[str, _DocPlan], hits: list[Hit], budget: int) -> None:
    """Hits are spent and budget is left: widen the selected spans outwards, best spans first."""
    rank_of: dict[tuple[str, int], int] = {}
    for h in hits:
        rank_of.setdefault((h.chunk.doc_id, h.chunk.ordinal), h.rank)
    used = _total(plans)
    radius = NEIGHBOURS
    while budget - used >= MIN_USEFUL:
        radius += 1
        # the frontier: chunks next to a selected span, ordered by the best hit that span grew from
        frontier: list[tuple[int, str, int]] = []
        for did, plan in plans.items():
            n = plan.doc.chunks
            for o in sorted(plan.selected):
                for x in (o - 1, o + 1):
                    if 0 <= x < n and x not in plan.selected:
                        near = min(
                            (rank_of.get((did, y), 10**9) for y in range(x - radius, x + radius + 1)),
                            default=10**9,
                        )
                        frontier.append((near, did, x))
        if not frontier:
            return
        frontier = sorted(set(frontier))
        _fetch(store, plans, _group((did, x) for _, did, x in frontier))
        added = False
        for _, did, x in frontier:
            if budget - used < MIN_USEFUL:
                break
            if x not in plans[did].chunks:
                continue
            new_used = _try_add(plans, did, [x], budget, used)
            if new_used is not None:
                used = new_used
                added = True
        if not added:
            return


def _assemble(query: str, plans: dict[str, _DocPlan], docs: list[Document], budget: int, mode: str,
              family: str = DEFAULT_FAMILY) -> PackedContext:
    passages: list[Passage] = []
    coverage: list[DocCoverage] = []
    total = 0
    for d in docs:
        plan = plans[d.doc_id]
        doc_tokens = 0
        pages_in: set[int] = set()
        if plan.selected:
            doc_tokens = plan.cost
            for page in sorted(plan.pages):
                ords = plan.pages[page]
                if not ords:
                    continue
                parts = []
                prev = None
                marks: list[tuple[int, str]] = []
                at = 0
                for o in ords:
                    _, text = plan.unit(o)
                    if prev is not None and o != prev + 1:
                        parts.append(ELISION)
                        at += len(ELISION)
                    marks.extend(_marks_in_part(plan.chunks[o], text, at))
                    parts.append(text)
                    at += len(text)
                    prev = o
                raw = "".join(parts)
                text = raw.strip()
                chunks = [plan.chunks[o] for o in ords]
                first, last = chunks[0], chunks[-1]
                lead = overlap_chars(plan.chunks[ords[0] - 1], first) if (ords[0] - 1) in plan.selected and (ords[0] - 1) in plan.chunks else 0
                end = max(c.page_end for c in chunks)
                label = page_label(plan.index, page, end)
                for c in chunks:
                    pages_in.update(range(c.page_start, c.page_end + 1))
                passages.append(
                    Passage(
                        doc_id=d.doc_id,
                        doc_index=plan.index,
                        file=d.file,
                        title=d.title,
                        chunk_ids=tuple(c.chunk_id for c in chunks),
                        text=text,
                        page_start=page,
                        page_end=end,
                        char_start=first.char_start + lead,
                        char_end=last.char_end,
                        section=first.section_path,
                        label=label,
                        tokens=plan.page_cost[page],
                        ocr=any(c.ocr for c in chunks),
                        section_marks=_passage_marks(marks, len(raw) - len(raw.lstrip()), len(text), first.section_path),
                    )
                )
            total += doc_tokens
        if plan.selected or len(docs) <= 50:
            whole = mode == "whole" or (bool(plan.selected) and len(plan.selected) >= plan.doc.chunks)
            coverage.append(
                DocCoverage(
                    doc_id=d.doc_id,
                    file=d.file,
                    title=d.title,
                    label=f"D{plan.index}",
                    pages_total=d.pages,
                    pages_in_context=sorted(p for p in pages_in if 1 <= p <= max(d.pages, 1)),
                    tokens=doc_tokens,
                    whole=whole,
                    vectors=getattr(d, "status", "ready") == "ready",
                )
            )
    if not passages:
        mode = "empty"
    assert total <= budget, f"packer overran its budget: {total} > {budget}"
    return PackedContext(query=query, passages=passages, tokens=total, budget=budget, mode=mode, coverage=coverage,
                         tokenizer=family)


def _marks_in_part(c: Chunk, part: str, at: int) -> list[tuple[int, str]]:
    """Section changes of chunk `c` inside `part` (its whole text or its tail), as offsets in the passage.

    A part ends where its chunk ends (a tail is a suffix of the chunk, maybe after a one-character gap
    separator), so a document offset maps to `at + len(part) - (chunk end - offset)`.
    """
    end = c.char_start + len(c.text)
    first = end - min(len(part), len(c.text))
    out = [(at + len(part) - (end - first), c.section_at(first))]
    for off, sec in c.section_marks:
        if first < off < end:
            out.append((at + len(part) - (end - off), sec))
    return out


def _passage_marks(marks: list[tuple[int, str]], lead: int, size: int, section: str) -> tuple[tuple[int, str], ...]:
    """The passage's section changes relative to its stripped text, minus those that change nothing."""
    out: list[tuple[int, str]] = []
    current = section
    for pos, sec in marks:
        pos = min(max(0, pos - lead), size)
        if sec == current:
            continue
        if out and out[-1][0] == pos:
            out.pop()
            current = out[-1][1] if out else section
            if sec == current:
                continue
        out.append((pos, sec))
        current = sec
    return tuple(out)


def render_context(packed: PackedContext) -> str:
    """The document block a prompt embeds: per document a header, then its passages in page order.

    Nothing here depends on the question, so the prompt can put the question after it and keep the
    cached prefix (see the module docstring).
    """
    blocks: list[str] = []
    current = None
    for p in packed.passages:
        if p.doc_id != current:
            current = p.doc_id
            blocks.append(doc_header(p.doc_index, p.title, p.file, _pages_of(packed, p.doc_id)))
        blocks.append(passage_header(p.label, p.section) + "\n" + p.text)
    return PASSAGE_SEP.join(blocks)


def _pages_of(packed: PackedContext, doc_id: str) -> int:
    for c in packed.coverage:
        if c.doc_id == doc_id:
            return c.pages_total
    return 0


def exact_tokens(packed: PackedContext) -> int:
    """The exact token count of the rendered context in its tokenizer (slow at 1M: seconds; for tests and tools)."""
    return count_tokens(render_context(packed), packed.tokenizer)


def build_context(
    store: Any,
    embedder: Any,
    query: str,
    *,
    doc_ids: list[str] | None = None,
    budget: int,
    mode: str = "hybrid",
    rerank_model: str | None = None,
    k: int | None = None,
    timings: dict[str, float] | None = None,
    tokenizer: str | None = None,
) -> PackedContext:
    """Search and pack in one call: whole documents when they fit, otherwise the best passages."""
    from retrieval.search import search

    if doc_ids is not None and not doc_ids:
        return PackedContext(query=query, passages=[], tokens=0, budget=budget, mode="empty", coverage=[],
                             tokenizer=tokenizer or DEFAULT_FAMILY)
    if k is None:
        k = hits_for_budget(budget)
    with store.snapshot() if hasattr(store, "snapshot") else contextlib.nullcontext():
        hits = search(store, embedder, query, k=k, doc_ids=doc_ids, mode=mode, rerank_model=rerank_model, timings=timings)
        return pack(query, store, hits, budget=budget, doc_ids=doc_ids, timings=timings, tokenizer=tokenizer)


def hits_for_budget(budget: int) -> int:
    """Enough candidates to fill the budget with room to skip (a chunk is ~200–250 DeepSeek tokens)."""
    return max(50, min(1000, budget // 150))
