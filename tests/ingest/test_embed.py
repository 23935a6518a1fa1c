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


def test_int8_onnx_is_the_default_and_stays_close_to_torch_fp32():
    """The default backend is the int8 ONNX export of the same model: same window, same word pieces,
    vectors within cosine 0.98 of torch fp32 on real contract text, and the same nearest neighbours."""
    from pathlib import Path

    onnx = get_embedder()
    torch = get_embedder("default", "torch")
    assert onnx.backend == "onnx-int8" and onnx.note == "" and torch.backend == "torch"
    assert onnx.model is None and onnx.onnx.path.is_file()
    assert (onnx.max_tokens, onnx.dim) == (torch.max_tokens, torch.dim)
    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    from ingest.chunk import chunk_document
    from ingest.pdf import load_document

    pdf = sorted(samples.glob("*.pdf"))[0]
    chunks = chunk_document(load_document(pdf), onnx.count_tokens, onnx.max_tokens, 32)[:40]
    texts = [c.text for c in chunks]
    assert max(onnx.count_tokens(t) for t in texts) > 200  # full windows, not toy strings
    assert all(onnx.count_tokens(t) == torch.count_tokens(t) for t in texts)
    a, b = onnx.encode(texts), torch.encode(texts)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.98, cos.min()
    q = "Which law governs this agreement?"
    top = lambda e, m: list(np.argsort(-(m @ e.encode_query(q)))[:3])
    assert top(onnx, a)[0] == top(torch, b)[0]
    # a text's vector does not depend on the texts embedded with it (int8 scales are per run)
    assert np.allclose(onnx.encode(texts[3:9][::-1], batch_size=4), a[3:9][::-1], atol=1e-6)
    assert np.allclose(onnx.encode_query(texts[5]), a[5], atol=1e-6)


def test_int8_onnx_falls_back_to_torch_with_a_reason_when_the_model_cannot_be_exported(tmp_path):
    """A model folder without weights the exporter can read: torch (here: also unloadable → error)."""
    from ingest.onnx_embed import OnnxUnavailable, int8_model

    (tmp_path / "config.json").write_text("{}")
    try:
        int8_model(tmp_path)
    except OnnxUnavailable as exc:
        assert "not a local model folder" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected OnnxUnavailable")


def test_unknown_embedding_backend_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="unknown embedding backend 'bogus' \\(choose onnx-int8, torch\\)"):
        get_embedder("default", "bogus")


def test_first_use_builds_the_int8_copy_and_says_so(tmp_path, monkeypatch):
    """A machine without the cached int8 file: ingest announces the one-time build, then builds it."""
    from ingest.embed import default_model_path
    from ingest.onnx_embed import is_built
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    model = tmp_path / "model"
    model.mkdir()
    for f in default_model_path().iterdir():
        (model / f.name).symlink_to(f)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lazy = LazyEmbedder(str(model))
    assert lazy.needs_build() and not is_built(model)
    assert not LazyEmbedder(str(model), "torch").needs_build()
    doc = tmp_path / "note.txt"
    doc.write_text("This Agreement is governed by the laws of the State of Delaware. " * 20)
    events = []
    res = ingest_paths([doc], store=open_store(tmp_path / "home"), embedder=lazy, workers=0, progress=events.append)
    assert [r.status for r in res] == ["ingested"]
    waits = [e["message"] for e in events if e["event"] == "wait"]
    assert any("building its int8 ONNX copy" in m for m in waits)
    assert is_built(model) and not lazy.needs_build() and lazy.load().backend == "onnx-int8"


def test_a_model_the_int8_path_cannot_reproduce_stays_on_torch(tmp_path):
    """A sentence-transformers pipeline with a Dense layer: int8 would drop it, so it is refused."""
    import json

    import pytest

    from ingest.embed import default_model_path
    from ingest.onnx_embed import OnnxUnavailable, int8_model

    model = tmp_path / "model"
    model.mkdir()
    for f in default_model_path().iterdir():
        if f.name != "modules.json":
            (model / f.name).symlink_to(f)
    mods = json.loads((default_model_path() / "modules.json").read_text())
    mods.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (model / "modules.json").write_text(json.dumps(mods))
    with pytest.raises(OnnxUnavailable, match="Dense"):
        int8_model(model)
