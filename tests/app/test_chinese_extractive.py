"""Issue 25: Chinese questions answered or refused by the kind of question (app/answer/chinese.py)."""

from __future__ import annotations

import pytest

from app.answer import chinese
from app.answer.as_written import sentence
from app.answer.ask import ask
from app.answer.cite import sentence_spans
from app.config import load_settings
from app.library import documents as library
from tests.app.test_chinese_answers import CONTRACT


@pytest.mark.parametrize("question, units", [
    ("合同可以提前多少天终止？", ["个工作日|工作日|日|天"]),
    ("北京市现行的月最低工资标准是多少元？", ["万元|亿元|元"]),
    ("民间借贷利率上限具体是年利率多少？", ["share"]),
    ("能拿几个月工资的经济补偿？", ["个月|月"]),
    ("本合同适用哪国法律？", None),
    ("著作权归谁？", None),
])
def test_the_figure_a_question_asks_for(question, units):
    assert chinese.asked_units(question) == units


def test_a_figure_of_the_asked_kind():
    days = chinese.asked_units("提前多少天？")
    assert chinese.states_quantity("任何一方可以提前六十日书面通知对方解除本合同。", days)
    assert not chinese.states_quantity("第十二条 本合同适用中华人民共和国法律。", days), "an article number is no figure"
    assert not chinese.states_quantity("张某2个月后拒绝加班。", chinese.asked_units("每月加班多少小时？"))
    assert chinese.states_quantity("不得低于约定工资的百分之八十。", chinese.asked_units("占多大比例？"))


def test_clauses_are_quoted_to_their_full_stop():
    text = "召开股东会会议，应当于会议召开十五日前通知全体股东；但是，公司章程另有规定的除外。下一句。"
    spans = sentence_spans(text)
    assert len(spans) == 3, "the splitter ends a sentence at ；"
    whole = chinese.whole_sentences(text, spans)
    assert [text[s:e] for s, e in whole] == [text[: text.index("下")], "下一句。"]


def test_shown_text_keeps_full_width_punctuation():
    assert sentence("甲方（委托方）应于每季度开始后十五\n日内支付“服务费”，共计１２万元。") == \
        "甲方（委托方）应于每季度开始后十五日内支付“服务费”，共计１２万元。"
    assert sentence("第十二条 适用法律 本合同适用中华人民共和国\n法律。") == "第十二条 适用法律 本合同适用中华人民共和国法律。"
    assert sentence("The “Term”  shall agree-\nment.") == 'The "Term" shall agreement.', "English as before"


@pytest.fixture(scope="module")
def zh_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("zh_refuse")
    path = home.parent / f"{home.name}-服务合同.txt"
    path.write_text(CONTRACT, encoding="utf-8")
    s = load_settings(env={}, home=home)
    assert [r.status for r in library.ingest(s, [path])] == ["ingested"]
    return s


@pytest.mark.parametrize("question", ["本合同的违约金是多少元？", "乙方每月应当派驻多少名工程师？", "甲方的注册资本是多少？"])
def test_a_figure_the_contract_does_not_state_is_refused(zh_home, question):
    ans = ask(zh_home, question)
    assert ans.not_found and "Not in the documents" in ans.answer, ans.answer


@pytest.mark.parametrize("question, words", [
    ("甲方每季度应支付多少服务费？", "人民币十二万元"),
    ("争议由哪个仲裁委员会仲裁？", "北京仲裁委员会"),
])
def test_answered_with_the_verbatim_sentence(zh_home, question, words):
    ans = ask(zh_home, question)
    assert not ans.not_found, ans.answer
    assert words in ans.sentences[0].text
    assert "，" in ans.sentences[0].text or "。" in ans.sentences[0].text
    assert "," not in ans.sentences[0].text, "full-width commas stay full-width"
