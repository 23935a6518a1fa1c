"""Word files: the text as it prints (clause numbers, accepted changes, footnotes, tables), pages, refusals.

The fixture .docx is made by python-docx with real Word numbering (tests/fixtures/word.py). Rendering
through LibreOffice is tested where `soffice` is installed; the clause-page fallback everywhere
(LONGDOC_DOCX_RENDER=off forces it).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.docx_render import soffice
from ingest.pdf import load_document
from ingest.types import FAILED, IngestError
from tests.fixtures.word import COMMENT, FOOTNOTE, make_contract

needs_office = pytest.mark.skipif(soffice() is None, reason="LibreOffice (libreoffice-writer-nogui) not installed")


@pytest.fixture(scope="module")
def contract(tmp_path_factory) -> Path:
    return make_contract(tmp_path_factory.mktemp("word") / "supply.docx")


@pytest.fixture(scope="module")
def clauses(contract):
    return load_document(contract, docx_render="off")


def test_numbers_are_word_numbering_as_printed(clauses):
    text = clauses.text
    assert "12. Payment" in text and "\n\n1. Definitions" in text
    assert "12.3 The Buyer shall pay each instalment within 45 days" in text
    assert "(a) Late payments bear interest" in text
    assert [h.title for h in clauses.headings if h.title.startswith("12.3")], "clause 12.3 is a section"


def test_tracked_change_prints_accepted_and_comment_is_left_out(clauses):
    assert "within 45 days" in clauses.text
    assert "30" not in clauses.text.split("12.3", 1)[1].split("\n")[0], "deleted text is not printed"
    assert COMMENT not in clauses.text and "Secret negotiating" not in clauses.text


def test_footnote_follows_its_paragraph_and_table_is_markdown(clauses):
    text = clauses.text
    assert "invoices issued by the Supplier.[1]\n\n[1] " + FOOTNOTE in text
    assert "| Instalment | Due | Amount (EUR) |\n| --- | --- | --- |\n| First | On signing | 120,000 |" in text
    table = next(h for h in clauses.headings if h.title.startswith("Table 1"))
    assert table.title == "Table 1: Instalment · Due · Amount (EUR)" and table.level == 3, "a section of its own"
    assert text[table.char_start:].startswith("| Instalment")


def test_without_libreoffice_each_clause_is_a_page_labelled_by_its_number(clauses):
    assert clauses.page_labels_source == "docx-clauses"
    assert clauses.page_labels[0] == "before cl. 1"
    n = clauses.page_labels.index("cl. 12.3")
    page = clauses.pages[n]
    assert page.text.startswith("12.3 The Buyer shall pay") and clauses.page_at(page.char_start) == n + 1
    assert "LONGDOC_DOCX_RENDER=off" in clauses.metadata["render_note"]
    assert "\n\n".join(p.text for p in clauses.pages) == clauses.text


@needs_office
def test_libreoffice_lays_it_out_and_blocks_land_on_their_pages(tmp_path):
    src = make_contract(tmp_path / "long.docx", filler=40)  # recitals push the clauses onto later pages
    doc = load_document(src)
    try:
        assert doc.page_labels_source == "docx-rendered" and doc.page_labels == ()
        assert doc.page_count >= 3
        pdf = Path(doc.metadata["rendered_pdf"])
        from ingest.docx_render import pdf_page_texts

        rendered = pdf_page_texts(pdf)
        assert len(rendered) == doc.page_count
        at = doc.text.index("12.3 The Buyer shall pay")
        page = doc.page_at(at)
        printed = " ".join(rendered[page - 1].split())
        assert "escrow account held by" in printed, "on the page LibreOffice printed it"
        assert "within 45 days" in printed and "3045" not in printed, "the rendering prints the changes accepted"
        assert page > 1 and "\n\n".join(p.text for p in doc.pages) == doc.text
    finally:
        import shutil

        shutil.rmtree(Path(doc.metadata["rendered_pdf"]).parent.parent, ignore_errors=True)


# ---- refusals: one line each, never a traceback -------------------------------------------------------
def _reason(path: Path) -> IngestError:
    with pytest.raises(IngestError) as e:
        load_document(path, docx_render="off")
    assert "\n" not in e.value.message
    return e.value


def test_damaged_docx_gets_one_line(contract, tmp_path):
    bad = tmp_path / "cut.docx"
    bad.write_bytes(contract.read_bytes()[: contract.stat().st_size // 2])
    e = _reason(bad)
    assert e.status == FAILED and "unreadable Word file" in e.message


def test_encrypted_docx_and_legacy_doc_are_named(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    enc = tmp_path / "locked.docx"
    enc.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"))
    e = _reason(enc)
    assert e.status == FAILED and "encrypted Word file" in e.message  # no password field: it would not help
    doc = tmp_path / "old.doc"
    doc.write_bytes(ole + "WordDocument".encode("utf-16-le"))
    assert "Word 97–2003 .doc" in _reason(doc).message


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b"a" * (24 * 2**20) + b"/>")  # inflates ~1000x
    assert bomb.stat().st_size < 2**20
    e = _reason(bomb)
    assert e.status == FAILED and "zip bomb" in e.message
    from ingest.docx_package import check_word_file

    with pytest.raises(IngestError, match="would expand to"):  # and the total, whatever the ratio
        check_word_file(bomb, max_uncompressed=2**20)


def test_other_office_files_get_their_own_message(tmp_path):
    x = tmp_path / "book.xlsx"
    with zipfile.ZipFile(x, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert "Excel" in _reason(x).message
    renamed = tmp_path / "renamed.pdf"  # a ZIP under a PDF's name: named by its bytes, not "not a PDF"
    renamed.write_bytes(x.read_bytes())
    assert "Excel" in _reason(renamed).message


def test_clause_of_a_section_path_is_the_full_number():
    from ingest.docx import clause_of_section

    assert clause_of_section("12. Payment > 12.3 The Buyer shall pay …") == "12.3"
    assert clause_of_section("12. Payment > 12.3 The Buyer … > (a) Late payments …") == "12.3(a)"
    assert clause_of_section("Supply Agreement") == ""
    assert clause_of_section("1. Definitions > 1.1 Capitalised terms …") == "1.1"
    assert clause_of_section("ARTICLE VIII TERM > Section 8.1 Term") == "8.1"


def test_typed_clause_numbers_page_a_file_without_word_numbering(tmp_path):
    """Text pasted from a PDF: no Word numbering, clauses run on inside paragraphs; cross-references stay put."""
    import docx

    from ingest.docx import typed_number

    d = docx.Document()
    d.add_paragraph("PROMOTION AGREEMENT between Depomed and King.")
    d.add_paragraph("ARTICLE VIII TERM AND TERMINATION Section 8.1 Term. The term ends on June 27, 2011 as set forth "
                    "in Section 4.1 below. Section 8.2 Termination. Either party may terminate on notice.")
    d.add_paragraph("9.1 Notices. Notices are given in writing.")
    d.save(str(tmp_path / "typed.docx"))
    doc = load_document(tmp_path / "typed.docx", docx_render="off")
    assert doc.page_labels == ("before cl. 8.1", "cl. 8.1", "cl. 8.2", "cl. 9.1")
    assert doc.pages[1].text.startswith("Section 8.1 Term.") and "Section 4.1 below" in doc.pages[1].text
    assert [typed_number(t) for t in ("12.3 The Buyer", "Section 5 Term", "3 years after", "2011 was")] == \
        ["12.3", "5", "", ""]


def test_mangled_parts_end_in_a_result_or_one_line(contract, tmp_path):
    """Numbering, styles and body with values Word never writes: a document or an IngestError, never a crash."""
    import random

    rng = random.Random(24)
    with zipfile.ZipFile(contract) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    swaps = [(b'w:ilvl w:val="1"', b'w:ilvl w:val="42"'), (b'w:val="decimal"', b'w:val="klingon"'),
             (b'w:numId w:val="90"', b'w:numId w:val="-7"'), (b'w:start w:val="1"', b'w:start w:val="x"'),
             (b"%1.%2", b"%9.%%"), (b"<w:t>", b"<w:t><w:t>"), (b"</w:p>", b"")]
    level_42 = [(b'<w:lvl w:ilvl="1"', b'<w:lvl w:ilvl="42"'), (b'w:ilvl w:val="1"', b'w:ilvl w:val="42"')]
    for k in range(12):
        mangled = dict(parts)
        for name in ("word/document.xml", "word/numbering.xml", "word/styles.xml"):
            data = mangled[name]
            for old, new in (level_42 if k == 0 else rng.sample(swaps, 3)):  # first: a list level Word has not
                data = data.replace(old, new)
            mangled[name] = data
        path = tmp_path / f"m{k}.docx"
        with zipfile.ZipFile(path, "w") as z:
            for name, data in mangled.items():
                z.writestr(name, data)
        try:
            doc = load_document(path, docx_render="off")
        except IngestError as e:
            assert "\n" not in e.message and e.message
        else:
            assert doc.text


def test_list_style_numbering_takes_the_styles_levels(tmp_path):
    """Legal templates number through a list style: the paragraphs' list (w:numStyleLink) has no levels of its
    own; they are the style's list's, and so are its counters."""
    import docx
    from docx.oxml import parse_xml

    from tests.fixtures.word import NSDECL, W_NS

    d = docx.Document()
    numbering = d.part.numbering_part.element
    lvls = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{f}"/><w:lvlText w:val="{t}"/></w:lvl>'
                   for i, f, t in ((0, "upperRoman", "Article %1"), (1, "decimal", "%1.%2")))
    first = numbering.find(f"{{{W_NS}}}num")
    for xml in (f'<w:abstractNum {NSDECL} w:abstractNumId="91"><w:styleLink w:val="LegalList"/>{lvls}</w:abstractNum>',
                f'<w:abstractNum {NSDECL} w:abstractNumId="92"><w:numStyleLink w:val="LegalList"/></w:abstractNum>'):
        first.addprevious(parse_xml(xml)) if first is not None else numbering.append(parse_xml(xml))
    for nid, aid in (("91", "91"), ("92", "92")):
        numbering.append(parse_xml(f'<w:num {NSDECL} w:numId="{nid}"><w:abstractNumId w:val="{aid}"/></w:num>'))
    d.styles.element.append(parse_xml(
        f'<w:style {NSDECL} w:type="numbering" w:styleId="LegalList"><w:name w:val="Legal List"/>'
        '<w:pPr><w:numPr><w:numId w:val="91"/></w:numPr></w:pPr></w:style>'))
    for text, level in (("Scope", 0), ("The scope is narrow.", 1), ("Price", 0), ("The price is fixed.", 1)):
        p = d.add_paragraph(text)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {NSDECL}><w:ilvl w:val="{level}"/><w:numId w:val="92"/></w:numPr>'))
    d.save(str(tmp_path / "legal.docx"))
    doc = load_document(tmp_path / "legal.docx", docx_render="off")
    assert "Article I Scope\n\nI.1 The scope is narrow.\n\nArticle II Price\n\nII.1 The price is fixed." in doc.text
    assert doc.page_labels == ("cl. Article I", "cl. I.1", "cl. Article II", "cl. II.1")
