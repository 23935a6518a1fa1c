"""Value questions answered from a table: the cell, with its row and column headers, its table and page.

The sentence ranker (extractive.py) quotes sentences; a table row is not one, and "52.1 %" means nothing
without "BM25 with RAPTOR" and "Accuracy (QuALITY)". Tables reach the packed context as Markdown blocks
(ingest/tables.py), so here each table in the passages is read back, every body cell scored by how much of
its row label and of its column header the question names (and whether the question names the table's
number), and the best cell is answered as "BM25 with RAPTOR · Accuracy (QuALITY) = 52.1%", Table 2, with
the row quoted as the citation. No cell that both its row and its column make likely: no table answer,
and the sentence ranker answers as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.cite import make_label
from app.answer.extractive import ExtractiveAnswer
from app.answer.results import EXTRACTIVE_LABEL, Citation, SentenceSupport
from ingest.tables import MdTable, markdown_tables, md_cell

_WORD = re.compile(r"[0-9a-z][0-9a-z.+\-]*[0-9a-z+]|[0-9a-z]")
_STOP = frozenset("a an the of in on at to for and or by with from is are was were be does do did what which how "
                  "much many reach reached reaches achieve achieves achieved get gets value score table row column "
                  "give show shown listed list report reported according as per its their this that".split())
_TABLE_REF = re.compile(r"\btable\s+([0-9]+[a-z]?|[ivxlc]+)\b", re.I)
MIN_SCORE = 2.0  # at least two of the question's words in the cell's row label and column header together
_NUMERIC = re.compile(r"^[-+–]?[$€£¥]?\s*\.?[0-9]|^[-–—]$")  # a value: "52.1%", "73.2% (1.9%)", "$1,000", ".28", "-"
_PAREN = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class CellAnswer:
    """The cell a question asks for, and where it was found."""

    value: str
    row_label: str
    column: str
    table: str  # "Table 2" ("" when the table prints no number)
    title: str  # the caption line
    header: tuple[str, ...]
    row: tuple[str, ...]
    passage_index: int
    score: float

    @property
    def statement(self) -> str:
        return f"{self.row_label} · {self.column} = {self.value}"

    def row_line(self) -> str:
        """The row as it stands in the document text (what the page view finds and marks)."""
        return "| " + " | ".join(md_cell(c) for c in self.row) + " |"

    def row_markdown(self) -> str:
        """The row under its header, as a Markdown table (the UI and the exports draw it as one)."""
        return ("| " + " | ".join(md_cell(h) for h in self.header) + " |\n"
                + "|" + " --- |" * len(self.header) + "\n" + self.row_line())


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _match(label: str, q: set[str]) -> tuple[int, int]:
    """Words of `label` the question names, and those it does not (a parenthesis — a citation, a unit — aside)."""
    ws = _words(label)
    hit = sum(1 for w in ws if w in q)
    bare = _words(_PAREN.sub(" ", label))
    return hit, sum(1 for w in bare if w not in q)


def _label_of(row: tuple[str, ...]) -> tuple[str, int]:
    """The row's label: its leading cells that are not numbers (and the index of the first value cell)."""
    k = 0
    while k < len(row) - 1 and not _NUMERIC.match(row[k] or "0"):
        k += 1
    if k == 0:
        return (row[0] if row else ""), 1
    return " ".join(c for c in row[:k] if c), k


def best_cell(question: str, tables: list[tuple[int, MdTable]]) -> CellAnswer | None:
    """The cell of these (passage index, table) pairs whose row and column the question names best."""
    q = set(_words(question))
    named = {m.group(1).lower() for m in _TABLE_REF.finditer(question)}
    best: CellAnswer | None = None
    for pi, t in tables:
        num = t.number.split()[-1].lower() if t.number else ""
        if named and num and num not in named:
            continue
        t_bonus = 1.0 if named and num in named else 0.0
        header = t.header
        for row in t.rows:
            label, first = _label_of(row)
            r_hit, r_miss = _match(label, q)
            if r_hit == 0:
                continue
            for ci in range(first, min(len(row), len(header))):
                value = (row[ci] or "").strip()
                if not value or value in "-–—":
                    continue
                c_hit, c_miss = _match(header[ci], q)
                if c_hit == 0 and len(header) - first > 1:
                    continue  # several value columns and the question names none of them
                score = r_hit + c_hit - 0.3 * (r_miss + c_miss) + t_bonus
                if best is None or score > best.score:
                    best = CellAnswer(value, label, header[ci], t.number, t.title, header, row, pi, score)
    return best


def _page_of(passage, row: tuple[str, ...], chunks_by_id: dict | None) -> tuple[int, int]:
    """The page the row lies on: the chunk holding it, else the passage's pages."""
    needle = " | ".join(row[:2])
    for cid in getattr(passage, "chunk_ids", ()):
        ch = (chunks_by_id or {}).get(cid)
        if ch is not None and needle in ch.text.replace("\\|", "|"):
            return ch.page_start, ch.page_end
    return passage.page_start, passage.page_end


def table_answer(question: str, packed, chunks_by_id: dict | None = None):
    """An ExtractiveAnswer quoting the cell the question asks for, or None when no table holds it."""
    found: list[tuple[int, MdTable]] = []
    for pi, p in enumerate(packed.passages):
        if "| ---" in p.text:
            found.extend((pi, t) for t in markdown_tables(p.text))
    if not found:
        return None
    cell = best_cell(question, found)
    if cell is None or cell.score < MIN_SCORE:
        return None
    p = packed.passages[cell.passage_index]
    a, b = _page_of(p, cell.row, chunks_by_id)
    label = make_label(p.doc_index, a, b)
    where = ", ".join(x for x in (cell.table, f"[{label}]") if x)
    text = f"{EXTRACTIVE_LABEL}: from a table.\n- {cell.statement} — {where}\n\n{cell.row_markdown()}"
    # the row alone, as the document text holds it: the page view marks exactly that row
    cite = Citation(label, p.doc_id, p.file, a, b, p.section_at(0) if hasattr(p, "section_at") else p.section,
                    cell.row_line(),
                    True, ocr=bool(getattr(p, "ocr", False)))
    sent = SentenceSupport(cell.statement, [label], True, "table", round(cell.score, 3))
    return ExtractiveAnswer(text, [cite], [sent], True, round(cell.score, 3))
