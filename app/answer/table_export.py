"""Whole tables for an answer that cites one: found in the library, written as XLSX sheets.

A table answer cites one row, and a model quotes a row or two; a reader who wants to recompute or check the
rest wants the whole table in a spreadsheet. The document text holds each table as Markdown blocks
(ingest/tables.py writes a PDF's, ingest/docx.py a Word file's; a long one in several blocks, each with its
header and a "Table 2 (continued)" title), so a cited table is the block holding the cited row, joined with
its continuation blocks. `write_xlsx` makes a sheet per table: its caption, the header (bold), the rows, and
where it was cited; a "Sources" sheet maps each citation to its document and pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.answer.results import Matrix
from app.library import documents as library
from ingest.tables import MdTable, markdown_tables

_SPACE = re.compile(r"\s+")
MIN_QUOTE = 12  # a quoted piece shorter than this names no row
XLSX_SUFFIX = ".xlsx"


@dataclass
class WholeTable:
    """One cited table, all its rows."""

    title: str  # the caption as printed ("Table 3 – Payment schedule"), "" when none
    number: str  # "Table 3", "" when none
    header: list[str]
    rows: list[list[str]]
    file: str
    cited_by: list[str] = field(default_factory=list)  # the citation labels that quote it ("D1 cl. 12.2")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", (text or "").replace("\\|", "|")).strip()


def _whole(tables: list[MdTable], i: int) -> tuple[int, int]:
    """The blocks i belongs to: back to the block without "(continued)", on while the next one continues it."""
    a = i
    while a > 0 and tables[a].title.endswith("(continued)") and tables[a - 1].header == tables[a].header:
        a -= 1
    b = i
    while (b + 1 < len(tables) and tables[b + 1].title.endswith("(continued)")
           and tables[b + 1].header == tables[a].header):
        b += 1
    return a, b


def _rows_quoted(t: MdTable, pieces: list[str]) -> bool:
    for row in t.rows:
        line = _squash("| " + " | ".join(row) + " |")
        if any(p in line or line in p for p in pieces):
            return True
    return False


def cited_tables(settings, result) -> list[WholeTable]:
    """The tables the citations of `result` quote a row of, whole, in citation order (each once)."""
    store = library.get_store(settings)
    texts: dict[str, list[MdTable]] = {}
    out: dict[tuple[str, int], WholeTable] = {}
    for c in getattr(result, "citations", None) or []:
        pieces = [p for p in (_squash(x) for x in (c.text or "").split(" … ")) if len(p) >= MIN_QUOTE]
        if not pieces or not c.doc_id:
            continue
        if c.doc_id not in texts:
            text = store.document_text(c.doc_id)
            texts[c.doc_id] = markdown_tables(text) if "| ---" in text else []
        tables = texts[c.doc_id]
        for i, t in enumerate(tables):
            if not _rows_quoted(t, pieces):
                continue
            a, b = _whole(tables, i)
            key = (c.doc_id, a)
            if key not in out:
                first = tables[a]
                rows = [list(r) for k in range(a, b + 1) for r in tables[k].rows]
                out[key] = WholeTable(first.title, first.number, list(first.header), rows, c.file)
            label = getattr(c, "display_label", c.label)
            if label not in out[key].cited_by:
                out[key].cited_by.append(label)
    return list(out.values())


def _sheet_name(t: WholeTable, k: int, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", " ", t.number or f"Table {k}").strip()[:28] or f"Table {k}"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base} ({n})"[:31], n + 1
    used.add(name.lower())
    return name


def write_xlsx(tables: list[WholeTable], sources: list, path) -> None:
    """A sheet per table (caption, header, rows, where cited), then the answer's sources (export.source_rows)."""
    from openpyxl import Workbook  # openpyxl: only for an .xlsx export
    from openpyxl.styles import Alignment, Font  # ditto

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for k, t in enumerate(tables, start=1):
        ws = wb.create_sheet(_sheet_name(t, k, used))
        ws.append([t.title or t.number or f"Table {k} of {t.file}"])
        ws["A1"].font = Font(bold=True)
        ws.append(t.header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in t.rows:
            ws.append((r + [""] * len(t.header))[: max(len(t.header), len(r))])
        ws.append([])
        ws.append([f"{t.file} — cited as " + "; ".join(t.cited_by)])
        for col in ws.iter_cols(min_row=2, max_row=ws.max_row - 2):
            ws.column_dimensions[col[0].column_letter].width = 24
            for c in col:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    src = wb.create_sheet("Sources")
    src.append(["label", "file", "pages", "section", "passage", "verified"])
    for r in sources:
        src.append(list(r))
    wb.save(str(path))


def tables_for(settings, result, suffix: str) -> list[WholeTable] | None:
    """What every face passes to export(…, tables=): the cited tables for an answer's or summary's .xlsx,
    None for any other export (a comparison matrix's .xlsx is the matrix)."""
    if suffix.lower() != XLSX_SUFFIX or isinstance(result, Matrix):
        return None
    return cited_tables(settings, result)
