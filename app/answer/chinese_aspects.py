"""The legal summary's aspects in a Chinese contract: 适用法律, 期限与终止, 付款, 违约责任, 争议解决 ….

The English aspects find clauses by how English contracts word them ("governed by the laws of", "shall
pay"); a Chinese contract says 适用中华人民共和国法律, 支付服务费, 提前六十日书面通知解除. Each English aspect
gets the Chinese clause vocabulary and pattern beside its own (a bilingual contract is read with both), a
Chinese heading for the summary, and Chinese contracts gain the aspect Chinese contracts always carry and
English summaries do not list: 争议解决 (negotiation, arbitration, the competent court).
"""

from __future__ import annotations

import dataclasses

from app.answer.extractive import Aspect, Unit
from ingest.lexical import has_han

_N = "零〇一二两三四五六七八九十百千万\\d"
# name → (Chinese heading, Chinese terms, Chinese clause pattern)
ZH = {
    "parties": ("当事人", "甲方 乙方 当事人 委托方 受托方 买方 卖方 出租人 承租人",
                r"^[^。]{0,20}(?:甲方|乙方|委托方|受托方|买方|卖方|出租人|承租人)\s*[:：]|本合同(?:由|双方)"),
    "effective date": ("生效日期", "生效 签订 签署 日期 年 月 日",
                       r"(?:自|于).{0,30}(?:起|之日)生效|签订日期|签署日期|生效日期|年.{1,3}月.{1,3}日"),
    "term and renewal": ("期限与续期", "期限 有效期 届满 续签 续期 服务期",
                         r"有效期|期限为|服务期|届满|续签|续期|自.{4,30}至.{4,30}止"),
    "obligations": ("主要义务", "义务 应当 负责 提供 服务", r"(?:甲方|乙方).{0,6}(?:的)?(?:义务|应当|负责)"),
    "payment": ("付款", "支付 付款 费用 服务费 价款 报酬 人民币 发票 结算",
                rf"支付|付款|服务费|价款|报酬|人民币|[{_N}]+(?:万)?元|结算"),
    "termination": ("期限与终止", "解除 终止 提前 通知 书面",
                    rf"解除(?:本)?合同|终止(?:本)?合同|合同的?(?:解除|终止)|提前[{_N}]+(?:个)?(?:日|天|月)"),
    "liability cap": ("违约责任", "违约 责任 赔偿 违约金 损失",
                      r"违约责任|违约金|违约的?.{0,20}(?:赔偿|承担)|赔偿.{0,10}损失|责任.{0,10}(?:不超过|为限|上限)"),
    "indemnity": ("赔偿", "赔偿 损失 承担 追偿 索赔", r"赔偿|索赔|追偿"),
    "governing law": ("适用法律", "适用 法律 中华人民共和国 法律适用",
                      r"适用.{0,16}法律|法律适用|受.{0,16}法律(?:管辖|约束)"),
    "dispute resolution": ("争议解决", "争议 纠纷 协商 仲裁 诉讼 人民法院 管辖",
                           r"争议|纠纷|仲裁|诉讼|人民法院"),
}
DISPUTE = Aspect("dispute resolution", "dispute disputes arbitration court jurisdiction negotiation",
                 r"disputes?|arbitrat|court")


def is_chinese_document(units: list[Unit]) -> bool:
    """Most of the document's sentences hold Chinese."""
    return bool(units) and sum(has_han(u.text) for u in units) * 2 > len(units)


def heading(a: Aspect) -> str:
    """"Governing law · 适用法律": the English name the rest of the product uses, and the Chinese one."""
    zh = ZH.get(a.name)
    return f"{a.name.capitalize()} · {zh[0]}" if zh else a.name.capitalize()


def bilingual(a: Aspect) -> Aspect:
    """`a` finding its clause in Chinese as well as in English."""
    zh = ZH.get(a.name)
    if zh is None:
        return a
    _, terms, pattern = zh
    return dataclasses.replace(a, terms=f"{a.terms} {terms}", pattern=f"{a.pattern}|{pattern}" if a.pattern else pattern)


def legal_aspects(aspects: list[Aspect]) -> list[Aspect]:
    """The legal summary's aspects for a Chinese contract: each bilingual, plus 争议解决 after the governing law."""
    out = [bilingual(a) for a in aspects]
    if all(a.name != DISPUTE.name for a in out):
        out.append(bilingual(DISPUTE))
    return out
