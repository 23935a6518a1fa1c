"""The sentence splitter: Chinese and English ends, closing quotes, offsets, long runs; then on dev-zh."""

from __future__ import annotations

import json

from parse_cache import SHARED, need

from ingest.sentences import SENTENCE_BREAK, sentence_spans, sentences, split_sentences

DEV_ZH = SHARED / "eval" / "dev-zh"


def test_chinese_sentences_end_at_full_stops_and_marks():
    text = "劳动者提前三十日以书面形式通知用人单位，可以解除劳动合同。劳动者在试用期内提前三日通知用人单位，可以解除劳动合同。"
    assert split_sentences(text) == [
        "劳动者提前三十日以书面形式通知用人单位，可以解除劳动合同。",
        "劳动者在试用期内提前三日通知用人单位，可以解除劳动合同。",
    ]
    assert split_sentences("真的吗？是的！有下列情形之一的；其他……结束") == ["真的吗？", "是的！", "有下列情形之一的；", "其他……", "结束"]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    assert split_sentences("他说：“我同意。”然后离开。") == ["他说：“我同意。”", "然后离开。"]
    assert split_sentences("即「不得解除。」其后（详见第五条。）完") == ["即「不得解除。」", "其后（详见第五条。）", "完"]
    assert split_sentences("『甲方签字！』乙方") == ["『甲方签字！』", "乙方"]


def test_commas_and_colons_do_not_end_a_chinese_sentence():
    assert split_sentences("第一条　为了规范，明确权利义务：保护合法权益。") == ["第一条　为了规范，明确权利义务：保护合法权益。"]


def test_half_width_marks_after_han_end_a_sentence_and_full_width_text_is_verbatim():
    text = "适用中华人民共和国法律!双方（甲方、乙方）同意?"
    assert split_sentences(text) == ["适用中华人民共和国法律!", "双方（甲方、乙方）同意?"]


def test_offsets_index_the_given_text():
    text = "  第十条 建立劳动关系，应当订立书面劳动合同。\n已建立劳动关系的，应当自用工之日起一个月内订立。 The End.  "
    got = sentences(text)
    assert [s.text for s in got] == ["第十条 建立劳动关系，应当订立书面劳动合同。", "已建立劳动关系的，应当自用工之日起一个月内订立。", "The End."]
    assert all(text[s.start: s.end] == s.text for s in got)


def test_english_rules_are_unchanged():
    text = "This Agreement is made by Acme Inc. and Beta Corp. It is governed by Delaware law. See Section 8.1. The End."
    assert split_sentences(text) == [
        "This Agreement is made by Acme Inc. and Beta Corp. It is governed by Delaware law.",
        "See Section 8.1.",
        "The End.",
    ]
    assert split_sentences("First one.\n\nsecond one") == ["First one.", "second one"]


def test_mixed_english_and_chinese():
    assert split_sentences("本合同适用纽约州法律。This Agreement is governed by New York law. 争议提交仲裁。") == [
        "本合同适用纽约州法律。", "This Agreement is governed by New York law.", "争议提交仲裁。"]


def test_long_chinese_run_is_cut_after_a_comma():
    text = "，".join(["甲方应当按照约定支付款项"] * 80) + "。"
    spans = sentence_spans(text, max_chars=200)
    assert len(spans) > 1 and all(e - s <= 200 for s, e in spans)
    assert all(text[e - 1] == "，" for s, e in spans[:-1])
    assert "".join(text[s:e] for s, e in spans) == text  # nothing lost


def test_chunk_breaks_include_chinese_ends():
    text = "第一条 为了规范。第二条 本法适用于企业。"
    assert [m.end() for m in SENTENCE_BREAK.finditer(text)] == [text.index("第二条"), len(text)]


def test_dev_zh_evidence_passages_are_whole_sentences_of_their_split():
    """Every dev-zh evidence passage that ends in 。 is split into sentences that end in 。！？； (never mid-clause)."""
    qs = [json.loads(line) for line in need(DEV_ZH / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line]
    seen = 0
    for q in qs:
        for ev in q.get("evidence") or []:
            if not ev.endswith("。"):
                continue
            parts = split_sentences(ev)
            assert "".join(parts) == ev.replace(" ", "")  or "".join(parts).replace(" ", "") == ev.replace(" ", "")
            assert all(p[-1] in "。！？；”」』）…" for p in parts), parts
            seen += 1
    assert seen >= 20
