"""Tables inside answer text, for exports: a Markdown table in an answer is drawn as a table.

A table answer (app/answer/table_answer.py) — and a model that copies a row from a table passage — writes
Markdown tables. Exports escape Markdown in text from documents (app/answer/verbatim.py), which would turn a
table into a line of "\\|"; here the answer is split into text and tables, each table drawn as one: a
Markdown table with each cell escaped, a Word table, a PDF table.
"""

from __future__ import annotations

from app.answer.verbatim import answer_md, md, md_text, plain
from ingest.tables import markdown_tables


def body_parts(text: str) -> list[tuple[str, object]]:
    """("text", str) and ("table", (title, header, rows)) parts of an answer, in order."""
    parts: list[tuple[str, object]] = []
    last = 0
    for t in markdown_tables(text):
        start = text.find(t.title, t.start) + len(t.title) + 1 if t.title else t.start
        if start > last:
            parts.append(("text", text[last:start]))
        parts.append(("table", ("", list(t.header), [list(r) for r in t.rows])))
        last = t.end
    if last < len(text):
        parts.append(("text", text[last:]))
    return parts


def has_table(text: str) -> bool:
    return "| ---" in text and any(k == "table" for k, _ in body_parts(text))


def _md_table(table, cell) -> str:
    """A parsed table as Markdown rows, each cell through `cell` (the export's and the UI's escaping differ)."""
    _, header, rows = table
    n = len(header)
    return ("| " + " | ".join(cell(h) for h in header) + " |\n|" + "---|" * n + "\n"
            + "\n".join("| " + " | ".join(cell(c) for c in (r + [""] * n)[:n]) + " |" for r in rows))


def markdown_body(text: str, escape) -> str:
    """The answer for a Markdown export: text through `escape`, tables as tables with escaped cells."""
    out = []
    for kind, val in body_parts(text):
        if kind == "text":
            out.append(escape(val))
        else:
            out.append("\n" + _md_table(val, _cell) + "\n")
    return "".join(out)


def answer_md_tables(text: str) -> str:
    """`answer_md` (app/answer/verbatim.py) for the UI, with a table in the answer drawn as a table: its cells
    escaped like any text from documents, its pipes and rule row kept."""
    if not has_table(text):
        return answer_md(text)
    out = []
    for kind, val in body_parts(text):
        if kind == "text":
            out.append(answer_md(val))
        else:
            out.append("\n\n" + _md_table(val, _ui_cell) + "\n\n")
    return "".join(out)


def _ui_cell(text: str) -> str:
    return md(text).replace("  \n", " ")


def _cell(text: str) -> str:
    # a cell never starts a line: "52.1%" is not an ordered list, so the line-start escapes are kept off it
    return md_text("x" + text)[1:].replace("\n", " ")


def docx_table(doc, header: list[str], rows: list[list[str]]) -> None:
    """A Word table: the header row bold, then the rows."""
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for i, h in enumerate(header):
        cell = t.rows[0].cells[i]
        cell.text = ""
        cell.paragraphs[0].add_run(plain(h)).bold = True
    for r in rows:
        cells = t.add_row().cells
        for i in range(len(header)):
            cells[i].text = plain(r[i]) if i < len(r) else ""


def pdf_table(pdf, header: list[str], rows: list[list[str]], family: str, clean) -> None:
    """A PDF table (fpdf2): header row first, the text as the export writes it."""
    pdf.set_font(family, "", 8)
    with pdf.table(text_align="LEFT", first_row_as_headings=True) as t:
        row = t.row()
        for h in header:
            row.cell(clean(h))
        for r in rows:
            row = t.row()
            for i in range(len(header)):
                row.cell(clean(r[i]) if i < len(r) else "")
    pdf.ln(2)
