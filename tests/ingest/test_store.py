"""The store against a real Chroma (embedded here; HARDEN adds a Chroma server run via `store_factory`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingest.chunk import chunk_document
from ingest.embed import get_embedder
from ingest.types import Document, Page, ParsedDocument

ROOT = Path(__file__).resolve().parents[2]

CONTRACT = [
    "ARTICLE I DEFINITIONS\n\n" + " ".join(f"Term {i} means the thing numbered {i} in Schedule A." for i in range(60)),
    "ARTICLE II GOVERNING LAW\n\nThis Agreement shall be governed by the laws of the State of Delaware. "
    + " ".join(f"Clause {i} of the boilerplate applies mutatis mutandis." for i in range(40)),
    "ARTICLE III TERMINATION\n\nEither party may terminate upon ninety days written notice. Zanzibarian "
    "arbitration applies to disputes about termination.",
]
PAPER = [
    "Abstract\n\nWe study retrieval augmented generation over long documents. " * 10,
    "1 Introduction\n\nLong contexts are expensive; photosynthesis is not relevant here. " * 12,
]


def make_parsed(pages: list[str], doc_id: str, file: str) -> ParsedDocument:
    from ingest.structure import detect_headings

    text = "\n\n".join(pages)
    ps, off = [], 0
    for i, t in enumerate(pages):
        ps.append(Page(number=i + 1, text=t, char_start=off))
        off += len(t) + 2
    return ParsedDocument(doc_id=doc_id, file=file, path=file, title=file.split(".")[0], domain="contract",
                          text=text, pages=tuple(ps), page_count=len(ps), headings=tuple(detect_headings(text)))


def add(store, pages, doc_id, file):
    e = get_embedder()
    doc = make_parsed(pages, doc_id, file)
    chunks = chunk_document(doc, e.count_tokens, e.max_tokens, 32)
    row = Document(doc_id=doc_id, file=file, title=doc.title, domain=doc.domain, pages=doc.page_count,
                   chunks=len(chunks), status="pending")
    store.add_document(row, chunks, e.encode([c.text for c in chunks]))
    return doc, chunks


A = "a" * 64
B = "b" * 64


def test_add_list_read_search_and_consistency(store_factory, tmp_path):
    store = store_factory(tmp_path)
    doc, chunks = add(store, CONTRACT, A, "contract.pdf")
    add(store, PAPER, B, "paper.pdf")
    assert [d.file for d in store.documents()] == ["contract.pdf", "paper.pdf"]
    d = store.get_document(A)
    assert d.status == "ready" and d.chunks == len(chunks) and d.pages == 3 and d.ingested_at
    got = store.chunks(A)
    assert [c.chunk_id for c in got] == [c.chunk_id for c in chunks]
    assert got == chunks  # every field round-trips, section path included
    assert store.get_chunks([chunks[2].chunk_id, chunks[0].chunk_id, "nope:00000"]) == [chunks[2], chunks[0]]
    assert store.document_text(A) == doc.text
    assert store.count_chunks() == len(chunks) + store.get_document(B).chunks

    e = get_embedder()
    hits = store.dense_search(e.encode_query("Which state's law governs the agreement?"), 3)
    assert hits[0][0].doc_id == A and "Delaware" in hits[0][0].text and 0 < hits[0][1] <= 1
    only_paper = store.dense_search(e.encode_query("Delaware governing law"), 5, doc_ids=[B])
    assert only_paper and all(c.doc_id == B for c, _ in only_paper)
    assert store.dense_search(e.encode_query("x"), 5, doc_ids=[]) == []

    bm = store.bm25_search("Zanzibarian arbitration", 3)
    assert bm[0][0].doc_id == A and "Zanzibarian" in bm[0][0].text
    assert store.bm25_search("Zanzibarian", 3, doc_ids=[B]) == []
    assert store.bm25_search("the of and", 3) == []  # stopwords only
    assert store.check_consistency() == []


def test_find_document_by_id_prefix_or_file_name(store_factory, tmp_path):
    store = store_factory(tmp_path)
    add(store, PAPER, A, "Paper One.pdf")
    add(store, CONTRACT, "ab" + "c" * 62, "contract.pdf")
    assert store.find_document(A).file == "Paper One.pdf"
    assert store.find_document("aaaaaa").doc_id == A  # unique prefix of 6
    assert store.find_document("aaaaa") is None  # too short
    assert store.find_document("abcccc").file == "contract.pdf"
    assert store.find_document("paper one.PDF").doc_id == A  # file name, case-insensitive
    assert store.find_document("/some/dir/contract.pdf").file == "contract.pdf"
    assert store.find_document("missing.pdf") is None


def test_remove_document_takes_everything(store_factory, tmp_path):
    store = store_factory(tmp_path)
    add(store, CONTRACT, A, "contract.pdf")
    _, paper_chunks = add(store, PAPER, B, "paper.pdf")
    assert store.bm25_search("Zanzibarian", 3)
    assert store.remove_document(A) is True
    assert store.remove_document(A) is False
    assert [d.doc_id for d in store.documents()] == [B]
    assert store.chunks(A) == [] and store.count_chunks() == len(paper_chunks)
    assert store.bm25_search("Zanzibarian", 3) == []
    assert all(c.doc_id == B for c, _ in store.dense_search(get_embedder().encode_query("Delaware"), 10))
    assert store.check_consistency() == []


def test_interrupted_ingest_is_invisible_and_cleaned_on_next_open(store_factory, tmp_path):
    store = store_factory(tmp_path)
    add(store, PAPER, B, "paper.pdf")
    # what a process killed mid-ingest leaves: a pending row and some of the chunks
    e = get_embedder()
    doc = make_parsed(CONTRACT, A, "contract.pdf")
    chunks = chunk_document(doc, e.count_tokens, e.max_tokens, 32)
    half = chunks[: len(chunks) // 2]
    store.mark_pending(Document(doc_id=A, file="contract.pdf", title="c", domain="contract", pages=3,
                                chunks=len(chunks), status="pending"))
    store.add_chunks_unchecked(half, e.encode([c.text for c in half]), file="contract.pdf")
    assert [d.doc_id for d in store.documents()] == [B]
    assert store.get_document(A) is None and store.find_document("contract.pdf") is None
    assert all(c.doc_id == B for c, _ in store.dense_search(e.encode_query("Delaware law"), 10))
    assert store.bm25_search("Zanzibarian", 5) == [] or all(c.doc_id == B for c, _ in store.bm25_search("Delaware", 5))
    assert any("pending" in p for p in store.check_consistency())

    reopened = store_factory(tmp_path)
    assert [r.doc_id for r in reopened.all_rows()] == [B]
    assert reopened.chunks(A) == []
    assert reopened.check_consistency() == []
    # and the ingest can be done again from scratch
    add(reopened, CONTRACT, A, "contract.pdf")
    assert reopened.get_document(A).chunks == len(chunks)
    assert reopened.check_consistency() == []


def test_bm25_index_is_persisted_and_reloaded(store_factory, tmp_path):
    store = store_factory(tmp_path)
    add(store, CONTRACT, A, "contract.pdf")
    store.refresh_bm25()
    saved = [p for p in (tmp_path / "bm25").rglob("ids.json")]
    assert len(saved) == 1
    again = store_factory(tmp_path)
    idx = again.bm25_index()
    assert idx.fingerprint == saved[0].parent.name
    assert again.bm25_search("Zanzibarian", 1)[0][0].doc_id == A


def test_other_process_writes_are_seen_by_an_open_embedded_store(store_factory, tmp_path):
    if store_factory.mode != "embedded":
        pytest.skip("embedded-store cross-process freshness")
    store = store_factory(tmp_path)
    add(store, PAPER, B, "paper.pdf")
    assert len(store.documents()) == 1
    collection = store.collection_name
    script = textwrap.dedent(f"""
        import numpy as np
        from ingest.store import open_store
        from ingest.types import Chunk, Document
        s = open_store({str(tmp_path)!r}, collection={collection!r})
        cs = [Chunk(chunk_id="{A}:%05d" % i, doc_id="{A}", ordinal=i, text="other process chunk %d" % i,
                    page_start=1, page_end=1, char_start=i * 30, char_end=i * 30 + 30) for i in range(3)]
        v = np.random.default_rng(0).normal(size=(3, 384)).astype("float32")
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        s.add_document(Document(doc_id="{A}", file="other.txt", title="o", domain="other", pages=1,
                                chunks=3, status="pending"), cs, v)
        print(len(s.documents()))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "2"
    assert [d.file for d in store.documents()] == ["other.txt", "paper.pdf"]
    assert len(store.chunks(A)) == 3
    assert store.bm25_search("other process chunk", 3)[0][0].doc_id == A
    assert store.check_consistency() == []


def test_registry_held_in_memory_still_sees_another_clients_writes(store_factory, tmp_path):
    """Rows are cached between writes; a write through another Store (another client) is seen at once."""
    reader = store_factory(tmp_path)
    add(reader, PAPER, B, "paper.pdf")
    assert [d.doc_id for d in reader.documents()] == [B]
    version = reader._rows_version
    assert version is not None and reader.documents() and reader._rows_version == version  # served from memory
    writer = store_factory(tmp_path)
    add(writer, CONTRACT, A, "contract.pdf")
    assert sorted(d.doc_id for d in reader.documents()) == [A, B]
    assert reader._rows_version != version
    writer.remove_document(B)
    assert [d.doc_id for d in reader.documents()] == [A]
    assert all(r.doc_id != "__registry_version__" for r in reader.all_rows())
    assert reader.check_consistency() == []


def test_chunk_table_beside_the_bm25_index_matches_chroma(store_factory, tmp_path):
    store = store_factory(tmp_path)
    _, chunks = add(store, CONTRACT, A, "contract.pdf")
    add(store, PAPER, B, "paper.pdf")
    C = "c" * 64
    _, odd = add(store, ["§ 4.2 Gültigkeit — “quoted” text, ﬁnal clause… 日本語の条項; émigré\tnaïve"], C, "odd.pdf")
    odd_ids = [c.chunk_id for c in odd]
    from_chroma = store._chroma_chunks(odd_ids)
    assert store.get_chunks(odd_ids) == [from_chroma[i] for i in odd_ids]
    assert [c.text for c in store.get_chunks(odd_ids)] == [c.text for c in odd]  # non-ASCII survives the table
    idx = store.bm25_index()
    assert idx.corpus is not None and len(idx.row) == store.count_chunks()
    ids = [c.chunk_id for c in chunks][::-1] + ["nope:00001"]
    from_table = store.get_chunks(ids)
    from_chroma = store._chroma_chunks(ids)
    assert [c.chunk_id for c in from_table] == ids[:-1]  # asked order, unknown id dropped
    assert all(c == from_chroma[c.chunk_id] for c in from_table)
    assert from_table[::-1] == store.chunks(A)
    # a removed document's chunks are not served from a stale table
    store.remove_document(A)
    assert store.get_chunks(ids) == []
    assert store.bm25_index().fingerprint != idx.fingerprint


def test_chunk_text_is_a_metadata_value_and_older_rows_still_read(store_factory, tmp_path):
    """New chunks carry their text as a metadata value (no Chroma document for its full-text index to
    process); chunks written before, with the text as the Chroma document, read, search and check alike."""
    import shutil

    from ingest.store import _chunk_meta

    store = store_factory(tmp_path)
    e = get_embedder()
    doc_id = "e" * 64
    _, chunks = add(store, CONTRACT, doc_id, "contract.pdf")
    got = store._chunks.get(ids=[chunks[0].chunk_id], include=["documents", "metadatas"])
    assert got["documents"] == [None] and got["metadatas"][0]["text"] == chunks[0].text
    assert store.chunks(doc_id) == chunks
    store._chunks.delete(where={"doc_id": doc_id})  # as a store from before holds them
    store._chunks.upsert(ids=[c.chunk_id for c in chunks], embeddings=e.encode([c.text for c in chunks]),
                         documents=[c.text for c in chunks], metadatas=[_chunk_meta(c, "contract.pdf") for c in chunks])
    shutil.rmtree(store._bm25_dir(), ignore_errors=True)
    store._bm25 = None
    assert store.chunks(doc_id) == chunks
    assert store.get_chunks([chunks[-1].chunk_id]) == [chunks[-1]]
    hit = store.bm25_search("Zanzibarian arbitration", 3)[0][0]
    assert hit.doc_id == doc_id and hit in chunks
    assert store.check_consistency() == []
