"""Tables of digital PDFs: found with pdfplumber, kept as Markdown blocks in the page text.

The text layer flattens a table into one run of words ("Model Accuracy (QuALITY) … SBERT with RAPTOR 56.6%
…"), so neither a reader nor the answerer can tell which number belongs to which row and column. Here each
table becomes a `Table` (page, box, header rows, cells with their boxes, caption and number "Table 2"), and
its flattened words in the page text are replaced by the table as Markdown — caption line, header row, one
line per row — so the prose no longer repeats the cells and the chunker (ingest/chunk.py) can keep a table
as its own chunk, cut only between rows (a large table is written as several blocks, header repeated).

Cost: pdfplumber (pdfminer) lays a page out ~10× slower than pdfium reads its text, so only pages that
draw ruling lines are looked at. `candidate_pages` asks pdfium for the page's path objects (no layout): a
page qualifies with three or more horizontal rules of one width at different heights (a booktabs table:
top, mid and bottom rule) or with horizontal and vertical rules (a grid). Tables drawn without any rule
are left as text, and so are scanned tables (OCR'd pages are never looked at).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# a page needs this many horizontal rules of one width (x ends within RULE_TOL) at different heights
MIN_RULES = 3
RULE_TOL = 3.0  # points
THIN = 2.5  # a rule is at most this thick (points)
MIN_RULE_LEN = 30.0  # and at least this long
MIN_CELL_HEIGHT = 8.0  # a vertical rule of a grid is at least one cell high
COLUMN_GAP = 6.0  # a vertical strip this wide with no word in any body row separates two columns (points)
ROW_TOL = 3.0  # words whose tops differ by less than this share a row (points)
# a table longer than this is written as several blocks, each with the header: ~250 word pieces of MiniLM (digits
# and "%" are a piece each), so that one block fits the default embedder's window and is one chunk
BLOCK_CHARS = 500
CAPTION_ABOVE = 90.0  # how far above a table its caption may start (points)
CAPTION_BELOW = 50.0  # how far below
MIN_COVER = 0.6  # share of a table's words that must be found together in the page text to replace them

_CAPTION = re.compile(r"^(Table|TABLE|Tab\.)\s*([0-9]+[A-Za-z]?|[IVXLC]+)\s*[:.]?")
_FIGURE = re.compile(r"^(Figure|FIGURE|Fig\.)\s*[0-9IVX]")
_EDGE_PUNCT = "()[]{}.,;:!?\"'“”‘’*†‡§"


@dataclass(frozen=True)
class Cell:
    row: int  # 0-based, header rows first
    col: int
    text: str
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points from the page's top left


@dataclass
class Table:
    """One table of one page, as printed."""

    page: int  # 1-based
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom (points, from the top left)
    rows: list[list[str]]  # every row's cell texts, header rows first
    header_rows: int = 1
    cells: list[Cell] = field(default_factory=list)
    caption: str = ""  # the caption as printed ("Table 2: Performance of …"), "" when none
    number: str = ""  # "Table 2" when printed, else ""
    page_size: tuple[float, float] = (0.0, 0.0)  # width, height of the page (points), for highlights
    spans: list[tuple[int, int]] = field(default_factory=list)  # its blocks in the document text

    @property
    def columns(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def header(self) -> list[str]:
        """One header text per column: the header rows' texts joined top to bottom."""
        n = self.columns
        heads = [""] * n
        for r in self.rows[: self.header_rows]:
            for i, t in enumerate(r):
                if t:
                    heads[i] = f"{heads[i]} {t}".strip()
        return heads

    def body(self) -> list[list[str]]:
        return [r + [""] * (self.columns - len(r)) for r in self.rows[self.header_rows:]]

    def blocks(self, limit: int = BLOCK_CHARS) -> list[str]:
        """The table as Markdown blocks of at most ~`limit` characters, cut between rows, each with the
        caption line (", continued" after the first) and the header row."""
        head = _md_row(self.header()) + "\n" + _md_row(["---"] * self.columns)
        rows = [_md_row(r) for r in self.body()]
        title = self.caption or self.number
        out: list[str] = []
        cur: list[str] = []
        for r in rows:
            top = len(title if not out else _short_title(title) + " (continued)") + len(head) + 2
            if cur and top + sum(len(x) + 1 for x in cur) + len(r) > limit:
                out.append(_block(title, head, cur, len(out)))
                cur = []
            cur.append(r)
        if cur or not out:
            out.append(_block(title, head, cur, len(out)))
        return out

    def markdown(self) -> str:
        return "\n".join(self.blocks(limit=10**9))


def _block(title: str, head: str, rows: list[str], k: int) -> str:
    lines = []
    if title:
        lines.append(title if k == 0 else f"{_short_title(title)} (continued)")
    lines.append(head)
    lines.extend(rows)
    return "\n".join(lines)


def _short_title(title: str) -> str:
    m = _CAPTION.match(title)
    return m.group(0).rstrip(":. ") if m else title[:60]


def md_cell(text: str) -> str:
    """A cell's text inside a Markdown row: one line, pipes escaped."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


# ---- reading Markdown tables back (chunks, prompts, answers) ----------------------------------------
_MD_ROW = re.compile(r"^\|(.*)\|\s*$")
_MD_SEP = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


@dataclass(frozen=True)
class MdTable:
    """A Markdown table block found in a text: its title line, header, rows and where it lies."""

    title: str  # the line above the header ("Table 2: …"), "" when none
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    start: int  # offsets in the text: the title line (or header) to the end of the last row
    end: int
    row_spans: tuple[tuple[int, int], ...] = ()

    @property
    def number(self) -> str:
        m = _CAPTION.match(self.title)
        return f"Table {m.group(2)}" if m else ""


def _split_md(line: str) -> list[str]:
    inner = _MD_ROW.match(line).group(1)
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def markdown_tables(text: str) -> list[MdTable]:
    """The Markdown tables in `text` (a header row followed by a --- row), in order."""
    out: list[MdTable] = []
    lines = text.split("\n")
    offs, o = [], 0
    for ln in lines:
        offs.append(o)
        o += len(ln) + 1
    i = 0
    while i < len(lines) - 1:
        if _MD_ROW.match(lines[i]) and _MD_SEP.match(lines[i + 1]):
            header = tuple(_split_md(lines[i]))
            j = i + 2
            rows, spans = [], []
            while j < len(lines) and _MD_ROW.match(lines[j]) and not _MD_SEP.match(lines[j]):
                rows.append(tuple(_split_md(lines[j])))
                spans.append((offs[j], offs[j] + len(lines[j])))
                j += 1
            title, start = "", offs[i]
            if i > 0 and lines[i - 1].strip() and not _MD_ROW.match(lines[i - 1]):
                title, start = lines[i - 1].strip(), offs[i - 1]
            end = offs[j - 1] + len(lines[j - 1])
            out.append(MdTable(title, header, tuple(rows), start, end, tuple(spans)))
            i = j
        else:
            i += 1
    return out


def is_table_text(text: str) -> bool:
    """Whether a chunk's text holds a Markdown table."""
    return "| ---" in text and bool(markdown_tables(text))


# ---- finding candidate pages cheaply (pdfium, no layout) -------------------------------------------
def _ruled(page) -> str:
    """"grid" when the page draws horizontal and vertical rules, "rules" for three or more horizontal rules of
    one width at different heights (a booktabs table), "" for neither (pdfium's raw calls: no Python object
    per page object)."""
    import ctypes

    import pypdfium2.raw as raw

    w, h = page.get_size()
    hs: list[tuple[float, float, float]] = []
    vs = 0
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    ref = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    handle = page.raw
    for k in range(raw.FPDFPage_CountObjects(handle)):
        obj = raw.FPDFPage_GetObject(handle, k)
        if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_PATH or not raw.FPDFPageObj_GetBounds(obj, *ref):
            continue
        x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
        if x1 < 0 or x0 > w or y1 < 0 or y0 > h:
            continue  # drawn off the page
        if y1 - y0 <= THIN and x1 - x0 >= MIN_RULE_LEN:
            hs.append((x0, x1, round((y0 + y1) / 4)))  # height to 2 pt
        elif x1 - x0 <= THIN and y1 - y0 >= MIN_CELL_HEIGHT:
            vs += 1
    if len(hs) >= 2 and vs >= 2:
        return "grid"
    for a in hs:
        ys = {y for (x0, x1, y) in hs if abs(x0 - a[0]) <= RULE_TOL and abs(x1 - a[1]) <= RULE_TOL}
        if len(ys) >= MIN_RULES:
            return "rules"
    return ""


# a caption, wherever the clean-up left it (it may join a caption line to the paragraph above)
_CAPTION_LINE = re.compile(r"\b(Table|TABLE|Tab\.)\s*([0-9]+[A-Za-z]?|[IVXLC]+)\s*[:.]\s")


def candidate_pages(path: str, password: str | None = None, skip: set[int] | frozenset[int] = frozenset(),
                    texts: list[str] | None = None) -> list[int]:
    """Pages (1-based) that draw ruling lines a table could be made of; [] when pdfium cannot open the file.

    With the pages' `texts`, a page of rules without a grid also needs a "Table N:" caption line (underlined
    headings of one width draw the same rules as a booktabs table, and laying out a page costs ~0.3 s)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path), password=password or None)
    except Exception:  # noqa: BLE001 - a file pdfium cannot open has no tables we could find
        return []
    out = []
    try:
        for i in range(len(doc)):
            if i + 1 in skip:
                continue
            try:
                page = doc[i]
                try:
                    kind = _ruled(page)
                    if kind == "rules" and texts is not None and i < len(texts):
                        kind = kind if _CAPTION_LINE.search(texts[i] or "") else ""
                    if kind:
                        out.append(i + 1)
                finally:
                    page.close()
            except Exception:  # noqa: BLE001 - one odd page: no tables there
                continue
    finally:
        doc.close()
    return out


# ---- the tables of one page (pdfplumber) -----------------------------------------------------------
def _lines_of(words: list[dict]) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(w["top"] - lines[-1][0]["top"]) < ROW_TOL:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(ln, key=lambda w: w["x0"]) for ln in lines]


def _text(ws: list[dict]) -> str:
    return " ".join(w["text"] for w in sorted(ws, key=lambda w: w["x0"]))


def _caption_blocks(lines: list[list[dict]], pattern) -> list[tuple[float, float, float, float, str]]:
    """Captions as (x0, top, x1, bottom, text): a line starting "Table N" and the lines that continue it."""
    out = []
    for k, ln in enumerate(lines):
        if not pattern.match(_text(ln)):
            continue
        block = [ln]
        height = max(w["bottom"] - w["top"] for w in ln)
        for nxt in lines[k + 1: k + 5]:
            if nxt[0]["top"] - block[-1][0]["bottom"] > height * 0.8 or _CAPTION.match(_text(nxt)):
                break
            if abs(nxt[0]["x0"] - ln[0]["x0"]) > 40 and nxt[0]["x0"] > ln[0]["x0"] + 40:
                break  # a line of the other column or of the table itself
            block.append(nxt)
        out.append((min(w["x0"] for b in block for w in b), ln[0]["top"], max(w["x1"] for b in block for w in b),
                    block[-1][0]["bottom"], " ".join(_text(b) for b in block)))
    return out


def _caption_near(lines: list[list[dict]], bbox, pattern=_CAPTION) -> str:
    """The caption printed just above the box (papers put table captions there), else just below it."""
    x0, top, x1, bottom = bbox
    above, below = [], []
    for cx0, ctop, cx1, cbottom, text in _caption_blocks(lines, pattern):
        if cx1 < x0 - 40 or cx0 > x1 + 40:
            continue
        if cbottom <= top + 2 and top - cbottom <= CAPTION_ABOVE:
            above.append((top - cbottom, text))
        elif ctop >= bottom - 2 and ctop - bottom <= CAPTION_BELOW:
            below.append((ctop - bottom, text))
    near_above = [a for a in above if a[0] <= 30]
    for group in (near_above, below, above):
        if group:
            return min(group)[1]
    return ""


def _rules(pg) -> list[tuple[float, float, float]]:
    """Horizontal rules of the page as (x0, x1, y), thin rectangles included, one per height."""
    found = []
    for ln in pg.lines:
        if abs(ln["top"] - ln["bottom"]) <= THIN and ln["x1"] - ln["x0"] >= MIN_RULE_LEN:
            found.append((ln["x0"], ln["x1"], (ln["top"] + ln["bottom"]) / 2))
    for r in pg.rects:
        if r["bottom"] - r["top"] <= THIN and r["x1"] - r["x0"] >= MIN_RULE_LEN:
            found.append((r["x0"], r["x1"], (r["top"] + r["bottom"]) / 2))
    found.sort(key=lambda t: t[2])
    out: list[tuple[float, float, float]] = []
    for x0, x1, y in found:
        if out and abs(out[-1][2] - y) < 1.5 and abs(out[-1][0] - x0) <= RULE_TOL:
            continue
        out.append((x0, x1, y))
    return out


def _rule_groups(rules, lines) -> list[list[float]]:
    """Sets of rules of one width, top to bottom, that frame one table (a caption between two rules of
    the same width starts another table)."""
    groups: list[list[tuple[float, float, float]]] = []
    for r in rules:
        for g in groups:
            if abs(g[0][0] - r[0]) <= RULE_TOL and abs(g[0][1] - r[1]) <= RULE_TOL:
                g.append(r)
                break
        else:
            groups.append([r])
    out = []
    captions = [ln[0]["top"] for ln in lines if _CAPTION.match(_text(ln)) or _FIGURE.match(_text(ln))]
    for g in groups:
        cur = [g[0]]
        for r in g[1:]:
            if any(cur[-1][2] < y < r[2] for y in captions):
                out.append(cur)
                cur = [r]
            else:
                cur.append(r)
        out.append(cur)
    return [[r for r in g] for g in out if len(g) >= 2]


def _columns(body: list[list[dict]]) -> list[tuple[float, float]]:
    spans = sorted((w["x0"], w["x1"]) for ln in body for w in ln)
    cols: list[list[float]] = []
    for a, b in spans:
        if cols and a - cols[-1][1] < COLUMN_GAP:
            cols[-1][1] = max(cols[-1][1], b)
        else:
            cols.append([a, b])
    return [(a, b) for a, b in cols]


def _col_of(w: dict, cols: list[tuple[float, float]]) -> int:
    mid = (w["x0"] + w["x1"]) / 2
    best, best_d = 0, None
    for i, (a, b) in enumerate(cols):
        d = 0.0 if a - 1 <= mid <= b + 1 else min(abs(mid - a), abs(mid - b))
        if best_d is None or d < best_d:
            best, best_d = i, d
    return best


def _ruled_table(pg, page_no: int, group, lines, words) -> Table | None:
    """A booktabs-style table between its top and bottom rule; header rows above the second rule."""
    x0 = min(r[0] for r in group) - 2
    x1 = max(r[1] for r in group) + 2
    top, bottom = group[0][2], group[-1][2]
    mid = group[1][2] if len(group) >= 3 else None
    inside = [w for w in words if w["top"] > top and w["bottom"] < bottom + 1 and w["x0"] >= x0 and w["x1"] <= x1]
    rows = _lines_of(inside)
    if len(rows) < 2:
        return None
    head = [ln for ln in rows if mid is not None and ln[0]["bottom"] <= mid + 1] or rows[:1]
    body = rows[len(head):]
    cols = _columns(body)
    if len(cols) < 2 or len(body) < 1:
        return None
    caption = _caption_near(lines, (x0, top, x1, bottom))
    if not caption:
        return None  # rules without a "Table N" caption: more likely a figure or a form
    return _build(pg, page_no, (x0, top, x1, bottom), head + body, len(head), cols, caption)


def _build(pg, page_no, bbox, rows_words, n_head, cols, caption) -> Table:
    rows: list[list[str]] = []
    cells: list[Cell] = []
    for ri, ln in enumerate(rows_words):
        parts: list[list[dict]] = [[] for _ in cols]
        for w in ln:
            parts[_col_of(w, cols)].append(w)
        texts = [_text(p) for p in parts]
        rows.append(texts)
        rt, rb = min(w["top"] for w in ln), max(w["bottom"] for w in ln)
        for ci, p in enumerate(parts):
            box = ((min(w["x0"] for w in p), rt, max(w["x1"] for w in p), rb) if p
                   else (cols[ci][0], rt, cols[ci][1], rb))
            cells.append(Cell(ri, ci, texts[ci], tuple(round(v, 1) for v in box)))
    m = _CAPTION.match(caption)
    return Table(page=page_no, bbox=tuple(round(v, 1) for v in bbox), rows=rows, header_rows=n_head, cells=cells,
                 caption=caption, number=f"Table {m.group(2)}" if m else "",
                 page_size=(float(pg.width), float(pg.height)))


def _grid_tables(pg, page_no: int, lines, taken) -> list[Table]:
    """Tables drawn as a full grid (pdfplumber's ruling-line finder)."""
    out = []
    for ft in pg.find_tables():
        bbox = ft.bbox
        if any(_overlap(bbox, t) for t in taken):
            continue
        data = [[(c or "").strip() for c in row] for row in ft.extract()]
        data = [r for r in data if any(r)]
        if len(data) < 2 or max(len(r) for r in data) < 2:
            continue
        cells_n = sum(len(r) for r in data)
        if sum(1 for r in data for c in r if c) < 0.5 * cells_n:
            continue
        if _caption_near(lines, bbox, _FIGURE) and not _caption_near(lines, bbox):
            continue
        caption = _caption_near(lines, bbox)
        m = _CAPTION.match(caption)
        cells = []
        for ri, row in enumerate(ft.rows):
            for ci, box in enumerate(row.cells):
                if box is not None and ri < len(data) and ci < len(data[ri]):
                    cells.append(Cell(ri, ci, data[ri][ci], tuple(round(v, 1) for v in box)))
        out.append(Table(page=page_no, bbox=tuple(round(v, 1) for v in bbox), rows=data, header_rows=1,
                         cells=cells, caption=caption, number=f"Table {m.group(2)}" if m else "",
                         page_size=(float(pg.width), float(pg.height))))
    return out


def _overlap(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def page_tables(pg, page_no: int) -> list[Table]:
    """The tables of one pdfplumber page, top to bottom."""
    words = pg.extract_words(x_tolerance=1.5, y_tolerance=2)
    if not words:
        return []
    lines = _lines_of(words)
    found: list[Table] = []
    for g in _rule_groups(_rules(pg), lines):
        t = _ruled_table(pg, page_no, g, lines, words)
        if t is not None and not any(_overlap(t.bbox, o.bbox) for o in found):
            found.append(t)
    found.extend(_grid_tables(pg, page_no, lines, [t.bbox for t in found]))
    return sorted(found, key=lambda t: (t.bbox[1], t.bbox[0]))


def find_tables(path: str, password: str | None = None, pages: list[int] | None = None,
                skip: set[int] | frozenset[int] = frozenset(), texts: list[str] | None = None) -> dict[int, list[Table]]:
    """Page number → its tables, for the pages that draw ruling lines (or `pages`); `texts`: the pages' text."""
    import logging

    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    wanted = pages if pages is not None else candidate_pages(path, password, skip, texts)
    if not wanted:
        return {}
    out: dict[int, list[Table]] = {}
    with pdfplumber.open(str(path), password=password or "") as pdf:
        for n in wanted:
            if not 1 <= n <= len(pdf.pages):
                continue
            pg = pdf.pages[n - 1]
            try:
                got = page_tables(pg, n)
            except Exception:  # noqa: BLE001 - a page pdfplumber trips over keeps its text as it is
                got = []
            finally:
                pg.close()
            if got:
                out[n] = got
    return out


# ---- replacing the flattened cells in the page text ------------------------------------------------
_TOKEN = re.compile(r"\S+")


def _norm(tok: str) -> str:
    return unicodedata.normalize("NFKC", tok).casefold().strip(_EDGE_PUNCT)


def _span_of(text: str, table: Table, used: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Where the table's words lie together in the page text: the stretch of tokens richest in them."""
    want: dict[str, int] = {}
    for r in table.rows:
        for c in r:
            for t in c.split():
                k = _norm(t)
                if k:
                    want[k] = want.get(k, 0) + 1
    cap = {_norm(t) for t in table.caption.split()} - {""}
    total = sum(want.values())
    if total == 0:
        return None
    toks = list(_TOKEN.finditer(text))
    best, best_s, best_e, cur, cur_s = 0.0, -1, -1, 0.0, 0
    for i, m in enumerate(toks):
        k = _norm(m.group())
        blocked = any(s <= m.start() < e for s, e in used)
        w = -1e9 if blocked else (1.0 if k in want or k in cap or not k else -1.5)
        if cur <= 0:
            cur, cur_s = w, i
        else:
            cur += w
        if cur > best:
            best, best_s, best_e = cur, cur_s, i
    if best_s < 0:
        return None
    seen: dict[str, int] = {}
    for m in toks[best_s: best_e + 1]:
        k = _norm(m.group())
        if k in want:
            seen[k] = min(want[k], seen.get(k, 0) + 1)
    if sum(seen.values()) < MIN_COVER * total:
        return None
    return toks[best_s].start(), toks[best_e].end()


def place_tables(page_text: str, tables: list[Table]) -> tuple[str, list[tuple[Table, list[tuple[int, int]]]]]:
    """The page text with each table's flattened words replaced by its Markdown blocks, and where each
    table's blocks now lie in the page text. A table whose words are not found together stays text."""
    spans: list[tuple[Table, tuple[int, int]]] = []
    used: list[tuple[int, int]] = []
    for t in tables:
        sp = _span_of(page_text, t, used)
        if sp is not None:
            spans.append((t, sp))
            used.append(sp)
    spans.sort(key=lambda x: x[1][0])
    out: list[str] = []
    placed: list[tuple[Table, list[tuple[int, int]]]] = []
    last = 0
    pos = 0
    for t, (s, e) in spans:
        before = page_text[last:s].rstrip(" \t")
        if before and not before.endswith("\n"):
            before += "\n"
        out.append(before)
        pos += len(before)
        blocks: list[tuple[int, int]] = []
        for k, b in enumerate(t.blocks()):
            if k:
                out.append("\n\n")
                pos += 2
            out.append(b)
            blocks.append((pos, pos + len(b)))
            pos += len(b)
        out.append("\n")
        pos += 1
        last = e
        while last < len(page_text) and page_text[last] in " \t":
            last += 1
        if last < len(page_text) and page_text[last] == "\n":
            last += 1
        placed.append((t, blocks))
    out.append(page_text[last:])
    return "".join(out), placed
