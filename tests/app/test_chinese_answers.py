"""Issue 25: the two sample questions about a Chinese service contract, answered extractively (no model): the
right article quoted first, whole sentences, verified against the source."""

from __future__ import annotations

import pytest

from app.answer.ask import ask
from app.config import load_settings
from app.library import documents as library

CONTRACT = """服务合同

甲方：北京星辰科技有限公司
乙方：上海云海信息服务有限公司

第一条 服务内容
乙方为甲方提供信息系统运维服务，包括系统监控、故障处理和数据备份。

第五条 付款方式
甲方应于每季度开始后十五日内向乙方支付当季服务费人民币十二万元。

第十条 合同的解除
任何一方可以提前六十日书面通知对方解除本合同。

第十二条 适用法律
本合同的订立、效力、解释和履行适用中华人民共和国法律。

第十三条 争议解决
因本合同引起的争议，双方应协商解决；协商不成的，提交北京仲裁委员会仲裁。
"""


@pytest.fixture(scope="module")
def zh_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("zh_home")
    path = home.parent / f"{home.name}-服务合同.txt"
    path.write_text(CONTRACT, encoding="utf-8")
    s = load_settings(env={}, home=home)
    assert [r.status for r in library.ingest(s, [path])] == ["ingested"]
    return s


@pytest.mark.parametrize("question, article, words", [
    ("本合同适用哪国法律？", "第十二条", "适用中华人民共和国法律"),
    ("合同可以提前多少天终止？", "第十条", "提前六十日"),
    ("适用法律", "第十二条", "适用中华人民共和国法律"),
])
def test_the_right_article_is_quoted_first(zh_home, question, article, words):
    ans = ask(zh_home, question)
    assert ans.mode == "extractive" and "Not in the documents" not in ans.answer, ans.answer
    first = ans.sentences[0].text
    assert first.startswith(article) and words in first, ans.answer
    assert first.endswith("。"), "a whole Chinese sentence"
    assert all(c.verified for c in ans.citations)
