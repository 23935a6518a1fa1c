"""The embedder: offline default model, its own word-piece counts, normalised float32 vectors."""

from __future__ import annotations

import numpy as np

from ingest.embed import LazyEmbedder, get_embedder, load_token_counter


def test_default_model_loads_offline_and_is_cached():
    e = get_embedder()
    assert get_embedder("default") is e
    assert e.max_tokens == 254 and e.dim == 384


def test_count_tokens_has_no_specials_and_no_truncation():
    e = get_embedder()
    assert e.count_tokens("hello") == 1
    assert e.count_tokens("hello world " * 300) == 600  # tokenizer.json ships truncation at 128
    lazy_count = load_token_counter(e.tokenizer_file)
    for t in ["Section 4.2(a) — non-compete", "agreement " * 500, "ünïcödé text, 12.5%"]:
        assert lazy_count(t) == e.count_tokens(t)


def test_vectors_are_normalised_float32_and_meaningful():
    e = get_embedder()
    v = e.encode(["The contract is governed by New York law.",
                  "New York law governs this agreement.",
                  "Photosynthesis converts light into chemical energy."])
    assert v.dtype == np.float32 and v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3
    q = e.encode_query("Which law governs?")
    assert q.shape == (384,)
    assert e.encode([]).shape == (0, 384)


def test_lazy_embedder_knows_its_window_without_loading():
    lazy = LazyEmbedder("a-name-not-loaded-yet")
    assert lazy._real is None
    d = LazyEmbedder("default")
    assert d.max_tokens == 254 and d.tokenizer_file.endswith("tokenizer.json")
