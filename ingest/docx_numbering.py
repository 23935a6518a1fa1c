"""Word's automatic numbering, computed as the reader sees it: "12.3", "(a)", "iv.".

Why: in a .docx the clause numbers of a contract are not text — they live in numbering.xml
(abstractNum → lvl → numFmt, lvlText "%1.%2", start) and each paragraph only says "list 5, level 1"
(w:numPr, directly or through its style). python-docx gives the text without them, and a lawyer cites
"clause 12.3". So the counters Word keeps while it lays the document out are replayed here, paragraph
by paragraph, in document order: a level's counter goes up, deeper levels restart, and the level's
lvlText is filled with each level's counter in that level's format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _val(el, tag: str) -> str | None:
    """w:val of child `tag` of `el` (None when absent)."""
    if el is None:
        return None
    c = el.find(W + tag)
    return None if c is None else c.get(W + "val")


@dataclass
class Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1
    restart: int | None = None  # w:lvlRestart: restart after this (1-based) level; None = after any shallower one
    legal: bool = False  # w:isLgl: every level shown as decimal


@dataclass
class Numbering:
    """numbering.xml and the styles' numPr, read once; `label(p)` per paragraph in document order."""

    abstract: dict[str, dict[int, Level]] = field(default_factory=dict)  # abstractNumId → ilvl → Level
    nums: dict[str, str] = field(default_factory=dict)  # numId → abstractNumId
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)  # numId → ilvl → startOverride
    style_num: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)  # styleId → (numId, ilvl)
    style_base: dict[str, str] = field(default_factory=dict)  # styleId → basedOn
    counters: dict[str, list[int]] = field(default_factory=dict)  # abstractNumId → counter per level
    started: set[str] = field(default_factory=set)  # numIds whose overrides were applied
    links: dict[str, str] = field(default_factory=dict)  # abstractNumId → numbering style it takes its levels from

    @classmethod
    def read(cls, numbering_el, styles_el) -> Numbering:
        n = cls()
        if numbering_el is not None:
            for a in numbering_el.findall(W + "abstractNum"):
                levels: dict[int, Level] = {}
                for lvl in a.findall(W + "lvl"):
                    try:
                        ilvl = int(lvl.get(W + "ilvl", "0"))
                        start = int(_val(lvl, "start") or 1)
                    except ValueError:
                        continue
                    restart = _val(lvl, "lvlRestart")
                    levels[ilvl] = Level(
                        fmt=_val(lvl, "numFmt") or "decimal",
                        text=_val(lvl, "lvlText") if _val(lvl, "lvlText") is not None else "",
                        start=start,
                        restart=int(restart) if restart and restart.isdigit() else None,
                        legal=lvl.find(W + "isLgl") is not None and _val(lvl, "isLgl") not in ("0", "false"),
                    )
                aid = a.get(W + "abstractNumId", "")
                n.abstract[aid] = levels
                link = _val(a, "numStyleLink")
                if link and not levels:  # a list style's lists: the levels live in the style's own abstractNum
                    n.links[aid] = link
            for num in numbering_el.findall(W + "num"):
                nid = num.get(W + "numId", "")
                n.nums[nid] = _val(num, "abstractNumId") or ""
                for o in num.findall(W + "lvlOverride"):
                    so = _val(o, "startOverride")
                    if so is not None and so.isdigit():
                        n.overrides.setdefault(nid, {})[int(o.get(W + "ilvl", "0"))] = int(so)
        if styles_el is not None:
            for s in styles_el.findall(W + "style"):
                sid = s.get(W + "styleId", "")
                base = _val(s, "basedOn")
                if base:
                    n.style_base[sid] = base
                ppr = s.find(W + "pPr")
                numpr = ppr.find(W + "numPr") if ppr is not None else None
                if numpr is not None:
                    ilvl = _val(numpr, "ilvl")
                    n.style_num[sid] = (_val(numpr, "numId"), int(ilvl) if ilvl and ilvl.isdigit() else None)
        return n

    def _style_numpr(self, style: str | None) -> tuple[str | None, int | None]:
        seen: set[str] = set()
        while style and style not in seen:
            seen.add(style)
            if style in self.style_num:
                return self.style_num[style]
            style = self.style_base.get(style)
        return None, None

    def _resolve(self, aid: str) -> str:
        """Follow w:numStyleLink: the abstractNum whose levels (and counters) a list style's lists share."""
        seen: set[str] = set()
        while aid in self.links and aid not in seen:
            seen.add(aid)
            num_id, _ = self._style_numpr(self.links[aid])
            if not num_id or num_id not in self.nums:
                break
            aid = self.nums[num_id]
        return aid

    def label(self, p) -> tuple[str, int] | None:
        """The number Word prints before paragraph `p` (a w:p element) and its level, advancing the counters;
        None when the paragraph is not numbered (or its level prints nothing)."""
        ppr = p.find(W + "pPr")
        style = _val(ppr, "pStyle")
        num_id, ilvl = self._style_numpr(style)
        numpr = ppr.find(W + "numPr") if ppr is not None else None
        if numpr is not None:
            num_id = _val(numpr, "numId") or num_id
            lv = _val(numpr, "ilvl")
            if lv is not None and lv.isdigit():
                ilvl = int(lv)
        if not num_id or num_id == "0" or num_id not in self.nums:
            return None
        ilvl = ilvl or 0
        if not 0 <= ilvl < 9:  # Word has nine levels; anything else is a damaged file
            return None
        aid = self._resolve(self.nums[num_id])
        levels = self.abstract.get(aid)
        if not levels or ilvl not in levels:
            return None
        counters = self.counters.get(aid)
        if counters is None or (num_id in self.overrides and num_id not in self.started):
            counters = [levels[i].start - 1 if i in levels else 0 for i in range(9)]
            for i, so in self.overrides.get(num_id, {}).items():
                if 0 <= i < 9:
                    counters[i] = so - 1
            self.counters[aid] = counters
            self.started.add(num_id)
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            lvl = levels.get(deeper)
            if lvl is None:
                continue
            if lvl.restart is None or (lvl.restart != 0 and ilvl < lvl.restart):
                counters[deeper] = lvl.start - 1
        me = levels[ilvl]
        text = me.text
        for k in range(ilvl + 1):
            lv = levels.get(k, Level())
            value = max(counters[k], lv.start)  # a level never reached yet prints its start value
            fmt = "decimal" if me.legal and k < ilvl else lv.fmt
            text = text.replace(f"%{k + 1}", format_number(value, fmt))
        text = text.strip()
        if me.fmt == "bullet" or not text:
            return None  # bullets and "none" print no clause number a reader could cite
        return text, ilvl


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                 (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= v:
            out += s
            n -= v
    return out


def _letters(n: int) -> str:
    """Word's letter numbering: a … z, then aa … zz (the letter repeated), not a spreadsheet's aa, ab."""
    if n <= 0:
        return str(n)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    """One level's counter in Word's number format (the common ones; others print as decimals)."""
    if fmt in ("lowerLetter",):
        return _letters(n)
    if fmt in ("upperLetter",):
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("none", "bullet"):
        return ""
    return str(n)
