"""Search hits and packed contexts: what retrieval hands to app."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.types import Chunk, section_in_force


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused score (higher is better)
    rank: int  # 0-based fused rank
    dense_score: float | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None


@dataclass(frozen=True)
class Passage:
    doc_id: str
    doc_index: int  # the N in the "DN" label, stable for a given document order
    file: str
    title: str
    chunk_ids: tuple[str, ...]  # the contiguous chunk span, in document order
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    section: str
    label: str  # e.g. "D2 p.14–15" (the brackets are added in the prompt)
    tokens: int
    ocr: bool = False
    # where the section changes inside `text`: (offset in `text`, section path from there on); `section`
    # (shown in the passage header) is the one the passage starts in
    section_marks: tuple[tuple[int, str], ...] = ()

    def section_at(self, pos: int) -> str:
        """The section the text at `pos` (an offset in `text`) lies in: what a citation of it names."""
        return section_in_force(self.section, self.section_marks, pos)


@dataclass
class DocCoverage:
    doc_id: str
    file: str
    title: str
    label: str  # "D2"
    pages_total: int
    pages_in_context: list[int]
    tokens: int
    whole: bool  # whole document packed
    # False while the document's vectors are still being computed (its text is stored): it was found
    # by keyword search and whole-document packing only, not by semantic search
    vectors: bool = True

    @property
    def pages_missing(self) -> list[int]:
        have = set(self.pages_in_context)
        return [p for p in range(1, self.pages_total + 1) if p not in have]


@dataclass
class PackedContext:
    query: str
    passages: list[Passage]  # grouped by document (deterministic order), then by position
    tokens: int
    budget: int
    mode: str  # "whole" | "retrieved" | "empty"
    coverage: list[DocCoverage] = field(default_factory=list)
    tokenizer: str = "deepseek-v4"  # the tokenizer family the budget was counted in
    route: object | None = None  # retrieval.route.Route: which documents were read and why (issue 16)

    def by_label(self) -> dict[str, Passage]:
        return {p.label: p for p in self.passages}
