"""Exports users can hand on: Markdown, DOCX, PDF, JSON; CSV/XLSX for the comparison matrix; XLSX of the
whole tables an answer cites (app/answer/table_export.py).

Every file carries the title, date, documents (sha256, pages), backend/model or "extractive",
usage, cost and the sources list mapping each citation label to document, page and passage.
Results never hold the API key, so no export can leak it. Files are written to a temporary name
and renamed, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.answer.printed_pages import display_text
from app.answer.results import Answer, Matrix, Summary, checked_note
from app.answer.table_blocks import body_parts, docx_table, has_table, markdown_body, pdf_table
from app.answer.table_export import write_xlsx as write_tables_xlsx
from app.answer.verbatim import answer_md_text, md_text, plain
from app.errors import ExportError

# Evidence pages (issue 12): what `app.pages.evidence_pages` hands an export — a caption and a PNG of the
# cited page with the passage highlighted, or a caption and the reason no image could be made.
EVIDENCE_SUFFIXES = (".docx", ".pdf")

TEXT_SUFFIXES = (".md", ".docx", ".pdf", ".json")
MATRIX_SUFFIXES = (".csv", ".xlsx")
TABLES_SUFFIX = ".xlsx"  # … and for an answer's cited tables, whole (export(…, tables=cited_tables(…)))
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
# Chinese, Japanese and Korean text needs a font that has the glyphs (DejaVu has none: fpdf2 drops them)
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora, Arch
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
CJK_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


# ---- the common content --------------------------------------------------------------------


def body_text(result) -> str:
    """The answer or summary as people read it: labels show printed page numbers where pages print them."""
    if isinstance(result, Answer):
        return display_text(result.answer, result.citations)
    if isinstance(result, Summary):
        return display_text(result.summary, result.citations)
    return ""


def mode_line(result) -> str:
    if result.mode == "extractive":
        return "extractive (no model configured)"
    return f"generative — {result.backend} · {result.model}"


def usage_line(result) -> str:
    u = result.usage or {}
    if not u:
        return "no model tokens used"
    parts = [f"prompt {u.get('prompt_tokens', 0):,}"]
    if u.get("cached_tokens"):
        parts.append(f"cached {u.get('cached_tokens', 0):,}")
    parts.append(f"output {u.get('output_tokens', 0):,}")
    if u.get("reasoning_tokens"):
        parts.append(f"reasoning {u.get('reasoning_tokens', 0):,}")
    return ", ".join(parts)


def cost_line(result) -> str:
    c = result.cost_usd
    return "unknown (no price for this model)" if c is None else f"${c:.4f}"


def metadata(result) -> list[tuple[str, str]]:
    rows = [
        ("Title", result.title),
        ("Date", result.created),
        ("Mode", mode_line(result)),
        ("Tokens", usage_line(result)),
        ("Cost", cost_line(result)),
    ]
    checked = checked_note(result)
    if checked:
        rows.append(("Checked", checked + " (not whether they answer the question)"))
    route = getattr(result, "route", None)
    if route is not None and getattr(route, "reason", ""):
        rows.append(("Read", route.reason))  # which documents the answer was read from, and why
    if isinstance(result, Summary):
        rows.append(("Style", f"{result.style} ({result.strategy})"))
    if getattr(result, "incomplete", False):
        rows.append(("Warning", "the model's output was cut off: this result is incomplete"))
    return rows


def document_rows(result) -> list[tuple[str, str, str, str, str]]:
    """(label, file, title, sha256, pages) for each document."""
    return [(d.label or f"D{i}", d.file, d.title, d.sha256, str(d.pages)) for i, d in enumerate(result.documents, 1)]


def source_rows(result) -> list[tuple[str, str, str, str, str, str]]:
    """(label, file, pages, section, passage, verified) — the sources list every export carries; pages as
    people cite them ("p.4", or "p. 487 (PDF p. 4)" where the page prints its own number)."""
    rows = []
    for c in result.citations:
        rows.append((c.label, c.file or "(not in the context)", c.pages, c.section or "", c.text, "yes" if c.verified else "no"))
    return rows


NOT_FOUND_CELL = "not found"


def matrix_rows(m: Matrix) -> tuple[list[str], list[list[str]]]:
    """The comparison as a table of text: a header (aspect, then each document) and one row per aspect, each cell
    the answer with its citation label or "not found". Every export and the CLI's table are drawn from it."""
    header = ["aspect"] + [f"{d.label + ' ' if d.label else ''}{d.file}" for d in m.documents]
    rows = []
    for a in m.aspects:
        row = [a]
        for d in m.documents:
            c = m.cell(d.doc_id, a)
            if c is None or not c.found:
                row.append(NOT_FOUND_CELL)
            else:
                row.append(c.answer + (f" [{c.citation.display_label}]" if c.citation else ""))
        rows.append(row)
    return header, rows


# ---- writers -----------------------------------------------------------------------------


def _md_escape_cell(text: str) -> str:
    return md_text(text).replace("\n", " ")


def to_markdown(result) -> str:
    """Text from documents and users is escaped (app/answer/verbatim.py): a reader's Markdown viewer shows it as written,
    never as a link, an image or HTML; the answer keeps its emphasis and lists."""
    out = [f"# {md_text(result.title)}", ""]
    for k, v in metadata(result):
        out.append(f"- **{k}:** {md_text(v)}")
    out += ["", "## Documents", "", "| label | file | title | sha256 | pages |", "|---|---|---|---|---|"]
    for row in document_rows(result):
        out.append("| " + " | ".join(_md_escape_cell(x) for x in row) + " |")
    out.append("")
    if isinstance(result, Matrix):
        header, rows = matrix_rows(result)
        out += ["## Comparison", "", "| " + " | ".join(_md_escape_cell(h) for h in header) + " |",
                "|" + "---|" * len(header)]
        out += ["| " + " | ".join(_md_escape_cell(x) for x in r) + " |" for r in rows]
    else:
        heading = "Answer" if isinstance(result, Answer) else "Summary"
        out += [f"## {heading}", ""]
        if isinstance(result, Answer):
            out += [f"**Question:** {md_text(result.question)}", ""]
        out.append(markdown_body(body_text(result).strip(), answer_md_text))  # a table stays a table
        if isinstance(result, Answer):
            bad = [s.text for s in result.sentences if s.supported is False]
            if bad:
                out += ["", "**Not backed by the cited passages:**", ""] + [f"- {md_text(b)}" for b in bad]
    out += ["", "## Sources", ""]
    rows = source_rows(result)
    if not rows:
        out.append("_No citations._")
    for label, file, pages, section, passage, verified in rows:
        sec = f", {md_text(section)}" if section else ""
        out.append(f"- **\\[{md_text(label)}\\]** {md_text(file)}, {md_text(pages)}{sec} (verified: {verified})")
        if passage:
            out.append(f"  > {md_text(passage.strip())}")
    return "\n".join(out).rstrip() + "\n"


def to_json_text(result) -> str:
    data = result.to_json()
    data["export"] = {"format": "longdoc-result", "version": 1, "kind": type(result).__name__.lower()}
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def _body_blocks(text: str) -> list[tuple[str, object]]:
    """Markdown-ish body → (kind, text) blocks: ("h", …), ("li", …), ("p", …), ("table", (_, header, rows))."""
    blocks = []
    if has_table(text):  # a table in the answer: drawn as a table (app/answer/table_blocks.py)
        for kind, val in body_parts(text):
            blocks.extend(_body_blocks(val) if kind == "text" else [("table", val)])
        return blocks
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            blocks.append(("h", plain(s.lstrip("#").strip())))
        elif re.match(r"^[-*•]\s+", s):
            blocks.append(("li", plain(re.sub(r"^[-*•]\s+", "", s))))
        else:
            blocks.append(("p", plain(s)))  # `[* ****] years` keeps its asterisks: a redaction, not emphasis
    return blocks


def write_docx(result, path: Path, evidence: list | None = None) -> None:
    from docx import Document as Docx  # python-docx: only for a .docx export
    from docx.shared import Pt  # ditto

    doc = Docx()
    doc.core_properties.title = result.title[:250]
    doc.core_properties.author = "longdoc"
    doc.add_heading(result.title, level=0)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light List"
    for k, v in metadata(result):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = k, v
    doc.add_heading("Documents", level=1)
    for label, file, title, sha, pages in document_rows(result):
        doc.add_paragraph(f"{label}: {file} — {title} — {pages} pages — sha256 {sha}", style="List Bullet")
    if isinstance(result, Matrix):
        doc.add_heading("Comparison", level=1)
        header, rows = matrix_rows(result)
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for i, h in enumerate(header):
            t.rows[0].cells[i].text = h
        for r in rows:
            cells = t.add_row().cells
            for i, x in enumerate(r):
                cells[i].text = x
    else:
        doc.add_heading("Answer" if isinstance(result, Answer) else "Summary", level=1)
        if isinstance(result, Answer):
            p = doc.add_paragraph()
            p.add_run("Question: ").bold = True
            p.add_run(result.question)
        for kind, text in _body_blocks(body_text(result)):
            if kind == "h":
                doc.add_heading(text, level=2)
            elif kind == "table":
                docx_table(doc, text[1], text[2])
            elif kind == "li":
                doc.add_paragraph(text, style="List Bullet")
            else:
                doc.add_paragraph(text)
    doc.add_heading("Sources", level=1)
    rows = source_rows(result)
    if not rows:
        doc.add_paragraph("No citations.")
    for label, file, pages, section, passage, verified in rows:
        p = doc.add_paragraph(style="List Number")
        p.add_run(f"[{label}] ").bold = True
        p.add_run(f"{file}, {pages}" + (f", {section}" if section else "") + f" (verified: {verified})")
        if passage:
            q = doc.add_paragraph(passage.strip())
            q.paragraph_format.left_indent = Pt(18)
            for run in q.runs:
                run.italic = True
    if evidence:
        from docx.shared import Inches  # python-docx: only for a .docx export

        doc.add_heading("Cited pages", level=1)
        doc.add_paragraph("Each cited passage on its page, highlighted.")
        for ev in evidence:
            cap = doc.add_paragraph()
            cap.add_run(ev.caption).bold = True
            if ev.path is not None:
                doc.add_picture(str(ev.path), width=Inches(6.0))
            else:
                doc.add_paragraph(f"(no page image: {ev.reason})")
    doc.save(str(path))


def find_font() -> str | None:
    for f in FONT_CANDIDATES:
        if os.path.isfile(f):
            return f
    try:  # matplotlib bundles DejaVu when it is installed
        import matplotlib  # optional: its bundled DejaVu font, where installed

        f = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        return str(f) if f.is_file() else None
    except Exception:  # noqa: BLE001 - optional
        return None


def find_cjk_font() -> str | None:
    """A font with Chinese, Japanese and Korean glyphs: a known path, else any *CJK* font under the font folders."""
    for f in CJK_FONT_CANDIDATES:
        if os.path.isfile(f):
            return f
    for root in CJK_FONT_DIRS:
        found = sorted(Path(root).rglob("*CJK*-Regular.tt[cf]")) if Path(root).is_dir() else []
        if found:
            return str(found[0])
    return None


def _all_text(result) -> str:
    parts = [result.title, body_text(result), getattr(result, "question", "") or ""]
    parts += [" ".join(r) for r in document_rows(result)] + [" ".join(r) for r in source_rows(result)]
    if isinstance(result, Matrix):
        header, rows = matrix_rows(result)
        parts += header + [" ".join(r) for r in rows]
    return "\n".join(parts)


def _latin1(text: str) -> str:
    table = {"–": "-", "—": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "•": "-", "⚠": "!", "‹": "<", "›": ">"}
    text = "".join(table.get(c, c) for c in text)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(result, path: Path, evidence: list | None = None) -> None:
    from fpdf import FPDF  # fpdf2: only for a .pdf export

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(result.title[:200])
    pdf.set_author("longdoc")
    font = find_font()
    if _CJK.search(_all_text(result)):  # Chinese (or Japanese, Korean) text: only a CJK font shows it
        font = find_cjk_font()
        if font is None:
            raise ExportError("this result holds Chinese, Japanese or Korean text and no CJK font is installed: "
                              "install one (Debian: apt-get install fonts-noto-cjk), or export .docx or .md")
    if font:
        pdf.add_font("Body", "", font)
        bold = font.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf").replace("-Regular.tt", "-Bold.tt")
        pdf.add_font("Body", "B", bold if os.path.isfile(bold) else font)
        family, clean = "Body", (lambda s: s)
    else:  # no Unicode font on this system: keep the text readable in latin-1
        family, clean = "Helvetica", _latin1
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 10, style: str = "", gap: float = 1.5) -> None:
        pdf.set_font(family, style, size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, size * 0.5, clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    line(result.title, 16, "B", 3)
    for k, v in metadata(result):
        line(f"{k}: {v}", 9, "", 0.5)
    line("Documents", 13, "B", 1)
    for label, file, title, sha, pages in document_rows(result):
        line(f"{label}: {file} — {title} — {pages} pages — sha256 {sha}", 8, "", 0.5)
    if isinstance(result, Matrix):
        line("Comparison", 13, "B", 1)
        header, rows = matrix_rows(result)
        for r in rows:
            line(r[0], 11, "B", 0.5)
            for h, x in zip(header[1:], r[1:]):
                line(f"{h}: {x}", 9, "", 0.5)
    else:
        line("Answer" if isinstance(result, Answer) else "Summary", 13, "B", 1)
        if isinstance(result, Answer):
            line(f"Question: {result.question}", 10, "B", 1)
        for kind, text in _body_blocks(body_text(result)):
            if kind == "h":
                line(text, 12, "B", 1)
            elif kind == "table":
                pdf_table(pdf, text[1], text[2], family, clean)
            else:
                line(("• " if kind == "li" else "") + text, 10, "", 1)
    line("Sources", 13, "B", 1)
    rows = source_rows(result)
    if not rows:
        line("No citations.", 10)
    for label, file, pages, section, passage, verified in rows:
        line(f"[{label}] {file}, {pages}" + (f", {section}" if section else "") + f" (verified: {verified})", 9, "B", 0.5)
        if passage:
            line(passage.strip(), 8, "", 1.5)
    for ev in evidence or []:
        pdf.add_page()
        line(ev.caption, 10, "B", 1)
        if ev.path is not None:
            room_h = pdf.h - pdf.get_y() - pdf.b_margin
            w = min(width, room_h * ev.width / max(ev.height, 1))
            pdf.image(str(ev.path), x=pdf.l_margin, y=pdf.get_y(), w=w)
        else:
            line(f"(no page image: {ev.reason})", 9)
    pdf.output(str(path))


def write_csv(m: Matrix, path: Path) -> None:
    header, rows = matrix_rows(m)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
        w.writerow([])
        w.writerow(["# sources", "file", "pages", "section", "passage", "verified"])
        w.writerows(source_rows(m))
        w.writerow([])
        w.writerow(["# documents", "file", "title", "sha256", "pages"])
        w.writerows(document_rows(m))
        w.writerow([])
        w.writerow(["# about", "value"])
        w.writerows(metadata(m))


def write_xlsx(m: Matrix, path: Path) -> None:
    from openpyxl import Workbook  # openpyxl: only for an .xlsx export
    from openpyxl.styles import Alignment, Font  # ditto

    wb = Workbook()
    ws = wb.active
    ws.title = "Matrix"
    header, rows = matrix_rows(m)
    ws.append(header)
    for r in rows:
        ws.append(r)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col in ws.columns:
        ws.column_dimensions[col[0].column_letter].width = 22 if col[0].column == 1 else 48
        for c in col:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    src = wb.create_sheet("Sources")
    src.append(["label", "file", "pages", "section", "passage", "verified"])
    for r in source_rows(m):
        src.append(list(r))
    docs = wb.create_sheet("Documents")
    docs.append(["label", "file", "title", "sha256", "pages"])
    for r in document_rows(m):
        docs.append(list(r))
    about = wb.create_sheet("About")
    for k, v in metadata(m):
        about.append([k, v])
    wb.save(str(path))


def export(result, path: str | Path, evidence: list | None = None, tables: list | None = None) -> Path:
    """Write `result` to `path`; the suffix picks the format. Returns the path written.
    `evidence` (app.pages.evidence_pages): the cited pages as highlighted images, appended to .docx/.pdf.
    `tables` (app.answer.table_export.cited_tables): the whole tables an answer cites, for its .xlsx."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix == TABLES_SUFFIX and not isinstance(result, Matrix) and tables is not None:
        if not tables:
            raise ExportError("this answer cites no table: .xlsx holds the tables an answer cites",
                              hint="use .md, .docx, .pdf or .json")
        return _atomic(path, lambda p: write_tables_xlsx(tables, source_rows(result), p))
    if suffix in MATRIX_SUFFIXES and not isinstance(result, Matrix):
        raise ExportError(f"{suffix} export is for comparison matrices; use .md, .docx, .pdf or .json")
    if evidence is not None and suffix not in EVIDENCE_SUFFIXES:
        raise ExportError(f"page images go into .docx and .pdf exports, not {suffix}")
    writers: dict[str, Callable] = {
        ".md": lambda r, p: p.write_text(to_markdown(r), encoding="utf-8"),
        ".markdown": lambda r, p: p.write_text(to_markdown(r), encoding="utf-8"),
        ".json": lambda r, p: p.write_text(to_json_text(r), encoding="utf-8"),
        ".docx": lambda r, p: write_docx(r, p, evidence),
        ".pdf": lambda r, p: write_pdf(r, p, evidence),
        ".csv": write_csv,
        ".xlsx": write_xlsx,
    }
    if suffix not in writers:
        allowed = ", ".join(TEXT_SUFFIXES + (MATRIX_SUFFIXES if isinstance(result, Matrix) else ()))
        raise ExportError(f"cannot export to '{path.name}': use one of {allowed}")
    return _atomic(path, lambda p: writers[suffix](result, p))


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary name beside `path`, renamed when done: a failure leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".longdoc-", suffix=path.suffix.lower(), dir=str(path.parent))
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
