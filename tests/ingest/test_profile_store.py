"""Profiles in the store: on the registry row and in `<name>_profiles`, renamed and dropped with their matter."""

from __future__ import annotations

import numpy as np

from ingest.store import open_store
from ingest.types import Chunk, Document, Profile


def _doc(store, doc_id: str) -> None:
    chunks = [Chunk(chunk_id=f"{doc_id}:{o:05d}", doc_id=doc_id, ordinal=o, text=f"clause {o} of the supply terms",
                    page_start=1, page_end=1, char_start=o * 40, char_end=o * 40 + 30) for o in range(3)]
    prof = Profile(version="1", title="Supply Agreement", parties=["Acme Holdings, Inc.", "Borealis LLC"],
                   dates=["2012-03-05"], first_page="SUPPLY AGREEMENT between Acme and Borealis")
    doc = Document(doc_id=doc_id, file=f"{doc_id[:6]}.pdf", title=prof.title, domain="contract", pages=1, chunks=3,
                   status="pending", profile=prof, chunk_header="Supply Agreement · Acme Holdings, Inc. / Borealis LLC")
    vecs = np.eye(3, 8, dtype=np.float32)
    store.add_document(doc, chunks, vecs, profile_vector=np.ones(8, dtype=np.float32))


def test_profiles_live_with_their_matter(tmp_path):
    store = open_store(tmp_path, collection="m_alpha")
    did = "a" * 64
    _doc(store, did)
    got = open_store(tmp_path, collection="m_alpha").documents()[0]
    assert got.profile.parties == ["Acme Holdings, Inc.", "Borealis LLC"] and got.profile.date == "2012-03-05"
    assert got.chunk_header.startswith("Supply Agreement · ")
    assert did in store.profile_vectors([did])
    # the BM25 index reads the header with each chunk's text; the stored text stays the document's own
    assert store.bm25_ids("Borealis", 5) and all(not c.text.startswith("Supply Agreement ·") for c in store.chunks(did))
    # a scoped (exact) dense search agrees with the collection's vectors
    assert [i for i, _ in store.dense_ids_many([np.eye(3, 8, dtype=np.float32)[1]], 1, [did])[0]] == [f"{did}:00001"]
    store.rename_collection("m_beta")
    assert did in open_store(tmp_path, collection="m_beta").profile_vectors([did])
    store.remove_document(did)
    assert store.profile_vectors([did]) == {}
    _doc(store, did)
    store.drop()
    names = {c.name if hasattr(c, "name") else c for c in store.client.list_collections()}
    assert not any(n.startswith("m_beta") for n in names)
