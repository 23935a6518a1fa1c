"""The things that flow through ingest. Frozen where possible so stages cannot mutate each other's output."""

from __future__ import annotations

from dataclasses import dataclass, field

PARSER_VERSION = "1"
# how a PDF's text layer is read (LONGDOC_PDF_TEXT): pdfium, with pypdf for any page — or any file whose parser
# process pdfium took down — it cannot read; "pypdf" reads with pypdf alone
DEFAULT_TEXT_ENGINE = "pdfium"

# Outcome statuses of one file (CLI --json and UI show these verbatim).
INGESTED = "ingested"
UNCHANGED = "unchanged"
REPLACED = "replaced"
FAILED = "failed"
NEEDS_PASSWORD = "needs_password"
NO_TEXT = "no_text"
STATUSES = (INGESTED, UNCHANGED, REPLACED, FAILED, NEEDS_PASSWORD, NO_TEXT)

DOMAINS = ("contract", "court opinion", "paper", "statute", "other")  # statute: laws, regulations, judicial interpretations

# Registry row statuses of a document (ingest/store.py): being written → text stored (askable by
# keywords and whole-document packing) → vectors stored too.
DOC_PENDING = "pending"
DOC_TEXT = "text"
DOC_READY = "ready"


class IngestError(Exception):
    """A failure the user caused (bad file, missing password): carries a status and a one-line message."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    text: str  # cleaned text of this page
    char_start: int = 0  # offset of this page's text in the cleaned document text
    ocr: bool = False

    @property
    def char_end(self) -> int:
        return self.char_start + len(self.text)


@dataclass(frozen=True)
class Heading:
    char_start: int  # offset in the cleaned document text
    level: int  # 1 = top (ARTICLE / numbered section), deeper numbers deeper
    title: str
    is_references: bool = False


@dataclass(frozen=True)
class ParsedDocument:
    """One file after parsing and clean-up, before chunking."""

    doc_id: str  # sha256 of the bytes
    file: str  # file name (no directory)
    path: str  # where it was read from
    title: str
    domain: str
    text: str  # cleaned document text: pages joined by "\n\n"
    pages: tuple[Page, ...]
    page_count: int
    failed_pages: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    headings: tuple[Heading, ...] = ()
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    # ---- page view (issue 12) ----
    page_labels: tuple[str, ...] = ()  # printed page number per PDF page ("" unknown); () = same as the PDF's
    page_labels_source: str = ""  # "pdf" (/PageLabels) | "printed" (numbers on the pages) | ""
    # OCR'd page → Tesseract's words [x0, y0, x1, y1, text, line] (fractions of the page), for highlights
    ocr_words: dict = field(default_factory=dict, compare=False, hash=False)
    # ---- tables (issue 24) ----
    # ingest.tables.Table per table written as Markdown into the text; each one's `spans` are its blocks
    # there, which the chunker keeps as chunks of their own, cut only between rows
    tables: tuple = field(default=(), compare=False, hash=False)

    def page_at(self, offset: int) -> int:
        """The page number holding character `offset` of `text`."""
        lo = self.pages[0].number if self.pages else 1
        for p in self.pages:
            if p.char_start <= offset:
                lo = p.number
            else:
                break
        return lo


def section_in_force(first: str, marks: tuple[tuple[int, str], ...], pos: int) -> str:
    """The section at `pos`: `first` until the last mark at or before `pos` (marks sorted by offset)."""
    path = first
    for at, sec in marks:
        if at > pos:
            break
        path = sec
    return path


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # f"{doc_id}:{ordinal:05d}" — stable across runs
    doc_id: str
    ordinal: int
    text: str
    page_start: int
    page_end: int
    char_start: int  # offsets in the cleaned document text
    char_end: int
    section: tuple[str, ...] = ()
    is_references: bool = False
    ocr: bool = False
    # context-model (DeepSeek V4 by default) tokens of `text`, and of the text after its predecessor's overlap;
    # counted at ingest so packing need not tokenise; None for stores written before they existed
    ctx_tokens: int | None = None
    ctx_tail: int | None = None
    # where the section changes inside this chunk: (offset in the document text, section path from there
    # on), so a citation of text late in the chunk names the section that text lies in, not the one the
    # chunk starts in; () when one section holds the whole chunk (and for stores written before)
    section_marks: tuple[tuple[int, str], ...] = ()

    @property
    def section_path(self) -> str:
        return " > ".join(self.section)

    def section_at(self, offset: int) -> str:
        """The section path in force at `offset` (in the document text) inside this chunk."""
        return section_in_force(self.section_path, self.section_marks, offset)


# ---- document profiles (issue 16) ------------------------------------------------------------------
PROFILE_VERSION = "1"


@dataclass
class Profile:
    """What a person — and the router — recognises a document by, read from its text alone at ingest.

    `version` "" means no profile was stored (a store written before profiles existed): the router then
    builds one from the stored text. `description` is left "" unless a configured model wrote one.
    """

    version: str = ""
    title: str = ""  # the title a person recognises: the paper's title, the case name, the agreement's name
    doc_type: str = ""  # "Promotion Agreement", "Supreme Court opinion", "paper", …
    parties: list[str] = field(default_factory=list)  # contract parties, or a case's parties
    authors: list[str] = field(default_factory=list)  # a paper's authors
    aliases: list[str] = field(default_factory=list)  # defined short names ("Depomed", "RTU")
    defined: list[str] = field(default_factory=list)  # the names the parties are defined by (“Company”, “Distributor”)
    dates: list[str] = field(default_factory=list)  # ISO dates (yyyy-mm-dd, yyyy-mm or yyyy), earliest mention first
    court: str = ""
    case_number: str = ""
    identifiers: list[str] = field(default_factory=list)  # reporter citations, arXiv ids, DOIs
    first_page: str = ""  # the opening of page 1 (up to ~1,500 characters)
    headings: list[str] = field(default_factory=list)  # top-level headings, in order
    abstract: str = ""  # a short extractive abstract (the paper's abstract, recitals, or central sentences)
    description: str = ""  # two sentences a configured model may add; never required

    @property
    def present(self) -> bool:
        return bool(self.version)

    @property
    def date(self) -> str:
        return self.dates[0] if self.dates else ""


@dataclass
class Document:
    """A registry row: what the library lists."""

    doc_id: str
    file: str
    title: str
    domain: str
    pages: int
    chunks: int
    status: str  # "ready" once all chunks are stored; "pending" while writing
    parser_version: str = PARSER_VERSION
    ingested_at: str = ""
    path: str = ""
    failed_pages: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    bytes: int = 0
    ctx_tokenizer: str = ""  # id of the tokenizer behind the chunks' ctx_* counts ("" = not counted)
    # ---- profile (issue 16) ----
    profile: Profile = field(default_factory=Profile)
    chunk_header: str = ""  # the document header in front of each chunk's embedded and BM25 text ("" = none)
    embedder: str = ""  # the embedder its vectors were made with (ingest.embed.embedder_id; "" = rows from before: default)

    # ---- page view (issue 12) ----
    page_labels: list[str] = field(default_factory=list)  # printed number per PDF page; [] = the PDF's own
    page_labels_source: str = ""  # "pdf" | "printed" | ""

    def page_label(self, page: int) -> str:
        """The number printed on PDF page `page` ("" when unknown or the same as the PDF's)."""
        if 1 <= page <= len(self.page_labels):
            return self.page_labels[page - 1]
        return ""

    @property
    def sha256(self) -> str:
        return self.doc_id


@dataclass
class IngestResult:
    """Outcome of one file, as printed by `longdoc ingest --json`."""

    file: str
    doc_id: str | None
    status: str
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    message: str = ""

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "doc_id": self.doc_id,
            "status": self.status,
            "pages": self.pages,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "message": self.message,
        }
