"""Chinese questions for the no-model answerer: what a sentence must share with the question, and when to refuse.

BM25 over jieba terms and the English clause patterns rank Chinese sentences poorly on their own: the
question's own words (哪, 什么, 多少, 是否, 根据《…》) weigh as much as the words that say what is asked, a
segmentation that cuts the question differently from the sentence ("提前多少天" / "提前六十日") loses the
match, and with an English-only embedder nothing says "no sentence answers this" — BM25 always crowns a
winner. So, for a question written in Chinese:

- its *content* is its Han text without question words, particles and the titles it names (《劳动合同法》
  routes the question; it is not what is asked), read as character bigrams — immune to how jieba cuts either
  side — weighted by how rare each bigram is among the candidate sentences (IDF);
- a sentence's *coverage* is the IDF-weighted share of those bigrams it contains;
- a question that asks for a figure names its kind (多少天 days, 几个月, 多少钱 元, 百分之几/利率 a share, 多久 any
  period, a bare 多少 any figure); sentences stating a figure of that kind (六十日, 二倍, 8000元, 百分之二十 — not
  an article number 第十二条) gain a bonus, and the question is refused when no quoted sentence states one:
  the documents speak of the subject but not of the figure asked for;
- a question is refused when no quoted sentence covers `REFUSE_COVER` of its content (chosen on dev-zh:
  docs/evaluation.md).

Figures and their units are the only meaning read here: the rules are about the kind of question, not about any
document.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from ingest.lexical import HAN

# question words, particles and connectives that say how something is asked, not what (longest first)
QUESTION_WORDS = sorted(
    """哪些 哪个 哪国 哪种 哪类 哪一 哪里 哪儿 哪 什么样 什么 多少 几个 几种 几天 几年 几 多久 多长时间 多长 多大 多高 多重
    是否 能否 可否 可不可以 能不能 是不是 有没有 会不会 吗 呢 吧 如何 怎么样 怎么 怎样 为什么 为何 何种 何时 何 谁
    根据 按照 依照 依据 依 按 规定 规定的 中 里 下 时 的话 请问 请 问 一下 具体 具体是 分别 需要 要 应 应当 该 这个 那个
    本 上述 以下 以上 关于 对于 有关 方面 情况 问题 之下 其中 可以 能 会 被""".split(),
    key=len, reverse=True,
)
_QUESTION_RE = re.compile("|".join(map(re.escape, QUESTION_WORDS)))
_TITLE_RE = re.compile(r"《[^》]{1,40}》(?:[（(][^）)]{1,20}[）)])?")
_HAN_RUN = re.compile(f"[{HAN}]+")
_HAN_ANY = re.compile(f"[{HAN}]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

_CN_NUM = "零〇一二两三四五六七八九十百千万亿半"
_N = rf"(?:\d+(?:[.,]\d+)?|[{_CN_NUM}]+)"
# what a figure counts: the unit after the number ("六十日", "二倍", "8000元"), or a share (百分之二十, 30%)
_UNIT = r"个工作日|工作日|个月|小时|分钟|星期|万元|亿元|日|天|周|月|年|倍|元|人|名|次|岁|届|项|份|个|成"
FIGURE = re.compile(rf"百分之{_N}|{_N}\s*(?:%|％|分之)|(?P<n>{_N})\s*(?P<unit>{_UNIT})|\d+(?:[.,]\d+)?")
# article and list numbers (第十二条, （三）, 一、) are labels, not figures
_ORDINAL = re.compile(rf"第{_N}[编章节条款项目]|[（(]{_N}[）)]|^{_N}、")
_SHARE = "share"
# a question asking for a figure, and the units a figure that answers it may carry (ANY: whatever the unit)
ANY = ""
_TIME = "个工作日|工作日|个月|小时|分钟|星期|日|天|周|月|年"
_ASKS = [
    (re.compile(r"百分之几|比例|比率|利率|几成|占.{0,8}多少"), _SHARE),
    (re.compile(r"(?:多少|几)个?工作日|(?:多少|几)(?:天|日)"), "个工作日|工作日|日|天"),
    (re.compile(r"(?:多少|几)个?(?:小时|钟头)"), "小时"),
    (re.compile(r"(?:多少|几)个?(?:月)"), "个月|月"),
    (re.compile(r"(?:多少|几)(?:年)"), "年"),
    (re.compile(r"(?:多少|几)(?:周|个星期|星期)"), "周|星期"),
    (re.compile(r"多少钱|多少元|多少费|罚.{0,4}多少|赔.{0,4}多少|金额是?多少|数额是?多少"), "万元|亿元|元"),
    (re.compile(r"多久|多长时间|多长"), _TIME),
    (re.compile(r"多少倍|几倍"), "倍"),
    (re.compile(r"多少|几(?!乎)|多大|多高"), ANY),
]

REFUSE_COVER = 0.1  # best sentence's share of the question's content below this → not in the documents
QUANTITY_BONUS = 0.25


def is_chinese(question: str) -> bool:
    """Written in Chinese: more Han characters than Latin words (an English question naming 《民法典》 is not)."""
    han = len(_HAN_ANY.findall(question or ""))
    return han >= 2 and han > len(_LATIN_WORD.findall(question or ""))


def content_text(question: str) -> str:
    """The question without the titles it names and its question words: what must be found."""
    q = unicodedata.normalize("NFKC", question or "")
    q = _TITLE_RE.sub(" ", q)
    return _QUESTION_RE.sub(" ", q)


def bigrams(text: str) -> set[str]:
    """Han character pairs of `text` (a lone character of a run stands for itself)."""
    out: set[str] = set()
    for m in _HAN_RUN.finditer(unicodedata.normalize("NFKC", text or "")):
        run = m.group(0)
        out.update([run] if len(run) == 1 else (run[i: i + 2] for i in range(len(run) - 1)))
    return out


def asked_units(question: str) -> list[str] | None:
    """The units a figure answering `question` may carry (ANY among them: any figure); None: no figure asked."""
    q = question or ""
    found = []
    for rx, units in _ASKS:
        if units == ANY and found:  # "利率是多少": the 多少 asks for the share already found
            break
        if rx.search(q):
            found.append(units)
            q = rx.sub(" ", q)  # "多少天" is a count of days, not also a bare "多少"
    return found or None


def figures(text: str) -> list[str]:
    """The units of the figures `text` states ("" for a bare number, `share` for a percentage or fraction)."""
    t = _ORDINAL.sub(" ", unicodedata.normalize("NFKC", text or ""))
    out = []
    for m in FIGURE.finditer(t):
        if m.group("unit"):
            out.append(m.group("unit"))
        elif "分之" in m.group(0) or "%" in m.group(0) or "％" in m.group(0):
            out.append(_SHARE)
        else:
            out.append("")
    return out


def states_quantity(text: str, asked: list[str] | None = None) -> bool:
    """`text` states a figure of a kind `asked` (by default any figure): 六十日 answers 多少天, 8000元 多少钱."""
    got = figures(text)
    if not got:
        return False
    if not asked or ANY in asked:
        return True
    return any(u in (_SHARE,) if units == _SHARE else u in units.split("|") for units in asked for u in got)


_CLAUSE_END = re.compile(r"[；;]\s*$")
WHOLE_MAX = 160  # characters: a list of items each ending in ； is not one quote


def whole_sentences(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Chinese clauses joined up to their 。: "应当于会议召开十五日前通知全体股东；但是，公司章程另有规定的除外。" is
    one sentence whose proviso (但书) belongs to the answer. A run stays apart once it would pass `WHOLE_MAX`."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out:
            ps, pe = out[-1]
            prev = text[ps:pe]
            if _CLAUSE_END.search(prev) and _HAN_ANY.search(prev) and e - ps <= WHOLE_MAX:
                out[-1] = (ps, e)
                continue
        out.append((s, e))
    return out


@dataclass
class Signals:
    """Per-sentence evidence for one Chinese question (arrays align with the sentences given)."""

    cover: np.ndarray  # IDF-weighted share of the question's content bigrams in the sentence (0..1)
    quantity: np.ndarray  # 1 where the question asks a figure and the sentence states one
    wants_quantity: bool

    @property
    def bonus(self) -> np.ndarray:
        """What ranking adds to a sentence's score."""
        return 0.8 * self.cover + QUANTITY_BONUS * self.quantity

    def answers(self, i: int) -> bool:
        """Sentence `i` may answer: it covers enough of the question, and states a figure when one is asked."""
        if self.cover[i] < REFUSE_COVER:
            return False
        return not self.wants_quantity or bool(self.quantity[i])

    def relevance(self, i: int, found_min: float) -> float:
        """On the ranker's scale: at least `found_min` when sentence `i` may answer, below it otherwise."""
        c = float(self.cover[i])
        return found_min + c if self.answers(i) else found_min * min(c, 0.99)


def signals(question: str, texts: list[str]) -> Signals | None:
    """Evidence for each of `texts` about a Chinese `question`; None for a question not written in Chinese."""
    if not is_chinese(question):
        return None
    wanted = bigrams(content_text(question))
    sets = [bigrams(t) for t in texts]
    n = len(texts)
    if not wanted or not n:
        zeros = np.zeros(n, dtype=np.float32)
        return Signals(zeros, zeros, False)
    df = {g: sum(g in s for s in sets) for g in wanted}
    idf = {g: math.log(1 + (n + 1) / (df[g] + 0.5)) for g in wanted}
    total = sum(idf.values())
    cover = np.asarray([sum(idf[g] for g in wanted & s) / total for s in sets], dtype=np.float32)
    asked = asked_units(question)
    quantity = np.asarray([1.0 if asked and states_quantity(t, asked) else 0.0 for t in texts], dtype=np.float32)
    return Signals(cover, quantity, asked is not None)
