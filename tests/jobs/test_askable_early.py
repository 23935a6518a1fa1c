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
