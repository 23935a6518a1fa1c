"""The packer's invariants, checked with hypothesis over real chunks of the sample PDFs in a real store.

Never over budget (exact DeepSeek count of the rendered text), no duplicated text, reading order,
every label resolves to stored chunks on those pages, whole-document mode exactly when it fits,
every document with hits gets a share, and whole-document contexts are byte-identical across questions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.pack import ELISION, build_context, exact_tokens, pack, render_context
from retrieval.types import Hit

LABEL = re.compile(r"^D(\d+) p\.(\d+)(?:–(\d+))?$")


def _home(fixture) -> Path:
    return Path(fixture) if isinstance(fixture, (str, Path)) else Path(fixture.home)


@pytest.fixture(scope="module")
def lib(samples_home):
    from app.config import load_settings
    from app.library import documents as library

    s = load_settings(env={}, home=str(_home(samples_home)))
    store = library.get_store(s)
    docs = store.documents()
    assert len(docs) >= 3
    chunks = {d.doc_id: store.chunks(d.doc_id) for d in docs}
    texts = {d.doc_id: store.document_text(d.doc_id) for d in docs}
    whole_cost = {}
    for d in docs:  # what each document costs packed whole, alone
        pk = pack("q", store, [], budget=10**7, doc_ids=[d.doc_id])
        assert pk.mode == "whole"
        whole_cost[d.doc_id] = pk.tokens
    return {"store": store, "docs": docs, "chunks": chunks, "texts": texts, "whole": whole_cost,
            "embedder": library.get_embedder_for(s)}


def _hits(lib, picks) -> list[Hit]:
    hits, seen = [], set()
    for di, frac in picks:
        d = lib["docs"][di % len(lib["docs"])]
        cs = lib["chunks"][d.doc_id]
        c = cs[int(frac * (len(cs) - 1))]
        if c.chunk_id in seen:
            continue
        seen.add(c.chunk_id)
        hits.append(Hit(chunk=c, score=1.0 / (len(hits) + 1), rank=len(hits)))
    return hits


def check_invariants(lib, packed, budget, doc_ids):
    store = lib["store"]
    # 1. never over budget, counted on the rendered text with the real tokenizer
    assert packed.tokens <= budget
    text = render_context(packed)
    assert exact_tokens(packed) <= packed.tokens or not text
    # 2. grouped by document in a deterministic order, pages ascending inside a document
    order = [p.doc_index for p in packed.passages]
    assert order == sorted(order)
    allowed = set(doc_ids) if doc_ids is not None else {d.doc_id for d in lib["docs"]}
    last = {}
    for p in packed.passages:
        assert p.doc_id in allowed
        if p.doc_id in last:
            assert p.page_start > last[p.doc_id].page_start
            assert p.char_start >= last[p.doc_id].char_end  # 3. no text twice (overlaps merged)
        last[p.doc_id] = p
    # 3b. the text is the document's own, in order, never repeated
    cursor: dict[str, int] = {}
    for p in packed.passages:
        doc_text = lib["texts"][p.doc_id]
        for seg in p.text.split(ELISION):
            seg = seg.strip()
            if not seg:
                continue
            at = doc_text.find(seg, cursor.get(p.doc_id, 0))
            assert at >= 0, f"passage {p.label} text not found in order in its document"
            cursor[p.doc_id] = at + len(seg)
    # 4. every label is unique and resolves to stored chunks on those pages
    assert len(packed.by_label()) == len(packed.passages)
    for p in packed.passages:
        m = LABEL.match(p.label)
        assert m, p.label
        assert int(m.group(1)) == p.doc_index and int(m.group(2)) == p.page_start
        assert int(m.group(3) or m.group(2)) == p.page_end
        assert f"[{p.label}]" in text
        got = store.get_chunks(list(p.chunk_ids))
        assert [c.chunk_id for c in got] == list(p.chunk_ids)
        assert all(c.doc_id == p.doc_id for c in got)
        assert [c.ordinal for c in got] == sorted(c.ordinal for c in got)
        assert got[0].page_start == p.page_start
        assert all(p.page_start <= c.page_start and c.page_end <= p.page_end for c in got)
    ids = [cid for p in packed.passages for cid in p.chunk_ids]
    assert len(ids) == len(set(ids))
    # coverage adds up
    assert sum(c.tokens for c in packed.coverage) == packed.tokens


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    doc_mask=st.lists(st.booleans(), min_size=4, max_size=4).filter(any),
    picks=st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1)), min_size=0, max_size=40),
    budget=st.one_of(st.integers(0, 3000), st.integers(3000, 40000), st.integers(40000, 90000)),
    fair=st.booleans(),
)
def test_packer_invariants(lib, doc_mask, picks, budget, fair):
    docs = [d for d, keep in zip(lib["docs"], doc_mask) if keep]
    doc_ids = [d.doc_id for d in docs]
    hits = [h for h in _hits(lib, picks) if h.chunk.doc_id in doc_ids]
    packed = pack("q", lib["store"], hits, budget=budget, doc_ids=doc_ids, fair=fair)
    check_invariants(lib, packed, budget, doc_ids)

    whole = sum(lib["whole"][d] for d in doc_ids)
    if packed.mode == "whole":
        # whole-document mode: every chunk of every chosen document, nothing else
        assert whole <= budget + 5 * len(doc_ids)
        assert {cid for p in packed.passages for cid in p.chunk_ids} == {
            c.chunk_id for d in doc_ids for c in lib["chunks"][d]
        }
        assert all(c.whole for c in packed.coverage)
    else:
        assert budget < whole
    # fairness: with room for a passage each, every chosen document that has hits is in the context
    with_hits = {h.chunk.doc_id for h in hits}
    if fair and packed.mode == "retrieved" and budget >= 2 * 1200 * len(with_hits):
        assert with_hits <= {p.doc_id for p in packed.passages}


def test_whole_mode_when_the_documents_fit_and_not_one_token_less(lib):
    store = lib["store"]
    d = min(lib["docs"], key=lambda d: lib["whole"][d.doc_id])
    cost = lib["whole"][d.doc_id]
    exact = pack("q", store, [], budget=cost, doc_ids=[d.doc_id])
    assert exact.mode == "whole" and exact.tokens == cost
    hit = Hit(chunk=lib["chunks"][d.doc_id][0], score=1.0, rank=0)
    short = pack("q", store, [hit], budget=cost - 1, doc_ids=[d.doc_id])
    assert short.mode == "retrieved" and short.tokens <= cost - 1
    # whole mode: the passages rebuild the document text exactly (overlaps merged, nothing lost)
    rebuilt = " ".join(seg for p in exact.passages for seg in p.text.split())
    assert rebuilt == " ".join(lib["texts"][d.doc_id].split())
    cov = exact.coverage[0]
    assert cov.whole and cov.pages_missing == [] or set(cov.pages_missing) <= set(range(1, d.pages + 1))


def test_whole_context_is_identical_across_questions(lib):
    """Cache-stable: nothing question-dependent before (or inside) the document block."""
    store, emb = lib["store"], lib["embedder"]
    ids = [d.doc_id for d in lib["docs"]]
    a = build_context(store, emb, "Which law governs these agreements?", doc_ids=ids, budget=200_000)
    b = build_context(store, emb, "Who may terminate and when?", doc_ids=list(reversed(ids)), budget=200_000)
    assert a.mode == b.mode == "whole"
    assert render_context(a) == render_context(b)
    # D-numbers follow file names, whatever order the caller named the documents in
    files = [c.file for c in a.coverage]
    assert files == sorted(files, key=str.lower)
    assert [c.label for c in a.coverage] == [f"D{i}" for i in range(1, len(files) + 1)]


def test_retrieved_mode_finds_the_clause_and_labels_its_page(lib):
    store, emb = lib["store"], lib["embedder"]
    king = next(d for d in lib["docs"] if d.file.startswith("KING"))
    packed = build_context(store, emb, "Which state's law governs this agreement?", doc_ids=[king.doc_id], budget=3000)
    assert packed.mode == "retrieved" and packed.tokens <= 3000
    holder = [p for p in packed.passages if "State of New York" in " ".join(p.text.split())]
    assert holder, "the governing-law clause is not in a 3K context"
    chunk_pages = {(c.page_start, c.page_end) for c in store.get_chunks(list(holder[0].chunk_ids))}
    assert all(holder[0].page_start <= a and b <= holder[0].page_end for a, b in chunk_pages)
    cov = packed.coverage[0]
    assert not cov.whole and cov.pages_missing and cov.tokens == packed.tokens


def test_empty_and_tiny_budgets(lib):
    store = lib["store"]
    d = lib["docs"][0]
    hit = Hit(chunk=lib["chunks"][d.doc_id][0], score=1.0, rank=0)
    for b in (0, 1, 10):
        pk = pack("q", store, [hit], budget=b, doc_ids=[d.doc_id])
        assert pk.passages == [] and pk.mode == "empty" and pk.tokens == 0
    assert pack("q", store, [], budget=5000, doc_ids=[]).mode == "empty"
    assert build_context(store, lib["embedder"], "anything", doc_ids=[], budget=5000).passages == []


def test_token_counts_stored_at_ingest_are_exact_and_pack_the_same(lib, monkeypatch):
    """Ingest stores each chunk's DeepSeek count (whole and after its predecessor's overlap); packing
    with them gives exactly the context that counting at question time gives."""
    from ingest.chunk import tail_text
    from retrieval import pack as packmod
    from retrieval.tokens import count_tokens, tokenizer_id

    store = lib["store"]
    for d in lib["docs"]:
        assert d.ctx_tokenizer == tokenizer_id()
        cs = lib["chunks"][d.doc_id]
        assert all(c.ctx_tokens == count_tokens(c.text) for c in cs)
        assert all(b.ctx_tail == count_tokens(tail_text(a, b)) for a, b in zip(cs, cs[1:]))
    q = "What law governs, and can the agreement be terminated for convenience?"
    from retrieval.search import search

    hits = search(store, lib["embedder"], q, k=60)
    ids = [d.doc_id for d in lib["docs"]]
    stored = [pack(q, store, hits, budget=b, doc_ids=ids, whole=False) for b in (1500, 6000, 20000)]
    packmod.TOKEN_CACHE.clear()
    monkeypatch.setattr(packmod, "tokenizer_id", lambda family=None: "another-tokenizer")  # stored counts untrusted
    counted = [pack(q, store, hits, budget=b, doc_ids=ids, whole=False) for b in (1500, 6000, 20000)]
    assert packmod.TOKEN_CACHE.misses > 0
    for a, b in zip(stored, counted):
        assert a.tokens == b.tokens and render_context(a) == render_context(b)
        assert exact_tokens(a) <= a.tokens


def test_another_tokenizer_family_is_counted_at_question_time_and_never_exceeds(lib):
    """Chunks carry V4 counts from ingest; a V3-family model (CometAPI's V3.2-Exp, self-hosted V3.2) is
    counted with V3's tokenizer at question time, and its budget holds under V3's exact count."""
    from retrieval import pack as packmod
    from retrieval.pack import header_cost, page_label, passage_header
    from retrieval.search import search
    from retrieval.tokens import count_tokens, tokenizer_id

    store = lib["store"]
    ids = [d.doc_id for d in lib["docs"]]
    assert all(d.ctx_tokenizer == tokenizer_id("deepseek-v4") != tokenizer_id("deepseek-v3") for d in lib["docs"])
    q = "What law governs, and can the agreement be terminated for convenience?"
    hits = search(store, lib["embedder"], q, k=60)
    for budget in (1500, 6000, 20000):
        misses = packmod.TOKEN_CACHE.misses
        v3 = pack(q, store, hits, budget=budget, doc_ids=ids, whole=False, tokenizer="deepseek-v3")
        v4 = pack(q, store, hits, budget=budget, doc_ids=ids, whole=False)
        assert v3.tokenizer == "deepseek-v3" and v4.tokenizer == "deepseek-v4"
        assert exact_tokens(v3) == count_tokens(render_context(v3), "deepseek-v3") <= v3.tokens <= budget
        assert exact_tokens(v4) <= v4.tokens <= budget
        assert packmod.TOKEN_CACHE.misses > misses or budget > 1500  # V3 counts were made, not read from the store
    whole3 = pack(q, store, hits, budget=10**6, doc_ids=ids, tokenizer="deepseek-v3")
    whole4 = pack(q, store, hits, budget=10**6, doc_ids=ids)
    assert whole3.mode == whole4.mode == "whole" and render_context(whole3) == render_context(whole4)
    # one BPE vocabulary: plain text counts the same; the families differ on text that spells an added token
    assert whole3.tokens == whole4.tokens
    assert exact_tokens(whole3) <= whole3.tokens and exact_tokens(whole4) <= whole4.tokens
    odd = "The agent wrote <dsml:call> and <｜latest_reminder｜> into the log."  # V4's added (non-special) tokens
    assert count_tokens(odd, "deepseek-v3") > count_tokens(odd, "deepseek-v4")
    for fam in ("deepseek-v3", "deepseek-v4"):  # special-token text is counted as the text it is
        assert count_tokens("<｜end▁of▁sentence｜>", fam) > 1
    for sec in {c.section_path for cs in lib["chunks"].values() for c in cs}:
        for i, a, b in ((1, 1, 1), (9, 99, 100), (12, 3, 7)):
            exact = count_tokens(passage_header(page_label(i, a, b), sec) + "\n", "deepseek-v3")
            assert exact <= header_cost(i, a, b, sec, "deepseek-v3")


def test_header_cost_bounds_the_exact_count_for_real_and_odd_sections(lib):
    import random

    from retrieval.pack import header_cost, page_label, passage_header
    from retrieval.tokens import count_tokens

    sections = {c.section_path for cs in lib["chunks"].values() for c in cs}
    sections |= {"", "§ 4.2(a)", "ARTICLE IV — TERM", "1.1 Definitions.", "Références > Annexe B", "  odd\tspacing  ",
                 "Section 16.11 Governing Law; Venue.", "(iii)", "Appendix A > Table 3: results (n = 1,024)"}
    spans = [(i, a, b) for i in (1, 9, 10, 123) for a, b in ((1, 1), (9, 10), (99, 100), (123, 130))]
    over = []
    for sec in sections:
        for i, a, b in spans:
            exact = count_tokens(passage_header(page_label(i, a, b), sec) + "\n")
            est = header_cost(i, a, b, sec)
            assert exact <= est, (i, a, b, sec, exact, est)
            over.append(est - exact)
    assert max(over) <= 2 and sum(over) / len(over) <= 1.5  # tight, not a blanket over-estimate
    # labels alone, over a wide range of document and page numbers
    rng = random.Random(3)
    for _ in range(3000):
        i, a = rng.randint(1, 3000), rng.randint(1, 5000)
        b = a + rng.choice((0, 0, 1, 2, 17))
        exact = count_tokens(passage_header(page_label(i, a, b), "") + "\n")
        assert exact <= header_cost(i, a, b, "") <= exact + 1
