"""load_document on the real dev PDFs: page map, ids, metadata, text files, and that clean-up keeps
the evidence the dev questions quote."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from parse_cache import DEV, DYNAMEX, KING, OFFENSIVE, SCOTUS, SUCAMPO, WESTLAW, dev, dev_path, need

from ingest.pdf import load_document, sha256_file
from ingest.types import NO_TEXT, IngestError, ParsedDocument

DEV_PDFS = [
    KING,
    "SUCAMPOPHARMACEUTICALS,INC_11_04_2015-EX-10.2-STRATEGIC ALLIANCE AGREEMENT.PDF",
    "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF",
    WESTLAW,
    "2312.10997v5.pdf",
    "2401.18059v1.pdf",
    "STEPBACK.pdf",
    OFFENSIVE,
    "1810.08699.pdf",
    SCOTUS,
]


def _norm(s: str) -> str:
    """Whitespace-, case-, punctuation- and hyphenation-insensitive form for evidence matching."""
    s = s.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    return re.sub(r"[^a-z0-9]", "", s.lower())


def test_sha256_is_the_hash_of_the_bytes():
    path = dev_path(SCOTUS)
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert dev(SCOTUS).doc_id == sha256_file(path)


@pytest.mark.parametrize("name", [KING, SUCAMPO, DYNAMEX, SCOTUS, WESTLAW, OFFENSIVE])
def test_page_map_points_at_each_page(name):
    doc = dev(name)
    assert doc.page_count == len(doc.pages) > 1
    assert [p.number for p in doc.pages] == list(range(1, doc.page_count + 1))
    expected = 0
    for p in doc.pages:
        assert p.char_start == expected
        assert doc.text[p.char_start : p.char_end] == p.text
        expected = p.char_end + 2  # pages are joined by a blank line
        if p.text:
            assert doc.page_at(p.char_start) == p.number
            assert doc.page_at(p.char_end - 1) == p.number
    assert doc.text == "\n\n".join(p.text for p in doc.pages)


def test_page_map_finds_known_text_on_its_page():
    doc = dev(KING)
    at = doc.text.index("The term of this Agreement shall commence on the Effective Date")
    page = doc.pages[doc.page_at(at) - 1]
    from pypdf import PdfReader

    raw = PdfReader(dev_path(KING)).pages[page.number - 1].extract_text().replace("\xa0", " ")
    assert "The term of this Agreement shall commence" in raw


def test_metadata():
    doc = dev(KING)
    assert isinstance(doc, ParsedDocument)
    assert doc.file == KING and doc.path.endswith(KING)
    assert doc.metadata["format"] == "pdf" and doc.metadata["bytes"] == dev_path(KING).stat().st_size
    assert doc.failed_pages == () and doc.ocr_pages == ()
    assert doc.headings and all(0 <= h.char_start < len(doc.text) for h in doc.headings)
    assert [h.char_start for h in doc.headings] == sorted(h.char_start for h in doc.headings)


def test_dev_evidence_survives_clean_up():
    """≥ 95 % of the evidence strings quoted by the dev questions are found in the cleaned text of their
    documents (insensitive to whitespace, quotes and line-end hyphenation): clean-up removes furniture,
    not content."""
    questions = need(DEV / "questions.jsonl")
    texts = {name: _norm(dev(name).text) for name in DEV_PDFS}
    total, misses = 0, []
    for line in questions.read_text().splitlines():
        q = json.loads(line)
        docs = q["doc"] if isinstance(q["doc"], list) else [q["doc"]]
        for ev in q.get("evidence") or []:
            total += 1
            if not any(_norm(ev) in texts[d] for d in docs if d in texts):
                misses.append((q["id"], ev[:120]))
    found = 1 - len(misses) / total
    print(f"evidence found: {total - len(misses)}/{total} = {found:.1%}; misses: {misses}")
    assert total >= 100
    assert found >= 0.95, misses


def test_dev_evidence_mostly_verbatim():
    """Stricter: only whitespace and quote styles normalised — most evidence is verbatim in our text,
    so a hyphen we wrongly removed ("non-sublicensable" → "nonsublicensable") would show up here."""
    def ws(s: str) -> str:
        return " ".join(s.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})).split())

    questions = need(DEV / "questions.jsonl")
    texts = {name: ws(dev(name).text) for name in DEV_PDFS}
    total = found = 0
    for line in questions.read_text().splitlines():
        q = json.loads(line)
        docs = q["doc"] if isinstance(q["doc"], list) else [q["doc"]]
        for ev in q.get("evidence") or []:
            total += 1
            found += any(ws(ev) in texts[d] for d in docs if d in texts)
    assert found / total >= 0.9, f"{found}/{total}"


# -- plain text and markdown ------------------------------------------------------------------------


def test_markdown_file(tmp_path):
    p = tmp_path / "notes.md"
    p.write_text("# Memo on Leases\n\nThe tenant pays rent.\n\n## Termination\n\nEither party may end it.\n", encoding="utf-8")
    doc = load_document(p)
    assert doc.page_count == 1 and doc.pages[0].char_start == 0
    assert [(h.level, h.title) for h in doc.headings] == [(1, "Memo on Leases"), (2, "Termination")]
    assert doc.title == "Memo on Leases"
    assert doc.metadata["format"] == "markdown"
    assert "The tenant pays rent." in doc.text


def test_text_file_with_form_feeds_and_latin1(tmp_path):
    p = tmp_path / "old.txt"
    p.write_bytes("Caf\xe9 agreement page one.\fPage two has the r\xe9sum\xe9.".encode("cp1252"))
    doc = load_document(p)
    assert doc.page_count == 2
    assert doc.pages[0].text == "Café agreement page one." and doc.pages[1].text == "Page two has the résumé."
    assert doc.text[doc.pages[1].char_start :].startswith("Page two")


def test_empty_text_file_is_no_text(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("  \n\n ")
    with pytest.raises(IngestError) as ei:
        load_document(p)
    assert ei.value.status == NO_TEXT


def test_load_is_deterministic():
    a = dev(SCOTUS)
    b = load_document(dev_path(SCOTUS), ocr="off")
    assert a.text == b.text and a.headings == b.headings and a.pages == b.pages
