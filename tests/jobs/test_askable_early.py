"""A document is askable once its text is stored; dense search joins when its vectors are in.

Real Chroma (embedded and a `chroma run` server), the real embedder, the real packer: between
`add_text` and `add_vectors` the document is listed, found by BM25, packed whole, and the coverage
report says its vectors are missing; dense search does not see it; afterwards everything does.
"""

from __future__ import annotations

from ingest.chunk import chunk_document
from ingest.embed import get_embedder
from ingest.types import Document
from retrieval.pack import build_context
from retrieval.search import search
from tests.ingest.test_store import CONTRACT, PAPER, add, make_parsed

C = "c" * 64
P = "d" * 64


def test_text_first_then_vectors(store_factory, tmp_path):
    store = store_factory(tmp_path)
    e = get_embedder()
    add(store, PAPER, P, "paper.pdf")  # a ready neighbour
    parsed = make_parsed(CONTRACT, C, "contract.pdf")
    chunks = chunk_document(parsed, e.count_tokens, e.max_tokens, 32)
    row = Document(doc_id=C, file="contract.pdf", title="contract", domain="contract", pages=parsed.page_count,
                   chunks=len(chunks), status="pending")
    store.add_text(row, chunks)

    # listed and readable whole, marked as without vectors
    listed = {d.doc_id: d for d in store.documents()}
    assert listed[C].status == "text" and listed[P].status == "ready"
    assert [c.chunk_id for c in store.chunks(C)] == [c.chunk_id for c in chunks]
    assert store.get_document(C) is not None
    # keyword search finds it, semantic search does not (yet)
    q = "Zanzibarian arbitration termination"
    assert store.bm25_search(q, 5)[0][0].doc_id == C
    assert all(h.chunk.doc_id != C for h in search(store, e, q, k=10, mode="dense"))
    assert any(h.chunk.doc_id == C for h in search(store, e, q, k=10, mode="hybrid"))
    packed = build_context(store, e, "Which law governs?", budget=60_000)
    cov = {c.doc_id: c for c in packed.coverage}
    assert packed.mode == "whole" and cov[C].whole and cov[C].vectors is False and cov[P].vectors is True
    assert "Delaware" in "".join(p.text for p in packed.passages if p.doc_id == C)
    # half-way is a problem unless a job is on it
    assert any("not its vectors" in p for p in store.check_consistency())
    assert store.check_consistency(live={C}) == []

    store.add_vectors(row, chunks, e.encode([c.text for c in chunks]))
    assert store.get_document(C).status == "ready"
    assert any(h.chunk.doc_id == C for h in search(store, e, q, k=10, mode="dense"))
    assert {c.doc_id: c.vectors for c in build_context(store, e, q, budget=60_000).coverage}[C] is True
    assert [c.chunk_id for c in store.chunks(C)] == [c.chunk_id for c in chunks]
    assert store.check_consistency() == []
    assert store.count_chunks() == len(chunks) + len(store.chunks(P))


def test_a_stored_text_is_embedded_without_parsing_again(tmp_path):
    """A job killed after storing the text: the next attempt embeds the stored chunks (no re-parse)."""
    from ingest.embed import LazyEmbedder
    from ingest.pipeline import IngestConfig, Ingester
    from ingest.store import open_store

    src = tmp_path / "note.txt"
    src.write_text("ARTICLE I\n\nThe seller shall deliver the goods by March. Payment is due in thirty days.\n")
    store = open_store(tmp_path / "home")
    emb = LazyEmbedder()
    ing = Ingester(workers=0)
    events: list[dict] = []
    cfg = IngestConfig()
    first = ing.ingest_file(store, emb, src, cfg, progress=events.append)
    row = store.row(first.doc_id)
    # put it back to "text only", as a worker killed while embedding leaves it
    store.add_text(Document(**{**row.__dict__, "status": "pending"}), store.chunks(first.doc_id))
    assert store.row(first.doc_id).status == "text"
    events.clear()
    again = ing.ingest_file(store, emb, src, cfg, progress=events.append)
    assert again.status == "ingested" and again.chunks == first.chunks
    assert any(ev.get("resumed") for ev in events if ev["event"] == "parsed")
    assert not any(ev["event"] == "file" and ev.get("stage") == "parsing" for ev in events)
    assert store.row(first.doc_id).status == "ready" and store.check_consistency() == []


def _long_parsed(doc_id: str, n_paragraphs: int):
    paras = [f"Clause {k}. The Licensee shall pay the royalty of {k} per cent on net sales in territory {k}, "
             f"and the Zanzibarian court decides every dispute about clause {k} within ninety days."
             for k in range(n_paragraphs)]
    return make_parsed(["\n\n".join(paras[k: k + 10]) for k in range(0, n_paragraphs, 10)], doc_id, "long.pdf")


def test_text_rows_are_packed_and_read_back_whole(store_factory, tmp_path):
    """Text-only chunks go TEXT_PART to a Chroma row (no per-chunk document or metadata keys for Chroma to
    index); every read path gives back the chunks as they were written."""
    from ingest.store import TEXT_PART

    store = store_factory(tmp_path)
    e = get_embedder()
    parsed = _long_parsed(C, 400)
    chunks = chunk_document(parsed, e.count_tokens, 64, 8)
    chunks = [c.__class__(**{**c.__dict__, "ctx_tokens": 50 + c.ordinal, "ctx_tail": 40}) for c in chunks]
    assert len(chunks) > 2 * TEXT_PART  # three rows at least, the last one partly filled
    store.add_text(Document(doc_id=C, file="long.pdf", title="long", domain="contract", pages=parsed.page_count,
                            chunks=len(chunks), status="pending"), chunks)
    rows = store._text.get(include=["metadatas"])
    assert len(rows["ids"]) == -(-len(chunks) // TEXT_PART)
    assert store.chunks(C) == chunks  # every field, in order
    some = [chunks[-1].chunk_id, chunks[0].chunk_id, chunks[TEXT_PART].chunk_id, "nope:00001"]
    assert [c.chunk_id for c in store.get_chunks(some)] == some[:3]
    assert store.get_chunks(some)[0] == chunks[-1]
    assert store.bm25_search("territory 301 clause 301", 3)[0][0].doc_id == C
    assert store.check_consistency(live={C}) == []
    store.add_vectors(Document(**{**store.row(C).__dict__}), chunks, e.encode([c.text for c in chunks]))
    assert store._text.count() == 0 and store.check_consistency() == []


def test_text_rows_written_one_chunk_each_are_still_read(store_factory, tmp_path):
    """A store from before the packing, with a document left text-only: read, searched, checked and finished."""
    from ingest.store import _chunk_meta

    store = store_factory(tmp_path)
    e = get_embedder()
    parsed = _long_parsed(C, 40)
    chunks = chunk_document(parsed, e.count_tokens, 64, 8)
    row = Document(doc_id=C, file="long.pdf", title="long", domain="contract", pages=parsed.page_count,
                   chunks=len(chunks), status="pending")
    store.add_text(row, chunks)
    store._text.delete(where={"doc_id": C})  # rewritten the old way: one chunk, one row, its text as the document
    store._text.upsert(ids=[c.chunk_id for c in chunks], embeddings=[[1.0]] * len(chunks),
                       documents=[c.text for c in chunks], metadatas=[_chunk_meta(c, "long.pdf") for c in chunks])
    assert store.chunks(C) == chunks
    assert [c.chunk_id for c in store.get_chunks([chunks[3].chunk_id])] == [chunks[3].chunk_id]
    assert store.bm25_search("territory 31 clause 31", 3)[0][0].doc_id == C
    assert store.check_consistency(live={C}) == []
    store.add_vectors(Document(**{**store.row(C).__dict__}), chunks, e.encode([c.text for c in chunks]))
    assert store._text.count() == 0 and store.check_consistency() == []
