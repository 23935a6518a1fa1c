"""transformers backend on CPU with a tiny randomly initialised Llama built here (no download)."""

from __future__ import annotations

import pytest

from model.base import ChatOptions, ContentDelta, Finish, ModelError, UsageEvent
from model.local import ThinkSplitter
from model.registry import make_backend

WORDS = "the court held that contract clause law party shall agreement page section notice term".split()


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<eos>": 0, "<unk>": 1, "<pad>": 2, ":": 3, "\n": 4}
    for w in WORDS + ["user", "assistant", "system", "hi", "be", "brief"]:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", unk_token="<unk>", pad_token="<pad>")
    fast.chat_template = (
        "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} \n{% endfor %}"
        "{% if add_generation_prompt %}assistant :{% endif %}"
    )
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
        eos_token_id=None, pad_token_id=2, bos_token_id=None,
    )
    model = LlamaForCausalLM(cfg)
    model.generation_config.eos_token_id = None  # random weights: run to max_new_tokens
    d = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(d)
    fast.save_pretrained(d)
    return d


MSGS = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi the court"}]


def test_streams_counts_usage_and_costs_nothing(tiny_model_dir):
    b = make_backend("transformers", str(tiny_model_dir), None, None, timeout_s=60, max_retries=0)
    assert b.name == "transformers" and b.device == "cpu" and b.context_window == 256
    events = list(b.stream(MSGS, ChatOptions(max_tokens=6)))
    deltas = [e.text for e in events if isinstance(e, ContentDelta)]
    assert deltas and isinstance(events[-2], UsageEvent) and isinstance(events[-1], Finish)
    c = events[-1].completion
    assert c.text == "".join(deltas) and c.text.strip()
    prompt = b.tokenizer.apply_chat_template(MSGS, tokenize=False, add_generation_prompt=True)
    assert c.usage.prompt_tokens == b.count_tokens(prompt) and c.usage.output_tokens == 6
    assert c.finish_reason == "length" and c.incomplete  # stopped by the cap, said so
    assert c.cost_usd == 0.0 and b.estimate_cost(1000, 100) == 0.0


def test_stops_on_eos_and_reports_stop(tiny_model_dir):
    b = make_backend("transformers", str(tiny_model_dir), None, None, timeout_s=60, max_retries=0)
    b.hf.generation_config.eos_token_id = list(range(b.hf.config.vocab_size))  # any token ends it
    c = b.complete(MSGS, ChatOptions(max_tokens=6))
    assert c.usage.output_tokens == 1 and c.finish_reason == "stop" and not c.incomplete


def test_prompt_larger_than_window_is_a_clear_error(tiny_model_dir):
    b = make_backend("transformers", str(tiny_model_dir), None, None, timeout_s=60, max_retries=0)
    with pytest.raises(ModelError, match="does not fit"):
        b.complete([{"role": "user", "content": "the " * 400}])


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelError, match="not a model directory"):
        make_backend("transformers", str(tmp_path), None, None, timeout_s=5, max_retries=0)


def test_think_splitter_across_chunk_borders():
    s = ThinkSplitter()
    parts = []
    for piece in ["<thi", "nk>Clause 9 ", "governs.</th", "ink>\n\nDelaware", " law."]:
        parts += s.feed(piece)
    parts += s.flush()
    reasoning = "".join(t for k, t in parts if k == "reasoning")
    content = "".join(t for k, t in parts if k == "content")
    assert reasoning == "Clause 9 governs." and content == "Delaware law."
    s2 = ThinkSplitter(starts_in_thought=True)  # R1-Distill templates open <think> in the prompt
    parts = s2.feed("why</think>answer") + s2.flush()
    assert parts == [("reasoning", "why"), ("content", "answer")]
    s3 = ThinkSplitter()
    assert s3.feed("plain answer") + s3.flush() == [("content", "plain answer")]
