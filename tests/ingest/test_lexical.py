"""BM25 terms of mixed Chinese/English text, and the store's BM25 finding Chinese clauses by their words."""

from __future__ import annotations

from ingest import lexical
from ingest.store import open_store
from tests.ingest.test_store import CONTRACT, add


def test_english_terms_are_as_before():
    import bm25s

    text = "This Agreement shall be governed by the laws of the State of Delaware, terminating on notice."
    old = bm25s.tokenize([text], stopwords="en", stemmer=lexical._stemmer(), return_ids=False, show_progress=False,
                         lower=True)
    assert lexical.tokenize([text]) == [list(old[0])]


def test_a_chinese_clause_is_cut_into_words_not_kept_whole():
    terms = lexical.tokenize(["劳动者提前三十日以书面形式通知用人单位，可以解除劳动合同。"])[0]
    assert {"劳动者", "书面", "通知", "用人单位", "解除", "劳动合同"} <= set(terms)
    assert "的" not in lexical.tokenize(["用人单位的规章制度"])[0]  # function words out


def test_mixed_text_keeps_both_languages_and_folds_full_width_forms():
    terms = lexical.tokenize(["本合同适用 Delaware 法律，自２０２３年起生效。"])[0]
    assert "delaware" in terms and "2023" in terms and "合同" in terms and "法律" in terms


def test_bigram_scheme():
    assert lexical.tokenize(["适用法律", "法"], "bigram") == [["适用", "用法", "法律"], ["法"]]


def test_tokenizer_id_names_the_scheme():
    assert lexical.tokenizer_id("jieba") != lexical.tokenizer_id("bigram")
    assert lexical.TOKENIZER_ID == lexical.tokenizer_id(lexical.DEFAULT)


ZH_CONTRACT = [
    "服务合同\n\n第一条 服务内容。乙方按照甲方的要求提供软件维护服务，服务期限为一年。\n"
    "第十条 合同终止。任何一方可以提前六十日书面通知对方终止本合同。\n"
    "第十二条 适用法律。本合同的订立、效力、解释和争议的解决均适用中华人民共和国法律。",
    "第十三条 争议解决。因本合同引起的争议，双方应当协商解决；协商不成的，提交上海仲裁委员会仲裁。\n"
    "第十四条 付款。甲方应当在收到发票后三十日内支付服务费。",
]


def test_store_bm25_finds_chinese_clauses_by_their_words(tmp_path):
    """The issue's failure: "适用法律" reached the governing-law clause only by luck; each question now reaches
    its article through BM25 alone, beside an English contract in the same library."""
    s = open_store(tmp_path / "home")
    _, zh = add(s, ZH_CONTRACT, "c" * 64, "服务合同.pdf")
    add(s, CONTRACT, "a" * 64, "contract.pdf")
    by_id = {c.chunk_id: c.text for c in zh}
    for question, article in [("本合同适用哪国法律？", "第十二条"), ("合同可以提前多少天终止？", "第十条"),
                              ("争议如何解决，由哪个仲裁委员会仲裁？", "第十三条"), ("服务费什么时候支付", "第十四条")]:
        top = s.bm25_ids(question, 3)
        assert top and top[0][0] in by_id, (question, top)
        best = by_id[top[0][0]]
        assert article in best, (question, best[:80])
    assert s.bm25_ids("governing law Delaware", 1)[0][0].startswith("a" * 12) or "a" * 12 in s.bm25_ids(
        "governing law Delaware", 1)[0][0]


def test_an_index_written_with_another_tokenizer_is_rebuilt(tmp_path, monkeypatch):
    """A library whose BM25 index on disk was written by the old tokenizer (Chinese clauses as whole tokens) is
    re-indexed with the current one on first use, not searched with terms it was never indexed with."""
    import bm25s

    import ingest.store as store_mod

    home = tmp_path / "home"
    old_id = "bm25s-en-stem-1"
    with monkeypatch.context() as m:
        m.setattr(store_mod, "_BM25_TOKENS", old_id)
        m.setattr(store_mod, "_bm25_tokenize", lambda texts: bm25s.tokenize(
            texts, stopwords="en", stemmer=lexical._stemmer(), return_ids=False, show_progress=False, lower=True))
        s = open_store(home)
        _, zh = add(s, ZH_CONTRACT, "c" * 64, "服务合同.pdf")
        assert s.bm25_ids("中华人民共和国法律", 3) == []  # the old index: no clause is that one token
    fresh = open_store(home)
    fresh._bm25 = None
    top = fresh.bm25_ids("中华人民共和国法律", 3)
    assert top and "第十二条" in {c.chunk_id: c.text for c in zh}[top[0][0]]
