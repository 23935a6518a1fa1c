"""Chunks on the real dev PDFs: never longer than the embedder's window (by its own tokenizer), every
character of the cleaned text inside a chunk, exact offsets and pages, stable ids."""

from __future__ import annotations

import re

import pytest
from parse_cache import DEV, SAMPLES, dev_path, need, parsed

from ingest.chunk import chunk_document, embedded_share
from ingest.embed import LazyEmbedder, load_token_counter
from ingest.tables import is_table_text
from ingest.types import Heading, Page, ParsedDocument

EMB = LazyEmbedder("default")
COUNT = load_token_counter(EMB.tokenizer_file)
MAX = EMB.max_tokens
# the samples always; the rest of the dev set (papers, the Westlaw print) where ../shared is
DEV_PDFS = sorted({p.name for folder in (SAMPLES, DEV) if folder.is_dir() for p in folder.iterdir()
                   if p.suffix.lower() == ".pdf"})


def make_doc(pages: list[str], headings: tuple[Heading, ...] = (), doc_id: str = "d" * 64) -> ParsedDocument:
    text = "\n\n".join(pages)
    ps, off = [], 0
    for i, t in enumerate(pages):
        ps.append(Page(number=i + 1, text=t, char_start=off))
        off += len(t) + 2
    return ParsedDocument(doc_id=doc_id, file="x.txt", path="x.txt", title="x", domain="other", text=text,
                          pages=tuple(ps), page_count=len(ps), headings=headings)


def check_invariants(doc: ParsedDocument, chunks) -> None:
    assert chunks, "no chunks"
    for k, c in enumerate(chunks):
        assert c.ordinal == k and c.chunk_id == f"{doc.doc_id}:{k:05d}"
        assert doc.text[c.char_start : c.char_end] == c.text
        n = COUNT(c.text)
        assert n <= MAX, f"chunk {k} has {n} word pieces > {MAX}"
        assert 1 <= c.page_start <= c.page_end <= doc.page_count
        assert doc.page_at(c.char_start + len(c.text) - len(c.text.lstrip())) == c.page_start
        if k:
            prev = chunks[k - 1]
            # chunks tile the text: the next one starts inside or right at the end of the previous
            assert prev.char_start < c.char_start <= prev.char_end
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(doc.text)
    assert embedded_share(doc.text, chunks) == 1.0


@pytest.mark.parametrize("name", DEV_PDFS)
def test_dev_pdf_chunks_fit_the_window_and_cover_all_text(name):
    doc = parsed(str(dev_path(name)))
    chunks = chunk_document(doc, COUNT, MAX, 32)
    check_invariants(doc, chunks)
    # packed, not sliced thin: most chunks use most of the window (a table is a chunk of its own, as long as the
    # table: ingest/tables.py — those are left out)
    sizes = [COUNT(c.text) for c in chunks if not is_table_text(c.text)]
    assert sum(sizes) / len(sizes) > 0.6 * MAX
    # a small overlap exists between neighbours (some sentences fit in 32 word pieces)
    overlaps = [b.char_start < a.char_end for a, b in zip(chunks, chunks[1:])]
    assert any(overlaps)
    for a, b in zip(chunks, chunks[1:]):
        if b.char_start < a.char_end:
            assert COUNT(doc.text[b.char_start : a.char_end]) <= 32


@pytest.mark.parametrize("source", ["written", "dev"])
def test_paper_references_are_flagged_and_sections_set(source):
    from tests.fixtures import pdfs

    doc = parsed(str(pdfs.paper() if source == "written" else need(DEV / "2401.18059v1.pdf")))
    chunks = chunk_document(doc, COUNT, MAX, 32)
    assert any(c.is_references for c in chunks)
    assert not chunks[0].is_references
    assert sum(1 for c in chunks if c.section) > len(chunks) / 2


def test_sentence_longer_than_the_window_is_cut_at_words():
    words = " ".join(f"word{i} and more text without any full stop" for i in range(300))
    doc = make_doc([words + ".", "A short last page."])
    chunks = chunk_document(doc, COUNT, MAX, 32)
    check_invariants(doc, chunks)
    assert len(chunks) >= 4
    assert chunks[-1].page_end == 2


def test_word_longer_than_the_window_is_cut_at_characters():
    # no spaces but many word pieces (a URL path, a broken table row); note a single run of 100+
    # characters without punctuation is one [UNK] piece for BERT, so punctuation keeps it long
    blob = "/".join(["x9Qz"] * 2500)
    doc = make_doc(["Intro sentence. " + blob + " Outro sentence."])
    chunks = chunk_document(doc, COUNT, MAX, 32)
    check_invariants(doc, chunks)
    assert all(COUNT(c.text) <= MAX for c in chunks) and len(chunks) > 5


def test_breaks_prefer_a_heading_in_the_back_half():
    body = " ".join(f"Sentence number {i} says something about the parties." for i in range(20))
    first = body  # ~220 word pieces
    second = "ARTICLE II TERM\n\n" + body
    text_pages = [first + "\n\n" + second]
    h = Heading(char_start=len(first) + 2, level=1, title="ARTICLE II TERM")
    doc = make_doc(text_pages, headings=(h,))
    chunks = chunk_document(doc, COUNT, MAX, 0)
    check_invariants(doc, chunks)
    assert chunks[1].char_start == h.char_start
    assert chunks[1].section == ("ARTICLE II TERM",)
    assert chunks[0].section == ()


def test_smaller_chunk_size_and_zero_overlap():
    doc = make_doc(["One two three. " * 400])
    chunks = chunk_document(doc, COUNT, 64, 0)
    assert all(COUNT(c.text) <= 64 for c in chunks)
    assert all(b.char_start == a.char_end for a, b in zip(chunks, chunks[1:]))
    assert embedded_share(doc.text, chunks) == 1.0


def test_pages_follow_the_page_map():
    pages = [f"Page {n} text. " + "Filler sentence here. " * 40 for n in range(1, 6)]
    doc = make_doc(pages)
    chunks = chunk_document(doc, COUNT, MAX, 32)
    check_invariants(doc, chunks)
    for c in chunks:
        for n in range(1, 6):
            if f"Page {n} text." in c.text:
                assert c.page_start <= n <= c.page_end
    assert chunks[-1].page_end == 5


def test_empty_text_gives_no_chunks():
    assert chunk_document(make_doc(["   \n  "]), COUNT, MAX, 32) == []
    assert re.fullmatch(r"[0-9a-f]+", "ab")
