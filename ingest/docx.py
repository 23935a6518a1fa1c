"""Read a Word file (.docx) into the same ParsedDocument a PDF becomes: text as it would print, with pages.

What "as it would print" means here: headings and Word's automatic clause numbers ("12.3", computed by
ingest.docx_numbering), tables as Markdown tables (a row per line, so the chunker's line breaks keep
rows whole), footnotes right after the paragraph that cites them ("[1] …"), tracked changes accepted
(w:ins text kept, w:del and moved-from text out), comments and hidden text left out.

Word tables become `ingest.tables.Table`s like a PDF's (header row, rows, caption and number when a
paragraph next to the table prints "Table 3 …"), written with the same Markdown blocks (caption line, header,
a row per line, a long table cut between rows with its header repeated) and listed in ParsedDocument.tables
with their spans, so the chunker ends a chunk at each table block and never cuts inside a row.

Pages: when LibreOffice is there (ingest.docx_render) the file is laid out as a PDF and every block is
placed on the rendered page where its words appear, so a citation names the page a Word user prints.
Without it, each numbered clause starts a "page" labelled "cl. 12.3": the citation then shows the
clause number, and the page view says why it shows text (metadata["render_note"]).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ingest.docx_numbering import Numbering, W
from ingest.docx_package import check_word_file
from ingest.docx_render import pdf_page_texts, render_pdf
from ingest.structure import detect_headings, guess_domain, guess_title
from ingest.tables import _CAPTION, Table
from ingest.types import FAILED, NO_TEXT, Heading, IngestError, Page, ParsedDocument

BLOCK_SEP = "\n\n"
PAGE_SEP = "\n\n"  # as ingest.pdf: the document text is the pages joined by a blank line
CLAUSE_PREFIX = "cl. "
LABELS_RENDERED = "docx-rendered"  # page_labels_source when the pages are LibreOffice's
LABELS_CLAUSES = "docx-clauses"  # … when each "page" is a clause (no LibreOffice)
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = {W + t for t in ("del", "moveFrom", "delText", "delInstrText", "instrText", "pPr", "rPr", "tblPr",
                          "trPr", "tcPr", "commentReference", "annotationRef", "footnoteRef", "endnoteRef")}
_SKIP.add(_MC + "Fallback")
_WORDS = re.compile(r"\w+")
_NOTE_OPEN, _NOTE_CLOSE = "\ue000", "\ue001"  # private-use marks around a note reference until it is numbered


@dataclass
class Block:
    """One printed unit: a paragraph, a heading, a table, or a paragraph's footnotes."""

    kind: str  # "para" | "heading" | "table" | "notes"
    text: str
    label: str = ""  # the clause number as printed ("12.3", "(a)")
    full_label: str = ""  # with its parents where the printed one omits them ("12.3(a)")
    level: int = 0  # 1 = top
    notes: list[str] = field(default_factory=list)  # footnote ids cited in this paragraph
    table: Table | None = None  # kind "table": the table (its text is table.blocks() joined by BLOCK_SEP)


_SUBITEM = re.compile(r"^\(?[A-Za-z0-9]{1,6}\)$")


def _full_label(parent: str, printed: str) -> str:
    """A clause's number with its parent's where the printed one leaves it out: "(a)" under "12.3" is
    "12.3(a)"; "12.3" under "12" and "I.1" under "Article I" print their own."""
    core = printed.rstrip(".")
    if parent and not core.startswith(parent) and _SUBITEM.match(core):
        return parent + core
    return core


# ---- paragraph text ------------------------------------------------------------------------------
def _hidden(run) -> bool:
    rpr = run.find(W + "rPr")
    v = rpr.find(W + "vanish") if rpr is not None else None
    return v is not None and v.get(W + "val") not in ("0", "false")


def _walk(el, out: list[str], notes: list[tuple[str, str]]) -> None:
    for c in el:
        tag = c.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "t":
            out.append(c.text or "")
        elif tag == W + "tab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag in (W + "footnoteReference", W + "endnoteReference"):
            kind = "footnote" if tag == W + "footnoteReference" else "endnote"
            notes.append((kind, c.get(W + "id", "")))
            out.append(f"{_NOTE_OPEN}{len(notes)}{_NOTE_CLOSE}")  # the note's running number, set by the caller
        elif tag == W + "r" and _hidden(c):
            continue
        elif tag in (W + "p", W + "tbl"):
            continue  # text boxes inside a run: not part of the line
        else:
            _walk(c, out, notes)


def _para_text(p) -> tuple[str, list[tuple[str, str]]]:
    out: list[str] = []
    notes: list[tuple[str, str]] = []
    _walk(p, out, notes)
    text = "".join(out).replace("\t", " ")
    text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
    return text, notes


def _mark_deleted(p) -> bool:
    """The paragraph mark itself is a tracked deletion (the paragraph merges away when accepted)."""
    ppr = p.find(W + "pPr")
    rpr = ppr.find(W + "rPr") if ppr is not None else None
    return rpr is not None and rpr.find(W + "del") is not None


# ---- styles --------------------------------------------------------------------------------------
_HEADING_NAME = re.compile(r"^heading\s*(\d)$", re.I)


def _heading_levels(styles_el) -> dict[str, int]:
    """styleId → heading level (Heading 1…9, Title = 1, or an outline level in the style)."""
    levels: dict[str, int] = {}
    if styles_el is None:
        return levels
    for s in styles_el.findall(W + "style"):
        sid = s.get(W + "styleId", "")
        name_el = s.find(W + "name")
        name = (name_el.get(W + "val") if name_el is not None else "") or ""
        m = _HEADING_NAME.match(name.strip())
        if m:
            levels[sid] = int(m.group(1))
        elif name.strip().lower() == "title":
            levels[sid] = 1
        else:
            ppr = s.find(W + "pPr")
            ol = ppr.find(W + "outlineLvl") if ppr is not None else None
            if ol is not None and (ol.get(W + "val") or "").isdigit() and int(ol.get(W + "val")) < 9:
                levels[sid] = int(ol.get(W + "val")) + 1
    return levels


# ---- tables --------------------------------------------------------------------------------------
def _table_rows(tbl, para_text) -> list[list[str]]:
    """The table's rows of cell texts (a cell's paragraphs joined by a space), short rows padded."""
    rows: list[list[str]] = []
    for tr in tbl.findall(W + "tr"):
        cells = []
        for tc in tr.findall(W + "tc"):
            parts = [para_text(p) for p in tc.iter(W + "p")]
            cells.append(" ".join(" ".join(t for t in parts if t).split()))
        if cells:
            rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _table_block(table: Table) -> Block:
    return Block("table", BLOCK_SEP.join(table.blocks()), table=table)


def _caption_of(b: Block) -> str:
    """The paragraph's text when it is a table caption ("Table 3 – Payment schedule"), else ""."""
    return b.text if b.kind == "para" and not b.label and len(b.text) <= 300 and _CAPTION.match(b.text) else ""


def _with_caption(table: Table, caption: str) -> Table:
    m = _CAPTION.match(caption)
    table.caption, table.number = caption, f"Table {m.group(2)}" if m else ""
    return table


# ---- the document --------------------------------------------------------------------------------
def _note_texts(part, kind: str) -> dict[str, str]:
    """footnote/endnote id → its text (separators and continuation notices left out)."""
    out: dict[str, str] = {}
    if part is None:
        return out
    for n in part.findall(W + kind):
        if n.get(W + "type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        texts = [_para_text(p)[0] for p in n.iter(W + "p")]
        out[n.get(W + "id", "")] = " ".join(t for t in texts if t)
    return out


def _related(doc, suffix: str):
    """The XML root of the main part's related part of type …/`suffix` (footnotes, endnotes), or None."""
    from lxml import etree  # python-docx's own XML library

    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/" + suffix) and not rel.is_external:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            return etree.fromstring(rel.target_part.blob, parser)
    return None


def read_blocks(path: Path) -> tuple[list[Block], dict]:
    """The document's blocks in reading order, and its core properties (title)."""
    import docx  # python-docx, imported here: PDF-only ingest never pays for it

    try:
        d = docx.Document(str(path))
    except Exception as e:  # noqa: BLE001 - python-docx raises KeyError/ValueError/XMLSyntaxError on damage
        msg = " ".join(str(e).split())[:160] or type(e).__name__
        raise IngestError(FAILED, f"unreadable Word file ({type(e).__name__}: {msg})") from None
    try:
        numbering_el = d.part.numbering_part.element
    except (NotImplementedError, KeyError, AttributeError):
        numbering_el = None
    styles_el = d.styles.element
    numbering = Numbering.read(numbering_el, styles_el)
    heading_levels = _heading_levels(styles_el)
    notes_text = {"footnote": _note_texts(_related(d, "footnotes"), "footnote"),
                  "endnote": _note_texts(_related(d, "endnotes"), "endnote")}

    blocks: list[Block] = []
    stack: dict[int, str] = {}  # numbering level → full label in force
    note_no = 0

    def para_text_only(p) -> str:
        label = numbering.label(p)  # numbered paragraphs inside tables still move the counters
        text = re.sub(f"{_NOTE_OPEN}\\d+{_NOTE_CLOSE}", "", _para_text(p)[0])
        return f"{label[0]} {text}".strip() if label else text

    def paragraph(p) -> None:
        nonlocal note_no
        text, notes = _para_text(p)
        if _mark_deleted(p) and not text:
            return
        label = numbering.label(p) if text else None
        ppr = p.find(W + "pPr")
        sty = ppr.find(W + "pStyle") if ppr is not None else None
        hlevel = heading_levels.get(sty.get(W + "val", "") if sty is not None else "", 0)
        ref_lines = []
        for i, (kind, nid) in enumerate(notes, start=1):
            note_no += 1
            text = text.replace(f"{_NOTE_OPEN}{i}{_NOTE_CLOSE}", f"[{note_no}]", 1)
            ref_lines.append(f"[{note_no}] {notes_text[kind].get(nid, '')}".rstrip())
        if not text:
            return
        last = blocks[-1] if blocks else None
        if (not label and not hlevel and not ref_lines and last is not None and last.table is not None and not last.table.caption
                and _caption_of(Block("para", text))):  # a caption below its table
            blocks[-1] = _table_block(_with_caption(last.table, text))
            return
        if label:
            printed, ilvl = label
            parent = stack.get(ilvl - 1, "") if ilvl > 0 else ""
            full = _full_label(parent, printed)
            stack[ilvl] = full
            for deeper in [k for k in stack if k > ilvl]:
                del stack[deeper]
            blocks.append(Block("heading" if hlevel else "para", f"{printed} {text}", printed, full,
                                hlevel or ilvl + 1))
        elif hlevel:
            blocks.append(Block("heading", text, level=hlevel))
        else:
            blocks.append(Block("para", text))
        if ref_lines:
            blocks.append(Block("notes", "\n".join(ref_lines)))

    def walk(parent) -> None:
        for el in parent:
            if el.tag == W + "p":
                paragraph(el)
            elif el.tag == W + "tbl":
                rows = _table_rows(el, para_text_only)
                if rows:
                    table = Table(page=0, bbox=(0.0, 0.0, 0.0, 0.0), rows=rows)
                    if blocks and _caption_of(blocks[-1]):  # "Table 3 …" just above: the table's title line
                        _with_caption(table, blocks.pop().text)
                    blocks.append(_table_block(table))
            elif el.tag in (W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo"):
                walk(el)

    walk(d.element.body)
    title = (d.core_properties.title or "").strip()
    return blocks, {"title": title}


def _short_title(b: Block, words: int = 10) -> str:
    if b.kind == "heading" and len(b.text) <= 120:
        return b.text.split("\n")[0]
    ws = b.text.split()
    return " ".join(ws[:words]) + (" …" if len(ws) > words else "")


def _key(text: str) -> str:
    return "".join(_WORDS.findall(text.lower()))


def place_on_pages(blocks: list[Block], page_texts: list[str]) -> list[int]:
    """The rendered page (1-based) each block starts on: its words found in the PDF's text, in order.

    Only letters and digits are compared (the PDF splits lines, hyphenates, draws tables cell by cell and
    prints numbers Word computed); each block's opening is looked for after the previous block's, so
    repeated boilerplate lands on the right page. A block not found stays on the previous block's page."""
    flat, starts = [], []
    pos = 0
    for t in page_texts:
        k = _key(t)
        starts.append(pos)
        flat.append(k)
        pos += len(k)
    whole = "".join(flat)
    cursor, page = 0, 1
    out: list[int] = []

    def page_of(at: int) -> int:
        n = 1
        for i, s in enumerate(starts):
            if s <= at:
                n = i + 1
        return n

    for b in blocks:
        text = b.text
        if b.label and text.startswith(b.label):
            text = text[len(b.label):]
        if b.kind == "table":
            text = " ".join(c for c in re.split(r"[|\n]", text) if c.strip() and set(c.strip()) != {"-"})
        key = _key(text)[:40]
        at = whole.find(key, cursor) if len(key) >= 4 else -1
        if at >= 0 and (at - cursor) < 20000:
            page = page_of(at)
            cursor = at + len(key)
        out.append(page)
    return out


def load_docx(path: Path, *, doc_id: str, size: int, render: str = "auto", max_pages: int = 5000,
              render_timeout_s: int = 180) -> ParsedDocument:
    """Parse one .docx; raises IngestError (one line) for everything a user can cause."""
    check_word_file(path)
    blocks, props = read_blocks(path)
    if not any(b.text.strip() for b in blocks):
        raise IngestError(NO_TEXT, "no text in the Word file")

    meta: dict = {"format": "docx", "bytes": size}
    page_of: list[int] | None = None
    pdf, note = render_pdf(path, render, render_timeout_s)
    if pdf is not None:
        texts = pdf_page_texts(pdf)
        if texts and len(texts) <= max_pages:
            page_of = place_on_pages(blocks, texts)
            meta["rendered_pdf"] = str(pdf)
            meta["rendered_pages"] = len(texts)
        else:
            shutil.rmtree(pdf.parent.parent, ignore_errors=True)
            note = "LibreOffice's PDF could not be read"
    if page_of is None:
        meta["render_note"] = note
        if not any(b.full_label for b in blocks):
            blocks = split_at_typed_clauses(blocks)
        page_of, labels = _clause_pages(blocks)
        source = LABELS_CLAUSES
        count = max(page_of) if page_of else 1
    else:
        labels, source = (), LABELS_RENDERED
        count = meta["rendered_pages"]

    # the text: blocks joined by a blank line, page by page
    per_page: list[list[int]] = [[] for _ in range(count)]
    for i, p in enumerate(page_of):
        per_page[min(max(p, 1), count) - 1].append(i)
    pages: list[Page] = []
    headings: list[Heading] = []
    pieces: list[str] = []
    offset = 0
    inner: Heading | None = None  # the innermost heading in force
    after_table: Heading | None = None  # … when the block before was a table
    tables = 0
    placed: list[Table] = []
    for n, idx in enumerate(per_page, start=1):
        at = offset
        parts: list[str] = []
        for i in idx:
            b = blocks[i]
            if b.kind == "heading" or b.label:
                headings.append(Heading(at, b.level, _short_title(b)))
                inner = headings[-1]
            elif b.kind == "table" and inner is not None:
                # a table starts a (sub)section of its own: the chunker breaks before it, so it tends to be a
                # chunk of its own, and its citation names it ("12.2 The instalments … > Table 1")
                tables += 1
                title = b.table.caption if b.table is not None and b.table.caption else \
                    f"Table {tables}: " + " · ".join(b.table.header() if b.table is not None else ())
                headings.append(Heading(at, min(9, inner.level + 1), title[:80]))
                after_table = inner
            elif after_table is not None:  # prose after the table belongs to the section around it again
                headings.append(Heading(at, after_table.level, after_table.title))
            if b.kind != "table":
                after_table = None
            if b.table is not None:  # where its blocks lie in the document text (the chunker cuts there)
                b.table.page, b.table.spans, k = n, [], 0
                for piece in b.table.blocks():
                    k = b.text.index(piece, k)
                    b.table.spans.append((at + k, at + k + len(piece)))
                    k += len(piece)
                placed.append(b.table)
            parts.append(b.text)
            at += len(b.text) + len(BLOCK_SEP)
        text = BLOCK_SEP.join(parts)
        pages.append(Page(number=n, text=text, char_start=offset))
        pieces.append(text)
        offset += len(text) + len(PAGE_SEP)
    full = PAGE_SEP.join(pieces)
    if not headings:  # no heading styles, no Word numbering (a file typed like a text): read them as a PDF's
        headings = detect_headings(full)
    first_lines = "\n".join(b.text for b in blocks[:8])
    domain = guess_domain(full, path.name)
    title = guess_title(props.get("title") or None, first_lines, path.name, tuple(headings), domain)
    return ParsedDocument(
        doc_id=doc_id, file=path.name, path=str(path), title=title, domain=domain, text=full,
        pages=tuple(pages), page_count=len(pages), headings=tuple(headings),
        metadata={**meta, "first_lines": first_lines}, page_labels=tuple(labels), page_labels_source=source,
        tables=tuple(placed),
    )


_CLAUSE_NO = re.compile(r"^(\(?\d+(?:\.\d+)*\.?\)?|\([A-Za-z]{1,4}\)|[A-Za-z]{1,4}[.)])(?=\s|$)")


_NAMED = re.compile(r"^(?:section|article|clause)\s+(?=\d)", re.I)


def clause_of_section(section: str) -> str:
    """The full clause number a section path ends in ("12. Payment > 12.3 The Buyer …" → "12.3", "… > (a) …"
    → "12.3(a)"), built as read_blocks builds full labels; "" when the path holds no number."""
    full = ""
    for part in section.split(" > "):
        m = _CLAUSE_NO.match(_NAMED.sub("", part.strip(), count=1))
        if not m:
            continue
        full = _full_label(full, m.group(1))
    return full


def clause_page(labels, section: str, first: int, last: int) -> int | None:
    """The clause "page" in `first`…`last` whose label is the clause `section` ends in (a document read
    without LibreOffice: every clause is a page), None when none is."""
    want = clause_of_section(section)
    if not want:
        return None
    for p in range(first, last + 1):
        if 1 <= p <= len(labels) and labels[p - 1] == CLAUSE_PREFIX + want:
            return p
    return None


_TYPED_NO = re.compile(r"^(?:(?:section|article|clause)\s+(\d{1,3}(?:\.\d{1,3})*)|(\d{1,3}\.\d{1,3}(?:\.\d{1,3})*)\.?"
                       r"|(\d{1,3})[.)])\s+\S", re.I)


def typed_number(text: str) -> str:
    """A clause number typed into the text rather than made by Word ("12.3 The Buyer …", "Section 5 …")."""
    m = _TYPED_NO.match(text)
    return next((g for g in m.groups() if g), "") if m else ""


_TYPED_START = re.compile(r"\s+(?=(?:Section|SECTION|Article|ARTICLE|Clause)\s+\d{1,3}(?:\.\d{1,3})*\b"
                          r"|\d{1,3}\.\d{1,3}(?:\.\d{1,3})*\.?\s+[A-Z“\"])")
_ENDS = tuple('.;:”"’)')


def _starts_clause(text: str, at: int) -> bool:
    """Is the typed number at `at` a clause start, not a cross-reference ("as set forth in Section 4.1")?
    It is when the word before it ends a sentence or is a heading in capitals ("TERMINATION Section 8.1")."""
    before = text[:at].rsplit(None, 1)
    prev = before[-1] if before else ""
    return prev.endswith(_ENDS) or (len(prev) > 1 and prev.isupper())


def split_at_typed_clauses(blocks: list[Block]) -> list[Block]:
    """A file without Word numbering whose clauses run on inside one paragraph ("… the Term. Section 8.1 Term.
    The term …", as text pasted from a PDF): each typed clause number after a sentence end starts a block of
    its own, so that it can start a clause "page"."""
    out: list[Block] = []
    for b in blocks:
        if b.kind != "para":
            out.append(b)
            continue
        last = 0
        for m in _TYPED_START.finditer(b.text):
            if not _starts_clause(b.text, m.start()):
                continue
            out.append(Block("para", b.text[last:m.start()]))
            last = m.end()
        out.append(Block("para", b.text[last:]) if last else b)
    return out


def _clause_pages(blocks: list[Block]) -> tuple[list[int], tuple[str, ...]]:
    """Without a layout: a new "page" at every numbered clause, labelled "cl. 12.3" (the text before the
    first clause: "before cl. 1"); one unlabelled page when nothing is numbered. A file without Word
    numbering (typed numbers, a converted text) is paged at the numbers typed at its paragraphs' starts."""
    typed = not any(b.full_label for b in blocks)
    numbers = [typed_number(b.text) if typed and b.kind != "table" else b.full_label for b in blocks]
    first = next((n for n in numbers if n), "")
    labels: list[str] = []
    page_of: list[int] = []
    for n in numbers:
        if n:
            labels.append(CLAUSE_PREFIX + n)
        elif not labels:
            labels.append(f"before {CLAUSE_PREFIX}{first}" if first else "")
        page_of.append(len(labels))
    return page_of, tuple(labels) if first else ()
