"""Headings, section paths, domain and title of a cleaned document.

Hand-written regex heuristics: layout-based heading detectors need fonts and positions pypdf does
not give, and legal numbering (ARTICLE IV, Section 4.2, §, WHEREAS) is regular enough for rules.
Each heading is one line of the cleaned text (clean.py keeps heading-like lines on their own line),
or the start of a numbered clause with a short title ("12.1 Governing Law. This Agreement …").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from ingest.letters import mostly_capitals
from ingest.types import Heading

TITLE_MAX = 80

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}

_MD = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ARTICLE = re.compile(r"^(?:ARTICLE|Article)\s+([IVXLC]+|\d{1,3})\b\.?\s*[-–—:.]?\s*(.*)$")
_SECTION = re.compile(r"^(?:SECTION|Section|§)\s*(\d{1,3}(?:\.\d{1,3})*)\.?\s*[-–—:.]?\s*(.*)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^\n]*)$")
_ATTACH = re.compile(
    r"^(EXHIBIT|Exhibit|SCHEDULE|Schedule|ANNEX|Annex|APPENDIX|Appendix|ATTACHMENT|Attachment|ADDENDUM|Addendum)\b"
    r"(?:\s+([A-Z]{1,2}(?:-\d+)?|\d{1,3}(?:\.\d{1,3})*|[IVX]+)\b)?\.?\s*[-–—:.]?\s*(.*)$"
)
_SCI = re.compile(
    r"^(Abstract|ABSTRACT|Introduction|INTRODUCTION|Conclusions?|CONCLUSIONS?|Related Work|RELATED WORK|"
    r"Acknowledge?ments?|ACKNOWLEDGE?MENTS?|Discussion|DISCUSSION|Methods?|METHODS?|Results|RESULTS|"
    r"Keywords|KEYWORDS|Syllabus|SYLLABUS)\s*[:.]?\s*$"
)
_REFS = re.compile(r"^(References|REFERENCES|Bibliography|BIBLIOGRAPHY|Works Cited|Literature Cited|REFERENCES AND NOTES)\s*:?\s*$")
_RECITALS = re.compile(r"^(RECITALS|Recitals|BACKGROUND|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H)\s*:?\s*$")
_WHEREAS = re.compile(r"^(?:AND\s+)?WHEREAS\b")
_WITNESS = re.compile(r"^IN\s+WITNESS\s+WHEREOF\b", re.IGNORECASE)
_ROMAN_PART = re.compile(r"^([IVX]{1,5})\.?$")
_LETTER_PART = re.compile(r"^([A-H])\.?$")
_APPX_LETTER = re.compile(r"^([A-Z](?:\.\d{1,2}){0,2})\s+([A-Z][A-Za-z][^\n]{0,70})$")
_TOC_TAIL = re.compile(r"(?:\.{3,}|…+|\s)\s*\d{1,4}$")
_INLINE_CLAUSE = re.compile(r"^(?:(?:Section|SECTION)\s+)?(\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+((?:[A-Z][\w’'&/-]*[ ,]*(?:and |or |of |the |to |for |in )*){1,7}?)\.\s+\S")
_INLINE_TOP = re.compile(r"^(\d{1,2})\.\s+((?:[A-Z][\w’'&/-]*[ ,]*(?:and |or |of |the |to |for |in )*){1,6}?)\.\s+[A-Z]")
# a numbered clause that opens with its title: "1. Definitions. (a) …", "Section 4. Independence of the Servicer. For …",
# "2. Appointment; Reservation of Rights; Referrals. 2.1 …", "1. APPOINTMENT. ----------- 1.1 …", "§ 2 Products …"
_SMALLW = r"(?:and|or|of|the|to|for|in|on|with|by|a|an|upon|under|its|their|from|at|as|&)"
_TITLE_WORD = r"(?:\(?[A-Z][\w’'&/()-]*(?:\.[A-Z]\w*)*)"
_INLINE_TITLED = re.compile(
    rf"^(?:(?:Section|SECTION|§)\s*)?(\d{{1,2}}(?:\.\d{{1,3}}){{0,3}})\.?\s+"
    rf"(?P<title>{_TITLE_WORD}(?:[ ,;]+(?:{_TITLE_WORD}|{_SMALLW}))" r"{0,11}?)"
    r"\s*[.:]\s*(?:[-_]{3,}\s*)?(?=[A-Z(“\"\d]|[a-z]\)|$)")
# an ALL-CAPS clause title run into its first sub-clause: "1. DEFINITIONS 1.1 “Licensed Technology” shall mean …"
_INLINE_CAPS = re.compile(r"^(?:(?:Section|SECTION|§)\s*)?(\d{1,2})\.?\s+(?P<title>[A-Z][A-Z’'&/,;-]*(?:\s+[A-Z][A-Z’'&/,;-]*){0,7})"
                          r"\s+(?=\1\.\d{1,2}\s)")


def _inline_titled(s: str, state: dict) -> tuple[int, str, str] | None:
    """A numbered clause that opens with a short capitalised title (see _INLINE_TITLED)."""
    m = _INLINE_TITLED.match(s) or _INLINE_CAPS.match(s)
    if not m:
        return None
    num, title = m.group(1).rstrip("."), m.group("title").strip(" ,;")
    parts = num.split(".")
    if int(parts[0]) == 0 or int(parts[0]) > 60 or _note_like(title) or len(title) < 3:
        return None
    words = re.findall(r"[A-Za-z][\w’'-]*", title)
    if not words or re.search(r"\d{3,}|[=<>%$]", title):
        return None
    if len(parts) == 2 and parts[1] in ("0", "00"):
        parts = parts[:1]
    depth = len(parts)
    level = depth + (1 if state.get("articles") and depth == 1 else 0)
    prefix = "Section " if s[:1] in "Ss" else ("§ " if s[:1] == "§" else "")
    sep = ". " if depth == 1 and not prefix else " "
    return level, _trim(f"{prefix}{num}{sep}{title}"), "legal"


# Chinese structure: 编/分编/章/节/条 of statutes and interpretations ("第五百六十三条 有下列情形之一的…"), the
# numbered parts of interpretations and papers ("一、管辖", "（一）研究方法", "1 引言", "2.1 数据"), paper headings
_ZH_NUM = "零〇一二三四五六七八九十百千两"
_ZH_PART = re.compile(rf"^第\s*([{_ZH_NUM}\d]+)\s*(编|分编|章|节|条)(?:之[{_ZH_NUM}]+)?(?=\s|【|\[|$|[\u4e00-\u9fff])\s*(.*)$")
_ZH_LEVEL = {"编": 1, "分编": 2, "章": 3, "节": 4, "条": 5}
_ZH_ENUM = re.compile(rf"^([{_ZH_NUM}]{{1,3}})\s*[、.．]\s*([\u4e00-\u9fff][^\n]{{0,30}})$")
_ZH_PAREN = re.compile(rf"^[（(]\s*([{_ZH_NUM}]{{1,3}})\s*[)）]\s*([\u4e00-\u9fff][^\n]{{0,24}})$")
_ZH_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(?:\.|\s)\s*([\u4e00-\u9fff][^\n]{0,30})$")
_ZH_SCI = re.compile(r"^(摘\s*要|关\s*键\s*词|引\s*言|前\s*言|结\s*论|结论与展望|讨\s*论|致\s*谢|附\s*录|参\s*考\s*文\s*献)\s*[:：]?\s*(.*)$")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _zh(s: str) -> str:
    """Chinese text without the spaces a line break or letter-spacing left between characters ("总 则" → "总则")."""
    return _CJK_GAP.sub("", s)


def _classify_zh(s: str, state: dict) -> tuple[int, str, str] | None:
    """Chinese headings; None when the line is not one (or not Chinese)."""
    m = _ZH_PART.match(s)
    if m:
        kind, rest = m.group(2), _zh(m.group(3)).strip()
        num = f"第{m.group(1)}{kind}"
        if kind != "条":
            rest = re.split(rf"\s*第[{_ZH_NUM}\d]+(?:分编|编|章|节|条)", rest)[0].strip()
        if kind == "条":
            t = re.match(r"^[【\[]([^】\]]{1,20})[】\]]", rest)  # "第一条【立法目的】"
            return _ZH_LEVEL[kind], num + (f"【{t.group(1)}】" if t else ""), "legal"
        if rest and (len(rest) > 24 or re.search(r"[。；，,;]$", rest)):
            return None  # "第三章规定的…": a sentence that starts with a reference, not a heading
        return _ZH_LEVEL[kind], _trim(f"{num} {rest}".strip()), "legal"
    m = _ZH_SCI.match(s)
    if m and (not m.group(2) or m.group(1).replace(" ", "") in ("摘要", "关键词")):
        word = m.group(1).replace(" ", "")
        return 1, word, "refs" if word == "参考文献" else "sci"
    if len(s) > 40 or re.search(r"[。；，：:,;]$", s):
        return None
    m = _ZH_ENUM.match(s)
    if m:
        return 3, _trim(_zh(f"{m.group(1)}、{m.group(2)}")), "legal"
    m = _ZH_PAREN.match(s)
    if m:
        return 4, _trim(_zh(f"（{m.group(1)}）{m.group(2)}")), "legal"
    m = _ZH_NUMBERED.match(s)
    if m and int(m.group(1).split(".")[0]) <= 40:
        return m.group(1).count(".") + 1, _trim(_zh(f"{m.group(1)} {m.group(2)}")), "numbered"
    return None


_ZH_N = f"[{_ZH_NUM}\\d]+"
_ZH_OPEN = r"(?:^|(?<=[。；！？：」』”）)\]】\s]))[ \t\u3000]*"
_ZH_ARTICLE_AT = re.compile(_ZH_OPEN + rf"(第{_ZH_N}条(?:之[{_ZH_NUM}]+)?)(?:[【\[]([^】\]\n]{{1,20}})[】\]])?(?=[\s\u3000【\[])")
_ZH_PART_AT = re.compile(_ZH_OPEN + rf"(第{_ZH_N}(?:编|分编|章|节))[ \t\u3000]+((?:[\u4e00-\u9fff、]+[ \t\u3000]?){{1,6}}?)"
                         rf"(?=[ \t\u3000\n]+第{_ZH_N}(?:分编|章|节|条))")
_ZH_ENUM_AT = re.compile(_ZH_OPEN + rf"([{_ZH_NUM}]{{1,3}}、[\u4e00-\u9fff]{{2,15}})(?=[ \t\u3000\n]+第{_ZH_N}条)")


def _zh_inline(text: str) -> list[tuple[int, int, str, str, int]]:
    """Chinese articles, chapters and numbered parts that clean-up ran into one line with the text around them:
    "…本法。 第二条 中华人民共和国境内…" — an article opens after a sentence end (or a line start) and is followed by a
    space, which a reference inside a sentence ("依照本法第十九条的规定") is not."""
    out: list[tuple[int, int, str, str, int]] = []
    first_article = None
    for m in _ZH_ARTICLE_AT.finditer(text):
        first_article = m.start(1) if first_article is None else first_article
        title = _zh(m.group(1)) + (f"【{m.group(2)}】" if m.group(2) else "")
        out.append((m.start(1), 5, title, "legal", -1))
    has_toc = bool(re.search(r"目\s*录", text[:20000]))
    for rx, level in ((_ZH_PART_AT, None), (_ZH_ENUM_AT, 3)):
        for m in rx.finditer(text):
            if has_toc and first_article is not None and m.start(1) < first_article and level is None:
                # a table of contents lists the chapters before the first article; the chapter right above it stays
                nxt = re.match(rf"[ \t\u3000\n]+第{_ZH_N}条", text[m.end():])
                if not nxt:
                    continue
            if level is None:
                kind = re.search(r"(编|分编|章|节)$", m.group(1)).group(1)
                title = re.split(rf"第[{_ZH_NUM}\d]+(?:分编|编|章|节|条)", _zh(m.group(2).strip()))[0].strip()
                out.append((m.start(1), _ZH_LEVEL[kind], _trim(f"{_zh(m.group(1))} {title}".strip()), "legal", -1))
            else:
                out.append((m.start(1), level, _trim(_zh(m.group(1))), "legal", -1))
    return out


_ABSTRACT_INLINE = re.compile(r"^(?:Abstract|ABSTRACT)\s*[—–:.-]\s*\S")  # IEEE "Abstract—We …"
_ROMAN_TITLE = re.compile(r"^([IVX]{1,5})\.\s+([A-Z][^\n]{1,80})$")
_LETTER_TITLE = re.compile(r"^([A-H])\.\s+([A-Z][^\n]{1,80})$")
_SENT_END = re.compile(r"[.;,:]$")


def _trim(title: str) -> str:
    title = " ".join(title.split()).strip(" :-–—")
    if title.endswith(".") and not re.search(r"(?:^|\s)\w{1,2}\.$", title):
        title = title.rstrip(".")
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


def _mostly_upper(s: str) -> bool:
    return mostly_capitals(s, 4)


def _short(s: str, words: int = 12) -> bool:
    return len(s) <= 100 and len(s.split()) <= words


def _title_case(s: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", s)]
    if not words:
        return False
    small = {"and", "or", "of", "the", "to", "for", "in", "on", "a", "an", "with", "by", "at", "from", "vs", "via"}
    return all(w[0].isupper() or w.lower() in small for w in words)


_CONNECTORS = frozenset(
    "A AN AND ANY ALL AS AT BE BY FOR FROM IN INTO IS OF ON OR NOT THAT THE THIS TO WITH WHICH OTHER SUCH".split()
)


def _caps_fragment(s: str) -> bool:
    """A line out of an ALL-CAPS paragraph (warranty disclaimers), not a title: it ends on a connector
    word ("… ALL IMPLIED WARRANTIES OF") or starts with one that continues a sentence ("OR (C) …")."""
    words = re.findall(r"[A-Za-z]+", s)
    if not words:
        return False
    return words[-1].upper() in _CONNECTORS or words[0].upper() in {"AND", "OR", "OF", "TO", "FOR", "BY", "WITH", "FROM", "INTO"}


_NOTE_START = re.compile(r"^(?:See|Id\b|Cf\.|Ibid|Interview|Quoted|Compare|Accord)\b|[“\"]")


def _note_like(rest: str) -> bool:
    """Footnote or citation text behind a number ("6. See Salil K. Mehra …"), not a section title."""
    words = rest.split()
    last = words[-1].strip(".,") if words else ""
    return (
        bool(_NOTE_START.search(rest[:12]))
        or bool(re.search(r",\s*[“\"]", rest))  # Author, “Title” — a citation
        # ends on an initial: "See Salil K." — not an ALL-CAPS title ending on a letter ("COSTS OF SEGMENT S")
        or (len(last) == 1 and last.isalpha() and last.isupper() and not _mostly_upper(rest))
    )


def _tabular(s: str) -> bool:
    """A table row or label, not a title: several numbers, brackets, check marks, percentages."""
    tokens = s.split()
    numeric = sum(1 for t in tokens if re.fullmatch(r"[\d.,%()±+\-–]+", t) and re.search(r"\d", t))
    if re.match(r"^(?:TABLE|FIGURE|FIG\.|Table|Figure|Fig\.)\s+[IVX\d]+", s) or re.search(r"\)\)|\(\(", s):
        return True
    if len(re.findall(r"\b[A-Z]-[A-Z]{2,}\b", s)) >= 2 or not re.search(r"[A-Za-z]{3,}", s):
        return True
    return numeric >= 2 or bool(re.search(r"[\[\]✓✗=<>%|]|\bReg\. No\b", s)) or (numeric >= 1 and len(tokens) <= 3)


_TITLE_THEN_SUB = re.compile(r"^(\d{1,2})\.?\s+([A-Z][A-Z0-9 &,/'’()-]{2,70}?)\.?\s+\1\.\d{1,2}\.?\s+\S")


def _classify_paragraph(s: str, state: dict) -> tuple[int, str, str] | None:
    """A long line can still open a section: "Section 2.1 Grant. During …", "WHEREAS, …"."""
    m = _INLINE_CLAUSE.match(s)
    if m and not _note_like(m.group(2)):
        depth = m.group(1).count(".") + 1
        level = depth + (1 if state.get("articles") and depth == 1 else 0)
        prefix = "Section " if s[:1] in "Ss" else ""
        return level, _trim(f"{prefix}{m.group(1)} {m.group(2)}"), "legal"
    m = _TITLE_THEN_SUB.match(s)
    if m and int(m.group(1)) <= 60:
        # "1. DEFINITIONS 1.1 “Licensed Technology” shall mean …": a capitalised title runs into its first sub-clause
        return 1, _trim(f"{m.group(1)}. {m.group(2)}"), "legal"
    m = _INLINE_TOP.match(s)
    if m and int(m.group(1)) <= 60 and not _note_like(m.group(2)):
        return 1, _trim(f"{m.group(1)}. {m.group(2)}"), "legal"
    got = _inline_titled(s, state)
    if got:
        return got
    if _WHEREAS.match(s) and not state.get("recitals"):
        state["recitals"] = True
        return 1, "Recitals", "recitals"
    if _WITNESS.match(s):
        return 1, "IN WITNESS WHEREOF", "legal"
    if _ABSTRACT_INLINE.match(s):
        return 1, "Abstract", "sci"
    return None


def _classify(line: str, nxt: str, state: dict) -> tuple[int, str, str] | None:
    """(level, title, kind) if the line is a heading; kind is used for the references flag."""
    s = line.strip()
    if not s:
        return None
    if _CJK_CHAR.match(s) or (s[:1] in "（(" or s[:1].isdigit()) and _CJK_CHAR.search(s[:8]):
        got = _classify_zh(s, state)
        if got or _CJK_CHAR.match(s):
            return got
    if len(s) > 160:
        return _classify_paragraph(s, state)
    m = _MD.match(s)
    if m:
        return len(m.group(1)), _trim(m.group(2)), "md"
    if _ABSTRACT_INLINE.match(s):
        return 1, "Abstract", "sci"
    if _TOC_TAIL.search(s) and re.match(r"^(?:ARTICLE|Article|SECTION|Section|\d)", s) and not s.endswith("."):
        # "Section 4.02 Consummation of the Squeeze-out 15" — a table-of-contents line
        if re.search(r"[A-Za-z]\s+\d{1,4}$", s) or re.search(r"\.{3,}", s):
            return None
    m = _REFS.match(s)
    if m:
        return 1, m.group(1).title() if m.group(1).isupper() else m.group(1), "refs"
    m = _ARTICLE.match(s)
    if m and (not m.group(2) or _short(m.group(2)) and not _SENT_END.search(m.group(2))):
        title = f"Article {m.group(1)}"
        rest = m.group(2)
        if not rest and nxt and _short(nxt, 10) and _mostly_upper(nxt) and not re.match(r"^\s*\d", nxt):
            # "ARTICLE 3" over "INDEMNIFICATION" is one heading; over "4. WARRANTIES" the next line is a heading of its own
            rest = nxt.strip()
            state["skip_next"] = True
        return 1, _trim(f"{title} {rest}" if rest else title), "legal"
    m = _SECTION.match(s)
    if m and s[:1] in "S§":
        rest = m.group(2)
        depth = m.group(1).count(".") + 1
        if depth == 2 and m.group(1).endswith((".0", ".00")):
            depth = 1
        level = depth + (1 if state.get("articles") and depth == 1 else 0)
        if not rest or (
            _short(rest, 10)
            and not rest.endswith((";", ","))
            and rest[:1].isalpha()
            and (_title_case(rest) or _mostly_upper(rest)
                 # "§ 6 Limitation of liability": the section sign marks a heading in sentence case too
                 or s[:1] == "§" and _short(rest, 8) and rest[:1].isupper() and not _SENT_END.search(rest))
        ):
            return level, _trim(f"Section {m.group(1)} {rest}".strip()), "legal"
        m2 = _INLINE_CLAUSE.match(s)
        if m2:
            return level, _trim(f"Section {m2.group(1)} {m2.group(2)}"), "legal"
        got = _inline_titled(s, state)
        if got is None and re.match(r"^(?:Section|SECTION|§)\s*\d{1,2}(?:\.\d{1,3})*\.\s+[A-Z(“\"]", s):
            # "Section 2.7. Prices for the units are …": an untitled section opens with its number and a stop
            return level, f"Section {m.group(1).rstrip('.')}", "legal"
        return got
    m = _ATTACH.match(s)
    if m and (m.group(3) or "")[:1] in tuple(")],") or (m and re.match(r"^[a-z]", m.group(3) or "") and not s.isupper()):
        m = None  # "EXHIBIT A) and coupons for …": a reference that a line break left at the start of a line
    if m and (m.group(2) or s.isupper()) and _short(s, 10) and not _SENT_END.search(s.rstrip(".")):
        word = m.group(1).title()
        ident = m.group(2) or ""
        rest = m.group(3) or ""
        if word == "Appendix":
            return 1, _trim(" ".join(x for x in (word, ident, rest) if x)), "appendix"
        return 1, _trim(" ".join(x for x in (word, ident, rest) if x)), "attachment"
    if _RECITALS.match(s):
        state["recitals"] = True
        return 1, "Recitals", "legal"
    if _WHEREAS.match(s) and not state.get("recitals"):
        state["recitals"] = True
        return 1, "Recitals", "recitals"
    if _WITNESS.match(s):
        return 1, "IN WITNESS WHEREOF", "legal"
    m = _SCI.match(s)
    if m:
        return 1, m.group(1).title() if m.group(1).isupper() else m.group(1), "sci"
    m = _NUMBERED.match(s)
    if m:
        num, rest = m.group(1), m.group(2)
        parts = num.split(".")
        if int(parts[0]) == 0 or int(parts[0]) > 40:
            return None
        if len(parts) == 2 and parts[1] in ("0", "00"):
            parts = parts[:1]
        if _note_like(rest) or len(rest.strip()) < 3:
            return None
        if _short(rest, 12) and not _SENT_END.search(rest) and (_title_case(rest) or _mostly_upper(rest) or len(rest.split()) <= 6):
            if re.search(r"\d{3,}|\d+\.\d+|[=<>%$]", rest):  # table rows and numbers, not titles
                return _inline_titled(s, state)  # … unless a title runs into its first sub-clause ("1. DEFINITIONS 1.1 …")
            return len(parts), _trim(f"{num} {rest}"), "numbered"
        m2 = _INLINE_CLAUSE.match(s)
        if m2 and len(parts) >= 2:
            return len(parts), _trim(f"{m2.group(1)} {m2.group(2)}"), "numbered"
        return _inline_titled(s, state)
    if state.get("after_refs"):
        m = _APPX_LETTER.match(s)
        if m and _short(m.group(2), 10) and not _SENT_END.search(s) and (_title_case(m.group(2)) or _mostly_upper(m.group(2))):
            return m.group(1).count(".") + 1, _trim(s), "appendix"
    m = _ROMAN_TITLE.match(s)
    if m and _short(m.group(2), 10) and not _SENT_END.search(s) and (_title_case(m.group(2)) or _mostly_upper(m.group(2))):
        state["roman_titles"] = True
        return 1, _trim(s), "numbered"
    m = _LETTER_TITLE.match(s)
    if m and state.get("roman_titles") and _short(m.group(2), 10) and not _SENT_END.search(s) and _title_case(m.group(2)):
        return 2, _trim(s), "numbered"
    if _ROMAN_PART.match(s):
        return 1, s.rstrip("."), "part"
    if _LETTER_PART.match(s) and state.get("parts"):
        return 2, s.rstrip("."), "part"
    if _mostly_upper(s) and _short(s, 12) and not s.endswith((",", ";")) and len(s) >= 5:
        if _tabular(s) or _caps_fragment(s):
            return None
        return state.get("caps_level", 2), _trim(s), "caps"
    return None


def _toc_key(s: str) -> str:
    """A table-of-contents entry without its page number and leaders: "1. INTERPRETATION ..... 3" → "1 interpretation"."""
    s = re.sub(r"[.…\s]+\d{1,4}$", "", s.strip())
    key = " ".join(re.findall(r"\w+", s.lower()))
    return key if len(key) >= 4 and re.search(r"[a-z]{3}", key) else ""


def detect_headings(text: str) -> list[Heading]:
    """Headings in document order. Levels: 1 = article/top section; numbered depth goes deeper."""
    state: dict = {}
    state["articles"] = bool(re.search(r"(?m)^(?:ARTICLE|Article)\s+(?:[IVXLC]+|\d+)\b", text))
    state["parts"] = bool(re.search(r"(?m)^[IVX]{1,4}\.?$", text))
    has_structure = state["articles"] or bool(re.search(r"(?m)^(?:Section\s+)?\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z]", text))
    state["caps_level"] = 2 if has_structure else 1
    found: list[tuple[int, int, str, str, int]] = []  # (start, level, title, kind, line index)
    in_toc = False
    toc_keys: set[str] = set()
    pos = 0
    lines = text.split("\n")
    skip = -1
    for i, line in enumerate(lines):
        start = pos
        pos += len(line) + 1
        if i == skip:
            continue
        s = line.strip()
        if in_toc:
            # a table of contents runs until the first real paragraph, or until one of its entries comes again
            # (without its page number: the section itself); its own lines are not headings
            key = _toc_key(s)
            if len(s) > 160 or (len(s) > 60 and _SENT_END.search(s) and not _TOC_TAIL.search(s)) or (
                    key and key in toc_keys and not _TOC_TAIL.search(s)) or (
                    _inline_titled(s, {}) and not _TOC_TAIL.search(s) and len(s) > 60):
                in_toc = False
            else:
                if key:
                    toc_keys.add(key)
                continue
        if re.match(r"^(?:TABLE OF CONTENTS|Table of Contents|CONTENTS|Contents|目\s*录)\s*$", s):
            in_toc = True
            found.append((start + len(line) - len(line.lstrip()), 1, "Table of Contents", "toc", i))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        state.pop("skip_next", None)
        got = _classify(line, nxt, state)
        if state.get("skip_next"):
            skip = i + 1
        if got is None:
            continue
        level, title, kind = got
        if not title:
            continue
        if kind == "refs":
            state["after_refs"] = True
        prev = found[-1] if found else None
        if (
            kind == "caps"
            and not re.match(r"^[A-Z]?\d*(?:\.\d+)+\s", title)
            and prev is not None
            and prev[4] == i - 1
            and not lines[i - 1].rstrip().endswith((".", ":", ";", ")"))
            and prev[3] in ("caps", "appendix", "numbered", "legal")
            and _mostly_upper(prev[2])
            and len(prev[2]) + len(title) <= 2 * TITLE_MAX
        ):
            # a title that wraps onto a second ALL-CAPS line is one heading
            joined = prev[2][:-1] + title if prev[2].endswith("-") else f"{prev[2]} {title}"
            found[-1] = (prev[0], prev[1], _trim(joined), prev[3], i)
            continue
        found.append((start + (len(line) - len(line.lstrip())), level, title, kind, i))
    found = _drop_stray_numbers(found)
    if _CJK_CHAR.search(text[:5000]) and re.search(rf"第{_ZH_N}条", text):
        have = {f[0] for f in found}
        found = sorted(found + [f for f in _zh_inline(text) if f[0] not in have], key=lambda f: f[0])
    out: list[Heading] = []
    in_refs = False
    for start, level, title, kind, _ in found:
        if kind == "refs":
            in_refs = True
        elif in_refs and level == 1 and kind in ("appendix", "sci", "legal", "md", "attachment", "numbered"):
            in_refs = False
        elif in_refs and kind == "caps":
            continue  # ALL-CAPS lines inside a bibliography are journal names, not headings
        out.append(Heading(char_start=start, level=level, title=title, is_references=in_refs))
    return out


def _drop_stray_numbers(found: list[tuple[int, int, str, str, int]]) -> list[tuple[int, int, str, str, int]]:
    """Top-level numbered headings ("3 Methods") keep the document's style and go up; figure labels
    and list items that look like them ("1 Clustering" after "2 Summarization") do not. An exhibit, schedule
    or appendix heading starts the count again: "EXHIBIT A" then "1. DEFINITIONS" is its section 1."""
    tops = [f for f in found if f[3] == "numbered" and re.match(r"^\d{1,2} ", f[2])]
    if len(tops) < 3:
        return found
    caps = sum(1 for f in tops if _mostly_upper(f[2]))
    want_caps = caps * 2 > len(tops)
    drop = set()
    last = 0
    restart = {f[0] for f in found if f[3] in ("attachment", "appendix")}
    for f in sorted(tops + [f for f in found if f[0] in restart], key=lambda f: f[0]):
        if f[0] in restart:
            last = 0  # an exhibit or schedule numbers its own sections from 1 again
            continue
        n = int(f[2].split()[0])
        if _mostly_upper(f[2]) != want_caps or n < last:
            drop.add(f[0])
            continue
        last = n
    return [f for f in found if f[0] not in drop]


def section_path_at(headings: Sequence[Heading], offset: int) -> tuple[tuple[str, ...], bool]:
    """The titles of the headings enclosing `offset`, outermost first, and the references flag."""
    starts = [h.char_start for h in headings]
    k = bisect.bisect_right(starts, offset)
    stack: list[Heading] = []
    for h in headings[:k]:
        while stack and stack[-1].level >= h.level:
            stack.pop()
        stack.append(h)
    if not stack:
        return (), False
    return tuple(h.title[:TITLE_MAX] for h in stack), stack[-1].is_references


_CONTRACT = [r"\bAgreement\b", r"\bWHEREAS\b", r"IN WITNESS WHEREOF", r"\bhereinafter\b", r"\bParty\b|\bParties\b", r"\bshall\b", r"\bLicensee\b|\bLicensor\b"]
_COURT = [r"\bCourt\b", r"\bv\.\s", r"\bOpinion\b|\bOPINION\b", r"\bPetitioner\b|\bRespondent\b|\bAppellant\b|\bAppellee\b", r"\baffirmed\b|\breversed\b|\bremanded\b", r"J\.,\s+delivered", r"\bplaintiff\b|\bdefendant\b", r"\bcertiorari\b"]
_PAPER = [r"\bAbstract\b|\bABSTRACT\b", r"\bReferences\b|\bREFERENCES\b|\bBibliography\b", r"\barXiv\b", r"\bet al\.", r"\bdataset\b|\bexperiments?\b", r"\bTable \d|\bFigure \d|\bFig\. \d"]


_ZH_DOMAIN = {
    "statute": [r"第[零〇一二三四五六七八九十百千两]+条\s", r"本法|本解释|本规定|本条例|本办法", r"中华人民共和国[\u4e00-\u9fff]{1,12}法",
                r"全国人民代表大会|常务委员会|审判委员会", r"第[零〇一二三四五六七八九十]+章\s", r"施行"],
    "court opinion": [r"原告|被告", r"上诉人|被上诉人|申请人|被申请人", r"本院认为|仲裁委|仲裁委员会", r"判决如下|裁定如下|裁决",
                      r"基本案情|裁判要点|裁判结果|案情简介|典型意义", r"人民法院", r"[（(]\d{4}[）)][\u4e00-\u9fff\d]{2,12}号"],
    "contract": [r"甲方", r"乙方", r"本合同|本协议", r"双方", r"签订|签署", r"违约责任|争议解决"],
    "paper": [r"摘\s*要", r"关\s*键\s*词", r"参考文献", r"引\s*言|绪论", r"研究|实验|数据", r"图\s*\d|表\s*\d"],
}


def _guess_domain_zh(sample: str) -> str:
    """statute / court opinion (judgments, rulings, case reports) / contract / paper for Chinese text."""
    def score(patterns: list[str]) -> float:
        total = 0.0
        for p in patterns:
            n = len(re.findall(p, sample[:100_000]))
            total += min(n, 20) / 20 + (1 if n else 0)
        return total

    scores = {k: score(v) for k, v in _ZH_DOMAIN.items()}
    if len(re.findall(r"(?:^|[。\s])第[零〇一二三四五六七八九十百千两]+条\s", sample[:100_000])) >= 8:
        scores["statute"] += 3
    if re.search(r"甲方[：:]", sample[:5000]) and re.search(r"乙方[：:]", sample[:5000]):
        scores["contract"] += 3
    best = max(scores, key=scores.get)
    return best if scores[best] >= 3 else "other"


def guess_domain(text: str, file: str = "") -> str:
    """contract / court opinion / paper / statute / other, by keyword evidence (counted, capped per keyword)."""
    sample = text[:200_000]
    if len(_CJK_CHAR.findall(sample[:4000])) > 400:
        return _guess_domain_zh(sample)

    def upto(pattern: str, cap: int) -> int:  # matches, counted no further than `cap` (all the score uses)
        n = 0
        for _ in re.finditer(pattern, sample):
            n += 1
            if n >= cap:
                break
        return n

    def score(patterns: list[str]) -> float:
        total = 0.0
        for p in patterns:
            n = upto(p, 20)
            total += min(n, 20) / 20 + (1 if n else 0)
        return total

    scores = {"contract": score(_CONTRACT), "court opinion": score(_COURT), "paper": score(_PAPER)}
    if re.search(r"IN WITNESS WHEREOF|\bWHEREAS\b", sample):
        scores["contract"] += 2
    strong_court = (
        r"J\.,\s+delivered the opinion|\bSUPREME COURT OF\b|\bOPINION OF THE COURT\b|Superior Court of|"
        r"\bIT IS SO ORDERED\b|\bPetitioners?\b|\bAppellants?\b|\bAppellees?\b|\bPlaintiffs?\b|\bDefendants?\b"
    )
    if upto(strong_court, 3) >= 3:
        scores["court opinion"] += 2
    else:
        scores["court opinion"] /= 3  # a book about law cites courts too; an opinion names its parties
    if re.search(r"\barXiv\b|^\s*Abstract\b", sample, re.M):
        scores["paper"] += 2
    fname = file.lower()
    if re.search(r"agreement|contract|-ex-\d", fname):
        scores["contract"] += 1.5
    if re.match(r"^\d{4}\.\d{4,5}", fname):
        scores["paper"] += 1.5
    best = max(scores, key=scores.get)
    return best if scores[best] >= 3 else "other"


_BAD_TITLE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint|excel)\s*-|untitled|document\d*$|title$|none$|pdf$|"
    r"slide\s*\d|[a-z]:\\|/|\d+$)",
    re.IGNORECASE,
)


def _meaningful_meta_title(meta_title: str | None, file: str) -> str | None:
    if not meta_title:
        return None
    t = " ".join(str(meta_title).split())
    if len(t) < 4 or len(t) > 300 or _BAD_TITLE.match(t):
        return None
    if re.search(r"\.(?:docx?|pdf|rtf|tex|dvi|wpd|txt|html?|indd|pages)$", t, re.IGNORECASE):
        return None
    stem = file.rsplit(".", 1)[0].lower()
    if t.lower() in (file.lower(), stem) or re.fullmatch(r"[\w.-]+", t) and "_" in t:
        return None
    if not re.search(r"[A-Za-z]{3,}", t):
        return None
    return t


_NOT_TITLE = re.compile(
    r"^(?:exhibit|execution (?:copy|version)|confidential|page\b|table of contents|contents$|arxiv:|"
    r"abstract|index terms|keywords|only the westlaw|unpublished opinion|not reported|\(cite as|"
    r"(?:[IVX]+|\d+)\.?\s+introduction|introduction$|draft\b|by and between|dated\b|among$|and$|between$|"
    r"published as a conference paper|under review|preprint\b|proceedings of)",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"\bvs?\.(?:\s|$)")


def _title_line(s: str) -> bool:
    if len(s) < 4 or len(s) > 200 or not re.search(r"[A-Za-z]{3,}", s):
        return False
    if _NOT_TITLE.match(s) or re.match(r"^(?:ex-?)?\d+(?:\.\d+)*$", s, re.IGNORECASE):
        return False
    if s[0].islower() or (s.endswith(".") and len(s.split()) > 6 and not _mostly_upper(s)):
        return False  # the tail of a sentence, or a notice ("… if publicly disclosed.")
    return _mostly_upper(s) or _title_case(s) or len(s.split()) <= 12


def _continues_title(prev: str, s: str) -> bool:
    """A title wrapped onto a second line: same style, no authors' commas, digits or footnote marks."""
    if not s or re.search(r"[,∗*†‡@\d]", s) or len(prev) + len(s) > 180 or prev.endswith((".", ":")) and not prev.endswith(":"):
        return False
    if _NOT_TITLE.match(s):
        return False
    return (_mostly_upper(prev) and _mostly_upper(s)) or (not _mostly_upper(prev) and _title_case(s))


def guess_title(
    meta_title: str | None, first_page: str, file: str, headings: Sequence[Heading] = (), domain: str = ""
) -> str:
    """PDF /Title when it is a real title; else the title lines of page 1 (the raw lines, before
    paragraphs are rebuilt, so a two-line title does not run into the authors); else the file name.
    Court opinions prefer their caption ("Re: Diane HANSON v. DELAWARE STATE …")."""
    t = _meaningful_meta_title(meta_title, file)
    if t:
        return t[:200]
    from ingest.clean import is_page_number, is_stamp

    lines = [" ".join(ln.split()).lstrip("# ").strip() for ln in first_page.split("\n")[:60]]
    lines = [ln for ln in lines if ln and not is_stamp(ln) and not is_page_number(ln)]
    if domain == "court opinion":
        for i, s in enumerate(lines[:40]):
            if _CAPTION.search(s) and len(s) <= 160:
                out = f"{lines[i - 1]} {s}" if re.match(r"^vs?\.", s) and i > 0 else s
                for nxt in lines[i + 1 : i + 3]:
                    if out.endswith(("v.", "v", "vs.")) or (_mostly_upper(nxt) and len(out) + len(nxt) <= 160 and not nxt.startswith(("C.A.", "No."))):
                        out = f"{out} {nxt}"
                    else:
                        break
                return out.rstrip(".")[:200]
    for i, s in enumerate(lines[:40]):
        if not _title_line(s):
            continue
        out = s
        for nxt in lines[i + 1 : i + 3]:
            if _continues_title(out, nxt):
                broken = out.endswith("-") and (nxt[:1].islower() or len(re.split(r"[\s-]", out[:-1])[-1]) <= 3)
                out = f"{out[:-1]}{nxt}" if broken else f"{out} {nxt}"
            else:
                break
        return out[:200]
    return file.rsplit(".", 1)[0]
